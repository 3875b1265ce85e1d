/**
 * Scores a study's best configuration on held-out test rows, for `npm run bench:hpo-training`:
 * the best trial within a budget, retrained on the HPO training rows the way a trial trains
 * (our objective's rule: early stopping on validation loss, `maxEpochs`, `patience`; no
 * pruning) under one or more fit seeds, each fit's kept weights (the best-validation-loss
 * epoch's, as `opp train` keeps) scored on the test rows the study never saw.
 */
import { createLogits } from '../../model/engine/fused-scorer.js';
import type { Params } from '../../model/hpo/distributions.js';
import { fitTrainingParams } from '../../model/hpo/training-objective.js';
import type { HpoSplit } from '../../model/hpo/training-split.js';
import { rocAuc } from '../../model/metrics/ranking.js';
import type { TrainingConfig } from '../../model/training-config.js';

/** A finished trial as both sides report it: number (order of asking), state, value, params. */
export interface TrialSummary {
  number: number;
  state: string;
  value?: number | null;
  params: Params;
  /** Test AUC of the trial's own kept model on its own trainer, where the side records it. */
  test?: number | null;
}

/** The best complete trial among those numbered below `budget` (the first one on ties), if any. */
export function bestTrialWithin(trials: readonly TrialSummary[], budget: number): TrialSummary | undefined {
  let best: TrialSummary | undefined;
  for (const t of trials) {
    if (t.number >= budget || t.state !== 'complete' || typeof t.value !== 'number') continue;
    if (!best || t.value > best.value! || (t.value === best.value && t.number < best.number)) best = t;
  }
  return best;
}

/** One retraining of a configuration: test AUC of its kept weights, and its validation AUCs. */
export interface Refit {
  /** Test AUC of the kept (best-validation-loss) weights. */
  test: number;
  /** Best validation AUC over the epochs run: what the trial's value is on this engine. */
  bestValidation: number;
  /** Epoch whose weights were kept (1-based). */
  bestEpoch: number;
  /** Validation AUC after each epoch run. */
  curve: number[];
}

/**
 * Retrains `params` on `split`'s training rows with fit seed `fitSeed` through the trials' own fit
 * (`fitTrainingParams`), so `fitSeed = split.fitSeed` reproduces the trial exactly; scores its
 * kept weights on `split.test`.
 */
export async function refitAndTest(
  split: HpoSplit,
  base: TrainingConfig,
  params: Params,
  fitSeed: number,
): Promise<Refit> {
  const curve: number[] = [];
  const fit = await fitTrainingParams(split, base, params, fitSeed, (_epoch, auc) => {
    curve.push(auc);
  });
  const logits = createLogits(fit.weights)(split.test.x, split.test.rows);
  return {
    test: rocAuc(split.test.y, logits),
    bestValidation: Math.max(...curve),
    bestEpoch: fit.bestEpoch,
    curve,
  };
}
