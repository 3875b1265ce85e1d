import { z } from 'zod';
import { loadConfig } from './load-config.js';

/** Metrics where higher is better, and which the gate can require a minimum of. */
export const HIGHER_IS_BETTER = ['accuracy', 'precision', 'recall', 'f1', 'auc', 'prAuc'] as const;
/** Metrics where lower is better, and which the gate can cap. */
export const LOWER_IS_BETTER = ['brier', 'logLoss'] as const;

const unit = z.number().min(0).max(1);
const minimums = z.strictObject(
  Object.fromEntries(HIGHER_IS_BETTER.map((m) => [m, unit.optional()])) as Record<
    (typeof HIGHER_IS_BETTER)[number],
    z.ZodOptional<typeof unit>
  >,
);
const maximums = z.strictObject(
  Object.fromEntries(LOWER_IS_BETTER.map((m) => [m, z.number().min(0).optional()])) as Record<
    (typeof LOWER_IS_BETTER)[number],
    z.ZodOptional<z.ZodNumber>
  >,
);

const bounds = {
  /** Each metric on the hold-out test set must be at least this. */
  minimum: minimums.default({}),
  /** Each metric on the hold-out test set must be at most this. */
  maximum: maximums.default({}),
  /** How far a metric may fall below the production model's, scored on the same rows. */
  maxDrop: minimums.default({}),
};

/**
 * Non-regression of AUC as a statistical decision, used when a comparison report (both models
 * on the same hold-out rows) is given; it then replaces `maxDrop.auc`. A division fails only
 * when its AUC is lower than the comparison model's by more than `margin` beyond doubt: the
 * one-sided test of H0 "Δ ≥ −margin" (Δ = candidate − comparison AUC) rejects at `alpha`,
 * after `correction` across the compared divisions. See pipeline/gate/non-inferiority.ts.
 */
export const AucNonInferioritySchema = z.strictObject({
  /** The drop in AUC that matters (e.g. 0.01): smaller drops are not regressions. */
  margin: z.number().gt(0, 'margin must be above 0').max(1),
  /** One-sided significance level of the "dropped beyond the margin" test. */
  alpha: z.number().gt(0).max(0.5, 'alpha must be at most 0.5').default(0.05),
  /** Multiple-comparison correction across divisions: `holm` (step-down Bonferroni) or `none`. */
  correction: z.enum(['holm', 'none']).default('holm'),
  /** Power at which each division's minimum detectable AUC change is stated. */
  power: z.number().gt(0).lt(1).default(0.8),
  /**
   * A division whose point estimate drops beyond the margin but whose hold-out cannot prove it
   * (`possibly-worse`): `flag` it for a reviewer's look (the comment's headline counts it), or
   * `fail` it. With `fail` the rule fails every point drop beyond the margin, like `maxDrop`,
   * and loses its error-rate guarantee on no-op changes.
   */
  possiblyWorse: z.enum(['flag', 'fail']).default('flag'),
});
export type AucNonInferiority = z.output<typeof AucNonInferioritySchema>;

export const GateConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  ...bounds,
  /** Statistical non-regression against a comparison report (see AucNonInferioritySchema). */
  nonInferiority: z.strictObject({ auc: AucNonInferioritySchema.optional() }).default({}),
  /** Per-division replacements of the bounds above, keyed by division id. */
  divisions: z
    .record(z.string().regex(/^\d+$/, 'must be a division id'), z.strictObject(bounds).partial())
    .default({}),
});

export type GateConfig = z.output<typeof GateConfigSchema>;

export function loadGateConfig(file: string): GateConfig {
  return loadConfig(file, GateConfigSchema);
}
