import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NonFiniteModelError } from '../../pipeline/errors/NonFiniteModelError.js';
import { createLogits } from '../engine/fused-scorer.js';
import { sigmoid } from '../network/mlp-weights.js';
import { BundleFiles } from './bundle-manifest.js';
import type { BundleContents } from './save-bundle.js';

/** Rows of the probe batch {@link assertFiniteModel} scores. */
export const PROBE_ROWS = 8;

/**
 * The probe batch: `rows` network inputs (after the scaler) of width `inputs`, deterministic,
 * in [−2, 2] and mostly non-zero (a zero input skips its weights in the plain-JS scorer).
 */
export function probeBatch(inputs: number, rows = PROBE_ROWS): Float32Array {
  const x = new Float32Array(rows * inputs);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < inputs; j++) x[r * inputs + j] = (((r * 7 + j * 3 + 1) % 9) - 4) / 2;
  return x;
}

/**
 * Refuses a model that would score NaN: every weight and bias of every layer, the scaler, the
 * threshold and the percentile mapping must be finite, and a small deterministic probe batch
 * ({@link probeBatch}) must score to probabilities in [0, 1] through the scorer the server uses.
 * Called where a model is saved, registered, deployed and loaded (see README "Model bundle").
 *
 * @param contents - a bundle, loaded or just trained.
 * @param source - how to name it in the error: its folder, or e.g. `division 3`.
 * @throws NonFiniteModelError naming the bundle, its division and the first bad tensor.
 */
export function assertFiniteModel(contents: BundleContents, source: string): void {
  const { manifest, weights } = contents;
  const division = manifest.division;
  const fail = (tensor: string, detail: string): never => {
    throw new NonFiniteModelError(
      `${source} (division ${division}): ${tensor} ${detail}; the model is broken (diverged training?) ` +
        'and is refused: retrain it (e.g. with a lower learning rate)',
      source,
      division,
      tensor,
    );
  };
  const check = (tensor: string, values: ArrayLike<number>) => {
    for (let i = 0; i < values.length; i++)
      if (!Number.isFinite(values[i])) fail(tensor, `holds ${values[i]} at index ${i} of ${values.length}`);
  };
  weights.layers.forEach((layer, i) => {
    check(`layer ${i + 1} weights`, layer.weights);
    check(`layer ${i + 1} bias`, layer.bias);
  });
  check('scaler mean', manifest.scaler.mean);
  check('scaler std', manifest.scaler.std);
  check('threshold', [manifest.threshold]);
  check('percentiles', contents.percentiles);
  const inputs = weights.layers[0]?.inputs ?? 0;
  const logits = createLogits(weights)(probeBatch(inputs), PROBE_ROWS);
  for (let r = 0; r < PROBE_ROWS; r++) {
    const p = sigmoid(logits[r]!);
    if (!(p >= 0 && p <= 1))
      fail('probe output', `is ${p} for probe row ${r + 1}, not a probability in [0, 1]`);
  }
}

/**
 * The bundle folders in `dir`: `dir` itself when it is a bundle, else its sub-folders that are
 * (a training output holds one per trained division).
 */
export function findBundleDirs(dir: string): string[] {
  if (existsSync(join(dir, BundleFiles.manifest))) return [dir];
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  return entries.map((name) => join(dir, name)).filter((d) => existsSync(join(d, BundleFiles.manifest)));
}
