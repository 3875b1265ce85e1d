import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOLDOUT_FILE, type Holdout, HoldoutSchema, readHoldout } from '../../../model/bundle/holdout.js';
import { readTrainingReport } from '../../../model/bundle/training-output.js';
import { loadTrainingData } from '../../../model/data/load-training-data.js';
import { MetricNames } from '../../../model/metrics-report.js';
import { isInputError } from '../../../pipeline/errors/InputError.js';
import { compareTrainingOutputs } from '../../../pipeline/reports/compare-outputs.js';
import { ComparisonReportSchema } from '../../../pipeline/reports/comparison-report.js';
import { defaultSpec } from '../../model/helpers/sample-table.js';
import { trainSmallOutputOn, writeSampleRecords } from '../../support/trained-output.js';

const RESAMPLES = 200;
let data: string;
let candidate: string;
let baseline: string;
let holdout: Holdout;

beforeAll(async () => {
  data = writeSampleRecords(3000, 5);
  const table = await loadTrainingData(data, defaultSpec);
  // Same snapshot, another seed: other test rows and other weights.
  candidate = await trainSmallOutputOn(table, 7);
  baseline = await trainSmallOutputOn(table, 8);
  holdout = await readHoldout(candidate);
}, 60_000);

describe('holdout.json', () => {
  it('records, per model, as many test record ids as the metrics report counts test rows', async () => {
    const report = await readTrainingReport(candidate);
    const written = HoldoutSchema.parse(JSON.parse(readFileSync(join(candidate, HOLDOUT_FILE), 'utf8')));
    expect(written.divisions.map((d) => d.division)).toEqual(report.models.map((m) => m.division));
    expect(written.divisions.map((d) => d.status)).toContain('fallback');
    for (const model of report.models) {
      const entry = written.divisions.find((d) => d.division === model.division)!;
      expect(entry.status).toBe(model.status);
      expect(entry.recordIds).toHaveLength(model.rows.test);
      expect(new Set(entry.recordIds).size).toBe(entry.recordIds.length);
    }
    expect(written.snapshotId).toBe(report.snapshotId);
  });

  it('differs between training seeds (each output pins its own rows)', async () => {
    expect((await readHoldout(baseline)).id).not.toBe(holdout.id);
  });
});

describe('compareTrainingOutputs', () => {
  it("scores both models on exactly the candidate's hold-out rows", async () => {
    const { report, skipped, snapshotMatches } = await compareTrainingOutputs(candidate, baseline, data, {
      resamples: RESAMPLES,
      seed: 3,
    });
    expect(ComparisonReportSchema.parse(report)).toEqual(report);
    expect(snapshotMatches).toBe(true);
    expect(report.holdoutId).toBe(holdout.id);
    expect(report.comparison.source).toBe('base-commit');
    const metrics = await readTrainingReport(candidate);
    const compared = [...report.divisions.map((d) => d.division), ...skipped.map((s) => s.division)];
    expect(compared.sort((a, b) => a - b)).toEqual(holdout.divisions.map((d) => d.division));
    for (const division of report.divisions) {
      const model = metrics.models.find((m) => m.division === division.division)!;
      // Same rows, same model, same threshold: the candidate's side reproduces its own test metrics.
      expect(division.candidate.n).toBe(model.test!.n);
      expect(division.candidate.positives).toBe(model.test!.positives);
      expect(division.candidate.confusion).toEqual(model.test!.confusion);
      expect(division.candidate.auc).toBeCloseTo(model.test!.auc, 6);
      expect(division.production.n).toBe(division.candidate.n);
      expect(division.aucDifference.resamples).toBe(RESAMPLES);
      expect(division.aucDifference.estimate).toBeCloseTo(division.deltas.auc, 12);
      // The DeLong test of the same difference: same estimate, and a standard error that the
      // bootstrap's interval agrees with (its width is about 2 × 1.96 standard errors).
      const delong = division.aucDelong!;
      expect(delong.method).toBe('delong-paired');
      expect(delong.estimate).toBeCloseTo(division.deltas.auc, 12);
      const { low, high } = division.aucDifference.interval;
      expect(delong.se).toBeGreaterThan(0);
      expect((high - low) / (2 * 1.96) / delong.se).toBeGreaterThan(0.7);
      expect((high - low) / (2 * 1.96) / delong.se).toBeLessThan(1.4);
    }
    // Two different models: the comparison is not trivially zero.
    expect(report.divisions.some((d) => d.deltas.auc !== 0)).toBe(true);
  });

  it('gives zero deltas and no-real-change when an output is compared with itself', async () => {
    const { report } = await compareTrainingOutputs(candidate, candidate, data, { resamples: RESAMPLES });
    expect(report.divisions.length).toBeGreaterThan(0);
    for (const division of report.divisions) {
      for (const metric of MetricNames) expect(division.deltas[metric]).toBe(0);
      expect(division.aucDifference.estimate).toBe(0);
      expect(division.aucDifference.interval).toMatchObject({ low: 0, high: 0 });
      expect(division.verdict).toBe('no-real-change');
      // Both ROC curves on the same rows, for the comment's one chart: here the same curve.
      expect(division.roc?.candidate.length).toBeGreaterThan(2);
      expect(division.roc?.candidate[0]).toEqual({ fpr: 0, tpr: 0 });
      expect(division.roc?.candidate.at(-1)).toEqual({ fpr: 1, tpr: 1 });
      expect(division.roc?.production).toEqual(division.roc?.candidate);
    }
  });

  it("refuses data that lacks the candidate's hold-out records", async () => {
    const other = writeSampleRecords(500, 99);
    const error = await compareTrainingOutputs(candidate, baseline, other, { resamples: 10 }).catch((e) => e);
    expect(isInputError(error)).toBe(true);
    expect((error as Error).message).toMatch(/hold-out record .* is not in the data/);
  });
});
