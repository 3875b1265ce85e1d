import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FeatureSpec } from '../../pipeline/features/feature-spec.js';
import type { MetricsReport } from '../metrics-report.js';
import type { MlpWeights } from '../network/mlp-weights.js';
import type { TrainingConfig } from '../training-config.js';
import { assertFiniteModel } from './assert-finite-model.js';
import { BundleFiles, type BundleManifest } from './bundle-manifest.js';

/** Everything a bundle holds. */
export interface BundleContents {
  manifest: BundleManifest;
  weights: MlpWeights;
  percentiles: ArrayLike<number>;
  featureSpec: FeatureSpec;
  config: TrainingConfig;
  /** A metrics report holding this model. */
  metrics: MetricsReport;
}

/**
 * Writes a model bundle folder (DESIGN.md "Model bundle"). It is written beside `dir` and
 * renamed into place, so a reader never sees half a bundle; an existing bundle is replaced.
 * A model with a non-finite weight or probe output is refused before anything is written.
 *
 * @throws NonFiniteModelError naming the division and tensor (`assertFiniteModel`).
 */
export async function saveBundle(dir: string, contents: BundleContents): Promise<void> {
  assertFiniteModel(contents, dir);
  const temp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(temp);
  try {
    const { modelJson, weightData } = await toTfjsArtifacts(contents.weights);
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    await writeFile(join(temp, BundleFiles.model), json(modelJson));
    await writeFile(join(temp, BundleFiles.weights), new Uint8Array(weightData));
    await writeFile(join(temp, BundleFiles.manifest), json(contents.manifest));
    await writeFile(join(temp, BundleFiles.featureSpec), json(contents.featureSpec));
    await writeFile(join(temp, BundleFiles.config), json(contents.config));
    // Full precision (about 200 kB): a reloaded bundle must rank scores exactly as the trained one.
    const quantiles = Array.from(contents.percentiles);
    await writeFile(join(temp, BundleFiles.percentiles), `${JSON.stringify({ quantiles })}\n`);
    await writeFile(join(temp, BundleFiles.metrics), json(contents.metrics));
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The weights as a tfjs LayersModel (Dense layers; the last is linear and outputs the logit),
 * serialised by tfjs itself, so `tf.loadLayersModel` reads the bundle.
 */
async function toTfjsArtifacts(
  weights: MlpWeights,
): Promise<{ modelJson: unknown; weightData: ArrayBuffer }> {
  const model = tf.sequential();
  weights.layers.forEach((layer, i) => {
    model.add(
      tf.layers.dense({
        units: layer.units,
        activation: layer.activation,
        ...(i === 0 ? { inputShape: [layer.inputs] } : {}),
      }),
    );
  });
  const tensors = weights.layers.flatMap((l) => [
    tf.tensor2d(l.weights, [l.inputs, l.units]),
    tf.tensor1d(l.bias),
  ]);
  let saved: tf.io.ModelArtifacts | undefined;
  try {
    model.setWeights(tensors);
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } finally {
    for (const t of tensors) t.dispose();
    model.dispose();
  }
  const artifacts = saved!;
  const weightData = artifacts.weightData;
  const buffer = Array.isArray(weightData) ? concat(weightData) : (weightData as ArrayBuffer);
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [BundleFiles.weights], weights: artifacts.weightSpecs }],
    },
    weightData: buffer,
  };
}

function concat(buffers: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
