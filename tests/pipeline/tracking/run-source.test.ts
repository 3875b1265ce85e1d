import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowRestClient } from '../../../pipeline/tracking/MlflowRestClient.js';
import { createRunSource } from '../../../pipeline/tracking/run-source.js';
import { type FakeMlflow, startFakeMlflow } from '../../support/fake-mlflow.js';

let server: FakeMlflow;
beforeEach(async () => {
  server = await startFakeMlflow();
});
afterEach(() => server.close());

describe('createRunSource', () => {
  it('reads runs from an MLflow server across pages, newest first, up to the limit', async () => {
    server.maxPageSize = 2;
    const client = new MlflowRestClient(server.url);
    const experimentId = await client.getOrCreateExperiment('bids');
    for (let i = 0; i < 5; i++) await client.createRun(experimentId, { runName: `r${i}`, startTime: i });
    const source = createRunSource({ MLFLOW_TRACKING_URI: server.url });
    expect(source.destination).toBe(server.url);
    expect((await source.listRuns('bids', 3)).map((r) => r.runName)).toEqual(['r4', 'r3', 'r2']);
    expect(await source.listRuns('missing', 3)).toEqual([]);
    const [first] = await source.listRuns('bids', 1);
    expect((await source.getRun(first!.runId)).runName).toBe('r4');
  });

  it('reads the local store by default and says which run id is unknown', async () => {
    const home = mkdtempSync(join(tmpdir(), 'opp-source-'));
    const source = createRunSource({ OPP_HOME: home });
    expect(source.destination).toBe(join(home, 'mlruns'));
    expect(await source.listRuns('opp', 10)).toEqual([]);
    await expect(source.getRun('abcd')).rejects.toThrow(/no run abcd/);
  });
});
