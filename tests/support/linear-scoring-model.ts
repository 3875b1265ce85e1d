import type { ModelIdentity, ModelSet, ScoringModel } from '../../model/server/scoring-model.js';
import type { CompiledFeatureSpec } from '../../pipeline/features/compile-spec.js';

/**
 * A logistic model with known weights, for testing the server without training: p = σ(b + w·x)
 * with w_i = scale × (i + 1) / n.
 */
export function linearScoringModel(
  spec: CompiledFeatureSpec,
  identity: ModelIdentity,
  options: { bias?: number; scale?: number; threshold?: number } = {},
): ScoringModel {
  const n = spec.featureNames.length;
  const scale = options.scale ?? 0.001;
  const weights = Float64Array.from({ length: n }, (_, i) => (scale * (i + 1)) / n);
  const bias = options.bias ?? -1;
  return {
    identity,
    spec,
    threshold: options.threshold ?? 0.5,
    probabilities(features, rows) {
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        let z = bias;
        for (let i = 0; i < n; i++) z += weights[i]! * features[r * n + i]!;
        out[r] = 1 / (1 + Math.exp(-z));
      }
      return out;
    },
    percentile: (p) => Math.round(p * 10_000) / 100,
  };
}

/** A model set of the given divisions, all linear models with distinct biases. */
export function linearModelSet(spec: CompiledFeatureSpec, divisions: number[], version = '1'): ModelSet {
  return {
    source: `test models v${version}`,
    models: new Map(
      divisions.map((division) => [
        division,
        linearScoringModel(
          spec,
          { name: `opp-division-${division}`, version, division },
          { bias: -1 + division / 10 },
        ),
      ]),
    ),
  };
}
