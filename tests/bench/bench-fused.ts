/**
 * `npm run bench:fused`: training and scoring throughput of the fused WebAssembly engine beside
 * tfjs-wasm and the PyTorch reference (1 thread), on the same data file, in one run. The
 * engines are measured alternately, round by round, because the machine's cores are shared:
 * compare the ratios of one round, and read the load average printed beside them.
 *
 * Environment: BENCH_ROWS (sample records, default 50000), BENCH_ROUNDS (default 2),
 * BENCH_TORCH=0 to skip PyTorch, BENCH_PYTHON (default /usr/bin/python3), BENCH_ONLY=kernel to
 * print only the peak, the kernel's phase profile and scoring.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FusedNetwork, OPTIMIZER_CODE } from '../../model/engine/FusedNetwork.js';
import { fitNetworkFused, fusedLayers, TRAIN_CHUNK_ROWS } from '../../model/engine/fit-network-fused.js';
import { createFusedScorer } from '../../model/engine/fused-scorer.js';
import { instantiateKernel } from '../../model/engine/kernel-module.js';
import { initMlpWeights, mlpLogits } from '../../model/network/mlp-weights.js';
import { useBackend } from '../../model/tf/backend.js';
import { type Dataset, takeRows } from '../../model/training/dataset.js';
import { fitNetwork, type NetworkSettings } from '../../model/training/fit-network.js';
import { fitPreprocessor, preprocessDataset } from '../../model/training/preprocessor.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { Random } from '../../pipeline/util/random.js';
import { sampleTable } from '../model/helpers/sample-table.js';

/** The seed's production network and optimiser (configs/production.json), batch size varied. */
const PRODUCTION: NetworkSettings = {
  hidden: [{ units: 384, activation: 'relu', dropout: 0.10191718370539062 }],
  optimizer: 'adam',
  learningRate: 0.0007203821205189775,
  weightDecay: 0.0008676003739539543,
  batchSize: 64,
};
const BATCHES = [64, 256, 1024];
/** Epochs per measurement: short runs, since the cores are shared. */
const EPOCHS = { fused: 3, tfjs: 1, torch: 3 };
const REFERENCE = '/work/shared/anchors/reference_train.py';

interface WorkerJob {
  train: Dataset;
  batchSize: number;
  epochs: number;
  seed: number;
}

/** CPU seconds of the calling thread (Linux: /proc/thread-self/stat, 10 ms ticks). */
function threadCpuSeconds(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

if (!isMainThread) {
  const job = workerData as WorkerJob;
  const settings = { ...PRODUCTION, batchSize: job.batchSize };
  await fitNetworkFused(job.train, settings, { epochs: 1, seed: job.seed }); // warm-up: wasm tier-up
  const t = threadCpuSeconds();
  const fit = await fitNetworkFused(job.train, settings, { epochs: job.epochs, seed: job.seed });
  parentPort!.postMessage({ sps: fit.samplesPerSecond, cpu: threadCpuSeconds() - t } satisfies WorkerResult);
} else {
  await main();
}

interface WorkerResult {
  /** Wall-clock samples/s of the measured fit. */
  sps: number;
  /** CPU seconds of the worker's thread during it. */
  cpu: number;
}

function load(): string {
  return `load ${loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`;
}

/** Model FLOP per training sample: forward and weight gradients of every layer, input gradients above the first. */
function flopPerSample(features: number, settings: NetworkSettings): number {
  let flop = 0;
  let inputs = features;
  const units = [...settings.hidden.map((h) => h.units), 1];
  units.forEach((u, i) => {
    flop += 2 * inputs * u * (i === 0 ? 2 : 3);
    inputs = u;
  });
  return flop;
}

function writeCsv(dir: string, data: Dataset, names: readonly string[]): string {
  const file = join(dir, 'features.csv');
  const lines = [[...names.map((n) => n.replace(/[^a-z0-9_]/gi, '_')), 'action_taken'].join(',')];
  for (let r = 0; r < data.rows; r++) {
    const row: string[] = [];
    for (let j = 0; j < data.features; j++) row.push(String(data.x[r * data.features + j]));
    row.push(String(data.y[r]));
    lines.push(row.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * The PyTorch reference on the same CSV with 1 thread. Its training clock is switched to the
 * process's CPU time (time.process_time), so the figure is samples per CPU-second, like ours.
 */
function torchRun(
  python: string,
  csv: string,
  batch: number,
): { sps: number; blas: string; auc: number } | undefined {
  const argv = [
    REFERENCE,
    '--data',
    csv,
    '--threads',
    '1',
    '--batch',
    String(batch),
    '--epochs',
    String(EPOCHS.torch),
  ];
  const code = [
    'import runpy, sys, time',
    'time.perf_counter = time.process_time',
    `sys.argv = ${JSON.stringify(argv)}`,
    `runpy.run_path(${JSON.stringify(REFERENCE)}, run_name="__main__")`,
  ].join('\n');
  const result = spawnSync(python, ['-c', code], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    console.log(`  pytorch failed: ${result.stderr.split('\n').slice(-3).join(' ')}`);
    return undefined;
  }
  const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
    samples_per_s: number;
    blas: string[];
    auc_test: number;
  };
  return { sps: out.samples_per_s, blas: out.blas.join(' ') || 'unknown', auc: out.auc_test };
}

/** CPU-seconds of this process (every thread) spent in `run`, and its wall seconds. */
async function timed<T>(run: () => Promise<T>): Promise<{ value: T; cpu: number; wall: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = await run();
  const used = process.cpuUsage(c);
  return { value, cpu: (used.user + used.system) / 1e6, wall: (performance.now() - t) / 1000 };
}

/**
 * Two workers training at once (as two folds would). Returns the summed wall-clock rate and
 * the samples per CPU-second of each worker's own thread.
 */
async function twoWorkers(train: Dataset, batchSize: number): Promise<{ wall: number; perCpu: number }> {
  const script = new URL(import.meta.url);
  const runs = [1, 2].map(
    (seed) =>
      new Promise<WorkerResult>((resolve, reject) => {
        const job: WorkerJob = { train, batchSize, epochs: EPOCHS.fused, seed };
        const worker = new Worker(script, { workerData: job });
        worker.once('message', (result: WorkerResult) => {
          resolve(result);
          void worker.terminate();
        });
        worker.once('error', reject);
      }),
  );
  const results = await Promise.all(runs);
  const samples = train.rows * EPOCHS.fused;
  return {
    wall: results.reduce((s, r) => s + r.sps, 0),
    perCpu: results.reduce((s, r) => s + samples / r.cpu, 0) / results.length,
  };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** GFLOP/s of the kernel's register-resident f32x4 mul+add loop per CPU-second (1 core). */
function measurePeak(): number {
  const kernel = instantiateKernel();
  // Calls, not one long call: V8 tiers a wasm function up (Liftoff → TurboFan) between calls.
  for (let i = 0; i < 200; i++) kernel.peakLoop(1e5);
  const iterations = 1e6;
  const calls = 40;
  const t = cpuSeconds();
  for (let i = 0; i < calls; i++) kernel.peakLoop(iterations);
  return (calls * iterations * 64) / (cpuSeconds() - t) / 1e9;
}

/**
 * CPU time of each phase of `trainBatch`, from cumulative passes over every batch (pass p
 * runs phases 0…p), so that no clock is read inside a batch.
 */
function profilePhases(train: Dataset, batchSize: number): string {
  const settings = { ...PRODUCTION, batchSize };
  const capacity = Math.min(batchSize, TRAIN_CHUNK_ROWS);
  const net = new FusedNetwork(fusedLayers(train.features, settings), { capacity, trainRows: train.rows });
  net.writeWeights(initMlpWeights({ inputs: train.features, hidden: settings.hidden }, new Random(1)));
  net.loadTraining(train);
  net.kernel.setOptimizer(OPTIMIZER_CODE.adam, settings.learningRate, settings.weightDecay, 0.9, 0.999, 1e-8);
  const order = net.order();
  for (let i = 0; i < train.rows; i++) order[i] = (i * 7919) % train.rows;
  const batches = Math.floor(train.rows / batchSize);
  const names = ['gather', 'forward', 'loss', 'backward', 'update'];
  // As trainBatch does it: phases 0–3 per row chunk, the update once per batch.
  const pass = (last: number, phases = [0, 1, 2, 3]) => {
    for (let b = 0; b < batches; b++) {
      for (let from = 0; from < batchSize; from += capacity) {
        const at = net.train.order + (b * batchSize + from) * 4;
        for (const p of phases)
          if (p <= last) net.kernel.phase(p, at, Math.min(capacity, batchSize - from), b);
      }
      if (last === 4) net.kernel.phase(4, 0, 0, 0);
    }
  };
  pass(4); // warm-up
  const cumulative: number[] = [];
  for (let last = -1; last < names.length; last++) {
    const t = cpuSeconds();
    pass(last);
    cumulative.push(cpuSeconds() - t);
  }
  const cost = names.map((_, p) => Math.max(cumulative[p + 1]! - cumulative[p]!, 0));
  const all = cost.reduce((s, v) => s + v, 0);
  const parts = names.map(
    (n, p) => `${n} ${((cost[p]! / batches) * 1e6).toFixed(1)} µs (${((100 * cost[p]!) / all).toFixed(0)}%)`,
  );
  // The forward pass again without dropout: the difference is what the masks cost.
  pass(5, [0, 5]); // warm-up of this path too
  const t = cpuSeconds();
  pass(5, [0, 5]);
  const plain = cpuSeconds() - t - cost[0]!;
  return (
    `batch ${batchSize} (chunks of ${capacity} rows): ${((all / batches) * 1e6).toFixed(1)} µs per batch = ` +
    `${parts.join(', ')}; forward without dropout ${((plain / batches) * 1e6).toFixed(1)} µs`
  );
}

async function main(): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? 50_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  const withTorch = process.env.BENCH_TORCH !== '0';
  console.log(`# fused engine benchmark · ${new Date().toISOString()} · node ${process.version} · ${load()}`);
  let git = '';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {}
  console.log(
    `commit ${git} · network 15 → 384 relu (dropout 0.102) → 1, Adam + L2 (configs/production.json)`,
  );

  const table = sampleTable(rows, 1);
  const data: Dataset = {
    rows: table.rows,
    features: table.featureNames.length,
    x: table.x,
    y: table.labels,
  };
  // Under $OPP_HOME (default ./.opp), like all local state: shared /tmp is cleaned by others.
  const home = process.env.OPP_HOME ?? join(PACKAGE_ROOT, '.opp');
  mkdirSync(home, { recursive: true });
  const dir = mkdtempSync(join(home, 'bench-'));
  const csv = writeCsv(dir, data, table.featureNames);
  // As reference_train.py: 80% training rows (here a seeded shuffle), scaler on them only.
  const order = new Random(42).shuffle(Array.from({ length: data.rows }, (_, i) => i));
  const cut = Math.floor(data.rows * 0.8);
  const trainRaw = takeRows(data, order.slice(0, cut));
  const train = preprocessDataset(fitPreprocessor(trainRaw), trainRaw);
  console.log(
    `data: ${data.rows} sample records → ${csv} (${train.rows} training rows, ${train.features} features)`,
  );

  const flop = flopPerSample(train.features, PRODUCTION);
  const peak = measurePeak();
  console.log(
    `measured f32x4 peak (mul+add, 1 core): ${peak.toFixed(1)} GFLOP/s · model ${flop} FLOP per training sample`,
  );
  if (process.env.BENCH_ONLY !== 'kernel')
    await compareTraining(train, order, csv, python, rounds, withTorch, flop);

  console.log(
    '\n## kernel phases (CPU µs per batch, one core; pass p runs phases 0…p, costs are differences)',
  );
  for (const b of BATCHES) console.log(profilePhases(train, b));

  console.log('\n## scoring (15 → 384 → 1, per CPU-second)');
  const weights = initMlpWeights({ inputs: train.features, hidden: PRODUCTION.hidden }, new Random(3));
  const scorer = createFusedScorer(weights);
  const row = train.x.subarray(0, train.features);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += scorer.logit(row);
  const calls = 200_000;
  let t = cpuSeconds();
  for (let i = 0; i < calls; i++)
    sink += scorer.logit(train.x.subarray((i % 1000) * train.features, ((i % 1000) + 1) * train.features));
  const single = ((cpuSeconds() - t) * 1e6) / calls;
  t = cpuSeconds();
  for (let i = 0; i < 3; i++) sink += scorer.logits(train.x, train.rows)[0]!;
  const batchRate = (3 * train.rows) / (cpuSeconds() - t);
  t = cpuSeconds();
  sink += mlpLogits(weights, train.x, train.rows)[0]!;
  const jsRate = train.rows / (cpuSeconds() - t);
  console.log(
    `fused single-row latency ${single.toFixed(2)} µs · fused batch ${(batchRate / 1e6).toFixed(2)}M rows/s · ` +
      `plain-JS mlpLogits ${(jsRate / 1e6).toFixed(2)}M rows/s · ${load()} ${sink === 0 ? '' : ''}`,
  );
  if (withTorch) {
    const code = [
      'import time, torch, torch.nn as nn',
      'torch.set_num_threads(1)',
      'm = nn.Sequential(nn.Linear(15, 384), nn.ReLU(), nn.Dropout(0.1), nn.Linear(384, 1)).eval()',
      'x1 = torch.randn(1, 15); xb = torch.randn(40000, 15)',
      'with torch.no_grad():',
      '    for _ in range(2000): m(x1)',
      '    t = time.process_time()',
      '    for _ in range(20000): m(x1)',
      '    single = (time.process_time() - t) / 20000 * 1e6',
      '    t = time.process_time()',
      '    for _ in range(3): m(xb)',
      '    batch = 3 * 40000 / (time.process_time() - t)',
      'print(f"pytorch no_grad 1 thread (process CPU time): single-row latency {single:.2f} µs · batch {batch / 1e6:.2f}M rows/s")',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      encoding: 'utf8',
    });
    console.log(r.status === 0 ? r.stdout.trim() : `pytorch scoring failed: ${r.stderr.slice(-200)}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Training throughput, engine by engine, alternately, for each batch size. */
async function compareTraining(
  train: Dataset,
  order: number[],
  csv: string,
  python: string,
  rounds: number,
  withTorch: boolean,
  flop: number,
): Promise<void> {
  await useBackend('wasm');
  // Warm-up of both engines (wasm tier-up, tfjs kernels), not measured.
  await fitNetworkFused(train, PRODUCTION, { epochs: 1, seed: 0 });
  await fitNetwork(takeRows(train, order.slice(0, 2048)), PRODUCTION, { epochs: 1, seed: 0 });

  const gf = (sps: number) => ((sps * flop) / 1e9).toFixed(1);
  const k = (sps: number) => `${(sps / 1000).toFixed(0)}k`;
  const summary: string[] = [];
  let blas = '';
  for (const batchSize of BATCHES) {
    for (let round = 1; round <= rounds; round++) {
      const loadBefore = load();
      const samples = (epochs: number) => train.rows * epochs;
      const fusedRun = await timed(() =>
        fitNetworkFused(train, { ...PRODUCTION, batchSize }, { epochs: EPOCHS.fused, seed: round }),
      );
      const fused = samples(EPOCHS.fused) / fusedRun.cpu;
      const torch = withTorch ? torchRun(python, csv, batchSize) : undefined;
      if (torch) blas = torch.blas;
      const two = await twoWorkers(train, batchSize);
      const tfjsRun = await timed(() =>
        fitNetwork(train, { ...PRODUCTION, batchSize }, { epochs: EPOCHS.tfjs, seed: round }),
      );
      const tfjs = samples(EPOCHS.tfjs) / tfjsRun.cpu;
      const line =
        `batch ${String(batchSize).padStart(4)} round ${round} · per CPU-second: fused ${k(fused)} (${gf(fused)} GFLOP/s)` +
        (torch
          ? ` · pytorch ${k(torch.sps)} (auc ${torch.auc}) · fused/pytorch ${(fused / torch.sps).toFixed(2)}×`
          : '') +
        ` · tfjs-wasm ${k(tfjs)} · fused/tfjs ${(fused / tfjs).toFixed(1)}×` +
        ` · 2 workers ${k(two.perCpu)} per CPU-s each (${(two.perCpu / fused).toFixed(2)} of one's) · ` +
        `wall: fused ${k(fusedRun.value.samplesPerSecond)}/s, 2 workers ${k(two.wall)}/s ` +
        `(${(two.wall / fusedRun.value.samplesPerSecond).toFixed(2)}× one) · ${loadBefore}`;
      console.log(line);
      summary.push(line);
    }
  }
  if (blas) console.log(`pytorch BLAS: ${blas}`);
}
