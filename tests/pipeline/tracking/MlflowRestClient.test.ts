import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackingError, type TrackingError } from '../../../pipeline/errors/TrackingError.js';
import { chunkLogBatch } from '../../../pipeline/tracking/internal/batch-limits.js';
import { MlflowRestClient } from '../../../pipeline/tracking/MlflowRestClient.js';
import { type FakeMlflow, startFakeMlflow } from '../../support/fake-mlflow.js';

const noSleep = { attempts: 4, sleep: async () => {} };
let server: FakeMlflow;
let client: MlflowRestClient;

beforeEach(async () => {
  server = await startFakeMlflow();
  client = new MlflowRestClient(server.url, { retry: noSleep });
});
afterEach(() => server.close());

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as TrackingError,
  );

describe('MlflowRestClient', () => {
  it('finds or creates an experiment by name', async () => {
    expect(await client.getExperimentByName('opp')).toBeUndefined();
    const id = await client.getOrCreateExperiment('opp');
    expect(await client.getOrCreateExperiment('opp')).toBe(id);
    expect(await client.getExperimentByName('opp')).toMatchObject({
      experimentId: id,
      name: 'opp',
      lifecycleStage: 'active',
    });
    expect(server.requests.filter((r) => r === 'POST experiments/create')).toHaveLength(1);
  });

  it("takes the other creator's experiment when a concurrent create wins (RESOURCE_ALREADY_EXISTS)", async () => {
    server.before.set('experiments/create', () => server.createExperiment('raced'));
    const id = await client.getOrCreateExperiment('raced');
    expect([...server.experiments.values()].filter((e) => e.name === 'raced')).toEqual([
      expect.objectContaining({ experiment_id: id }),
    ]);
  });

  it('creates, logs to, updates and reads back a run', async () => {
    const experimentId = await client.getOrCreateExperiment('opp');
    const run = await client.createRun(experimentId, {
      runName: 'r1',
      startTime: 5,
      tags: [{ key: 'a', value: 'b' }],
    });
    expect(run).toMatchObject({
      experimentId,
      runName: 'r1',
      status: 'RUNNING',
      startTime: 5,
      tags: { a: 'b' },
    });
    await client.logBatch(run.runId, {
      params: [{ key: 'seed', value: '42' }],
      metrics: [
        { key: 'fold_0/val_loss', value: 0.7, timestamp: 1, step: 0 },
        { key: 'fold_0/val_loss', value: 0.6, timestamp: 2, step: 1 },
      ],
    });
    await client.setTag(run.runId, 'opp.gate.decision', 'passed');
    await client.updateRun(run.runId, 'FINISHED', 99);
    const read = await client.getRun(run.runId);
    expect(read).toMatchObject({
      status: 'FINISHED',
      endTime: 99,
      params: { seed: '42' },
      tags: { a: 'b', 'opp.gate.decision': 'passed' },
      metrics: { 'fold_0/val_loss': 0.6 },
    });
    expect(await client.getMetricHistory(run.runId, 'fold_0/val_loss')).toEqual([
      { timestamp: 1, value: 0.7, step: 0 },
      { timestamp: 2, value: 0.6, step: 1 },
    ]);
  });

  it('splits log-batch within MLflow limits: 1000 metrics, 100 params, 100 tags, 1000 items per call', async () => {
    const experimentId = await client.getOrCreateExperiment('opp');
    const { runId } = await client.createRun(experimentId);
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 7}`,
      value: i,
      timestamp: i,
      step: i,
    }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: String(i) }));
    const calls = await client.logBatch(runId, { metrics, params, tags });
    expect(calls).toBe(chunkLogBatch({ metrics, params, tags }).length);
    expect(calls).toBe(3); // 100p+100t+800m, 100p+50t+850m, 50p+850m
    const stored = server.runs.get(runId)!;
    expect(stored.metrics).toHaveLength(2500);
    expect(stored.metrics.map((m) => m.value)).toEqual(metrics.map((m) => m.value)); // order kept
    expect(stored.params.size).toBe(250);
    expect(stored.tags.size).toBe(150);
  });

  it('follows search page tokens and metric-history pages', async () => {
    server.maxPageSize = 3;
    const experimentId = await client.getOrCreateExperiment('opp');
    for (let i = 0; i < 8; i++) await client.createRun(experimentId, { runName: `r${i}`, startTime: i });
    const names: string[] = [];
    for await (const run of client.searchRuns([experimentId])) names.push(run.runName);
    expect(names).toEqual(['r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect(server.requests.filter((r) => r === 'POST runs/search')).toHaveLength(3);
    const first = await client.searchRunsPage([experimentId], { maxResults: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextPageToken).toBeTruthy();
    const runId = first.runs[0]!.runId;
    await client.logBatch(runId, {
      metrics: Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: i, timestamp: i, step: i })),
    });
    expect((await client.getMetricHistory(runId, 'loss')).map((p) => p.value)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('finds a run by tag filter', async () => {
    const experimentId = await client.getOrCreateExperiment('opp');
    await client.createRun(experimentId, { tags: [{ key: 'opp.localRunId', value: 'x1' }] });
    const wanted = await client.createRun(experimentId, { tags: [{ key: 'opp.localRunId', value: 'x2' }] });
    const page = await client.searchRunsPage([experimentId], { filter: "tags.`opp.localRunId` = 'x2'" });
    expect(page.runs.map((r) => r.runId)).toEqual([wanted.runId]);
  });

  it('answers RESOURCE_DOES_NOT_EXIST as a TrackingError with code and status, without retrying', async () => {
    const error = await errorOf(client.getRun('missing'));
    expect(isTrackingError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', statusCode: 404 });
    expect(server.requests.filter((r) => r === 'GET runs/get')).toHaveLength(1);
  });

  it('retries 429 and 503 with backoff, honouring Retry-After, then succeeds', async () => {
    const waits: number[] = [];
    const slow = new MlflowRestClient(server.url, {
      retry: { attempts: 4, sleep: async (ms) => void waits.push(ms) },
    });
    server.faults.push({
      endpoint: 'experiments/get-by-name',
      status: 429,
      times: 1,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      retryAfterSeconds: 2,
    });
    server.faults.push({ endpoint: 'experiments/get-by-name', status: 503, times: 1 });
    expect(await slow.getExperimentByName('none')).toBeUndefined();
    expect(server.requests.filter((r) => r === 'GET experiments/get-by-name')).toHaveLength(3);
    expect(waits[0]).toBe(2000);
    expect(waits).toHaveLength(2);
  });

  it('gives up after the attempts with the last error', async () => {
    server.down = true;
    const error = await errorOf(client.getExperimentByName('opp'));
    expect(error).toMatchObject({ statusCode: 503 });
    expect(server.requests).toHaveLength(4);
  });

  it('does not resend a metric batch after a 5xx (it may have been applied); retries it after a 429', async () => {
    const experimentId = await client.getOrCreateExperiment('opp');
    const { runId } = await client.createRun(experimentId);
    const metrics = [{ key: 'loss', value: 1, timestamp: 1, step: 0 }];
    server.faults.push({ endpoint: 'runs/log-batch', status: 500, times: 1, afterApply: true });
    expect(await errorOf(client.logBatch(runId, { metrics }))).toMatchObject({ statusCode: 500 });
    expect(server.runs.get(runId)!.metrics).toHaveLength(1);
    server.faults.push({ endpoint: 'runs/log-batch', status: 429, times: 1 });
    await client.logBatch(runId, { metrics });
    expect(server.runs.get(runId)!.metrics).toHaveLength(2);
  });

  it('reports a refused connection by its code after retrying', async () => {
    const url = server.url;
    await server.close();
    const dead = new MlflowRestClient(url, { retry: noSleep });
    expect(await errorOf(dead.getExperimentByName('opp'))).toMatchObject({ code: 'ECONNREFUSED' });
    server = await startFakeMlflow();
  });

  it('sends the bearer token from the token provider on each request', async () => {
    server.requiredToken = 'tok-1';
    const anonymous = await errorOf(client.getExperimentByName('opp'));
    expect(anonymous).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
    let calls = 0;
    const authed = new MlflowRestClient(server.url, {
      tokenProvider: async () => {
        calls++;
        return 'tok-1';
      },
    });
    await authed.getOrCreateExperiment('opp');
    expect(calls).toBe(2); // get-by-name, create
  });

  it('uploads artifacts through the mlflow-artifacts proxy and refuses other stores', async () => {
    await client.uploadArtifact(
      'mlflow-artifacts:/1/abc/artifacts',
      'bundle/model.json',
      new TextEncoder().encode('{}'),
    );
    expect(server.artifacts.get('1/abc/artifacts/bundle/model.json')?.toString()).toBe('{}');
    expect(
      await errorOf(client.uploadArtifact('azureml://x/artifacts', 'a', new Uint8Array())),
    ).toMatchObject({
      code: 'UNSUPPORTED_ARTIFACT_STORE',
    });
  });
});
