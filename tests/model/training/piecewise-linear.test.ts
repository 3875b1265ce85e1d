import { describe, expect, it } from 'vitest';
import { fitWithEngine } from '../../../model/engine/select-engine.js';
import { rocAuc } from '../../../model/metrics/ranking.js';
import { type Dataset, takeRows } from '../../../model/training/dataset.js';
import { predictRaw } from '../../../model/training/fit-task.js';
import { networkSettings } from '../../../model/training/network-settings.js';
import {
  binInput,
  encodedWidth,
  fitBinEncoding,
  planInputEncoding,
} from '../../../model/training/piecewise-linear.js';
import {
  fitPreprocessor,
  inputWidth,
  type PreprocessorPlan,
  preprocessDataset,
  toNetworkInput,
} from '../../../model/training/preprocessor.js';
import { TrainingConfigSchema } from '../../../model/training-config.js';
import { validateConfig } from '../../../pipeline/config/load-config.js';
import { ConfigError } from '../../../pipeline/errors/ConfigError.js';
import { Random } from '../../../pipeline/util/random.js';
import { smallConfig } from '../helpers/synthetic.js';

/** Columns: 0..99 uniform integers, a 0/1 flag, a column that is 0 in 70% of rows. */
function columns(rows: number): Dataset {
  const random = new Random(8);
  const x = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    x[r * 3] = random.int(100);
    x[r * 3 + 1] = random.chance(0.3) ? 1 : 0;
    x[r * 3 + 2] = random.chance(0.7) ? 0 : 1 + random.int(1000);
  }
  return { rows, features: 3, x, y: new Uint8Array(rows) };
}

describe('piecewise-linear encoding', () => {
  it('puts bin edges at the training quantiles, merges ties, and leaves flags alone under numeric', () => {
    const [uniform, heavyZero, ...rest] = fitBinEncoding(columns(4000), 'numeric', 4);
    expect(rest).toEqual([]);
    expect(uniform!.column).toBe(0);
    expect(uniform!.edges).toHaveLength(5);
    expect(uniform!.edges[0]).toBe(0);
    expect(uniform!.edges[4]).toBe(99);
    expect(uniform!.edges[2]).toBeGreaterThan(45);
    expect(uniform!.edges[2]).toBeLessThan(55);
    // 70% zeros: the 0, 0.25 and 0.5 quantiles are all 0 and make one edge.
    expect(heavyZero!.column).toBe(2);
    expect(heavyZero!.edges).toHaveLength(3);
    expect(heavyZero!.edges[0]).toBe(0);
  });

  it('encodes the columns a per-feature plan names, flags too, if they have two bins', () => {
    const plan = planInputEncoding({ flag: 'piecewise-linear' }, ['n', 'flag', 'z']);
    expect(plan).toEqual(['none', 'piecewise-linear', 'none']);
    // A 0/1 flag: quantile edges 0 and 1 only, one bin: not worth an encoding.
    expect(fitBinEncoding(columns(500), plan, 8)).toEqual([]);
    expect(fitBinEncoding(columns(500), ['piecewise-linear', 'none', 'none'], 8)[0]!.edges).toHaveLength(9);
  });

  it('gives 1 for bins below the value, 0 above and the fraction inside; beyond the range, the ends', () => {
    const pre = fitPreprocessor(columns(4000), { encoding: ['piecewise-linear', 'none', 'none'], bins: 4 });
    const edges = pre.encoding![0]!.edges;
    expect(inputWidth(pre)).toBe(6);
    expect(encodedWidth(3, pre.encoding!)).toBe(6);
    const unscale = (out: Float32Array) =>
      Array.from(out.subarray(0, 4), (v, c) => v * pre.scaler.std[c]! + pre.scaler.mean[c]!);
    const inside = (edges[1]! + edges[2]!) / 2;
    const encoded = unscale(toNetworkInput(pre, [inside, 1, 5], 1));
    expect(encoded.map((v) => Number(v.toFixed(4)) + 0)).toEqual([1, 0.5, 0, 0]);
    expect(unscale(toNetworkInput(pre, [-50, 0, 0], 1)).map((v) => Number(v.toFixed(4)) + 0)).toEqual([
      0, 0, 0, 0,
    ]);
    expect(unscale(toNetworkInput(pre, [500, 0, 0], 1)).map((v) => Number(v.toFixed(4)) + 0)).toEqual([
      1, 1, 1, 1,
    ]);
    // The other columns keep their place after the encoded one, standardised as before.
    const out = toNetworkInput(pre, [inside, 1, 5], 1);
    expect(out[4]).toBeCloseTo((1 - pre.scaler.mean[4]!) / pre.scaler.std[4]!, 5);
    expect(binInput(0, 2, Number.NaN)).toBeNaN();
  });

  it('fits the bins on the imputed, transformed training rows only', () => {
    const data = columns(2000);
    const plan: PreprocessorPlan = {
      inputTransform: ['none', 'none', 'signed-log1p'],
      impute: [{ column: 2, value: 0 }],
      encoding: 'numeric',
      bins: 8,
    };
    const pre = fitPreprocessor(
      takeRows(
        data,
        Int32Array.from({ length: 1000 }, (_, i) => i),
      ),
      plan,
    );
    const sizes = pre.encoding!.find((e) => e.column === 2)!;
    // The zeros were replaced by the median of the others before the bins were drawn.
    expect(sizes.edges[0]).toBeGreaterThan(0);
    expect(sizes.edges.at(-1)).toBeLessThanOrEqual(Math.log1p(1000));
    const widths = preprocessDataset(pre, data);
    expect(widths.features).toBe(inputWidth(pre));
    expect(widths.x).toHaveLength(data.rows * inputWidth(pre));
  });

  it('lets the network draw a narrow band of one column that plain standardisation misses', async () => {
    // y = 1 iff x lies in one of three narrow bands: a comb of steps, what trees draw easily.
    const random = new Random(12);
    const rows = 3000;
    const x = new Float32Array(rows);
    const y = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      x[r] = random.next() * 100;
      const band = (x[r]! > 20 && x[r]! < 25) || (x[r]! > 50 && x[r]! < 55) || (x[r]! > 80 && x[r]! < 85);
      y[r] = random.chance(band ? 0.9 : 0.1) ? 1 : 0;
    }
    const data: Dataset = { rows, features: 1, x, y };
    const train = takeRows(
      data,
      Int32Array.from({ length: 2000 }, (_, i) => i),
    );
    const test = takeRows(
      data,
      Int32Array.from({ length: 1000 }, (_, i) => 2000 + i),
    );
    const config = smallConfig({ maxEpochs: 30, learningRate: 0.01 });
    const aucOf = async (plan: PreprocessorPlan) => {
      const pre = fitPreprocessor(train, plan);
      const fit = await fitWithEngine(preprocessDataset(pre, train), networkSettings(config), {
        epochs: 30,
        patience: 30,
        seed: 3,
      });
      return rocAuc(test.y, predictRaw(fit.weights, pre, test.x, test.rows));
    };
    const plain = await aucOf({});
    const binned = await aucOf({ encoding: 'numeric', bins: 40 });
    // Bayes AUC here is 0.797 (p 0.9 on 15% of x, 0.1 elsewhere); plain reaches ~0.57.
    expect(binned).toBeGreaterThan(0.75);
    expect(binned).toBeGreaterThan(plain + 0.1);
  });
});

describe('training.inputEncoding in the config', () => {
  const raw = (inputEncoding: unknown) => {
    const config = smallConfig() as unknown as { training: Record<string, unknown> };
    return { ...config, training: { ...config.training, inputEncoding } as Record<string, unknown> };
  };

  it('defaults to none with 16 bins; accepts numeric, auto and a per-feature mapping', () => {
    const { inputEncoding: _e, inputEncodingBins: _b, ...training } = raw('none').training;
    const parsed = validateConfig({ ...raw('none'), training }, TrainingConfigSchema, 'c.json').training;
    expect([parsed.inputEncoding, parsed.inputEncodingBins]).toEqual(['none', 16]);
    for (const value of ['numeric', 'auto', { project_size: 'piecewise-linear' }])
      expect(validateConfig(raw(value), TrainingConfigSchema, 'c.json').training.inputEncoding).toEqual(
        value,
      );
  });

  it('refuses an unknown encoding, too few bins and a feature the model lacks, naming what is wrong', () => {
    expect(() => validateConfig(raw({ project_size: 'bins' }), TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.inputEncoding: expected "none", "numeric", "auto" or \{"<feature>": "none" \| "piecewise-linear"\}/,
    );
    const oneBin = { ...raw('auto'), training: { ...raw('auto').training, inputEncodingBins: 1 as unknown } };
    expect(() => validateConfig(oneBin, TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.inputEncodingBins/,
    );
    expect(() => planInputEncoding({ project_sise: 'piecewise-linear' }, ['project_size'])).toThrow(
      ConfigError,
    );
    expect(() => planInputEncoding({ project_sise: 'piecewise-linear' }, ['project_size'])).toThrow(
      /training.inputEncoding names "project_sise", not among the features \(project_size\)/,
    );
  });
});
