import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStoreTracker } from '../../../pipeline/tracking/FileStoreTracker.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

/** The built CLI, as users run it (`npm test` builds first). */
const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const home = mkdtempSync(join(tmpdir(), 'opp-runs-cli-'));
const ids: string[] = [];

function opp(...args: string[]) {
  const run = spawnSync(process.execPath, [OPP, 'runs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPP_HOME: home, MLFLOW_TRACKING_URI: '', MLFLOW_EXPERIMENT_NAME: 'bids' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  const tracker = new FileStoreTracker(join(home, 'mlruns'), { experimentName: 'bids' });
  for (const [i, lr, auc] of [
    [0, '0.001', 0.74],
    [1, '0.01', 0.61],
  ] as const) {
    const { runId } = await tracker.startRun({
      runName: `train ${i}`,
      startTime: Date.UTC(2026, 10, 25, 9, i),
    });
    await tracker.logParams(runId, { 'training.learningRate': lr, seed: 42 });
    await tracker.logMetrics(runId, { 'fold_0/val_loss': 0.5 }, { step: 0 });
    await tracker.logMetrics(runId, { final_auc: auc, final_accuracy: 0.87 });
    await tracker.endRun(runId, 'FINISHED', Date.UTC(2026, 10, 25, 9, i, 30));
    ids.push(runId);
  }
});

describe('opp runs', () => {
  it('lists the runs of the experiment as a table, newest first, with final metrics', () => {
    const run = opp();
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^2 runs in experiment "bids"/);
    expect(lines[1]).toMatch(/^run +name +status +started \(UTC\) +took +parent +final_accuracy +final_auc$/);
    expect(lines[3]).toMatch(
      new RegExp(`^${ids[1]!.slice(0, 8)} +train 1 +FINISHED +2026-11-25 09:01 +30s +0\\.8700 +0\\.6100$`),
    );
    expect(lines[4]).toMatch(new RegExp(`^${ids[0]!.slice(0, 8)} +train 0 `));
  });

  it('prints one JSON document under --json', () => {
    const run = opp('--json', '--limit', '1');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.experiment).toBe('bids');
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({
      runId: ids[1],
      params: { seed: '42' },
      metrics: { final_auc: 0.61 },
    });
  });

  it('compares two runs by id prefix: differing params and summary metrics with deltas', () => {
    const run = opp('--compare', ids[0]!.slice(0, 8), ids[1]!.slice(0, 8));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/training\.learningRate +0\.001 +0\.01/);
    expect(run.stdout).not.toMatch(/^seed/m);
    expect(run.stdout).toMatch(/final_auc +0\.7400 +0\.6100 +-0\.1300/);
    expect(run.stdout).not.toMatch(/fold_0/);
    const json = JSON.parse(opp('--compare', ids[0]!, ids[1]!, '--json').stdout);
    expect(json.params).toEqual([{ key: 'training.learningRate', a: '0.001', b: '0.01' }]);
  });

  it('exits 2 on a --compare without two ids, and 1 on an unknown run', () => {
    expect(opp('--compare', 'abc').code).toBe(2);
    const missing = opp('--compare', 'ffff', 'eeee');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run ffff/);
  });
});
