/**
 * What tracking costs a training: the time the trainer's calls take (the caller waits for these)
 * and, for a server, the time until everything is uploaded. A training of 5 folds × 50 epochs
 * logs 4 metrics per epoch (1,000 points) plus 50 params, as `logEpoch`/`logTrainingParams` do.
 *
 * Run: npm run bench:tracking
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTracker } from '../../pipeline/tracking/create-tracker.js';
import type { Tracker } from '../../pipeline/tracking/tracker.js';
import { logEpoch, logTrainingParams } from '../../pipeline/tracking/training-logging.js';
import { startFakeMlflow } from '../support/fake-mlflow.js';

const FOLDS = 5;
const EPOCHS = 50;
const PARAMS = 50;

async function training(tracker: Tracker): Promise<{ callsMs: number; calls: number }> {
  const started = performance.now();
  const { runId } = await tracker.startRun({ runName: 'bench' });
  const config = Object.fromEntries(Array.from({ length: PARAMS }, (_, i) => [`p${i}`, i]));
  await logTrainingParams(tracker, runId, { config, seed: 42, backend: 'bench' });
  for (let fold = 0; fold < FOLDS; fold++)
    for (let epoch = 0; epoch < EPOCHS; epoch++)
      await logEpoch(tracker, runId, {
        fold,
        epoch,
        trainLoss: 1 / (epoch + 1),
        valLoss: 1,
        trainAuc: 0.6,
        valAuc: 0.7,
      });
  await tracker.endRun(runId);
  return { callsMs: performance.now() - started, calls: 3 + FOLDS * EPOCHS };
}

function line(name: string, callsMs: number, calls: number, extra = ''): void {
  process.stdout.write(
    `${name.padEnd(34)} ${callsMs.toFixed(0).padStart(6)} ms for ${calls} calls (${((callsMs * 1000) / calls).toFixed(0)} µs/call)${extra}\n`,
  );
}

const fileHome = mkdtempSync(join(tmpdir(), 'opp-bench-file-'));
const file = await createTracker({ env: { OPP_HOME: fileHome } });
const f = await training(file);
line('file store ($OPP_HOME/mlruns)', f.callsMs, f.calls);

const server = await startFakeMlflow();
const home = mkdtempSync(join(tmpdir(), 'opp-bench-rest-'));
const remote = await createTracker({ env: { OPP_HOME: home, MLFLOW_TRACKING_URI: server.url } });
const r = await training(remote);
const closeStart = performance.now();
await remote.close();
const logBatches = server.requests.filter((q) => q === 'POST runs/log-batch').length;
line(
  'MLflow REST (local fake server)',
  r.callsMs,
  r.calls,
  `; upload done ${(performance.now() - closeStart).toFixed(0)} ms later, ${logBatches} log-batch requests`,
);

server.down = true;
const offlineHome = mkdtempSync(join(tmpdir(), 'opp-bench-down-'));
const env = { OPP_HOME: offlineHome, MLFLOW_TRACKING_URI: server.url };
const down = await createTracker({ env, retry: { attempts: 2, baseDelayMs: 50 }, onWarning: () => {} });
const d = await training(down);
line('MLflow REST, server down', d.callsMs, d.calls);
server.down = false;
const syncStart = performance.now();
await (await createTracker({ env })).close();
process.stdout.write(
  `${'later upload of that run'.padEnd(34)} ${(performance.now() - syncStart).toFixed(0).padStart(6)} ms\n`,
);
await server.close();
