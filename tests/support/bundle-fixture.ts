import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS_REPORT_VERSION, type MetricsReport } from '../../model/metrics-report.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';

/** A minimal, schema-valid metrics report for one general model. */
export function sampleMetricsReport(auc = 0.9): MetricsReport {
  const metricSet = {
    n: 100,
    positives: 20,
    accuracy: 0.85,
    precision: 0.6,
    recall: 0.7,
    f1: 0.65,
    auc,
    prAuc: 0.7,
    brier: 0.1,
    logLoss: 0.3,
    threshold: 0.4,
    confusion: { tp: 14, fp: 9, tn: 71, fn: 6 },
  };
  return {
    version: METRICS_REPORT_VERSION,
    createdAt: '2026-11-25T00:00:00.000Z',
    specHash: 'spec-hash',
    configHash: 'config-hash',
    seed: 1,
    backend: 'wasm',
    models: [
      {
        division: 0,
        name: 'general',
        status: 'trained',
        rows: { train: 400, test: 100, trainPositives: 80, testPositives: 20 },
        rebalancing: {
          method: 'none',
          before: { positives: 80, negatives: 320 },
          after: { positives: 80, negatives: 320 },
        },
        threshold: 0.4,
        epochs: 3,
        test: metricSet,
      },
    ],
  };
}

/**
 * Writes a gate config the fixture bundles (AUC 0.9) pass and an AUC below 0.8 fails, into `dir`:
 * the shipped gate also bounds precision and f1, which the sample report (0.6, 0.65) does not meet.
 */
export function writeFixtureGate(dir: string): string {
  const path = join(dir, 'fixture-gate.json');
  writeFileSync(path, JSON.stringify({ minimum: { auc: 0.8 }, maximum: {}, maxDrop: {} }));
  return path;
}

/**
 * Writes a fake model bundle (opaque files + `metrics.json`) into a new temp folder.
 * `extra` adds files (path → content), e.g. a marker the placeholder server reads.
 */
export async function makeBundle(extra: Record<string, string> = {}, auc = 0.9): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'opp-bundle-'));
  await writeFile(join(dir, 'metrics.json'), `${JSON.stringify(sampleMetricsReport(auc), null, 2)}\n`);
  await mkdir(join(dir, 'model-0'), { recursive: true });
  await writeFile(join(dir, 'model-0', 'model.json'), JSON.stringify({ format: 'layers-model', auc }));
  await writeFile(join(dir, 'model-0', 'weights.bin'), Buffer.from(Float32Array.from([auc, 1, 2, 3]).buffer));
  for (const [path, content] of Object.entries(extra)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** The placeholder scoring server (tests/support/placeholder-server.mjs): serves fake bundles. */
export const PLACEHOLDER_SERVER_COMMAND = [
  'node',
  '{root}/tests/support/placeholder-server.mjs',
  '--bundle',
  '{bundle}',
  '--port',
  '{port}',
];

/**
 * The shipped configs/deployment.json with the placeholder server instead of `opp serve`, for
 * tests of the rollout logic on fake bundles (`opp serve` needs real ones).
 */
export function placeholderDeploymentConfig(): Record<string, any> {
  const shipped = JSON.parse(readFileSync(defaultConfigPath('deployment.json'), 'utf8'));
  return { ...shipped, local: { ...shipped.local, serverCommand: PLACEHOLDER_SERVER_COMMAND } };
}
