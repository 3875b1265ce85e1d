/**
 * npm run bench:quality [-- --n 20000]: test AUC of our MLP vs logistic regression and
 * XGBoost (Python, same split, same features, one run) on the sample data (beside its Bayes
 * AUC from the true probabilities), UCI bank marketing (without `duration`, which leaks the
 * outcome) and the Maven CRM export read through its feature spec. Figures go to stdout and
 * tests/bench/RESULTS.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadTrainingData } from '../../model/data/load-training-data.js';
import { rocAuc } from '../../model/metrics/ranking.js';
import { useBackend } from '../../model/tf/backend.js';
import { type Dataset, takeRows } from '../../model/training/dataset.js';
import { fitNetwork } from '../../model/training/fit-network.js';
import { predictProbabilities } from '../../model/training/fit-task.js';
import { networkSettings } from '../../model/training/network-settings.js';
import { fitPreprocessor, preprocessDataset } from '../../model/training/preprocessor.js';
import { stratifiedHoldout } from '../../model/training/splits.js';
import { loadTrainingConfig } from '../../model/training-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { Random } from '../../pipeline/util/random.js';
import { runPython, SHARED, sampleData, writeNumericCsv, writeResultsSection } from './bench-util.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const N = Number(args.get('n') ?? 20_000);
const config = loadTrainingConfig(defaultConfigPath('production.json'));
/** Share of the training rows held out for early stopping. */
const VALIDATION_FRACTION = 0.1;

interface Result {
  name: string;
  rows: number;
  ours: number;
  logreg?: number;
  xgb?: number;
  bayes?: number;
  epochs: number;
}

/** Our MLP with the production settings: early stopping on 10% of the training rows. */
async function ours(
  train: Dataset,
  test: Dataset,
): Promise<{ auc: number; epochs: number; probabilities: Float64Array }> {
  const inner = stratifiedHoldout(train.y, VALIDATION_FRACTION, new Random(7));
  const fitRows = takeRows(train, Int32Array.from(inner.train));
  const scaler = fitPreprocessor(fitRows);
  const fit = await fitNetwork(preprocessDataset(scaler, fitRows), networkSettings(config), {
    validation: preprocessDataset(scaler, takeRows(train, Int32Array.from(inner.test))),
    epochs: config.training.maxEpochs,
    patience: config.training.patience,
    seed: config.training.seed,
  });
  const scaledTest = preprocessDataset(scaler, test);
  const probabilities = predictProbabilities(fit.weights, scaledTest.x, scaledTest.rows);
  return { auc: rocAuc(test.y, probabilities), epochs: fit.bestEpoch, probabilities };
}

async function evaluate(name: string, data: Dataset, names: string[], truth?: Float64Array): Promise<Result> {
  const split = stratifiedHoldout(data.y, 0.2, new Random(42));
  const train = takeRows(data, Int32Array.from(split.train));
  const test = takeRows(data, Int32Array.from(split.test));
  const trainCsv = join(tmpdir(), `opp-quality-${name}-train.csv`);
  const testCsv = join(tmpdir(), `opp-quality-${name}-test.csv`);
  writeNumericCsv(trainCsv, train, names);
  writeNumericCsv(testCsv, test, names);
  const mine = await ours(train, test);
  const py = runPython([join(PACKAGE_ROOT, 'tests', 'bench', 'quality_baselines.py'), trainCsv, testCsv], {
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
  });
  const result: Result = { name, rows: data.rows, ours: mine.auc, epochs: mine.epochs };
  if (py?.logreg_auc) result.logreg = Number(py.logreg_auc);
  if (py?.xgb_auc) result.xgb = Number(py.xgb_auc);
  if (truth)
    result.bayes = rocAuc(
      test.y,
      Float64Array.from(split.test, (i) => truth[i]!),
    );
  console.log(JSON.stringify(result));
  return result;
}

/** UCI bank marketing: numeric columns as they are, categorical ones one-hot; `duration` left out. */
function bankData(): { data: Dataset; names: string[] } | undefined {
  const file = join(SHARED, 'data', 'uci-bank-marketing', 'bank-full.csv');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const delimiter = text.split('\n')[0]!.includes(';') ? ';' : ',';
  const records = parse(text, { columns: true, delimiter, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const columns = Object.keys(records[0]!).filter((c) => c !== 'y' && c !== 'duration');
  const numeric = columns.filter((c) =>
    records.every((r) => r[c]!.trim() !== '' && Number.isFinite(Number(r[c]))),
  );
  const categorical = columns.filter((c) => !numeric.includes(c));
  const names = [...numeric];
  const levels = new Map(categorical.map((c) => [c, [...new Set(records.map((r) => r[c]!))].sort()]));
  for (const [c, values] of levels) for (const v of values) names.push(`${c}=${v}`);
  const d = names.length;
  const x = new Float32Array(records.length * d);
  const y = new Uint8Array(records.length);
  records.forEach((r, i) => {
    numeric.forEach((c, j) => {
      x[i * d + j] = Number(r[c]);
    });
    let offset = numeric.length;
    for (const [c, values] of levels) {
      x[i * d + offset + values.indexOf(r[c]!)] = 1;
      offset += values.length;
    }
    y[i] = r.y === 'yes' ? 1 : 0;
  });
  return {
    data: { rows: records.length, features: d, x, y },
    names: names.map((n, i) => `f${i}_${n.replace(/\W/g, '_')}`),
  };
}

await useBackend('wasm');
const results: Result[] = [];
const sample = sampleData(N, 1);
results.push(await evaluate('sample', sample.data, sample.names, sample.truth));
const bank = bankData();
if (bank) results.push(await evaluate('uci-bank', bank.data, bank.names));
const mavenFile = join(SHARED, 'data', 'maven-crm-sales-opportunities', 'sales_pipeline.csv');
if (existsSync(mavenFile)) {
  const spec = compileFeatureSpec(
    loadFeatureSpec(join(PACKAGE_ROOT, 'configs', 'examples', 'maven-crm-features.json')),
  );
  const table = await loadTrainingData(mavenFile, spec);
  results.push(
    await evaluate(
      'maven-crm',
      { rows: table.rows, features: table.featureNames.length, x: table.x, y: table.labels },
      table.featureNames,
    ),
  );
}

const f = (v?: number) => (v === undefined ? '-' : v.toFixed(4));
const table = [
  '| data | rows | ours (MLP) | best epoch | logistic regression | XGBoost | Bayes | ours − XGBoost |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.rows} | ${f(r.ours)} | ${r.epochs} | ${f(r.logreg)} | ${f(r.xgb)} | ${f(r.bayes)} | ${r.xgb === undefined ? '-' : (r.ours - r.xgb).toFixed(4)} |`,
  ),
].join('\n');
console.log(table);
writeResultsSection(
  'Model quality (bench:quality)',
  `Command: \`npm run bench:quality -- --n ${N}\` (${new Date().toISOString().slice(0, 10)}). Test AUC on one ` +
    'stratified 80/20 split (seed 42) per data set, the same rows for every model. Ours: the production config ' +
    '(15 → 384 → 1, Adam, batch 64), early stopping on 10% of the training rows. Logistic regression ' +
    '(standardised) and XGBoost 1.7 (400 trees, depth 4, lr 0.05) from `tests/bench/quality_baselines.py`. ' +
    `Bayes: the AUC of the true probabilities (sample data only).\n\n${table}`,
);
