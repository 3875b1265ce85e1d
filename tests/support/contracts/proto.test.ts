import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowRestClient } from '../../../pipeline/tracking/MlflowRestClient.js';
import { type FakeMlflow, startFakeMlflow } from '../fake-mlflow.js';
import { MLFLOW_ENDPOINTS, mlflowContract } from './mlflow.js';

const contract = mlflowContract();

describe('the proto contract read from the vendored service.proto extract', () => {
  it('reads every request message opp uses, with its Response', () => {
    for (const message of Object.values(MLFLOW_ENDPOINTS)) {
      expect(contract.messages.has(message)).toBe(true);
      expect(contract.messages.has(`${message}.Response`)).toBe(true);
    }
    expect(
      contract.messages
        .get('SetTag')!
        .filter((f) => f.required)
        .map((f) => f.name),
    ).toEqual(['key', 'value']);
    expect(contract.enums.get('RunStatus')!.get('FINISHED')).toBe(3);
  });

  it('refuses a missing required field as MLflow does (400 INVALID_PARAMETER_VALUE)', () => {
    expect(contract.checkRequest('SetTag', { run_id: 'r', key: 'k', value: '' })).toBeUndefined();
    expect(contract.checkRequest('SetTag', { run_id: 'r', key: 'k' })).toEqual({
      status: 400,
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'request.value: missing value for required parameter',
    });
    expect(contract.checkRequest('GetExperimentByName', { experiment_name: null })?.message).toBe(
      'request.experiment_name: missing value for required parameter',
    );
  });

  it('checks types in the JSON mapping: int64 as digits, doubles as NaN/Infinity strings, enums by name', () => {
    const batch = (metric: Record<string, unknown>) => ({
      run_id: 'r',
      metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 0, ...metric }],
    });
    expect(contract.checkRequest('LogBatch', batch({}))).toBeUndefined();
    expect(contract.checkRequest('LogBatch', batch({ value: 'NaN', timestamp: '1700000000000' }))).toBe(
      undefined,
    );
    expect(contract.checkRequest('LogBatch', batch({ value: 'high' }))?.message).toBe(
      'request.metrics[0].value: "high" is not a double',
    );
    expect(contract.checkRequest('LogBatch', batch({ step: 1.5 }))?.message).toBe(
      'request.metrics[0].step: 1.5 is not an int64',
    );
    expect(contract.checkRequest('UpdateRun', { run_id: 'r', status: 'FINISHED' })).toBeUndefined();
    expect(contract.checkRequest('UpdateRun', { run_id: 'r', status: 'DONE' })?.message).toBe(
      'request.status: "DONE" is not one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED',
    );
    expect(contract.checkRequest('SearchRuns', { experiment_ids: '1' })?.message).toBe(
      'request.experiment_ids: expected a list',
    );
    expect(contract.checkRequest('SearchRuns', { max_results: 2 ** 31 })?.message).toBe(
      'request.max_results: 2147483648 is out of int32',
    );
  });

  it('reads a GET query as the request message', () => {
    const query = new URLSearchParams({ run_id: 'r', metric_key: 'loss', max_results: '25000' });
    expect(contract.queryToMessage('GetMetricHistory', query)).toEqual({
      run_id: 'r',
      metric_key: 'loss',
      max_results: 25000,
    });
    expect(
      contract.checkRequest(
        'GetMetricHistory',
        contract.queryToMessage('GetMetricHistory', new URLSearchParams({ run_id: 'r' })),
      )?.message,
    ).toBe('request.metric_key: missing value for required parameter');
  });

  it('holds responses to the message: no invented fields, numbers as numbers', () => {
    const info = { run_id: 'r', experiment_id: '1', status: 'RUNNING', start_time: 1 };
    expect(contract.checkMessage('UpdateRun.Response', { run_info: info }, 'response')).toEqual([]);
    expect(
      contract.checkMessage(
        'UpdateRun.Response',
        { run_info: { ...info, state: 'x', start_time: '1' } },
        'response',
      ),
    ).toEqual([
      'UpdateRun.Response.run_info.start_time: "1" is not an int64',
      'UpdateRun.Response.run_info.state: not a field of RunInfo',
    ]);
  });
});

describe('the fake MLflow, checked against the proto contract', () => {
  let server: FakeMlflow;
  beforeEach(async () => {
    server = await startFakeMlflow();
  });
  afterEach(() => server.close());

  const post = (endpoint: string, body: unknown) =>
    fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers a tag without a key 400 INVALID_PARAMETER_VALUE, and does not apply it', async () => {
    const experiment = server.createExperiment('opp');
    const created = (await (await post('runs/create', { experiment_id: experiment, tags: [] })).json()) as {
      run: { info: { run_id: string } };
    };
    const runId = created.run.info.run_id;
    const res = await post('runs/set-tag', { run_id: runId, value: 'v' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'request.key: missing value for required parameter',
    });
    expect(server.violations).toEqual([
      'POST runs/set-tag: request.key: missing value for required parameter',
    ]);
    expect([...server.runs.get(runId)!.tags.keys()]).toEqual([]);
  });

  it('takes everything opp sends through its client, and answers within the contract', async () => {
    const client = new MlflowRestClient(server.url, { retry: { attempts: 1, sleep: async () => {} } });
    const experiment = await client.getOrCreateExperiment('opp');
    const run = await client.createRun(experiment, { runName: 'r', tags: [{ key: 'a', value: '' }] });
    await client.logBatch(run.runId, {
      params: [{ key: 'lr', value: '0.1' }],
      metrics: [
        { key: 'loss', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 2, step: 1 },
      ],
    });
    await client.setTag(run.runId, 'note', '');
    await client.updateRun(run.runId, 'FINISHED', 3);
    expect((await client.getRun(run.runId)).status).toBe('FINISHED');
    // MLflow answers a NaN metric as "NaN" (the fake used to answer null, which reads as 0).
    const history = await client.getMetricHistory(run.runId, 'loss');
    expect(history.map((p) => p.value)).toEqual([Number.NaN, 0.5]);
    const page = await client.searchRunsPage([experiment], { filter: "tags.a = ''" });
    expect(page.runs).toHaveLength(1);
    expect(server.violations).toEqual([]);
    expect(server.responseViolations).toEqual([]);
  });
});
