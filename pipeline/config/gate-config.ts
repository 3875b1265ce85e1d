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

export const GateConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  ...bounds,
  /** Per-division replacements of the bounds above, keyed by division id. */
  divisions: z
    .record(z.string().regex(/^\d+$/, 'must be a division id'), z.strictObject(bounds).partial())
    .default({}),
});

export type GateConfig = z.output<typeof GateConfigSchema>;

export function loadGateConfig(file: string): GateConfig {
  return loadConfig(file, GateConfigSchema);
}
