import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { createTracker, resolveTrackingTarget } from '../../../pipeline/tracking/create-tracker.js';
import { FileStoreTracker } from '../../../pipeline/tracking/FileStoreTracker.js';
import { RemoteTracker } from '../../../pipeline/tracking/RemoteTracker.js';
import { listFileStoreRuns } from '../../../pipeline/tracking/read-file-store.js';
import { SafeTracker } from '../../../pipeline/tracking/SafeTracker.js';
import { type FakeMlflow, startFakeMlflow } from '../../support/fake-mlflow.js';

describe('resolveTrackingTarget', () => {
  const home = '/tmp/opp-home-x';

  it('uses $OPP_HOME/mlruns and experiment "opp" when nothing is set', () => {
    expect(resolveTrackingTarget({ OPP_HOME: home })).toEqual({
      kind: 'file',
      root: `${home}/mlruns`,
      experimentName: 'opp',
    });
  });

  it('reads file: URIs and plain folders as the local store', () => {
    expect(resolveTrackingTarget({ MLFLOW_TRACKING_URI: 'file:///data/mlruns' })).toMatchObject({
      kind: 'file',
      root: '/data/mlruns',
    });
    expect(
      resolveTrackingTarget({ MLFLOW_TRACKING_URI: '/data/runs', MLFLOW_EXPERIMENT_NAME: 'bids' }),
    ).toEqual({
      kind: 'file',
      root: '/data/runs',
      experimentName: 'bids',
    });
  });

  it('sends http(s) URIs to the REST client with the outbox under $OPP_HOME', () => {
    expect(resolveTrackingTarget({ OPP_HOME: home, MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' })).toEqual({
      kind: 'mlflow',
      url: 'http://127.0.0.1:5000',
      experimentName: 'opp',
      azure: false,
      outboxDir: `${home}/tracking/outbox`,
    });
  });

  it('turns azureml:// URIs and Azure ML workspace ids into the workspace MLflow endpoint with Azure auth', () => {
    const fromUri = resolveTrackingTarget({
      MLFLOW_TRACKING_URI:
        'azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w',
    });
    const fromIds = resolveTrackingTarget({
      AZURE_SUBSCRIPTION_ID: 's',
      AZURE_RESOURCE_GROUP: 'g',
      AZUREML_WORKSPACE: 'w',
      AZUREML_REGION: 'westeurope',
    });
    const url =
      'https://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w';
    expect(fromUri).toMatchObject({ kind: 'mlflow', url, azure: true });
    expect(fromIds).toMatchObject({ kind: 'mlflow', url, azure: true });
  });

  it('refuses a scheme it cannot use, naming the variable', () => {
    let error: unknown;
    try {
      resolveTrackingTarget({ MLFLOW_TRACKING_URI: 'databricks' });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect(String(error)).toMatch(/MLFLOW_TRACKING_URI=databricks/);
  });
});

describe('createTracker', () => {
  let server: FakeMlflow;
  let home: string;
  beforeEach(async () => {
    server = await startFakeMlflow();
    home = mkdtempSync(join(tmpdir(), 'opp-home-'));
  });
  afterEach(() => server.close());

  it('gives a safe local file-store tracker by default', async () => {
    const tracker = await createTracker({ env: { OPP_HOME: home } });
    expect(tracker).toBeInstanceOf(SafeTracker);
    expect(tracker.inner).toBeInstanceOf(FileStoreTracker);
    const { runId } = await tracker.startRun({ runName: 'local' });
    await tracker.endRun(runId);
    expect((await listFileStoreRuns(join(home, 'mlruns'), 'opp')).map((r) => r.runName)).toEqual(['local']);
  });

  it('sends MLFLOW_TRACKING_TOKEN as the bearer token to an MLflow server', async () => {
    server.requiredToken = 'secret-token';
    const tracker = await createTracker({
      env: { OPP_HOME: home, MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: 'secret-token' },
    });
    expect(tracker.inner).toBeInstanceOf(RemoteTracker);
    const { runId } = await tracker.startRun();
    await tracker.endRun(runId);
    expect(await tracker.close()).toMatchObject({ pendingRuns: 0, warnings: [] });
    expect(server.runs.size).toBe(1);
  });

  it('never throws: a broken local store gives warnings and the caller carries on', async () => {
    const file = join(home, 'not-a-folder');
    writeFileSync(file, 'x');
    const warnings: string[] = [];
    const tracker = await createTracker({
      env: { MLFLOW_TRACKING_URI: join(file, 'mlruns') },
      onWarning: (m) => warnings.push(m),
    });
    const { runId } = await tracker.startRun();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    await tracker.logParams(runId, { seed: 1 });
    await tracker.logMetrics(runId, { loss: 1 });
    await tracker.endRun(runId);
    const report = await tracker.close();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^startRun failed: /);
    expect(report.warnings).toEqual(warnings);
  });

  it('a wrong token is a warning, not an error, and the run waits in the outbox', async () => {
    server.requiredToken = 'right';
    const warnings: string[] = [];
    const tracker = await createTracker({
      env: { OPP_HOME: home, MLFLOW_TRACKING_URI: server.url },
      tokenProvider: async () => 'wrong',
      retry: { attempts: 1 },
      onWarning: (m) => warnings.push(m),
    });
    const { runId } = await tracker.startRun();
    await tracker.endRun(runId);
    expect((await tracker.close()).pendingRuns).toBe(1);
    expect(warnings.join('\n')).toMatch(/HTTP 401 UNAUTHENTICATED/);
  });
});
