import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleManifestSchema } from '../../../model/bundle/bundle-manifest.js';
import {
  bundleDir,
  loadDivisionPredictors,
  writeTrainingOutput,
} from '../../../model/bundle/training-output.js';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { Predictor } from '../../../model/Predictor.js';
import { createSerialRunner } from '../../../model/parallel/fit-runner.js';
import { useBackend } from '../../../model/tf/backend.js';
import { type TrainDivisionsResult, trainDivisions } from '../../../model/training/train-divisions.js';
import { loadDivisionsConfig } from '../../../pipeline/config/divisions-config.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { defaultSpec, sampleTable } from '../helpers/sample-table.js';
import { smallConfig } from '../helpers/synthetic.js';

const out = mkdtempSync(join(tmpdir(), 'opp-bundle-'));
const table = sampleTable(3000, 5);
let result: TrainDivisionsResult;

beforeAll(async () => {
  await useBackend('wasm');
  // `auto` log-transforms project_size and bins it with timestamp_days: the bundle must carry
  // that preprocessing to every reader.
  const config = smallConfig({
    maxEpochs: 4,
    inputTransform: 'auto',
    imputeMissing: { project_size: 0 },
    inputEncoding: 'numeric',
    inputEncodingBins: 8,
  });
  // Division 1 qualifies; the others are made to fall back by a high minimum.
  config.divisions = { minRows: 150, minPerClass: 10 };
  const counts = new Map<number, number>();
  for (const d of table.division) counts.set(d, (counts.get(d) ?? 0) + 1);
  config.divisions.minRows = Math.max(...[...counts].filter(([d]) => d !== 0).map(([, n]) => n));
  result = await trainDivisions({
    table,
    spec: defaultSpec,
    config,
    divisions: loadDivisionsConfig(defaultConfigPath('divisions.json')),
    runner: createSerialRunner(),
    backend: 'wasm',
    bootstrapResamples: 50,
  });
  await writeTrainingOutput(out, result);
});

describe('division models and bundles', () => {
  it('trains the general model and the big division, and records the fallbacks', () => {
    const report = MetricsReportSchema.parse(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')));
    expect(report.models.map((m) => m.division)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const trained = report.models.filter((m) => m.status === 'trained');
    expect(trained.length).toBe(2);
    const fallback = report.models.filter((m) => m.status === 'fallback');
    expect(fallback.length).toBe(6);
    for (const m of fallback)
      expect(m.fallbackReason).toMatch(/fewer than divisions.minRows.*general model serves/);
    expect(report.snapshotId).toBe('sample-3000-5');
    expect(report.specHash).toBe(defaultSpec.hash);
  });

  it('scores identically after save and reload', async () => {
    const general = result.bundles.get(0)!;
    const before = new Predictor(general);
    const after = await Predictor.load(bundleDir(out, 0));
    const x = table.x.subarray(0, 200 * table.featureNames.length);
    expect(after.scoreBatch(x)).toEqual(before.scoreBatch(x));
    expect(after.weights).toEqual(general.weights);
    expect(after.quantiles).toHaveLength(10_001);
  });

  it('scores raw records through the same feature code as training', async () => {
    const predictor = await Predictor.load(bundleDir(out, 0));
    const records = [...generateSampleRecords({ n: 50, seed: 5 })];
    const kept = records.filter((r) => defaultSpec.extract(r).status === 'kept').slice(0, 5);
    const fromRecords = predictor.scoreRecords(kept);
    const fromFeatures = kept.map((r) => {
      const e = defaultSpec.extract(r);
      return predictor.scoreFeatures(e.status === 'kept' ? e.row.features : []);
    });
    expect(fromRecords).toEqual(fromFeatures);
    for (const s of fromRecords) {
      expect(s.prediction).toBe(s.probability >= predictor.threshold ? 1 : 0);
      expect(s.confidence).toBeCloseTo(Math.abs(s.probability - 0.5) * 2, 12);
      expect(s.percentile).toBeGreaterThanOrEqual(0);
      expect(s.percentile).toBeLessThanOrEqual(100);
    }
  });

  it('reads a missing project size (0) as the training median, after reload too', async () => {
    const predictor = await Predictor.load(bundleDir(out, 0));
    const { fill } = predictor.manifest.imputation![0]!;
    expect(fill).toBeGreaterThan(5_000);
    const row = Float64Array.from(table.x.subarray(0, 15));
    row[2] = 0;
    const missing = predictor.scoreFeatures(row);
    row[2] = fill;
    expect(missing).toEqual(predictor.scoreFeatures(row));
    expect(missing).toEqual(new Predictor(result.bundles.get(0)!).scoreFeatures(row));
  });

  it('reads a bundle written before the input preprocessing existed as plain standardisation', () => {
    const general = result.bundles.get(0)!;
    const { inputTransform: _t, imputation: _i, encoding: _e, ...manifest } = general.manifest;
    const scaler = { mean: manifest.scaler.mean.slice(0, 15), std: manifest.scaler.std.slice(0, 15) };
    const first = general.weights.layers[0]!;
    const units = first.units;
    const weights = {
      layers: [
        { ...first, inputs: 15, weights: first.weights.slice(0, 15 * units) },
        ...general.weights.layers.slice(1),
      ],
    };
    const old = new Predictor({
      ...general,
      weights,
      manifest: BundleManifestSchema.parse({ ...manifest, scaler }),
    });
    expect(old.preprocessor).toEqual({ inputTransform: Array(15).fill('none'), scaler });
  });

  it('carries the bins into the bundle: one network input per bin, checked on load', () => {
    const general = result.bundles.get(0)!;
    const encoded = general.manifest.encoding!.map((e) => e.feature);
    expect(encoded).toEqual(['timestamp_days', 'project_size']);
    const width = 15 + general.manifest.encoding!.reduce((n, e) => n + e.edges.length - 2, 0);
    expect(general.manifest.scaler.mean).toHaveLength(width);
    expect(general.weights.layers[0]!.inputs).toBe(width);
    const { encoding: _e, ...manifest } = general.manifest;
    expect(() => new Predictor({ ...general, manifest })).toThrow(
      new RegExp(
        `15 features make 15 network inputs, but .* its scaler ${width}/${width} and its network ${width} inputs`,
      ),
    );
    const unsorted = general.manifest.encoding!.map((e) => ({ ...e, edges: [...e.edges].reverse() }));
    expect(
      () => new Predictor({ ...general, manifest: { ...general.manifest, encoding: unsorted } }),
    ).toThrow(/the bin edges of "timestamp_days" are not ascending/);
  });

  it('writes weights that tfjs itself loads and that give the same logits', async () => {
    const predictor = await Predictor.load(bundleDir(out, 0));
    const dir = bundleDir(out, 0);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      }),
    );
    // A tfjs reader follows bundle.json by hand: the imputation, the input transform, the bins,
    // then the scaler (one entry per network input).
    const manifest = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    expect(manifest.inputTransform[2]).toBe('signed-log1p');
    expect(manifest.imputation).toEqual([{ feature: 'project_size', value: 0, fill: expect.any(Number) }]);
    const { fill } = manifest.imputation[0];
    const d = table.featureNames.length;
    const edgesOf = new Map<string, number[]>(
      manifest.encoding.map((e: { feature: string; edges: number[] }) => [e.feature, e.edges]),
    );
    const raw = table.x.subarray(0, 20 * d);
    const inputs: number[] = [];
    for (let r = 0; r < 20; r++) {
      const row: number[] = [];
      for (let j = 0; j < d; j++) {
        const v = raw[r * d + j]!;
        const known = j === 2 && v === 0 ? fill : v;
        const t =
          manifest.inputTransform[j] === 'signed-log1p'
            ? Math.sign(known) * Math.log1p(Math.abs(known))
            : known;
        const edges = edgesOf.get(table.featureNames[j]!);
        if (!edges) row.push(t);
        else
          for (let b = 0; b + 1 < edges.length; b++)
            row.push(Math.min(1, Math.max(0, (t - edges[b]!) / (edges[b + 1]! - edges[b]!))));
      }
      inputs.push(...row.map((v, c) => (v - manifest.scaler.mean[c]) / manifest.scaler.std[c]));
    }
    const width = manifest.scaler.mean.length;
    const logits = (
      model.predict(tf.tensor2d(Float32Array.from(inputs), [20, width])) as tf.Tensor
    ).dataSync();
    const probabilities = predictor.probabilities(raw);
    for (const [i, z] of logits.entries()) expect(1 / (1 + Math.exp(-z))).toBeCloseTo(probabilities[i]!, 5);
    model.dispose();
  });

  it('serves fallback divisions with the general model', async () => {
    const predictors = await loadDivisionPredictors(out);
    expect(predictors.size).toBe(8);
    expect(predictors.get(3)).toBe(predictors.get(0));
    expect(predictors.get(1)).not.toBe(predictors.get(0));
  });

  it('refuses bad input and an altered bundle with clear errors', async () => {
    const predictor = await Predictor.load(bundleDir(out, 0));
    expect(() => predictor.scoreFeatures([1, 2, 3])).toThrow(/expected 15 feature values per row/);
    const nan = new Float64Array(15).fill(0);
    nan[2] = Number.NaN;
    expect(() => predictor.scoreFeatures(nan)).toThrow(/feature "project_size" is NaN/);
    const negative = new Float64Array(15).fill(0);
    negative[2] = -5;
    // signed-log1p (auto's pick) takes a negative size; a bundle with plain log1p refuses it.
    expect(predictor.scoreFeatures(negative).probability).toBeGreaterThan(0);
    const general = result.bundles.get(0)!;
    const inputTransform = general.manifest.inputTransform!.map((t) => (t === 'none' ? t : 'log1p'));
    const strict = new Predictor({ ...general, manifest: { ...general.manifest, inputTransform } });
    expect(() => strict.scoreFeatures(negative)).toThrow(
      /row 1: feature "project_size" is -5, outside what the model takes \(its input transform is log1p\)/,
    );
    expect(() => predictor.assertSpec('0'.repeat(64), 'features.csv')).toThrow(
      /made with feature spec 000000000000/,
    );
    const specFile = join(bundleDir(out, 1), 'feature-spec.json');
    const spec = JSON.parse(readFileSync(specFile, 'utf8'));
    spec.features.pop();
    writeFileSync(specFile, JSON.stringify(spec));
    await expect(Predictor.load(bundleDir(out, 1))).rejects.toThrow(/does not match the spec hash/);
  });
});
