import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTracker, resolveTrackingTarget } from '../../../pipeline/tracking/create-tracker.js';
import { MlflowRestClient } from '../../../pipeline/tracking/MlflowRestClient.js';
import { redactUri, splitUserinfo } from '../../../pipeline/tracking/redact-uri.js';
import { type FakeMlflow, startFakeMlflow } from '../../support/fake-mlflow.js';
import { runCli } from '../../support/run-cli.js';

describe('redactUri', () => {
  it.each([
    ['https://alice:s3cret@mlflow.example.com/path', 'https://***@mlflow.example.com/path'],
    ['http://alice@127.0.0.1:5000', 'http://***@127.0.0.1:5000'],
    ['azureml://westeurope.api.azureml.ms/mlflow/v1.0', 'azureml://westeurope.api.azureml.ms/mlflow/v1.0'],
    ['https://mlflow.example.com/?q=a@b', 'https://mlflow.example.com/?q=a@b'],
    ['/data/mlruns', '/data/mlruns'],
    ['failed: GET https://u:p%40ss@h/x (fetch failed)', 'failed: GET https://***@h/x (fetch failed)'],
  ])('%s → %s', (uri, expected) => {
    expect(redactUri(uri)).toBe(expected);
  });

  it('splitUserinfo takes user and password out of the URI, decoded', () => {
    expect(splitUserinfo('https://alice:p%40ss@h.example/mlflow')).toEqual({
      uri: 'https://h.example/mlflow',
      username: 'alice',
      password: 'p@ss',
    });
    expect(splitUserinfo('https://h.example/')).toEqual({ uri: 'https://h.example/' });
  });
});

describe('a tracking URI with user:password@', () => {
  let fake: FakeMlflow;
  let uri: string;
  const saved = { ...process.env };

  beforeEach(async () => {
    fake = await startFakeMlflow();
    fake.requiredBasic = 'alice:s3cret';
    uri = fake.url.replace('http://', 'http://alice:s3cret@');
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fake.close();
  });

  it('is sent as Basic authentication, never kept in the client URL', async () => {
    const client = new MlflowRestClient(uri);
    expect(client.baseUrl).not.toContain('s3cret');
    const id = fake.createExperiment('bids');
    expect((await client.getExperimentByName('bids'))?.experimentId).toBe(id);
  });

  it('is not in the tracker destination opp train prints, and runs reach the server', async () => {
    const home = mkdtempSync(join(tmpdir(), 'opp-redact-'));
    const warnings: string[] = [];
    const tracker = await createTracker({
      env: { OPP_HOME: home, MLFLOW_TRACKING_URI: uri },
      onWarning: (w) => warnings.push(w),
    });
    const { runId } = await tracker.startRun({ runName: 'train' });
    await tracker.endRun(runId, 'FINISHED');
    const report = await tracker.close();
    expect(report.destination).not.toContain('s3cret');
    expect(warnings.join('\n')).not.toContain('s3cret');
    expect(fake.runs.size).toBe(1);
  });

  it('is redacted in the error for a scheme opp cannot use', () => {
    expect(() => resolveTrackingTarget({ MLFLOW_TRACKING_URI: 'databricks://alice:s3cret@host' })).toThrow(
      /^MLFLOW_TRACKING_URI=databricks:\/\/\*\*\*@host: opp tracks to/,
    );
  });

  it('opp runs lists the runs without printing the password', async () => {
    fake.createExperiment('bids');
    process.env.MLFLOW_TRACKING_URI = uri;
    process.env.MLFLOW_EXPERIMENT_NAME = 'bids';
    process.env.OPP_HOME = mkdtempSync(join(tmpdir(), 'opp-redact-'));
    const text = await runCli(['runs']);
    expect(text.code).toBe(0);
    expect(text.stdout + text.stderr).not.toContain('s3cret');
    expect(text.stdout).toMatch(/no runs in experiment "bids" at http:\/\/127\.0\.0\.1:\d+/);
    const json = await runCli(['runs', '--json']);
    expect(json.code).toBe(0);
    expect(json.stdout + json.stderr).not.toContain('s3cret');
  });
});
