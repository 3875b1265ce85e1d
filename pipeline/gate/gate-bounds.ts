import {
  type GateConfig,
  GateConfigSchema,
  type HIGHER_IS_BETTER,
  type LOWER_IS_BETTER,
} from '../config/gate-config.js';
import { validateConfig } from '../config/load-config.js';

/** A metric the gate can require a minimum of, or limit the drop of (higher is better). */
export type HigherIsBetterMetric = (typeof HIGHER_IS_BETTER)[number];
/** A metric the gate can cap (lower is better). */
export type LowerIsBetterMetric = (typeof LOWER_IS_BETTER)[number];

/** The bounds that apply to one division, after its overrides. */
export interface DivisionBounds {
  minimum: Partial<Record<HigherIsBetterMetric, number>>;
  maximum: Partial<Record<LowerIsBetterMetric, number>>;
  maxDrop: Partial<Record<HigherIsBetterMetric, number>>;
}

/**
 * The bounds for `division`: the top-level bounds, with each metric the division's entry
 * names replacing the top-level bound of that metric (metrics it does not name keep theirs).
 */
export function resolveDivisionBounds(config: GateConfig, division: number): DivisionBounds {
  const override = config.divisions[String(division)];
  return {
    minimum: { ...config.minimum, ...override?.minimum },
    maximum: { ...config.maximum, ...override?.maximum },
    maxDrop: { ...config.maxDrop, ...override?.maxDrop },
  };
}

/**
 * Lays `overrides` (a partial gate config, e.g. from an action input) over `base`, metric by
 * metric and division by division. Neither argument is changed.
 *
 * @param source - names the overrides in errors (e.g. `input gate-overrides`).
 * @throws ConfigError when `overrides` does not match the gate config schema.
 */
export function mergeGateConfig(base: GateConfig, overrides: unknown, source = 'gate overrides'): GateConfig {
  const extra = validateConfig(overrides, GateConfigSchema, source);
  const divisions: GateConfig['divisions'] = { ...base.divisions };
  for (const [id, bounds] of Object.entries(extra.divisions)) {
    const current = divisions[id];
    divisions[id] = {
      minimum: { ...current?.minimum, ...bounds.minimum },
      maximum: { ...current?.maximum, ...bounds.maximum },
      maxDrop: { ...current?.maxDrop, ...bounds.maxDrop },
    };
  }
  return {
    ...base,
    minimum: { ...base.minimum, ...extra.minimum },
    maximum: { ...base.maximum, ...extra.maximum },
    maxDrop: { ...base.maxDrop, ...extra.maxDrop },
    nonInferiority: { ...base.nonInferiority, ...extra.nonInferiority },
    divisions,
  };
}
