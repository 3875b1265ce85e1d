import { createHash } from 'node:crypto';
import { canonicalJson } from '../../pipeline/util/canonical-json.js';
import type { BundleContents } from './save-bundle.js';

/**
 * SHA-256 (hex) of what a model scores with: its manifest (canonical JSON: scaler, threshold,
 * transforms, provenance), the bytes of every layer's weights and bias, and the percentile
 * mapping. Two bundles that differ in any weight never share it, so it can stand for the model's
 * version where no registry version is given (`loadModelSet`).
 */
export function modelDigest(contents: BundleContents): string {
  const hash = createHash('sha256').update(canonicalJson(contents.manifest));
  const bytes = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const layer of contents.weights.layers) {
    hash.update(`\nlayer ${layer.inputs}x${layer.units} ${layer.activation}\n`);
    hash.update(bytes(layer.weights));
    hash.update(bytes(layer.bias));
  }
  hash.update('\npercentiles\n');
  hash.update(bytes(Float64Array.from(contents.percentiles)));
  return hash.digest('hex');
}
