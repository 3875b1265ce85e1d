import { z } from 'zod';
import { ColumnTransforms } from '../training/input-transform.js';

/** Version of the bundle layout; loaders refuse versions they do not know. */
export const BUNDLE_VERSION = 1;

/** Files of a model bundle folder. */
export const BundleFiles = {
  /** tfjs LayersModel topology and weights manifest (loadable by `tf.loadLayersModel`). */
  model: 'model.json',
  /** float32 weights, in the manifest's order. */
  weights: 'weights.bin',
  /** {@link BundleManifest}: input transform, scaler, threshold, feature names, provenance. */
  manifest: 'bundle.json',
  /** The feature spec the model was trained with (its hash is in the manifest). */
  featureSpec: 'feature-spec.json',
  /** The training config. */
  config: 'config.json',
  /** 10,001 quantiles of training-set probabilities. */
  percentiles: 'percentiles.json',
  /** A metrics report with this one model. */
  metrics: 'metrics.json',
} as const;

/** `bundle.json`. */
export const BundleManifestSchema = z.strictObject({
  version: z.literal(BUNDLE_VERSION),
  division: z.number().int().min(0),
  name: z.string(),
  featureNames: z.array(z.string()).min(1),
  /** SHA-256 of the feature spec (canonical JSON), as `hashSpec` computes it. */
  specHash: z.string(),
  configHash: z.string(),
  scaler: z.strictObject({ mean: z.array(z.number()), std: z.array(z.number().positive()) }),
  /**
   * Transform of each raw feature before the scaler (`toNetworkInput`); absent (bundles from
   * before it existed) = `none` for every feature.
   */
  inputTransform: z.array(z.enum(ColumnTransforms)).optional(),
  /**
   * Features whose raw `value` means missing and is replaced by `fill` (the training median)
   * before the input transform; absent = none.
   */
  imputation: z
    .array(z.strictObject({ feature: z.string(), value: z.number(), fill: z.number() }))
    .optional(),
  /**
   * Features encoded piecewise-linear into the bins between `edges` (after the input transform),
   * in feature order; absent = none. The scaler then has one entry per network input.
   */
  encoding: z.array(z.strictObject({ feature: z.string(), edges: z.array(z.number()).min(3) })).optional(),
  /** A row is predicted positive iff its probability is ≥ this. */
  threshold: z.number().min(0).max(1),
  snapshotId: z.string().optional(),
  gitSha: z.string().optional(),
  backend: z.string(),
  seed: z.number().int(),
  createdAt: z.iso.datetime(),
});

export type BundleManifest = z.output<typeof BundleManifestSchema>;

/** `percentiles.json`. */
export const PercentilesSchema = z.strictObject({
  quantiles: z.array(z.number()).min(2),
});
