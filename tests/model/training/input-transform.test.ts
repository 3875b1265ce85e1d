import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../model/training/dataset.js';
import { planImputation } from '../../../model/training/imputation.js';
import {
  chooseTransforms,
  planInputTransform,
  transformValue,
} from '../../../model/training/input-transform.js';
import { fitPreprocessor, toNetworkInput } from '../../../model/training/preprocessor.js';
import { TrainingConfigSchema } from '../../../model/training-config.js';
import { validateConfig } from '../../../pipeline/config/load-config.js';
import { ConfigError } from '../../../pipeline/errors/ConfigError.js';
import { Random } from '../../../pipeline/util/random.js';
import { sampleTable } from '../helpers/sample-table.js';
import { smallConfig } from '../helpers/synthetic.js';

/** Columns: lognormal size, 0/1 flag, skewed 0-5 rating, uniform, heavy-tailed with negatives. */
function mixedColumns(rows: number): Dataset {
  const random = new Random(3);
  const d = 5;
  const x = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    x[r * d] = Math.round(Math.exp(Math.log(15_000) + 1.1 * random.normal()));
    x[r * d + 1] = random.chance(0.05) ? 1 : 0;
    x[r * d + 2] = random.chance(0.15) ? 1 + random.int(5) : 0;
    x[r * d + 3] = random.next() * 1800;
    x[r * d + 4] = random.chance(0.1) ? -random.int(20) : Math.round(Math.exp(3 + 1.5 * random.normal()));
  }
  return { rows, features: d, x, y: new Uint8Array(rows) };
}

describe('the auto input-transform rule', () => {
  it('picks the heavy-tailed columns and leaves flags, small ratings and uniform columns alone', () => {
    expect(chooseTransforms(mixedColumns(5000))).toEqual([
      'signed-log1p',
      'none',
      'none',
      'none',
      'signed-log1p',
    ]);
  });

  it('picks project_size, and only it, among the 15 sample features', () => {
    const table = sampleTable(3000, 2);
    const data = { rows: table.rows, features: table.featureNames.length, x: table.x, y: table.labels };
    const chosen = chooseTransforms(data);
    expect(table.featureNames.filter((_, j) => chosen[j] !== 'none')).toEqual(['project_size']);
    expect(chosen[table.featureNames.indexOf('project_size')]).toBe('signed-log1p');
  });
});

describe('planInputTransform', () => {
  const names = ['a', 'b', 'c'];
  it('resolves none, auto and a per-feature mapping', () => {
    expect(planInputTransform('none', names)).toEqual(['none', 'none', 'none']);
    expect(planInputTransform('auto', names)).toBe('auto');
    expect(planInputTransform({ b: 'log1p', c: 'signed-log1p' }, names)).toEqual([
      'none',
      'log1p',
      'signed-log1p',
    ]);
  });

  it('refuses a mapping that names a feature the model does not have', () => {
    expect(() => planInputTransform({ project_sise: 'log1p' }, names)).toThrow(ConfigError);
    expect(() => planInputTransform({ project_sise: 'log1p' }, names)).toThrow(
      /"project_sise", not among the features \(a, b, c\)/,
    );
  });
});

describe('toNetworkInput', () => {
  it('transforms each column, then standardises with statistics of the transformed training rows', () => {
    const train: Dataset = {
      rows: 4,
      features: 2,
      x: Float32Array.from([0, -3, 9, 3, 99, -8, 999, 0]),
      y: new Uint8Array(4),
    };
    const pre = fitPreprocessor(train, { inputTransform: ['log1p', 'signed-log1p'] });
    const t0 = [0, 9, 99, 999].map(Math.log1p);
    const mean0 = t0.reduce((a, b) => a + b) / 4;
    expect(pre.scaler.mean[0]).toBeCloseTo(mean0, 5);
    const std0 = Math.sqrt(t0.reduce((a, v) => a + (v - mean0) ** 2, 0) / 4);
    const out = toNetworkInput(pre, [9, -3], 1);
    expect(out[0]).toBeCloseTo((Math.log1p(9) - mean0) / std0, 5);
    expect(out[1]).toBeCloseTo((-Math.log1p(3) - pre.scaler.mean[1]!) / pre.scaler.std[1]!, 5);
  });

  it('with every column none, is plain standardisation', () => {
    const data = mixedColumns(100);
    const pre = fitPreprocessor(data);
    expect(pre.inputTransform).toEqual(['none', 'none', 'none', 'none', 'none']);
    const out = toNetworkInput(pre, data.x, data.rows);
    for (let i = 0; i < 50; i++) {
      const j = i % 5;
      expect(out[i]).toBe(Math.fround((data.x[i]! - pre.scaler.mean[j]!) / pre.scaler.std[j]!));
    }
  });

  it('gives NaN for a value outside log1p’s domain (so the Predictor can refuse it); signed-log1p takes any value', () => {
    expect(transformValue('log1p', -1)).toBeNaN();
    expect(transformValue('signed-log1p', -1)).toBeCloseTo(-Math.LN2, 12);
    for (const v of [0, 0.5, 7, 15_000]) expect(transformValue('signed-log1p', v)).toBe(Math.log1p(v));
  });
});

describe('training.inputTransform in the config', () => {
  const raw = (inputTransform: unknown) => {
    const config = smallConfig() as unknown as { training: Record<string, unknown> };
    return { ...config, training: { ...config.training, inputTransform } };
  };

  it('accepts none, auto and a per-feature mapping, and defaults to auto', () => {
    for (const value of ['none', 'auto', { project_size: 'log1p' }])
      expect(validateConfig(raw(value), TrainingConfigSchema, 'c.json').training.inputTransform).toEqual(
        value,
      );
    const { inputTransform: _, ...training } = raw('none').training;
    expect(
      validateConfig({ ...raw('none'), training }, TrainingConfigSchema, 'c.json').training.inputTransform,
    ).toBe('auto');
    expect(
      validateConfig({ ...raw('none'), training }, TrainingConfigSchema, 'c.json').training.imputeMissing,
    ).toEqual({});
  });

  it('refuses an unknown setting or transform, naming the JSON path', () => {
    expect(() => validateConfig(raw('log'), TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.inputTransform/,
    );
    expect(() => validateConfig(raw({ project_size: 'sqrt' }), TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.inputTransform: expected "none", "auto" or \{"<feature>": "none" \| "log1p" \| "signed-log1p"\}/,
    );
  });
});

describe('imputation of a missing marker', () => {
  const train: Dataset = {
    rows: 6,
    features: 2,
    // Column 0: sizes with 0 for "missing"; column 1: a rating whose 0 is a real value.
    x: Float32Array.from([0, 0, 1000, 1, 3000, 0, 0, 2, 100_000, 0, 2000, 5]),
    y: new Uint8Array(6),
  };

  it('fills the marker with the median of the training rows’ other values, before the transform', () => {
    const pre = fitPreprocessor(train, {
      inputTransform: ['signed-log1p', 'none'],
      impute: planImputation({ size: 0 }, ['size', 'rating']),
    });
    expect(pre.imputation).toEqual([{ column: 0, value: 0, fill: 2500 }]);
    const out = toNetworkInput(pre, [0, 0, 2500, 0], 2);
    expect(out[0]).toBe(out[2]);
    // The rating column is not imputed: its 0 stays 0.
    expect(out[1]).toBeCloseTo((0 - pre.scaler.mean[1]!) / pre.scaler.std[1]!, 5);
    expect(pre.scaler.mean[0]).toBeCloseTo(
      [2500, 1000, 3000, 2500, 100_000, 2000].map(Math.log1p).reduce((a, b) => a + b) / 6,
      5,
    );
  });

  it('lets the auto rule see the imputed column, not the marker', () => {
    const random = new Random(4);
    const rows = 2000;
    const x = new Float32Array(rows);
    for (let r = 0; r < rows; r++) x[r] = random.chance(0.03) ? 0 : Math.round(1000 + 50 * random.normal());
    const data = { rows, features: 1, x, y: new Uint8Array(rows) };
    // With the zeros the column looks skewed; without them it is a narrow normal.
    expect(chooseTransforms(data)).toEqual(['signed-log1p']);
    expect(
      fitPreprocessor(data, { inputTransform: 'auto', impute: planImputation({ size: 0 }, ['size']) })
        .inputTransform,
    ).toEqual(['none']);
  });

  it('refuses a feature the model does not have, and a non-numeric marker in the config', () => {
    expect(() => planImputation({ size: 0 }, ['a'])).toThrow(
      /training.imputeMissing names "size", not among the features \(a\)/,
    );
    const config = smallConfig() as unknown as { training: Record<string, unknown> };
    const bad = { ...config, training: { ...config.training, imputeMissing: { project_size: '0' } } };
    expect(() => validateConfig(bad, TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.imputeMissing\.project_size/,
    );
  });
});
