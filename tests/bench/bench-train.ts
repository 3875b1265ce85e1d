/**
 * npm run bench:train [-- --n 50000 --epochs 3]: training throughput (samples/s) and test AUC
 * of our MLP on each installed tfjs backend and with 2 workers, beside the seed's PyTorch
 * reference (1 thread, OpenBLAS 1 thread) on the same rows, at batch 64, 256 and 1024.
 * The figures go to stdout and to tests/bench/RESULTS.md.
 */
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rocAuc } from '../../model/metrics/ranking.js';
import { startFitWorkers } from '../../model/parallel/fit-workers.js';
import { type BackendName, useBackend } from '../../model/tf/backend.js';
import { takeRows } from '../../model/training/dataset.js';
import { fitNetwork, type NetworkSettings } from '../../model/training/fit-network.js';
import { predictProbabilities } from '../../model/training/fit-task.js';
import { fitPreprocessor, preprocessDataset } from '../../model/training/preprocessor.js';
import { stratifiedHoldout } from '../../model/training/splits.js';
import { Random } from '../../pipeline/util/random.js';
import { PYTHON, runPython, SHARED, sampleData, writeNumericCsv, writeResultsSection } from './bench-util.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const N = Number(args.get('n') ?? 50_000);
const EPOCHS = Number(args.get('epochs') ?? 3);
const BATCHES = [64, 256, 1024];

const settings = (batchSize: number): NetworkSettings => ({
  hidden: [{ units: 384, activation: 'relu', dropout: 0.10191718370539062 }],
  optimizer: 'adam',
  learningRate: 0.0007203821205189775,
  weightDecay: 0.0008676003739539543,
  batchSize,
});

const { data, names } = sampleData(N, 1);
const split = stratifiedHoldout(data.y, 0.2, new Random(42));
const trainRaw = takeRows(data, Int32Array.from(split.train));
const preprocessor = fitPreprocessor(trainRaw);
const train = preprocessDataset(preprocessor, trainRaw);
const test = preprocessDataset(preprocessor, takeRows(data, Int32Array.from(split.test)));
const csv = join(tmpdir(), `opp-bench-train-${N}.csv`);
writeNumericCsv(csv, data, names);

const rows: string[][] = [];
const record = (who: string, batch: number, sps: number, auc: number | undefined, ref?: number) => {
  const row = [
    who,
    String(batch),
    Math.round(sps).toLocaleString('en-US'),
    auc === undefined ? '-' : auc.toFixed(4),
    ref ? (sps / ref).toFixed(2) : '-',
  ];
  rows.push(row);
  console.log(row.join('\t'));
};

console.log(
  `${data.rows} rows (${train.rows} train / ${test.rows} test), ${EPOCHS} epochs, ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}`,
);

// Reference first: its figure is the denominator of each ratio.
const reference = new Map<number, number>();
const script = join(SHARED, 'anchors', 'reference_train.py');
let blas = 'n/a';
for (const batch of BATCHES) {
  const r = runPython(
    [script, '--data', csv, '--epochs', String(EPOCHS), '--batch', String(batch), '--threads', '1'],
    {
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
    },
  );
  if (!r) continue;
  blas = String(r.blas ?? blas);
  reference.set(batch, Number(r.samples_per_s));
  record(`PyTorch ${r.torch} CPU, 1 thread`, batch, Number(r.samples_per_s), Number(r.auc_test));
}

for (const backend of ['wasm', 'cpu', 'node'] as BackendName[]) {
  try {
    await useBackend(backend);
  } catch {
    console.log(`  (backend ${backend} not installed: skipped)`);
    continue;
  }
  // The cpu backend is ~5x slower: one epoch at one batch size is enough to place it.
  const batches = backend === 'cpu' ? [256] : BATCHES;
  for (const batch of batches) {
    const fit = await fitNetwork(train, settings(batch), {
      epochs: backend === 'cpu' ? 1 : EPOCHS,
      seed: 42,
    });
    const auc = rocAuc(test.y, predictProbabilities(fit.weights, test.x, test.rows));
    record(`ours, tfjs ${backend}`, batch, fit.samplesPerSecond, auc, reference.get(batch));
  }
}

// Two workers, one fit each, at the same time: the aggregate throughput of a 2-core runner.
for (const batch of [256, 1024]) {
  const pool = startFitWorkers(2, 'wasm');
  const started = performance.now();
  const all = Int32Array.from(train.y.keys());
  const task = (seed: number) =>
    pool.run({
      label: `w${seed}`,
      data: trainRaw,
      train: all,
      rebalance: 'none',
      settings: settings(batch),
      epochs: EPOCHS,
      patience: 1,
      seed,
    });
  await Promise.all([task(1), task(2)]);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  // Wall time includes worker start-up and scaling: a conservative figure.
  record(
    'ours, wasm, 2 workers (aggregate)',
    batch,
    (2 * EPOCHS * train.rows) / seconds,
    undefined,
    reference.get(batch),
  );
}

const table = [
  '| run | batch | samples/s | test AUC | ours / reference |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
writeResultsSection(
  'Training throughput (bench:train)',
  `Command: \`npm run bench:train -- --n ${N} --epochs ${EPOCHS}\` (${new Date().toISOString().slice(0, 10)}, ` +
    `${availableParallelism()} cores shared with other jobs: expect noise). ${data.rows} sample rows, ` +
    `${train.rows} train / ${test.rows} test, the seed's network (15 → 384 → 1), ${EPOCHS} fixed epochs. ` +
    `Reference: \`${PYTHON} ../shared/anchors/reference_train.py --threads 1\` with OPENBLAS_NUM_THREADS=1, BLAS: ${blas}.\n\n${table}`,
);
