import { readHoldout } from '../../model/bundle/holdout.js';
import { loadDivisionPredictors, readTrainingReport } from '../../model/bundle/training-output.js';
import { loadTrainingData, type TrainingTable } from '../../model/data/load-training-data.js';
import { type BootstrapResult, bootstrapAucDifference } from '../../model/metrics/bootstrap.js';
import { pairedDelong } from '../../model/metrics/delong.js';
import { computeMetricSet } from '../../model/metrics/metric-set.js';
import { rocPoints } from '../../model/metrics/ranking.js';
import type { Predictor } from '../../model/Predictor.js';
import { GENERAL_DIVISION } from '../config/divisions-config.js';
import { InputError } from '../errors/InputError.js';
import { compareDivision, createComparisonReport } from './compare-division.js';
import type {
  ComparisonReport,
  ComparisonSource,
  DivisionComparison,
  PairedDifference,
} from './comparison-report.js';

export interface CompareTrainingOutputsOptions {
  /** Where the baseline came from (recorded in the report). @default 'base-commit' */
  source?: Exclude<ComparisonSource, 'none'>;
  /** Registry model name and version of the baseline, when `source` is `registry`. */
  modelVersion?: string;
  /** Bootstrap resamples of the AUC difference. @default 1000 */
  resamples?: number;
  /** Seed of the bootstrap (the same for every division). @default 0 */
  seed?: number;
  /** @default now */
  createdAt?: Date;
  /** Called after each division is scored (for a progress bar). */
  onDivision?: (division: number) => void;
}

/** A division of the candidate's hold-out that could not be compared, and why. */
export interface SkippedDivision {
  division: number;
  name: string;
  reason: string;
}

export interface CompareTrainingOutputsResult {
  /** The comparison report, validated by `ComparisonReportSchema`. */
  report: ComparisonReport;
  /** Divisions whose hold-out rows hold a single class (no AUC) or none at all. */
  skipped: SkippedDivision[];
  /** False when the data file is not the one the candidate was trained on (its hash differs). */
  snapshotMatches: boolean;
}

/**
 * Scores a candidate training output and a baseline one on the candidate's pinned hold-out rows
 * (`holdout.json`, looked up by record id in `dataFile`), per division: each model's metrics
 * at its own threshold, the deltas and a paired bootstrap interval of the AUC difference.
 * A division the baseline has no model for is scored with the baseline's general model, as
 * serving does. Records are run through each model's own feature spec, so the two may differ
 * in features; a features CSV must match both.
 *
 * @throws InputError when an output lacks `holdout.json` or a model, or a hold-out record id
 *   is missing from `dataFile` (the data is not the candidate's snapshot).
 */
export async function compareTrainingOutputs(
  candidateDir: string,
  baselineDir: string,
  dataFile: string,
  options: CompareTrainingOutputsOptions = {},
): Promise<CompareTrainingOutputsResult> {
  const holdout = await readHoldout(candidateDir);
  const candidateReport = await readTrainingReport(candidateDir);
  const baselineReport = await readTrainingReport(baselineDir);
  const candidates = await loadDivisionPredictors(candidateDir);
  const baselines = await loadDivisionPredictors(baselineDir);
  const tables = new TableCache(dataFile);
  const seed = options.seed ?? 0;

  const divisions: DivisionComparison[] = [];
  const skipped: SkippedDivision[] = [];
  let snapshotMatches = true;
  for (const entry of holdout.divisions) {
    const candidate = candidates.get(entry.division);
    if (!candidate) throw new InputError(`${candidateDir}: no model for division ${entry.division}`);
    const baseline = baselines.get(entry.division) ?? baselines.get(GENERAL_DIVISION);
    if (!baseline)
      throw new InputError(`${baselineDir}: no model for division ${entry.division} and no general model`);
    const candidateRows = await tables.rowsOf(candidate, entry.recordIds);
    const baselineRows = await tables.rowsOf(baseline, entry.recordIds);
    snapshotMatches &&= candidateRows.table.snapshotId === holdout.snapshotId;
    const labels = candidateRows.labels;
    const positives = labels.reduce((a, b) => a + b, 0);
    if (positives === 0 || positives === labels.length) {
      skipped.push({
        division: entry.division,
        name: entry.name,
        reason: `${labels.length} hold-out rows, ${positives} positive: an AUC needs both classes`,
      });
      options.onDivision?.(entry.division);
      continue;
    }
    const candidateScores = candidate.probabilities(candidateRows.x, labels.length);
    const baselineScores = baseline.probabilities(baselineRows.x, labels.length);
    const delong =
      labels.length - positives >= 2 && positives >= 2
        ? pairedDelong(labels, candidateScores, baselineScores)
        : undefined;
    divisions.push(
      compareDivision({
        division: entry.division,
        name: entry.name,
        candidate: computeMetricSet(labels, candidateScores, candidate.threshold),
        production: computeMetricSet(labels, baselineScores, baseline.threshold),
        roc: { candidate: rocPoints(labels, candidateScores), production: rocPoints(labels, baselineScores) },
        aucDifference: pairedDifference(
          bootstrapAucDifference(labels, candidateScores, baselineScores, {
            ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
            seed,
          }),
          seed,
        ),
        ...(delong
          ? {
              aucDelong: {
                method: 'delong-paired',
                estimate: delong.difference,
                se: delong.se,
                pValue: delong.pValue,
              },
            }
          : {}),
      }),
    );
    options.onDivision?.(entry.division);
  }

  const source = options.source ?? 'base-commit';
  const report = createComparisonReport(divisions, {
    comparison: {
      source,
      ...(source === 'registry' && options.modelVersion ? { modelVersion: options.modelVersion } : {}),
      ...(source === 'base-commit' && baselineReport.gitSha ? { gitSha: baselineReport.gitSha } : {}),
    },
    candidate: {
      ...(candidateReport.gitSha ? { gitSha: candidateReport.gitSha } : {}),
      configHash: candidateReport.configHash,
    },
    snapshotId: holdout.snapshotId,
    holdoutId: holdout.id,
    ...(options.createdAt ? { createdAt: options.createdAt } : {}),
  });
  return { report, skipped, snapshotMatches };
}

/** Hold-out rows looked up in one model's view of the data: labels and feature values. */
interface HoldoutRows {
  table: TrainingTable;
  labels: Uint8Array;
  x: Float32Array;
}

/** The data file read once per feature spec (models with the same spec share the features). */
class TableCache {
  private readonly tables = new Map<string, Promise<{ table: TrainingTable; index: Map<string, number> }>>();

  constructor(private readonly file: string) {}

  async rowsOf(predictor: Predictor, recordIds: readonly string[]): Promise<HoldoutRows> {
    const { table, index } = await this.load(predictor);
    const d = table.featureNames.length;
    const labels = new Uint8Array(recordIds.length);
    const x = new Float32Array(recordIds.length * d);
    recordIds.forEach((id, i) => {
      const row = index.get(id);
      if (row === undefined)
        throw new InputError(
          `${this.file}: hold-out record ${id} is not in the data (pass the snapshot the candidate was trained on)`,
          this.file,
        );
      labels[i] = table.labels[row]!;
      x.set(table.x.subarray(row * d, row * d + d), i * d);
    });
    return { table, labels, x };
  }

  private load(predictor: Predictor) {
    const key = predictor.spec.hash;
    let loaded = this.tables.get(key);
    if (!loaded) {
      loaded = loadTrainingData(this.file, predictor.spec).then((table) => ({
        table,
        index: new Map(table.recordIds.map((id, row) => [id, row])),
      }));
      this.tables.set(key, loaded);
    }
    return loaded;
  }
}

/** The report's shape of a bootstrap result, with the seed that reproduces it. */
function pairedDifference(result: BootstrapResult, seed: number): PairedDifference {
  return {
    estimate: result.estimate,
    interval: { low: result.low, high: result.high, level: result.level },
    resamples: result.resamples,
    seed,
  };
}
