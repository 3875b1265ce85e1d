import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');

function demo(home: string) {
  const run = runDemo(home);
  if (run.status !== 0) throw new Error(`opp demo exited ${run.status}:\n${run.stderr}\n${run.stdout}`);
  return JSON.parse(run.stdout);
}

function runDemo(home: string) {
  return spawnSync(
    process.execPath,
    [OPP, 'demo', '--records', '3000', '--workers', '1', '--exit', '--json'],
    {
      encoding: 'utf8',
      env: { ...process.env, OPP_HOME: home },
      timeout: 600_000,
    },
  );
}

describe('opp demo (npm start) on a small sample', () => {
  it('runs every stage and leaves each stage’s artifact; a second run re-uses them', () => {
    const home = mkdtempSync(join(tmpdir(), 'opp-demo-'));
    const first = demo(home);

    // Ingest: history by backfill, the rest by one incremental run, into Azurite under $OPP_HOME.
    expect(first.backfill.windows).toBeGreaterThan(40);
    expect(first.backfill.kept).toBeGreaterThan(1000);
    expect(first.backfill.quarantined + first.ingest.quarantined).toBeGreaterThan(0);
    expect(first.ingest.listed).toBeGreaterThan(0);
    expect(existsSync(join(home, 'azurite'))).toBe(true);

    // Snapshot: a content-addressed CSV with every kept row.
    expect(first.snapshot.id).toMatch(/^[0-9a-f]{64}$/);
    expect(first.snapshot.rows).toBe(first.backfill.kept + first.ingest.kept);
    expect(existsSync(join(home, 'snapshots', `${first.snapshot.id}.csv`))).toBe(true);

    // Training: the general model and the divisions with enough data, bundles and a report.
    const report = MetricsReportSchema.parse(
      JSON.parse(readFileSync(join(first.training.out, 'metrics.json'), 'utf8')),
    );
    expect(report.snapshotId).toBe(first.snapshot.id);
    expect(report.models.map((m) => m.division)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(report.models[0]).toMatchObject({ status: 'trained' });
    expect(report.models[0]!.test!.auc).toBeGreaterThan(0.6);
    for (const m of report.models.filter((x) => x.status === 'trained')) {
      expect(existsSync(join(first.training.out, String(m.division), 'bundle.json'))).toBe(true);
    }

    // The training and its gate decision are tracked (MLflow file store).
    expect(readdirSync(join(home, 'mlruns')).length).toBeGreaterThan(0);

    // Gate, registry, deployment.
    expect(first.gate.passed).toBe(true);
    expect(first.registry).toMatchObject({ name: 'opp', version: '1', stage: 'production' });
    expect(readdirSync(join(home, 'registry', 'models'))).toContain('opp');
    expect(first.deployment.traffic).toEqual({ 'opp-v1': 100 });

    // Examples scored over HTTP: the seed's form, a raw record, a batch across divisions.
    expect(first.examples.map((e: { status: number }) => e.status)).toEqual([200, 200, 200]);
    const [features, raw, batch] = first.examples.map((e: { response: unknown }) => e.response);
    expect(features).toMatchObject({
      probability: expect.any(Number),
      prediction: expect.any(Number),
      confidence: expect.any(Number),
      percentile: expect.any(Number),
    });
    expect(raw.probability).toBe(features.probability);
    expect(batch.predictions.length).toBeGreaterThan(2);
    expect(batch.predictions.some((p: { fallback?: string }) => p.fallback)).toBe(true);

    // The report a person looks at.
    expect(readFileSync(first.report, 'utf8')).toContain('<svg');

    // One demo per $OPP_HOME: a running one's lock refuses another; a dead one's is taken over.
    const lock = join(home, 'demo.lock');
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, String(process.pid));
    const refused = runDemo(home);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`another opp demo (process ${process.pid}) is running on ${home}`);
    writeFileSync(lock, String(spawnSync(process.execPath, ['-e', '']).pid));

    // A second run re-uses the finished backfill windows, the snapshot, the models and the version.
    const second = demo(home);
    expect(second.backfill.skipped).toBe(second.backfill.windows);
    expect(second.snapshot).toMatchObject({ id: first.snapshot.id, reused: true });
    expect(second.training.reused).toBe(true);
    expect(second.registry.version).toBe('1');
    expect(second.examples[0].response.probability).toBe(features.probability);
    expect(existsSync(lock)).toBe(false);
  }, 900_000);
});
