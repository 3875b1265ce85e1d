import { brierScore, calibrationBins, logLoss } from './probabilistic.js';
import { averagePrecision, rocAuc, rocPoints } from './ranking.js';
import { type Confusion, confusionAt, thresholdedMetrics } from './thresholded.js';
import { countPositives, type Labels, type Scores } from './types.js';

/** Every metric of one set of scored rows at one threshold (the report's MetricSet). */
export interface MetricSetValues {
  n: number;
  positives: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  auc: number;
  prAuc: number;
  brier: number;
  logLoss: number;
  threshold: number;
  confusion: Confusion;
}

/** Computes all metrics of probabilities against labels, thresholded at `threshold`. */
export function computeMetricSet(labels: Labels, probabilities: Scores, threshold: number): MetricSetValues {
  const confusion = confusionAt(labels, probabilities, threshold);
  return {
    n: labels.length,
    positives: countPositives(labels),
    ...thresholdedMetrics(confusion),
    auc: rocAuc(labels, probabilities),
    prAuc: averagePrecision(labels, probabilities),
    brier: brierScore(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    threshold,
    confusion,
  };
}

/** ROC and calibration curves, for the report's `curves`. */
export function computeCurves(labels: Labels, probabilities: Scores) {
  return { roc: rocPoints(labels, probabilities), calibration: calibrationBins(labels, probabilities) };
}
