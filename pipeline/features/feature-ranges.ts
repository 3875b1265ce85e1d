import { DEFAULT_DATE_RANGE, DEFAULT_NUMBER_RANGE, type FeatureRule } from './feature-spec.js';
import { daysSince } from './parse-value.js';

/**
 * The finite range of every output feature of a spec, and the check of a feature vector against
 * it: one definition used by /score, ingestion, `opp features`, training and `opp predict`.
 */

/**
 * The values one output feature may take: finite bounds in the feature's unit (days for a
 * days-since feature), whole numbers or not. Flags and one-hot columns are 0 or 1.
 */
export interface FeatureRange {
  name: string;
  min: number;
  max: number;
  integer: boolean;
  /** For days-since features: the bounds as ISO dates, for messages. */
  dates?: { earliest: string; latest: string };
  /** The one-hot group the column belongs to (its first column's index), if any. */
  group?: number;
}

/** Why one feature of a vector is unusable: its index and name, and the reason. */
export interface FeatureProblem {
  index: number;
  name: string;
  reason: string;
}

/** The ranges of one rule's output columns (the first at `offset`), defaults filled in. */
export function rangesOf(rule: FeatureRule, offset = 0): FeatureRange[] {
  switch (rule.type) {
    case 'one-hot':
      return rule.categories.map((c) => ({ name: c.name, min: 0, max: 1, integer: true, group: offset }));
    case 'flag':
    case 'json-flag':
      return [{ name: rule.name, min: 0, max: 1, integer: true }];
    case 'number':
    case 'json-number':
      return [
        {
          name: rule.name,
          min: rule.min ?? DEFAULT_NUMBER_RANGE.min,
          max: rule.max ?? DEFAULT_NUMBER_RANGE.max,
          integer: rule.integer,
        },
      ];
    case 'days-since': {
      const earliest = rule.earliest ?? DEFAULT_DATE_RANGE.earliest;
      const latest = rule.latest ?? DEFAULT_DATE_RANGE.latest;
      const reference = Date.parse(`${rule.reference}T00:00:00Z`);
      return [
        {
          name: rule.name,
          min: daysSince(Date.parse(`${earliest}T00:00:00Z`), reference),
          max: daysSince(Date.parse(`${latest}T00:00:00Z`), reference),
          integer: true,
          dates: { earliest, latest },
        },
      ];
    }
  }
}

/**
 * Checks a feature vector against `ranges`: finite, within bounds, whole where required, and
 * exactly one column of each one-hot group set. Returns the first problem, else undefined.
 */
export function checkFeatures(
  ranges: readonly FeatureRange[],
  features: ArrayLike<number>,
): FeatureProblem | undefined {
  for (let i = 0; i < ranges.length; i++) {
    const reason = rangeProblem(ranges[i]!, features[i]!);
    if (reason) return { index: i, name: ranges[i]!.name, reason };
  }
  for (let i = 0; i < ranges.length; ) {
    const group = ranges[i]!.group;
    if (group !== i) {
      i++;
      continue;
    }
    let end = i;
    let set = 0;
    while (end < ranges.length && ranges[end]!.group === group) set += features[end++]!;
    if (set !== 1) {
      const name = ranges
        .slice(i, end)
        .map((r) => r.name)
        .join('|');
      return { index: i, name, reason: `exactly one of these must be 1, got ${set}` };
    }
    i = end;
  }
  return undefined;
}

/** Why `value` is outside `range` (a sentence for people), or undefined when it is inside. */
export function rangeProblem(range: FeatureRange, value: number): string | undefined {
  if (!Number.isFinite(value)) return `must be a finite number, got ${value}`;
  if (range.min === 0 && range.max === 1 && range.integer && value !== 0 && value !== 1)
    return `must be 0 or 1, got ${value}`;
  if (range.integer && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  const dates = range.dates ? ` (${range.dates.earliest})` : '';
  if (value < range.min) return `must be at least ${range.min}${dates}, got ${value}`;
  if (value > range.max)
    return `must be at most ${range.max}${range.dates ? ` (${range.dates.latest})` : ''}, got ${value}`;
  return undefined;
}
