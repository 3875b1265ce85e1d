import { GENERAL_DIVISION } from '../../pipeline/config/divisions-config.js';
import type { CompiledFeatureSpec } from '../../pipeline/features/compile-spec.js';

/** Who answered a request: reported with every prediction. */
export interface ModelIdentity {
  name: string;
  version: string;
  division: number;
}

/**
 * What the scoring server needs of a trained model. A loaded bundle provides it; the server
 * never depends on how the model was trained.
 */
export interface ScoringModel {
  readonly identity: ModelIdentity;
  /** The feature spec the model was trained with: requests are validated and featurised by it. */
  readonly spec: CompiledFeatureSpec;
  /** Decision threshold chosen in training. */
  readonly threshold: number;
  /** Probabilities of `rows` raw (unscaled) feature vectors stored row-major in `features`. */
  probabilities(features: Float64Array, rows: number): Float64Array;
  /** Percentile rank (0-100) of a probability among the training set's probabilities. */
  percentile(probability: number): number;
}

/** The models a server answers with: one per division, division 0 being the general model. */
export interface ModelSet {
  readonly models: ReadonlyMap<number, ScoringModel>;
  /** Where the set was loaded from, for /health and logs. */
  readonly source: string;
}

export interface Route {
  model: ScoringModel;
  /** Set when the requested division has no model of its own. */
  fallback?: string;
}

/** The model for a division, falling back to the general model (and saying so). */
export function routeDivision(set: ModelSet, division: number): Route | undefined {
  const own = set.models.get(division);
  if (own) return { model: own };
  const general = set.models.get(GENERAL_DIVISION);
  if (!general) return undefined;
  return {
    model: general,
    fallback: `division ${division} has no model of its own; the general model answered`,
  };
}
