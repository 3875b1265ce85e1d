import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTracker } from '../../../pipeline/tracking/create-tracker.js';
import { MlflowRestClient } from '../../../pipeline/tracking/MlflowRestClient.js';
import { Outbox } from '../../../pipeline/tracking/Outbox.js';
import { RemoteTracker } from '../../../pipeline/tracking/RemoteTracker.js';
import type { Tracker } from '../../../pipeline/tracking/tracker.js';
import {
  logBundle,
  logEpoch,
  logGateDecision,
  logTrainingParams,
} from '../../../pipeline/tracking/training-logging.js';
import { type FakeMlflow, startFakeMlflow } from '../../support/fake-mlflow.js';

const retry = { attempts: 2, sleep: async () => {} };
const FOLDS = 3;
const EPOCHS = 4;
let server: FakeMlflow;
let home: string;
let warnings: string[];

beforeEach(async () => {
  server = await startFakeMlflow();
  home = mkdtempSync(join(tmpdir(), 'opp-home-'));
  warnings = [];
});
afterEach(() => server.close());

const env = () => ({ OPP_HOME: home, MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: 'bids' });
const open = () => createTracker({ env: env(), retry, onWarning: (m) => warnings.push(m) });
const outboxDir = () => join(home, 'tracking', 'outbox');

function bundleDir(): string {
  const dir = join(home, 'bundle');
  mkdirSync(join(dir, 'weights'), { recursive: true });
  writeFileSync(join(dir, 'model.json'), '{"format":"layers-model"}');
  writeFileSync(join(dir, 'weights', 'group1.bin'), 'weights');
  return dir;
}

/** Stands in for the trainer: logs as the trainer will, and must finish whatever tracking does. */
async function train(tracker: Tracker, hooks: { afterFold?: (fold: number) => void | Promise<void> } = {}) {
  const { runId } = await tracker.startRun({ runName: 'train general' });
  await logTrainingParams(tracker, runId, {
    config: { training: { learningRate: 7.2e-4, batchSize: 64 }, model: { hiddenLayers: [{ units: 384 }] } },
    seed: 42,
    backend: 'tfjs-wasm',
    dataSnapshotId: 'snap-1',
    gitSha: 'abc123',
  });
  for (let fold = 0; fold < FOLDS; fold++) {
    for (let epoch = 0; epoch < EPOCHS; epoch++)
      await logEpoch(tracker, runId, {
        fold,
        epoch,
        trainLoss: 1 / (epoch + 1),
        valLoss: 1.1 / (epoch + 1),
        valAuc: 0.6 + epoch / 100,
        timestamp: 1000 + epoch,
      });
    await hooks.afterFold?.(fold);
  }
  await tracker.logMetrics(runId, { final_auc: 0.74, final_accuracy: 0.87 }, { step: EPOCHS });
  await logGateDecision(tracker, runId, { passed: true });
  await logBundle(tracker, runId, { bundleDir: bundleDir() });
  await tracker.endRun(runId, 'FINISHED');
  return { runId, trained: true };
}

const withMetrics = (body: Record<string, unknown>) =>
  ((body.metrics as unknown[] | undefined) ?? []).length > 0;
const expectedPoints = FOLDS * EPOCHS * 3 + 2 + 1; // 3 metrics per epoch, 2 finals, gate_passed

function onlyRun() {
  const runs = [...server.runs.values()];
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

describe('RemoteTracker', () => {
  it('uploads a training run while it runs: params, every metric point, tags, artifacts, status', async () => {
    const tracker = await open();
    const result = await train(tracker);
    const report = await tracker.close();
    expect(report).toMatchObject({ destination: server.url, warnings: [], pendingRuns: 0 });
    const run = onlyRun();
    expect(run.info).toMatchObject({ run_name: 'train general', status: 'FINISHED' });
    expect(run.metrics).toHaveLength(expectedPoints);
    expect(run.metrics.filter((m) => m.key === 'fold_2/val_loss').map((m) => m.step)).toEqual([0, 1, 2, 3]);
    expect(Object.fromEntries(run.params)).toMatchObject({
      'training.learningRate': '0.00072',
      'model.hiddenLayers.0.units': '384',
      seed: '42',
      backend: 'tfjs-wasm',
      data_snapshot_id: 'snap-1',
      git_sha: 'abc123',
    });
    expect(run.tags.get('opp.localRunId')).toBe(result.runId);
    expect(run.tags.get('opp.gate.decision')).toBe('passed');
    expect(run.tags.get('mlflow.source.git.commit')).toBe('abc123');
    expect([...server.artifacts.keys()].sort()).toEqual([
      `1/${run.info.run_id}/artifacts/bundle/model.json`,
      `1/${run.info.run_id}/artifacts/bundle/weights/group1.bin`,
    ]);
    expect(readdirSync(join(outboxDir(), result.runId)).sort()).toEqual(['run.json', 'state.json']);
  });

  it('records HPO trials as child runs of the study run', async () => {
    const tracker = await open();
    const study = await tracker.startRun({ runName: 'hpo study' });
    for (let trial = 0; trial < 3; trial++) {
      const t = await tracker.startRun({
        runName: `trial ${trial}`,
        parentRunId: study.runId,
        tags: { 'opp.trial.state': 'complete' },
      });
      await tracker.logParams(t.runId, { lr: 10 ** -(trial + 2) });
      await tracker.logMetrics(t.runId, { trial_value: 0.7 + trial / 100 });
      await tracker.endRun(t.runId);
    }
    await tracker.endRun(study.runId);
    await tracker.close();
    const runs = [...server.runs.values()];
    const parent = runs.find((r) => r.info.run_name === 'hpo study')!;
    const children = runs.filter((r) => r.tags.get('mlflow.parentRunId') === parent.info.run_id);
    expect(children.map((r) => r.info.run_name).sort()).toEqual(['trial 0', 'trial 1', 'trial 2']);
  });

  it('an outage during a run: training completes, one warning, the run is uploaded on the next start, exactly once', async () => {
    const tracker = await open();
    const result = await train(tracker, {
      afterFold: (fold) => {
        if (fold === 0) server.down = true; // and it stays down
      },
    });
    expect(result.trained).toBe(true);
    const report = await tracker.close();
    expect(report.pendingRuns).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/kept in .*outbox and uploaded later/);
    const before = [...server.runs.values()][0]?.metrics.length ?? 0; // what got there before the outage
    expect(before).toBeLessThan(expectedPoints);

    server.down = false;
    const next = await open(); // createTracker uploads what is pending
    expect((await next.close()).pendingRuns).toBe(0);
    const run = onlyRun();
    expect(run.metrics).toHaveLength(expectedPoints);
    expect(run.info.status).toBe('FINISHED');
    expect(server.artifacts.size).toBe(2);

    const requests = server.requests.length;
    await (await open()).close(); // nothing left: no further writes
    expect(server.requests.slice(requests).filter((r) => r.startsWith('POST runs/'))).toEqual([]);
    expect(onlyRun().metrics).toHaveLength(expectedPoints);
  });

  it('a server that is down from the start: nothing is created until it is back', async () => {
    server.down = true;
    const tracker = await open();
    await train(tracker);
    expect((await tracker.close()).pendingRuns).toBe(1);
    expect(server.runs.size).toBe(0);
    server.down = false;
    const sync = await (await open()).syncPending();
    expect(sync).toEqual({ uploaded: 0, pending: 0 }); // createTracker already uploaded it
    expect(onlyRun().metrics).toHaveLength(expectedPoints);
  });

  it('no duplicate metrics when a log-batch answer is lost after the server applied it (crash mid-upload)', async () => {
    server.down = true;
    const tracker = await open();
    await train(tracker);
    await tracker.close();
    server.down = false;
    // The server applies the batch and the answer is lost; with one attempt the upload stops
    // there, leaving the batch marked in flight, exactly as a crash would.
    server.faults.push({
      endpoint: 'runs/log-batch',
      status: 502,
      times: 1,
      afterApply: true,
      when: withMetrics,
    });
    const crashed = new RemoteTracker(new MlflowRestClient(server.url, { retry: { attempts: 1 } }), {
      experimentName: 'bids',
      outboxDir: outboxDir(),
      retry: { attempts: 1 },
    });
    expect(await crashed.syncPending()).toEqual({ uploaded: 0, pending: 1 });
    expect(onlyRun().metrics.length).toBeGreaterThan(0);
    await (await open()).close();
    expect(onlyRun().metrics).toHaveLength(expectedPoints);
    expect(server.requests).toContain('GET metrics/get-history');
  });

  it('no duplicate run when the runs/create answer is lost: the run is found by its opp.localRunId tag', async () => {
    server.down = true;
    const tracker = await open();
    await train(tracker);
    await tracker.close();
    server.down = false;
    server.faults.push({ endpoint: 'runs/create', status: 503, times: 1, afterApply: true });
    const crashed = new RemoteTracker(new MlflowRestClient(server.url, { retry: { attempts: 1 } }), {
      experimentName: 'bids',
      outboxDir: outboxDir(),
      retry: { attempts: 1 },
    });
    expect(await crashed.syncPending()).toEqual({ uploaded: 0, pending: 1 });
    expect(server.runs.size).toBe(1);
    await (await open()).close();
    expect(onlyRun().metrics).toHaveLength(expectedPoints);
  });

  it('retries in one upload: a lost log-batch answer is resent without duplicates', async () => {
    const tracker = await createTracker({
      env: env(),
      retry: { attempts: 4, sleep: async () => {} },
      onWarning: (m) => warnings.push(m),
    });
    // Lose the answer to a batch that carries metrics, after the server applied it.
    server.faults.push({
      endpoint: 'runs/log-batch',
      status: 500,
      times: 1,
      afterApply: true,
      when: withMetrics,
    });
    await train(tracker);
    expect((await tracker.close()).pendingRuns).toBe(0);
    expect(server.faults[0]!.times).toBe(0);
    expect(server.requests).toContain('GET metrics/get-history');
    expect(warnings).toEqual([]);
    expect(onlyRun().metrics).toHaveLength(expectedPoints);
  });

  it('catches up in the same process once the server is back (after offlineRetryMs)', async () => {
    const tracker = new RemoteTracker(new MlflowRestClient(server.url, { retry }), {
      experimentName: 'bids',
      outboxDir: outboxDir(),
      retry,
      offlineRetryMs: 0,
      onWarning: (m) => warnings.push(m),
    });
    const early = await tracker.startRun({ runName: 'early' });
    await tracker.endRun(early.runId);
    await train(tracker, {
      afterFold: async (fold) => {
        if (fold === 0) {
          server.down = true;
          await tracker.close(); // let the queued upload meet the outage
        }
        if (fold === 1) server.down = false;
      },
    });
    expect((await tracker.close()).pendingRuns).toBe(0);
    expect(warnings).toHaveLength(1);
    const runs = [...server.runs.values()];
    expect(runs.map((r) => r.info.run_name).sort()).toEqual(['early', 'train general']);
    expect(runs.find((r) => r.info.run_name === 'train general')!.metrics).toHaveLength(expectedPoints);
  });

  it('bounds the tries during an outage: the client retries, the upload does not retry again', async () => {
    server.down = true;
    const tracker = await open();
    await train(tracker);
    await tracker.close();
    const before = server.requests.length;
    await (await open()).close();
    expect(server.requests.slice(before)).toEqual([
      'GET experiments/get-by-name',
      'GET experiments/get-by-name',
    ]);
  });

  it('ends as KILLED a run whose process died before ending it', async () => {
    const outbox = new Outbox(outboxDir());
    await outbox.createRun({
      localRunId: 'f'.repeat(32),
      experimentName: 'bids',
      runName: 'died',
      startTime: 1,
      tags: [],
      userId: 'u',
      pid: 2 ** 22 + 12345,
    });
    await outbox.append('f'.repeat(32), {
      op: 'data',
      params: [],
      tags: [],
      metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
    });
    await (await open()).close();
    expect(onlyRun().info.status).toBe('KILLED');
  });

  it('ignores a torn last journal line left by a crash', async () => {
    const outbox = new Outbox(outboxDir());
    const id = 'e'.repeat(32);
    await outbox.createRun({
      localRunId: id,
      experimentName: 'bids',
      runName: 'torn',
      startTime: 1,
      tags: [],
      userId: 'u',
      pid: 2 ** 22 + 12346,
    });
    await outbox.append(id, {
      op: 'data',
      params: [],
      tags: [],
      metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
    });
    writeFileSync(join(outboxDir(), id, 'journal.jsonl'), '{"seq":2,"op":"da', { flag: 'a' });
    await (await open()).close();
    expect(onlyRun().metrics).toHaveLength(1);
  });
});
