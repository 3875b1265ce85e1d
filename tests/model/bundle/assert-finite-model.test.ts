import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertFiniteModel } from '../../../model/bundle/assert-finite-model.js';
import { loadBundle } from '../../../model/bundle/load-bundle.js';
import { modelDigest } from '../../../model/bundle/model-digest.js';
import { saveBundle } from '../../../model/bundle/save-bundle.js';
import { writeTrainingOutput } from '../../../model/bundle/training-output.js';
import { Predictor } from '../../../model/Predictor.js';
import { loadModelSet } from '../../../model/server/load-model-set.js';
import type { TrainDivisionsResult } from '../../../model/training/train-divisions.js';
import { NonFiniteModelError } from '../../../pipeline/errors/NonFiniteModelError.js';
import { poisonWeights, tinyBundleContents, writeTinyOutput } from '../../support/tiny-bundle.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'opp-finite-'));
}

describe('assertFiniteModel', () => {
  it('passes a sound model', () => {
    expect(() => assertFiniteModel(tinyBundleContents(), 'tiny')).not.toThrow();
  });

  it('names the bundle, division and tensor of a NaN weight', () => {
    const contents = tinyBundleContents(3);
    contents.weights.layers[1]!.bias[0] = Number.NaN;
    let error: unknown;
    try {
      assertFiniteModel(contents, 'out/3');
    } catch (e) {
      error = e;
    }
    expect(error instanceof NonFiniteModelError).toBe(true);
    expect(error).toMatchObject({ bundle: 'out/3', division: 3, tensor: 'layer 2 bias' });
    expect((error as Error).message).toMatch(
      /^out\/3 \(division 3\): layer 2 bias holds NaN at index 0 of 1/,
    );
  });

  it('refuses finite weights that score the probe batch to NaN', () => {
    // Finite, but the hidden units overflow to +Infinity and the output adds +Inf and −Inf.
    const contents = tinyBundleContents();
    const [hidden, output] = contents.weights.layers as [
      (typeof contents.weights.layers)[0],
      (typeof contents.weights.layers)[0],
    ];
    hidden.weights.fill(3e38);
    hidden.bias.fill(3e38);
    output.weights.set([1, -1, 1, -1]);
    expect(() => assertFiniteModel(contents, 'tiny')).toThrow(
      expect.objectContaining({ name: 'NonFiniteModelError', tensor: 'probe output' }),
    );
  });
});

describe('the save gate', () => {
  it('saveBundle refuses a model with a NaN weight and writes nothing', async () => {
    const dir = join(await tempDir(), '0');
    const contents = tinyBundleContents();
    contents.weights.layers[0]!.weights[5] = Number.NaN;
    await expect(saveBundle(dir, contents)).rejects.toThrow(
      /division 0\): layer 1 weights holds NaN at index 5/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('writeTrainingOutput writes no bundle and no report when one division is broken', async () => {
    const out = await tempDir();
    const broken = tinyBundleContents(1);
    broken.weights.layers[0]!.bias[0] = Number.POSITIVE_INFINITY;
    const good = tinyBundleContents(0);
    const result = {
      bundles: new Map([
        [0, good],
        [1, broken],
      ]),
      report: good.metrics,
    } as unknown as TrainDivisionsResult;
    await expect(writeTrainingOutput(out, result)).rejects.toBeInstanceOf(NonFiniteModelError);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('the load gate', () => {
  it('loadBundle and Predictor.load refuse a bundle whose weights.bin was overwritten with NaN', async () => {
    const out = await writeTinyOutput();
    const bundle = join(out, '0');
    await expect(loadBundle(bundle)).resolves.toBeDefined();
    poisonWeights(bundle, 7);
    await expect(loadBundle(bundle)).rejects.toMatchObject({
      name: 'NonFiniteModelError',
      bundle,
      division: 0,
      tensor: 'layer 1 weights',
    });
    await expect(Predictor.load(bundle)).rejects.toThrow(/layer 1 weights holds NaN at index 7/);
    await expect(loadModelSet(out)).rejects.toBeInstanceOf(NonFiniteModelError);
  });
});

describe('the version identity', () => {
  it('covers the weight bytes: a bundle with changed weights gets another version id', async () => {
    const out = await writeTinyOutput();
    const before = await loadModelSet(out);
    const version = before.models.get(0)!.identity.version;
    expect(version).toBe(modelDigest(await loadBundle(join(out, '0'))).slice(0, 12));
    expect((await loadModelSet(out)).models.get(0)!.identity.version).toBe(version);
    // The same manifest, one weight changed (still finite).
    poisonWeights(join(out, '0'), 3, 0.123);
    const after = await loadModelSet(out);
    expect(after.models.get(0)!.identity.version).not.toBe(version);
  });

  it('digests differ for bundles that differ only in a weight', () => {
    const a = tinyBundleContents();
    const b = tinyBundleContents();
    expect(modelDigest(a)).toBe(modelDigest(b));
    b.weights.layers[1]!.weights[2]! += 1e-6;
    expect(modelDigest(a)).not.toBe(modelDigest(b));
  });
});
