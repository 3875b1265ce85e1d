import type { Params } from './distributions.js';

/** Whether a study minimises or maximises its objective (e.g. `maximize` for validation AUC). */
export type StudyDirection = 'minimize' | 'maximize';

/** How a trial ended: with a value, stopped early by the pruner, or with an error. */
export type TrialState = 'complete' | 'pruned' | 'failed';

/** One intermediate value an objective reported (e.g. validation AUC after an epoch). */
export interface IntermediateValue {
  readonly step: number;
  readonly value: number;
}

/** A finished trial, as a study stores it. */
export interface TrialRecord {
  /** Unique within the study, from 0; numbers of trials that never finished may be missing. */
  readonly number: number;
  readonly state: TrialState;
  readonly params: Params;
  /** The objective's value (complete trials), or the last intermediate value (pruned ones). */
  readonly value?: number;
  readonly intermediate: readonly IntermediateValue[];
  /** ISO time stamps. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The error message of a failed trial. */
  readonly error?: string;
}

/** A trial handed out by `Study.ask` and not yet told: what a sampler sees as "running". */
export interface RunningTrial {
  readonly number: number;
  readonly params: Params;
}

/**
 * A trial as a sampler sees it: finished or running, with its value turned into a loss (lower
 * is better) whatever the study's direction.
 */
export interface ObservedTrial {
  readonly number: number;
  readonly state: TrialState | 'running';
  readonly params: Params;
  readonly loss?: number;
  /** Intermediate values as losses. */
  readonly intermediate: readonly IntermediateValue[];
}

/** `value` as a loss: itself when minimising, its negation when maximising. */
export function toLoss(value: number, direction: StudyDirection): number {
  return direction === 'minimize' ? value : -value;
}

/** Trials as a sampler sees them: losses instead of values, running trials included. */
export function observeTrials(
  finished: readonly TrialRecord[],
  running: readonly RunningTrial[],
  direction: StudyDirection,
): ObservedTrial[] {
  const observed: ObservedTrial[] = finished.map((t) => ({
    number: t.number,
    state: t.state,
    params: t.params,
    ...(t.value === undefined ? {} : { loss: toLoss(t.value, direction) }),
    intermediate: t.intermediate.map((v) => ({ step: v.step, value: toLoss(v.value, direction) })),
  }));
  for (const r of running)
    observed.push({ number: r.number, state: 'running', params: r.params, intermediate: [] });
  return observed.sort((a, b) => a.number - b.number);
}

/** Counts of finished trials by state. */
export function countStates(trials: readonly TrialRecord[]): {
  complete: number;
  pruned: number;
  failed: number;
} {
  let complete = 0;
  let pruned = 0;
  let failed = 0;
  for (const t of trials) {
    if (t.state === 'complete') complete++;
    else if (t.state === 'pruned') pruned++;
    else failed++;
  }
  return { complete, pruned, failed };
}
