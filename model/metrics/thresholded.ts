import { checkLengths, type Labels, type Scores } from './types.js';

/** Counts of a binary decision at one threshold. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Metrics that depend on the decision threshold. */
export interface ThresholdedMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * The confusion matrix when a row is predicted positive iff its score is `>= threshold`
 * (the rule the Predictor applies).
 */
export function confusionAt(labels: Labels, scores: Scores, threshold: number): Confusion {
  checkLengths(labels, scores);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i]! >= threshold;
    if (labels[i] === 1) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

/**
 * Accuracy, precision, recall and F1 from a confusion matrix. Undefined ratios (no predicted
 * positives, no positives) are 0, as scikit-learn's `zero_division=0` reports them.
 */
export function thresholdedMetrics(c: Confusion): ThresholdedMetrics {
  const n = c.tp + c.fp + c.tn + c.fn;
  const precision = ratioOrZero(c.tp, c.tp + c.fp);
  const recall = ratioOrZero(c.tp, c.tp + c.fn);
  return {
    accuracy: ratioOrZero(c.tp + c.tn, n),
    precision,
    recall,
    f1: ratioOrZero(2 * c.tp, 2 * c.tp + c.fp + c.fn),
  };
}

function ratioOrZero(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
