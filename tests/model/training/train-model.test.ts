import { beforeAll, describe, expect, it } from 'vitest';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { createSerialRunner } from '../../../model/parallel/fit-runner.js';
import { useBackend } from '../../../model/tf/backend.js';
import { fitsPerModel, trainModel } from '../../../model/training/train-model.js';
import { ConfigError } from '../../../pipeline/errors/ConfigError.js';
import { TrainingError } from '../../../pipeline/errors/TrainingError.js';
import { Random } from '../../../pipeline/util/random.js';
import { smallConfig, syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('trainModel', () => {
  const data = syntheticDataset(1500, 4, 11, 1.5);

  it('cross-validates each rebalancing candidate, keeps the best and reports valid metrics', async () => {
    const config = smallConfig({ rebalancing: 'auto' });
    const done: string[] = [];
    const model = await trainModel(
      { division: 0, name: 'general', data },
      {
        config,
        runner: createSerialRunner(),
        bootstrapResamples: 100,
        onFitDone: (label) => done.push(label),
      },
    );
    expect(done).toHaveLength(3 * 3 + 1);
    const r = model.report;
    expect(r.rebalancing.candidates!.map((c) => c.method)).toEqual(['none', 'class-weight', 'oversample']);
    const best = Math.max(...r.rebalancing.candidates!.map((c) => c.cvAuc));
    expect(r.rebalancing.candidates!.find((c) => c.method === r.rebalancing.method)!.cvAuc).toBe(best);
    expect(r.cv!.folds).toHaveLength(3);
    expect(r.rows.train + r.rows.test).toBe(1500);
    expect(r.test!.auc).toBeGreaterThan(0.75);
    expect(r.aucInterval!.low).toBeLessThan(r.test!.auc);
    expect(r.epochs).toBe(Math.round(r.cvBestEpochs!.reduce((a, b) => a + b) / 3));
    expect(model.percentiles).toHaveLength(10_001);
    // The report entry fits the metrics report schema.
    MetricsReportSchema.parse({
      version: 1,
      createdAt: new Date().toISOString(),
      specHash: 'x',
      configHash: 'y',
      seed: 7,
      backend: 'wasm',
      models: [r],
    });
  });

  it('with inputEncoding auto, cross-validates the winner with bins and keeps them where they score better', async () => {
    // Labels that follow narrow bands of column 0 (steps) and ignore column 1: bins win
    // (both columns are numeric, so both get them).
    const random = new Random(21);
    const rows = 2000;
    const x = new Float32Array(rows * 2);
    const y = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      x[r * 2] = random.next() * 100;
      x[r * 2 + 1] = random.normal();
      const v = x[r * 2]!;
      y[r] = random.chance((v > 20 && v < 25) || (v > 50 && v < 55) || (v > 80 && v < 85) ? 0.9 : 0.1)
        ? 1
        : 0;
    }
    const config = smallConfig({
      rebalancing: 'none',
      inputEncoding: 'auto',
      inputEncodingBins: 40,
      maxEpochs: 20,
      patience: 5,
      learningRate: 0.01,
    });
    const done: string[] = [];
    const model = await trainModel(
      { division: 0, name: 'general', data: { rows, features: 2, x, y }, featureNames: ['band', 'noise'] },
      {
        config,
        runner: createSerialRunner(),
        bootstrapResamples: 50,
        onFitDone: (label) => done.push(label),
      },
    );
    expect(done).toHaveLength(fitsPerModel(config));
    expect(done.filter((l) => l.includes('none + bins · fold'))).toHaveLength(3);
    expect(done.at(-1)).toMatch(/final \(none \+ bins, \d+ epochs\)/);
    const { inputEncoding } = model.report;
    const [plain, binned] = inputEncoding!.candidates!;
    expect([plain!.encoding, binned!.encoding]).toEqual(['none', 'piecewise-linear']);
    expect(binned!.cvAuc).toBeGreaterThan(plain!.cvAuc + 0.05);
    expect(inputEncoding!.columns).toEqual(['band', 'noise']);
    expect(model.preprocessor.encoding!.map((e) => e.column)).toEqual([0, 1]);
    expect(model.report.cv!.mean.auc).toBeCloseTo(binned!.cvAuc, 12);
    expect(model.report.test!.auc).toBeGreaterThan(0.7);
  });

  it('gives identical metrics for the same seed', async () => {
    const config = smallConfig({ rebalancing: 'class-weight' });
    const run = async () =>
      (
        await trainModel(
          { division: 0, name: 'g', data },
          { config, runner: createSerialRunner(), bootstrapResamples: 50 },
        )
      ).report;
    const { samplesPerSecond: _a, ...a } = await run();
    const { samplesPerSecond: _b, ...b } = await run();
    expect(b).toEqual(a);
  });

  it('keeps the hold-out rows on the seed while fitSeed changes the fit', async () => {
    const config = smallConfig({ maxEpochs: 3 });
    const train = (options: { seed?: number; fitSeed?: number }) =>
      trainModel(
        { division: 0, name: 'g', data },
        { config, runner: createSerialRunner(), bootstrapResamples: 20, ...options },
      );
    const weightsOf = (m: Awaited<ReturnType<typeof train>>) => m.weights.layers.map((l) => [...l.weights]);
    const plain = await train({});
    const sameSeed = await train({ fitSeed: 7 });
    const one = await train({ fitSeed: 1 });
    const two = await train({ fitSeed: 2 });
    const otherSplit = await train({ seed: 8, fitSeed: 1 });
    // fitSeed equal to the seed is the run without it (the config's seed is 7).
    expect(weightsOf(sameSeed)).toEqual(weightsOf(plain));
    expect([...one.testRows]).toEqual([...plain.testRows]);
    expect([...two.testRows]).toEqual([...plain.testRows]);
    expect(weightsOf(two)).not.toEqual(weightsOf(one));
    expect(two.report.test!.auc).not.toBe(one.report.test!.auc);
    // The split follows the seed alone.
    expect([...otherSplit.testRows]).not.toEqual([...one.testRows]);
  });

  it('holds out the newest rows as the test set with the time split', async () => {
    const config = smallConfig({ maxEpochs: 2 });
    config.evaluation.split = 'time';
    const time = Float64Array.from({ length: data.rows }, (_, i) => (i * 7919) % data.rows);
    const model = await trainModel(
      { division: 0, name: 'g', data, time },
      { config, runner: createSerialRunner(), bootstrapResamples: 20 },
    );
    const cut = data.rows - model.testRows.length;
    expect(model.testRows.length).toBe(300);
    for (const row of model.testRows) expect(time[row]).toBeGreaterThanOrEqual(cut);
  });

  it('uses test rows pinned by the caller as the test set, training on all the others', async () => {
    const config = smallConfig({ maxEpochs: 2 });
    const pinned = Int32Array.from({ length: 250 }, (_, i) => i * 6);
    const model = await trainModel(
      { division: 0, name: 'g', data, testRows: pinned },
      { config, runner: createSerialRunner(), bootstrapResamples: 20 },
    );
    expect([...model.testRows]).toEqual([...pinned]);
    expect(model.report.rows).toMatchObject({ train: 1250, test: 250 });
  });

  it('refuses rows of a single class with a clear error', async () => {
    const one = { ...data, y: new Uint8Array(data.rows) };
    await expect(
      trainModel(
        { division: 3, name: 'd3', data: one },
        { config: smallConfig(), runner: createSerialRunner() },
      ),
    ).rejects.toThrow(TrainingError);
    await expect(
      trainModel(
        { division: 3, name: 'd3', data: one },
        { config: smallConfig(), runner: createSerialRunner() },
      ),
    ).rejects.toThrow(/all 1500 rows are negative/);
  });

  it('refuses an input transform for a feature the model does not have, before any fit', async () => {
    const done: string[] = [];
    await expect(
      trainModel(
        { division: 0, name: 'g', data, featureNames: ['a', 'b', 'c', 'd'] },
        {
          config: smallConfig({ inputTransform: { project_size: 'log1p' } }),
          runner: createSerialRunner(),
          onFitDone: (label) => done.push(label),
        },
      ),
    ).rejects.toThrow(ConfigError);
    expect(done).toEqual([]);
  });
});
