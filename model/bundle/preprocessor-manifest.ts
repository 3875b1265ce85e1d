import { InputError } from '../../pipeline/errors/InputError.js';
import type { MlpWeights } from '../network/mlp-weights.js';
import { encodedWidth } from '../training/piecewise-linear.js';
import type { Preprocessor } from '../training/preprocessor.js';
import type { BundleManifest } from './bundle-manifest.js';

/** The preprocessing part of bundle.json: columns by feature name, empty parts left out. */
export type PreprocessorManifest = Pick<
  BundleManifest,
  'scaler' | 'inputTransform' | 'imputation' | 'encoding'
>;

/** A fitted preprocessor as bundle.json writes it. */
export function preprocessorToManifest(
  pre: Preprocessor,
  featureNames: readonly string[],
): PreprocessorManifest {
  return {
    scaler: pre.scaler,
    inputTransform: pre.inputTransform,
    ...(pre.imputation
      ? {
          imputation: pre.imputation.map(({ column, value, fill }) => ({
            feature: featureNames[column]!,
            value,
            fill,
          })),
        }
      : {}),
    ...(pre.encoding
      ? { encoding: pre.encoding.map(({ column, edges }) => ({ feature: featureNames[column]!, edges })) }
      : {}),
  };
}

/**
 * The preprocessor of a bundle, checked against its features and network: bundles from before
 * a part existed read as without it (plain standardisation).
 * @throws InputError naming the bundle's division and what does not fit.
 */
export function preprocessorFromManifest(manifest: BundleManifest, weights: MlpWeights): Preprocessor {
  const { featureNames, division } = manifest;
  const columnOf = (feature: string, part: string): number => {
    const column = featureNames.indexOf(feature);
    if (column < 0)
      throw new InputError(
        `bundle for division ${division}: its ${part} names "${feature}", not one of its features`,
      );
    return column;
  };
  const imputation = (manifest.imputation ?? []).map(({ feature, value, fill }) => ({
    column: columnOf(feature, 'imputation'),
    value,
    fill,
  }));
  const encoding = (manifest.encoding ?? []).map(({ feature, edges }) => {
    if (!edges.every((e, i) => i === 0 || e > edges[i - 1]!))
      throw new InputError(
        `bundle for division ${division}: the bin edges of "${feature}" are not ascending`,
      );
    return { column: columnOf(feature, 'encoding'), edges };
  });
  const pre: Preprocessor = {
    ...(imputation.length > 0 ? { imputation } : {}),
    inputTransform: manifest.inputTransform ?? featureNames.map(() => 'none'),
    ...(encoding.length > 0 ? { encoding } : {}),
    scaler: manifest.scaler,
  };
  const d = featureNames.length;
  const width = encodedWidth(d, encoding);
  const { mean, std } = pre.scaler;
  const networkInputs = weights.layers[0]?.inputs;
  if (
    pre.inputTransform.length !== d ||
    mean.length !== width ||
    std.length !== width ||
    networkInputs !== width
  ) {
    throw new InputError(
      `bundle for division ${division}: ${d} features make ${width} network inputs, but its input transform has ` +
        `${pre.inputTransform.length} entries, its scaler ${mean.length}/${std.length} and its network ${networkInputs} inputs`,
    );
  }
  return pre;
}
