import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readHoldout } from '../../../model/bundle/holdout.js';
import { loadTrainingData } from '../../../model/data/load-training-data.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { loadComparisonReport } from '../../../pipeline/reports/load-reports.js';
import { defaultSpec } from '../../model/helpers/sample-table.js';
import { runCli } from '../../support/run-cli.js';
import { trainSmallOutputOn, writeSampleRecords } from '../../support/trained-output.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-compare-cli-'));
let data: string;
let out: string;

const run = runCli;

beforeAll(async () => {
  data = writeSampleRecords(3000, 5);
  out = await trainSmallOutputOn(await loadTrainingData(data, defaultSpec));
}, 60_000);

afterEach(() => vi.restoreAllMocks());

describe('opp compare', () => {
  it('writes a comparison report that opp gate --comparison accepts', async () => {
    const comparison = join(dir, 'comparison.json');
    const compare = await run([
      'compare',
      '--candidate',
      out,
      '--baseline',
      out,
      '--data',
      data,
      '--out',
      comparison,
      '--resamples',
      '100',
      '--json',
    ]);
    expect(compare.code).toBe(0);
    const result = JSON.parse(compare.stdout);
    expect(result.out).toBe(comparison);
    const report = loadComparisonReport(comparison);
    expect(report).toEqual(result.report);
    expect(report.holdoutId).toBe((await readHoldout(out)).id);
    expect(report.divisions.every((d) => d.verdict === 'no-real-change')).toBe(true);

    // Only the non-regression bound: the gate must find the comparison on the metrics' own rows.
    const gateConfig = join(dir, 'gate.json');
    writeFileSync(gateConfig, JSON.stringify({ maxDrop: { auc: 0.01 } }));
    const gate = await run([
      'gate',
      '--report',
      join(out, 'metrics.json'),
      '--comparison',
      comparison,
      '--gate',
      gateConfig,
      '--json',
    ]);
    expect(gate.code).toBe(0);
    const verdict = JSON.parse(gate.stdout);
    expect(verdict.baseline).toBe('comparison');
    expect(verdict.passed).toBe(true);
    const checked = verdict.divisions.flatMap((d: { checks: { kind: string }[] }) => d.checks);
    expect(checked.some((c: { kind: string }) => c.kind === 'maxDrop')).toBe(true);
  });

  it('takes the production model from the registry as the baseline', async () => {
    vi.stubEnv('OPP_HOME', join(dir, 'home'));
    try {
      const registry = new LocalModelRegistry();
      await registry.registerVersion('opp', out, {}, { stage: 'production' });
      const comparison = join(dir, 'registry-comparison.json');
      const compare = await run([
        'compare',
        '--candidate',
        out,
        '--baseline',
        'opp:production',
        '--registry',
        'local',
        '--data',
        data,
        '--out',
        comparison,
        '--resamples',
        '50',
      ]);
      expect(compare.code).toBe(0);
      expect(compare.stderr).toContain('baseline: opp:1 from the registry');
      const report = loadComparisonReport(comparison);
      expect(report.comparison).toMatchObject({ source: 'registry', modelVersion: 'opp:1' });
      expect(report.divisions.every((d) => d.verdict === 'no-real-change')).toBe(true);
      const missing = await run([
        'compare',
        '--candidate',
        out,
        '--baseline',
        'opp:7',
        '--registry',
        'local',
        '--data',
        data,
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('model opp has no version 7');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('reads a features CSV of the same snapshot as well as records', async () => {
    const features = join(dir, 'features.csv');
    expect((await run(['features', '--in', data, '--out', features, '--json'])).code).toBe(0);
    const fromRecords = join(dir, 'from-records.json');
    const fromCsv = join(dir, 'from-csv.json');
    const common = ['compare', '--candidate', out, '--baseline', out, '--resamples', '50'];
    expect((await run([...common, '--data', data, '--out', fromRecords])).code).toBe(0);
    const csv = await run([...common, '--data', features, '--out', fromCsv]);
    expect(csv.code).toBe(0);
    // Another file than the one trained on: said, not refused.
    expect(csv.stderr).toMatch(/not the file the candidate was trained on/);
    expect(csv.stdout).toMatch(/no-real-change/);
    const divisions = (file: string) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { divisions: unknown[] }).divisions;
    expect(divisions(fromCsv)).toEqual(divisions(fromRecords));
  });

  it('exits 1 naming the missing file when the candidate has no holdout.json', async () => {
    const result = await run(['compare', '--candidate', dir, '--baseline', out, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holdout\.json/);
  });
});
