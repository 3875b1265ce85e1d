import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../model/server/internal/http.js';
import { prepareModels, scoreBody } from '../../../../model/server/internal/score-body.js';
import { Counter } from '../../../../model/server/prometheus.js';
import { compileFeatureSpec } from '../../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../../pipeline/features/feature-spec.js';
import { defaultConfigPath } from '../../../../pipeline/util/package-root.js';
import { linearModelSet } from '../../../support/linear-scoring-model.js';

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const models = linearModelSet(spec, [0, 3]);
const FEATURES = Object.fromEntries(spec.featureNames.map((n) => [n, 0]));
FEATURES.segment_spaces = 1;
FEATURES.project_size = 5000;

function expectedAnswer(division: number, fallback?: string) {
  const model = models.models.get(division)!;
  const x = Float64Array.from(spec.featureNames.map((n) => FEATURES[n]!));
  const p = model.probabilities(x, 1)[0]!;
  return {
    probability: p,
    prediction: p >= model.threshold ? 1 : 0,
    confidence: Math.abs(p - 0.5) * 2,
    percentile: model.percentile(p),
    threshold: model.threshold,
    model: { ...model.identity },
    ...(fallback ? { fallback } : {}),
  };
}

describe('scoreBody', () => {
  const scored = new Counter('scored', 'test');
  const prepared = prepareModels(models, [0, 1, 2, 3], scored);

  it('writes exactly the text JSON.stringify gives for the answer objects', () => {
    expect(scoreBody(prepared, JSON.stringify(FEATURES), 10)).toBe(JSON.stringify(expectedAnswer(0)));
    const batch = JSON.stringify({
      instances: [
        { ...FEATURES, division: 3 },
        { ...FEATURES, division: 2 },
      ],
    });
    expect(scoreBody(prepared, batch, 10)).toBe(
      JSON.stringify({
        predictions: [
          expectedAnswer(3),
          expectedAnswer(0, 'division 2 has no model of its own; the general model answered'),
        ],
      }),
    );
    expect(scored.get({ division: 0 })).toBe(2);
    expect(scored.get({ division: 3 })).toBe(1);
  });

  it('refuses invalid JSON and too many instances', () => {
    expect(() => scoreBody(prepared, '{', 10)).toThrow(HttpError);
    const many = JSON.stringify({ instances: Array.from({ length: 11 }, () => FEATURES) });
    expect(() => scoreBody(prepared, many, 10)).toThrow(/at most 10 instances/);
  });
});
