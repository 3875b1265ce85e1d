import { orderByScoreDescending } from '../metrics/ranking.js';

/** How the decision threshold is chosen on out-of-fold predictions (configs/production.json). */
export type ThresholdStrategy =
  | { strategy: 'max-f1' }
  | { strategy: 'fixed'; value: number }
  | { strategy: 'precision-target'; precision: number };

/** The fallback when no candidate threshold qualifies. */
export const DEFAULT_THRESHOLD = 0.5;

/**
 * Chooses the threshold (a row is positive iff probability ≥ threshold) on out-of-fold
 * predictions, which no model saw in training:
 * - `max-f1`: the candidate with the highest F1 (the higher threshold on a tie);
 * - `precision-target`: the lowest threshold whose precision reaches the target (the one with
 *   most recall), or the threshold of best precision if none does;
 * - `fixed`: the configured value.
 * Candidates are the distinct predicted probabilities.
 */
export function chooseThreshold(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  strategy: ThresholdStrategy,
): number {
  if (strategy.strategy === 'fixed') return strategy.value;
  const order = orderByScoreDescending(probabilities);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || order.length === 0) return DEFAULT_THRESHOLD;
  let tp = 0;
  let fp = 0;
  let best = { score: -1, threshold: DEFAULT_THRESHOLD };
  let lowestMeetingTarget: number | undefined;
  let i = 0;
  while (i < order.length) {
    const threshold = probabilities[order[i]!]!;
    for (; i < order.length && probabilities[order[i]!] === threshold; i++)
      labels[order[i]!] === 1 ? tp++ : fp++;
    if (strategy.strategy === 'max-f1') {
      const f1 = (2 * tp) / (tp + fp + positives);
      if (f1 > best.score) best = { score: f1, threshold };
    } else {
      const precision = tp / (tp + fp);
      if (precision >= strategy.precision) lowestMeetingTarget = threshold;
      if (precision > best.score) best = { score: precision, threshold };
    }
  }
  return lowestMeetingTarget ?? best.threshold;
}
