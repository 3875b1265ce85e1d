/**
 * npm run bench:quality [-- --n 20000]: test AUC of our MLP vs logistic regression and
 * XGBoost (Python, same split, same features, one run) on the sample data (beside its Bayes
 * AUCs: of the true probabilities, and of the probabilities given the 15 features alone), UCI
 * bank marketing (without `duration`, which leaks the outcome) and the Maven CRM export read
 * through its feature spec. Our MLP runs on each split with three preprocessings (plain
 * standardisation; `training.inputTransform: auto`; production.json's, which adds its
 * `imputeMissing` where the data set has those features), each with `--seeds` network seeds
 * (default 3) whose AUCs are averaged. Figures go to stdout and tests/bench/RESULTS.md.
 * `--data` names the data sets to run; `--opp-train-seeds 0,1,2` runs only `opp train`'s recipe,
 * once per training seed, into a section of its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadTrainingData } from '../../model/data/load-training-data.js';
import { fitWithEngine } from '../../model/engine/select-engine.js';
import { rocAuc } from '../../model/metrics/ranking.js';
import { createFitRunner } from '../../model/parallel/fit-workers.js';
import { useBackend } from '../../model/tf/backend.js';
import { type Dataset, takeRows } from '../../model/training/dataset.js';
import { predictRaw } from '../../model/training/fit-task.js';
import { recipeOf } from '../../model/training/format-report.js';
import { networkSettings } from '../../model/training/network-settings.js';
import {
  fitPreprocessor,
  type PreprocessorPlan,
  planPreprocessor,
  preprocessDataset,
} from '../../model/training/preprocessor.js';
import { stratifiedHoldout } from '../../model/training/splits.js';
import { trainModel } from '../../model/training/train-model.js';
import { loadTrainingConfig, type TrainingConfig } from '../../model/training-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { Random } from '../../pipeline/util/random.js';
import {
  runPython,
  type SampleTruth,
  SHARED,
  sampleData,
  writeNumericCsv,
  writeResultsSection,
} from './bench-util.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const N = Number(args.get('n') ?? 20_000);
/** Network seeds per preprocessing: the AUC of one fit moves by ~0.005 with the seed. */
const SEEDS = Number(args.get('seeds') ?? 3);
const config = loadTrainingConfig(defaultConfigPath('production.json'));
/** `--data sample,uci-bank,maven-crm`: the data sets to run. */
const WANTED = (args.get('data') ?? 'sample,uci-bank,maven-crm').split(',');
/** Share of the training rows held out for early stopping. */
const VALIDATION_FRACTION = 0.1;

interface Ours {
  /** Mean test AUC over the seeds. */
  auc: number;
  min: number;
  max: number;
  /** Best epoch of each seed's fit. */
  epochs: number[];
  /** What the preprocessing changed (transformed or imputed columns). */
  changed: string[];
}

interface Result {
  name: string;
  rows: number;
  /** Ours with plain standardisation, with `inputTransform: auto`, and with production.json's preprocessing. */
  plain: Ours;
  auto: Ours;
  production: Ours;
  /** production.json with `inputEncoding: numeric` (piecewise-linear bins of every numeric column). */
  binned: Ours;
  /** `opp train`'s own recipe on the same test rows: CV (rebalancing, epochs), final fit on all training rows. */
  oppTrain: { auc: number; rebalancing: string; epochs: number };
  logreg?: number;
  xgb?: number;
  /** AUC of the true probabilities (sample data only). */
  bayes?: number;
  /** AUC of the probabilities given the 15 features (the division averaged out). */
  bayesFeatures?: number;
  /** AUC of the true probabilities without their drift term. */
  bayesNoDrift?: number;
}

/**
 * Our MLP with the production settings and engine, early stopping on 10% of the training rows;
 * the preprocessor is fitted on the fitting rows only. One fit per seed.
 */
async function ours(train: Dataset, test: Dataset, names: string[], plan: PreprocessorPlan): Promise<Ours> {
  const inner = stratifiedHoldout(train.y, VALIDATION_FRACTION, new Random(7));
  const fitRows = takeRows(train, Int32Array.from(inner.train));
  const preprocessor = fitPreprocessor(fitRows, plan);
  const aucs: number[] = [];
  const epochs: number[] = [];
  for (let s = 0; s < SEEDS; s++) {
    const fit = await fitWithEngine(preprocessDataset(preprocessor, fitRows), networkSettings(config), {
      validation: preprocessDataset(preprocessor, takeRows(train, Int32Array.from(inner.test))),
      epochs: config.training.maxEpochs,
      patience: config.training.patience,
      seed: config.training.seed + s,
    });
    aucs.push(rocAuc(test.y, predictRaw(fit.weights, preprocessor, test.x, test.rows)));
    epochs.push(fit.bestEpoch);
  }
  const changed = names.flatMap((name, j) => {
    const imputed = preprocessor.imputation?.find((i) => i.column === j);
    const transform = preprocessor.inputTransform[j]!;
    const parts = [
      ...(imputed ? [`${imputed.value} → ${Number(imputed.fill.toPrecision(6))}`] : []),
      ...(transform === 'none' ? [] : [transform]),
      ...binsOf(preprocessor.encoding?.find((e) => e.column === j)),
    ];
    return parts.length > 0 ? [`${name} (${parts.join(', ')})`] : [];
  });
  return {
    auc: aucs.reduce((a, b) => a + b) / aucs.length,
    min: Math.min(...aucs),
    max: Math.max(...aucs),
    epochs,
    changed,
  };
}

const binsOf = (encoding?: { edges: number[] }) => (encoding ? [`${encoding.edges.length - 1} bins`] : []);

/** production.json's training settings; its imputeMissing names the seed's features only: those of `names` kept. */
function productionTraining(names: readonly string[]): TrainingConfig['training'] {
  return {
    ...config.training,
    imputeMissing: Object.fromEntries(
      Object.entries(config.training.imputeMissing).filter(([feature]) => names.includes(feature)),
    ),
  };
}

/** What `opp train` makes of the data (production.json, one seed), scored on the pinned test rows. */
async function trainedAsOppTrains(
  data: Dataset,
  names: string[],
  testRows: Int32Array,
  seed?: number,
): Promise<Result['oppTrain']> {
  const runner = createFitRunner(2, 'wasm');
  try {
    const trained = await trainModel(
      { division: 0, name: 'bench', data, featureNames: names, testRows },
      {
        config: { ...config, training: productionTraining(names) },
        runner,
        ...(seed === undefined ? {} : { seed }),
      },
    );
    return {
      auc: rocAuc(
        Uint8Array.from(testRows, (r) => data.y[r]!),
        trained.testProbabilities,
      ),
      rebalancing: recipeOf(trained.report),
      epochs: trained.report.epochs,
    };
  } finally {
    await runner.close();
  }
}

async function evaluate(name: string, data: Dataset, names: string[], truth?: SampleTruth): Promise<Result> {
  const split = stratifiedHoldout(data.y, 0.2, new Random(42));
  const train = takeRows(data, Int32Array.from(split.train));
  const test = takeRows(data, Int32Array.from(split.test));
  const trainCsv = join(tmpdir(), `opp-quality-${name}-train.csv`);
  const testCsv = join(tmpdir(), `opp-quality-${name}-test.csv`);
  writeNumericCsv(trainCsv, train, names);
  writeNumericCsv(testCsv, test, names);
  const plain = await ours(train, test, names, {});
  const auto = await ours(train, test, names, { inputTransform: 'auto' });
  const production = await ours(train, test, names, planPreprocessor(productionTraining(names), names));
  const binned = await ours(
    train,
    test,
    names,
    planPreprocessor({ ...productionTraining(names), inputEncoding: 'numeric' }, names),
  );
  const oppTrain = await trainedAsOppTrains(data, names, Int32Array.from(split.test));
  const py = runPython([join(PACKAGE_ROOT, 'tests', 'bench', 'quality_baselines.py'), trainCsv, testCsv], {
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
  });
  const result: Result = { name, rows: data.rows, plain, auto, production, binned, oppTrain };
  if (py?.logreg_auc) result.logreg = Number(py.logreg_auc);
  if (py?.xgb_auc) result.xgb = Number(py.xgb_auc);
  if (truth) {
    const onTest = (p: Float64Array) =>
      rocAuc(
        test.y,
        Float64Array.from(split.test, (i) => p[i]!),
      );
    result.bayes = onTest(truth.p);
    result.bayesFeatures = onTest(truth.pFeatures);
    result.bayesNoDrift = onTest(truth.pNoDrift);
    console.log(
      `  sample truth recomputed from the features and division: max |Δp| = ${truth.maxReconstructionError.toExponential(1)}`,
    );
  }
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

/** The data sets, by name, each loaded when asked for (absent files are skipped). */
async function dataSets(): Promise<{ name: string; data: Dataset; names: string[]; truth?: SampleTruth }[]> {
  const sets: { name: string; data: Dataset; names: string[]; truth?: SampleTruth }[] = [];
  if (WANTED.includes('sample')) {
    const sample = sampleData(N, 1);
    sets.push({ name: 'sample', ...sample });
  }
  const bank = WANTED.includes('uci-bank') ? bankData() : undefined;
  if (bank) sets.push({ name: 'uci-bank', ...bank });
  const mavenFile = join(SHARED, 'data', 'maven-crm-sales-opportunities', 'sales_pipeline.csv');
  if (WANTED.includes('maven-crm') && existsSync(mavenFile)) {
    const spec = compileFeatureSpec(
      loadFeatureSpec(join(PACKAGE_ROOT, 'configs', 'examples', 'maven-crm-features.json')),
    );
    const table = await loadTrainingData(mavenFile, spec);
    sets.push({
      name: 'maven-crm',
      data: { rows: table.rows, features: table.featureNames.length, x: table.x, y: table.labels },
      names: table.featureNames,
    });
  }
  return sets;
}

/**
 * `--opp-train-seeds 0,1,2`: only what `opp train` makes of each data set, once per training
 * seed (the split stays seed 42's), beside the baselines: how much of a gap is one seed's luck.
 */
async function oppTrainAcrossSeeds(seeds: number[]): Promise<void> {
  const lines: string[] = [];
  for (const { name, data, names } of await dataSets()) {
    const split = stratifiedHoldout(data.y, 0.2, new Random(42));
    const trainCsv = join(tmpdir(), `opp-quality-${name}-train.csv`);
    const testCsv = join(tmpdir(), `opp-quality-${name}-test.csv`);
    writeNumericCsv(trainCsv, takeRows(data, Int32Array.from(split.train)), names);
    writeNumericCsv(testCsv, takeRows(data, Int32Array.from(split.test)), names);
    const runs: Result['oppTrain'][] = [];
    for (const seed of seeds) {
      runs.push(await trainedAsOppTrains(data, names, Int32Array.from(split.test), seed));
      console.log(`${name} seed ${seed}: ${JSON.stringify(runs.at(-1))}`);
    }
    const py = runPython([join(PACKAGE_ROOT, 'tests', 'bench', 'quality_baselines.py'), trainCsv, testCsv], {
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
    });
    const mean = runs.reduce((a, r) => a + r.auc, 0) / runs.length;
    const xgb = py?.xgb_auc ? Number(py.xgb_auc) : undefined;
    const logreg = py?.logreg_auc ? Number(py.logreg_auc) : undefined;
    const f = (v?: number) => (v === undefined ? '-' : v.toFixed(4));
    lines.push(
      `| ${name} | ${runs.map((r) => `${f(r.auc)} (${r.rebalancing}, ${r.epochs})`).join('; ')} | ${f(mean)} | ` +
        `${f(Math.min(...runs.map((r) => r.auc)))} | ${f(logreg)} | ${f(xgb)} | ${xgb === undefined ? '-' : (mean - xgb).toFixed(4)} |`,
    );
  }
  const table = [
    `| data | \`opp train\` test AUC per seed ${seeds.join(', ')} (rebalancing, epochs) | mean | lowest | logistic regression | XGBoost | mean − XGBoost |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
  ].join('\n');
  console.log(table);
  writeResultsSection(
    'Model quality across training seeds (bench:quality --opp-train-seeds)',
    `Command: \`npm run bench:quality -- --n ${N} --opp-train-seeds ${seeds.join(',')}${args.has('data') ? ` --data ${WANTED.join(',')}` : ''}\` ` +
      `(${new Date().toISOString().slice(0, 10)}). What \`opp train\` makes of each data set's training rows ` +
      '(production.json: CV choosing rebalancing and bins, epochs, then the final fit), once per training seed, on ' +
      `the same test rows as bench:quality (split seed 42); baselines as there.\n\n${table}`,
  );
}

await useBackend('wasm');
if (args.has('opp-train-seeds')) {
  await oppTrainAcrossSeeds(args.get('opp-train-seeds')!.split(',').map(Number));
  process.exit(0);
}
const results: Result[] = [];
for (const set of await dataSets()) results.push(await evaluate(set.name, set.data, set.names, set.truth));

const f = (v?: number) => (v === undefined ? '-' : v.toFixed(4));
const diff = (a: number, b?: number) => (b === undefined ? '-' : (a - b).toFixed(4));
const o = (r: Ours) => `${f(r.auc)} (${r.epochs.join('/')})`;
const table = [
  '| data | rows | ours, plain (epochs) | ours, `auto` (epochs) | ours, production.json (epochs) | production.json changed | ours, production.json + `inputEncoding: numeric` (epochs) | ours, `opp train` (rebalancing, epochs) | logistic regression | XGBoost | Bayes (true p) | Bayes (15 features) | production − XGBoost | production − Bayes (15 features) | `opp train` − XGBoost | `opp train` − Bayes (15 features) |',
  '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.rows} | ${o(r.plain)} | ${o(r.auto)} | ${o(r.production)} | ${r.production.changed.join('; ') || '-'} | ${o(r.binned)} | ${f(r.oppTrain.auc)} (${r.oppTrain.rebalancing}, ${r.oppTrain.epochs}) | ${f(r.logreg)} | ${f(r.xgb)} | ${f(r.bayes)} | ${f(r.bayesFeatures)} | ${diff(r.production.auc, r.xgb)} | ${diff(r.production.auc, r.bayesFeatures)} | ${diff(r.oppTrain.auc, r.xgb)} | ${diff(r.oppTrain.auc, r.bayesFeatures)} |`,
  ),
].join('\n');
const sampleResult = results.find((r) => r.name === 'sample');
const drift = sampleResult
  ? `\n\nSample data, true p without its drift term (segment × years since 2020): Bayes AUC ${f(sampleResult.bayesNoDrift)} against ${f(sampleResult.bayes)} with it.`
  : '';
console.log(table + drift);
writeResultsSection(
  'Model quality (bench:quality)',
  `Command: \`npm run bench:quality -- --n ${N}\` (${new Date().toISOString().slice(0, 10)}). Test AUC on one ` +
    'stratified 80/20 split (seed 42) per data set, the same rows for every model. Ours: the production network ' +
    '(15 → 384 → 1, Adam, batch 64) on its training engine, early stopping on 10% of the training rows, the ' +
    `mean test AUC of ${SEEDS} network seeds (best epochs in brackets) for each preprocessing: plain ` +
    'standardisation of the raw features (before `training.inputTransform` existed); `inputTransform: auto` ' +
    '(signed log1p of the columns the rule picks on the training rows); production.json ' +
    `(\`inputTransform: ${JSON.stringify(config.training.inputTransform)}\`, \`imputeMissing: ` +
    `${JSON.stringify(config.training.imputeMissing)}\` where the data set has that feature; its ` +
    `\`inputEncoding: ${JSON.stringify(config.training.inputEncoding)}\` bins nothing in a single fit); the same with ` +
    '`inputEncoding: numeric` (piecewise-linear encoding of every column with more than 10 distinct values into ' +
    `${config.training.inputEncodingBins} quantile bins of the training rows). Ours, \`opp train\`: ` +
    'what `opp train` makes of the same training rows (production.json, one seed: 5-fold CV choosing the ' +
    'rebalancing, then whether to bin (`inputEncoding: auto`), and the epoch count, then one final fit on all ' +
    'training rows), scored on the same test rows. ' +
    'Logistic regression ' +
    '(standardised raw features) and XGBoost 1.7 (400 trees, depth 4, lr 0.05) from ' +
    '`tests/bench/quality_baselines.py`. Bayes (true p): the AUC of the probabilities the sample labels were ' +
    'drawn from, which use the division, not one of the 15 features; Bayes (15 features): those probabilities ' +
    `with the division averaged out, the best any model of the 15 features can reach.\n\n${table}${drift}`,
);
