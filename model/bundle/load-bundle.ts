import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { validateConfig } from '../../pipeline/config/load-config.js';
import { InputError, isInputError } from '../../pipeline/errors/InputError.js';
import { hashSpec } from '../../pipeline/features/compile-spec.js';
import { FeatureSpecSchema } from '../../pipeline/features/feature-spec.js';
import { MetricsReportSchema } from '../metrics-report.js';
import type { Activation, DenseLayer, MlpWeights } from '../network/mlp-weights.js';
import { TrainingConfigSchema } from '../training-config.js';
import { assertFiniteModel } from './assert-finite-model.js';
import { BundleFiles, BundleManifestSchema, PercentilesSchema } from './bundle-manifest.js';
import { preprocessorFromManifest } from './preprocessor-manifest.js';
import type { BundleContents } from './save-bundle.js';

const ModelJsonSchema = z.object({
  modelTopology: z.object({
    config: z.object({
      layers: z.array(
        z.object({
          class_name: z.string(),
          config: z.object({ units: z.number().optional(), activation: z.string().optional() }),
        }),
      ),
    }),
  }),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string()),
        weights: z.array(
          z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.literal('float32') }),
        ),
      }),
    )
    .length(1),
});

/**
 * Reads a bundle folder written by `saveBundle`, checking it is whole and consistent: the
 * feature spec's hash equals the manifest's, the weight shapes chain from the feature count to
 * one output. The weights are read straight from tfjs's format into Float32Arrays (no tfjs needed).
 * A model with a non-finite weight, or one that scores a probe batch to NaN, is refused
 * (`assertFiniteModel`): so the scoring server never loads one, nor keeps one on reload.
 *
 * @throws InputError naming the bundle and what is wrong.
 * @throws NonFiniteModelError naming the bundle, division and tensor of a NaN or ±Infinity.
 */
export async function loadBundle(dir: string): Promise<BundleContents> {
  const read = async (name: string): Promise<unknown> => {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new InputError(
        `${dir}: not a model bundle (cannot read ${name}: ${(error as Error).message})`,
        path,
        undefined,
        {
          cause: error,
        },
      );
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InputError(`${path}: invalid JSON (${(error as Error).message})`, path, undefined, {
        cause: error,
      });
    }
  };
  const manifest = validateConfig(
    await read(BundleFiles.manifest),
    BundleManifestSchema,
    join(dir, BundleFiles.manifest),
  );
  const featureSpec = validateConfig(
    await read(BundleFiles.featureSpec),
    FeatureSpecSchema,
    join(dir, BundleFiles.featureSpec),
  );
  if (hashSpec(featureSpec) !== manifest.specHash) {
    throw new InputError(
      `${dir}: ${BundleFiles.featureSpec} does not match the spec hash in ${BundleFiles.manifest}; the bundle was altered`,
      dir,
    );
  }
  const config = validateConfig(
    await read(BundleFiles.config),
    TrainingConfigSchema,
    join(dir, BundleFiles.config),
  );
  const metrics = validateConfig(
    await read(BundleFiles.metrics),
    MetricsReportSchema,
    join(dir, BundleFiles.metrics),
  );
  const { quantiles } = validateConfig(
    await read(BundleFiles.percentiles),
    PercentilesSchema,
    join(dir, BundleFiles.percentiles),
  );
  const modelJson = validateConfig(
    await read(BundleFiles.model),
    ModelJsonSchema,
    join(dir, BundleFiles.model),
  );
  const bytes = await readFile(join(dir, modelJson.weightsManifest[0]!.paths[0]!));
  const weights = toMlpWeights(
    modelJson,
    new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
    dir,
  );
  try {
    preprocessorFromManifest(manifest, weights);
  } catch (error) {
    if (isInputError(error))
      throw new InputError(`${dir}: ${error.message}`, dir, undefined, { cause: error });
    throw error;
  }
  const contents = {
    manifest,
    weights,
    percentiles: Float64Array.from(quantiles),
    featureSpec,
    config,
    metrics,
  };
  assertFiniteModel(contents, dir);
  return contents;
}

function toMlpWeights(
  modelJson: z.output<typeof ModelJsonSchema>,
  data: Float32Array,
  dir: string,
): MlpWeights {
  const dense = modelJson.modelTopology.config.layers.filter((l) => l.class_name === 'Dense');
  const specs = modelJson.weightsManifest[0]!.weights;
  if (specs.length !== dense.length * 2)
    throw new InputError(`${dir}: ${BundleFiles.model} has an unexpected weight layout`, dir);
  let offset = 0;
  const layers: DenseLayer[] = dense.map((layer, i) => {
    const [inputs, units] = specs[2 * i]!.shape as [number, number];
    const weights = data.slice(offset, offset + inputs * units);
    offset += inputs * units;
    const bias = data.slice(offset, offset + units);
    offset += units;
    return { inputs, units, activation: (layer.config.activation ?? 'linear') as Activation, weights, bias };
  });
  if (offset !== data.length || layers.at(-1)!.units !== 1) {
    throw new InputError(
      `${dir}: ${BundleFiles.weights} does not match the shapes in ${BundleFiles.model}`,
      dir,
    );
  }
  return { layers };
}
