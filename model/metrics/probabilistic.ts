import { checkLengths, type Labels, type Scores } from './types.js';

/** Probabilities are clipped to [ε, 1-ε] before the log, so one confident mistake is finite. */
export const LOG_LOSS_EPSILON = 1e-15;

/** Mean squared error of the probabilities (Brier score); 0 is perfect. */
export function brierScore(labels: Labels, probabilities: Scores): number {
  checkLengths(labels, probabilities);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = probabilities[i]! - labels[i]!;
    sum += d * d;
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/** Mean binary cross-entropy (natural log) of the probabilities, clipped by {@link LOG_LOSS_EPSILON}. */
export function logLoss(labels: Labels, probabilities: Scores): number {
  checkLengths(labels, probabilities);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/** One reliability bin: mean predicted probability vs the observed positive rate. */
export interface CalibrationBin {
  predicted: number;
  observed: number;
  count: number;
}

/** Default number of equal-width calibration bins over [0, 1]. */
export const DEFAULT_CALIBRATION_BINS = 10;

/**
 * Reliability curve: rows grouped into `bins` equal-width probability bins (the last one
 * closed at 1); empty bins are left out. Same bins as scikit-learn's
 * `calibration_curve(strategy='uniform')`.
 */
export function calibrationBins(
  labels: Labels,
  probabilities: Scores,
  bins = DEFAULT_CALIBRATION_BINS,
): CalibrationBin[] {
  checkLengths(labels, probabilities);
  const sums = new Float64Array(bins);
  const positives = new Float64Array(bins);
  const counts = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    sums[bin]! += p;
    positives[bin]! += labels[i] === 1 ? 1 : 0;
    counts[bin]!++;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (counts[b] === 0) continue;
    out.push({ predicted: sums[b]! / counts[b]!, observed: positives[b]! / counts[b]!, count: counts[b]! });
  }
  return out;
}
