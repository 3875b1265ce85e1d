/** Binary labels (0 or 1), one per row. */
export type Labels = ArrayLike<number>;
/** Predicted probabilities of the positive class (or any score, for ranking metrics), one per row. */
export type Scores = ArrayLike<number>;

/** Throws unless `labels` and `scores` have the same, non-zero length. */
export function checkLengths(labels: Labels, scores: Scores): void {
  if (labels.length !== scores.length)
    throw new RangeError(
      `labels and scores must have the same length, got ${labels.length} and ${scores.length}`,
    );
}

/** Counts the positive labels. */
export function countPositives(labels: Labels): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  return positives;
}
