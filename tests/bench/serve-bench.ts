/**
 * Scoring benchmark (`npm run bench:serve`): requests/s and p50/p99 latency of `opp serve` at
 * 1, 16 and 64 connections, single-instance and 100-instance requests, beside a minimal
 * `node:http` JSON endpoint (this machine's ceiling) and the seed's Flask + PyTorch scorer
 * (../shared/anchors/reference_serve.py), all loaded from this process while the servers run
 * in their own processes; then in-process batch scoring and the cost of each part of a request.
 * Each load run also reports the server process's CPU time per request (user + system, from
 * /proc), which moves far less than requests/s when other work shares the machine.
 *
 * With 2+ cores and `taskset`, every server runs on CPU 0 and this process (the load generator)
 * on CPU 1: left to the scheduler, server and load generator sometimes share a core and every
 * server's figures halve (tests/bench/RESULTS.md, "two modes"). OPP_BENCH_PIN=0 turns it off.
 *
 * Needs, for the reference: apt-get install -y python3-flask python3-torch (else it is skipped).
 * OPP_BENCH_SECONDS sets the length of each load run (default 5).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { writeTrainingOutput } from '../../model/bundle/training-output.js';
import { Predictor } from '../../model/Predictor.js';
import { createSerialRunner } from '../../model/parallel/fit-runner.js';
import { prepareModels, scoreBody } from '../../model/server/internal/score-body.js';
import { predictorModel } from '../../model/server/load-model-set.js';
import { Counter } from '../../model/server/prometheus.js';
import { createInstanceValidator } from '../../model/server/validate-instance.js';
import { useBackend } from '../../model/tf/backend.js';
import { trainDivisions } from '../../model/training/train-divisions.js';
import { loadTrainingConfig } from '../../model/training-config.js';
import { SCORING_KEYS_ENV } from '../../pipeline/cli/commands/serve.js';
import { loadDivisionsConfig } from '../../pipeline/config/divisions-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { appendResults, machineLine, markdownTable } from './results.js';

const SECONDS = Number(process.env.OPP_BENCH_SECONDS ?? 5);
const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const ANCHOR = join(PACKAGE_ROOT, '..', 'shared', 'anchors', 'reference_serve.py');
const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

async function trainProductionShapedModel(): Promise<string> {
  await useBackend('wasm');
  const config = loadTrainingConfig(defaultConfigPath('production.json'));
  config.training.maxEpochs = 2;
  config.training.rebalancing = 'none';
  config.evaluation.folds = 2;
  const records = [...generateSampleRecords({ n: 6000, seed: 1 })];
  const rows = records.map((r) => spec.extract(r)).flatMap((r) => (r.status === 'kept' ? [r.row] : []));
  // The general model only (no division holds half the rows): speed does not depend on the division.
  config.divisions.minRows = Math.floor(rows.length / 2);
  const table = {
    featureNames: [...spec.featureNames],
    rows: rows.length,
    recordIds: rows.map((r) => r.recordId),
    division: Int32Array.from(rows.map((r) => r.division)),
    labels: Uint8Array.from(rows.map((r) => r.label)),
    x: Float32Array.from(rows.flatMap((r) => [...r.features])),
    snapshotId: 'bench',
  };
  const result = await trainDivisions({
    table,
    spec,
    config,
    divisions: loadDivisionsConfig(defaultConfigPath('divisions.json')),
    runner: createSerialRunner(),
    backend: 'wasm',
    bootstrapResamples: 10,
  });
  const out = mkdtempSync(join(tmpdir(), 'opp-bench-serve-'));
  await writeTrainingOutput(out, result);
  return out;
}

/** Servers on CPU 0, the load generator on CPU 1 (see the file comment). */
const PIN =
  process.env.OPP_BENCH_PIN !== '0' &&
  cpus().length >= 2 &&
  spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
const SERVER_CPU = '0';
const LOAD_CPU = '1';

function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; url: string }> {
  // taskset execs the command, so the child's pid is the server's (read for its CPU time).
  const child = PIN
    ? spawn('taskset', ['-c', SERVER_CPU, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  return new Promise((resolve, reject) => {
    let seen = '';
    const look = (chunk: Buffer) => {
      seen += chunk;
      const match = ready.exec(seen);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${seen.slice(-500)}`)));
  });
}

/**
 * The ceiling: the least a real JSON endpoint on node:http does. It reads the whole body, parses
 * it, and answers JSON with a Content-Length, but validates nothing, scores nothing and keeps no
 * metrics. (Until 2026-11-25 it only drained the body and answered a constant, chunked.)
 */
const NOOP_SERVER = `require('http').createServer((q,s)=>{const c=[];q.on('data',d=>c.push(d));q.on('end',()=>{const v=JSON.parse(Buffer.concat(c).toString());const t=JSON.stringify({probability:0.5,type:typeof v});s.writeHead(200,{'Content-Type':'application/json','Content-Length':Buffer.byteLength(t)});s.end(t)})}).listen(0,'127.0.0.1',function(){console.log('listening http://127.0.0.1:'+this.address().port)})`;
const CLOCK_TICKS_PER_SECOND = 100;
const BENCH_KEY = 'bench-key-0123456789abcdef';

/** CPU seconds (user + system) a process has used so far, or NaN where /proc cannot tell. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

async function load(server: Server, body: string, connections: number) {
  const before = cpuSeconds(server.child.pid);
  const result = await autocannon({
    url: `${server.url}/score`,
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(server.key ? { Authorization: `Bearer ${server.key}` } : {}),
    },
    body,
    connections,
    duration: SECONDS,
  });
  const cpuMicros = ((cpuSeconds(server.child.pid) - before) / result.requests.total) * 1e6;
  const bad = result.non2xx + result.errors + result.timeouts;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bad, cpuMicros };
}

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
}

function timePerCall(label: string, iterations: number, fn: () => void): [string, string] {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  return [label, micros.toFixed(2)];
}

async function main() {
  process.stderr.write('training a production-shaped model (15 → 384 → 1) on sample data...\n');
  const out = await trainProductionShapedModel();
  const records = [...generateSampleRecords({ n: 200, seed: 7 })]
    .map(({ _sample, ...r }) => r)
    .filter((r) => spec.computeFeatures(r).ok);
  const featuresOf = (r: unknown) => {
    const f = spec.computeFeatures(r);
    return f.ok ? Object.fromEntries(spec.featureNames.map((n, i) => [n, f.features[i]])) : {};
  };
  const single = JSON.stringify(featuresOf(records[0]));
  const batch = JSON.stringify({ instances: records.slice(0, 100).map(featuresOf) });

  const servers: Server[] = [];
  if (PIN) spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  process.stderr.write(
    PIN ? `servers pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOAD_CPU}\n` : 'not pinned\n',
  );
  try {
    const ours = await startProcess(
      process.execPath,
      [OPP, 'serve', '--model', out, '--port', '0', '--no-auth'],
      /at (http:\/\/127\.0\.0\.1:\d+)/,
    );
    servers.push({ name: 'opp serve', ...ours });
    const keyed = await startProcess(
      process.execPath,
      [OPP, 'serve', '--model', out, '--port', '0'],
      /at (http:\/\/127\.0\.0\.1:\d+)/,
      { ...process.env, [SCORING_KEYS_ENV]: BENCH_KEY },
    );
    servers.push({ name: 'opp serve + key', ...keyed, key: BENCH_KEY });
    const noop = await startProcess(
      process.execPath,
      ['-e', NOOP_SERVER],
      /listening (http:\/\/127\.0\.0\.1:\d+)/,
    );
    servers.push({ name: 'no-op node:http', ...noop });
    const hasReference =
      existsSync(ANCHOR) &&
      spawnSync('/usr/bin/python3', ['-c', 'import flask, torch'], { stdio: 'ignore' }).status === 0;
    if (hasReference) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const reference = await startProcess(
        '/usr/bin/python3',
        [ANCHOR, '--port', String(port), '--threads', '1'],
        /Running on (http:\/\/127\.0\.0\.1:\d+)/,
      );
      servers.push({ name: 'seed Flask + PyTorch', ...reference });
    } else {
      process.stderr.write('reference skipped: apt-get install -y python3-flask python3-torch\n');
    }

    const rows: string[][] = [];
    const byKey = new Map<string, number>();
    for (const [kind, body] of [
      ['1 instance', single],
      ['100 instances', batch],
    ] as const) {
      for (const connections of [1, 16, 64]) {
        for (const server of servers) {
          // The seed scored one row per request; a key costs the same whatever the body.
          if (kind === '100 instances' && (server.name.startsWith('seed') || server.key)) continue;
          process.stderr.write(`${server.name}, ${kind}, ${connections} connections...\n`);
          const r = await load(server, body, connections);
          byKey.set(`${server.name}|${kind}|${connections}`, r.rps);
          rows.push([
            server.name,
            kind,
            String(connections),
            r.rps.toFixed(0),
            r.p50.toFixed(2),
            r.p99.toFixed(2),
            Number.isFinite(r.cpuMicros) ? r.cpuMicros.toFixed(1) : 'n/a',
            String(r.bad),
          ]);
        }
      }
    }
    const ratios: string[][] = [];
    for (const connections of [1, 16, 64]) {
      const ours = byKey.get(`opp serve|1 instance|${connections}`)!;
      const ceiling = byKey.get(`no-op node:http|1 instance|${connections}`)!;
      const reference = byKey.get(`seed Flask + PyTorch|1 instance|${connections}`);
      ratios.push([
        String(connections),
        `${((100 * ours) / ceiling).toFixed(0)}%`,
        reference ? `${(ours / reference).toFixed(1)}×` : 'n/a',
        Math.round(byKey.get(`opp serve|100 instances|${connections}`)! * 100).toLocaleString('en-US'),
      ]);
    }

    // In process: batch scoring and the cost of each part of a request.
    const predictor = await Predictor.load(join(out, '0'));
    const model = predictorModel(predictor, 'bench');
    const n = 200_000;
    const x = new Float64Array(n * spec.featureNames.length);
    for (let i = 0; i < n; i++) {
      const f = spec.computeFeatures(records[i % records.length]);
      if (f.ok) x.set(f.features, i * spec.featureNames.length);
    }
    // Steady state: one warm-up call, then the median of three.
    const batchSeconds: number[] = [];
    for (let run = 0; run < 4; run++) {
      const t0 = process.hrtime.bigint();
      model.probabilities(x, n);
      if (run > 0) batchSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const batchRowsPerSecond = n / batchSeconds.sort((a, b) => a - b)[1]!;
    const divisions = [0, 1, 2, 3, 4, 5, 6, 7];
    const validate = createInstanceValidator(spec, divisions);
    const prepared = prepareModels(
      { models: new Map([[0, model]]), source: 'bench' },
      divisions,
      new Counter('bench', 'bench'),
    );
    const parsedSingle = JSON.parse(single);
    const valid = validate(parsedSingle, '');
    const features = Array.isArray(valid) ? new Float64Array(spec.featureNames.length) : valid.features;
    const answer = {
      probability: 0.5,
      prediction: 1,
      confidence: 0.1,
      percentile: 50,
      threshold: 0.3,
      model: { name: 'x', version: 'y', division: 0 },
    };
    const parts = [
      timePerCall('parse JSON body (1 instance)', 50_000, () => JSON.parse(single)),
      timePerCall('validate features', 50_000, () => validate(parsedSingle, '')),
      timePerCall('features from a raw record', 50_000, () => spec.computeFeatures(records[1])),
      timePerCall('model: probability of 1 row', 50_000, () => model.probabilities(features, 1)),
      timePerCall('percentile of 1 probability', 50_000, () => model.percentile(0.37)),
      timePerCall('serialise the answer (JSON.stringify)', 50_000, () => JSON.stringify(answer)),
      timePerCall('all of the above as the server does it (scoreBody)', 50_000, () =>
        scoreBody(prepared, single, 1000),
      ),
      timePerCall('scoreBody, 100 instances (per request)', 2_000, () => scoreBody(prepared, batch, 1000)),
    ];

    const report = [
      `${machineLine()}; ${PIN ? `servers on CPU ${SERVER_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}` : 'not pinned to CPUs'}`,
      '',
      markdownTable(
        [
          'server',
          'request',
          'connections',
          'requests/s',
          'p50 ms',
          'p99 ms',
          'server CPU µs/request',
          'non-2xx/errors',
        ],
        rows,
      ),
      '',
      markdownTable(
        [
          'connections',
          'opp / no-op ceiling',
          'opp / seed reference',
          'opp instances/s in 100-instance requests',
        ],
        ratios,
      ),
      '',
      `In-process batch scoring (Predictor.probabilities on 200,000 rows, median of 3 after a warm-up call, fused WebAssembly scorer, 1 core): ${Math.round(batchRowsPerSecond).toLocaleString('en-US')} rows/s.`,
      '',
      markdownTable(['part of a request', 'µs per call'], parts),
    ].join('\n');
    process.stdout.write(`${report}\n`);
    await appendResults('Scoring server (`npm run bench:serve`)', report);
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
}

await main();
