import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_VERSION, BundleFiles } from '../../model/bundle/bundle-manifest.js';
import { type BundleContents, saveBundle } from '../../model/bundle/save-bundle.js';
import { initMlpWeights } from '../../model/network/mlp-weights.js';
import { compileFeatureSpec, hashSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { listBundleFiles } from '../../pipeline/registry/internal/bundle-files.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { Random } from '../../pipeline/util/random.js';
import { smallConfig } from '../model/helpers/synthetic.js';
import { sampleMetricsReport } from './bundle-fixture.js';

/**
 * A small, untrained but complete bundle (default feature spec, one hidden layer of 4 units,
 * random weights from `seed`): loads, scores and registers like a trained one, in milliseconds.
 */
export function tinyBundleContents(division = 0, seed = 1): BundleContents {
  const featureSpec = loadFeatureSpec(defaultConfigPath('features.json'));
  const featureNames = [...compileFeatureSpec(featureSpec).featureNames];
  const d = featureNames.length;
  const weights = initMlpWeights({ inputs: d, hidden: [{ units: 4, activation: 'relu' }] }, new Random(seed));
  const report = sampleMetricsReport();
  report.specHash = hashSpec(featureSpec);
  return {
    manifest: {
      version: BUNDLE_VERSION,
      division,
      name: division === 0 ? 'general' : `division-${division}`,
      featureNames,
      specHash: hashSpec(featureSpec),
      configHash: 'config-hash',
      scaler: { mean: new Array(d).fill(0), std: new Array(d).fill(1) },
      threshold: 0.5,
      backend: 'cpu',
      seed,
      createdAt: '2026-12-01T00:00:00.000Z',
    },
    weights,
    percentiles: Array.from({ length: 101 }, (_, i) => i / 100),
    featureSpec,
    config: smallConfig(),
    metrics: report,
  };
}

/**
 * Writes a training output folder (`metrics.json` and the general model's bundle in `0/`)
 * into a new temp folder and returns it.
 */
export async function writeTinyOutput(seed = 1): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'opp-tiny-'));
  const contents = tinyBundleContents(0, seed);
  await mkdir(out, { recursive: true });
  await saveBundle(join(out, '0'), contents);
  await writeFile(join(out, 'metrics.json'), `${JSON.stringify(contents.metrics, null, 2)}\n`);
  return out;
}

/**
 * Overwrites float `index` of a bundle's `weights.bin` with `value` (NaN by default), as a
 * diverged training run or a tampered file would leave it. The bundle stays well-formed.
 */
export function poisonWeights(bundle: string, index = 0, value = Number.NaN): void {
  const file = join(bundle, BundleFiles.weights);
  const bytes = readFileSync(file);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  floats[index] = value;
  writeFileSync(file, new Uint8Array(floats.buffer));
}

/**
 * Adds `dir` to a local registry as the next version of `name` without the registry's checks,
 * as a version registered before they existed (or by another tool) would be: its blobs and
 * manifest written as `LocalModelRegistry` writes them.
 * @returns the version number.
 */
export async function registerUnchecked(registryRoot: string, name: string, dir: string): Promise<string> {
  const files = await listBundleFiles(dir);
  for (const file of files) {
    const blob = join(registryRoot, 'blobs', 'sha256', file.sha256.slice(0, 2), file.sha256);
    await mkdir(join(blob, '..'), { recursive: true });
    await copyFile(join(dir, ...file.path.split('/')), blob);
  }
  const models = join(registryRoot, 'models', name);
  await mkdir(models, { recursive: true });
  const taken = (await readdir(models)).filter((e) => /^\d+$/.test(e)).map(Number);
  const version = String(Math.max(0, ...taken) + 1);
  await mkdir(join(models, version));
  const manifest = {
    name,
    version,
    stage: 'candidate',
    tags: {},
    lineage: {},
    createdAt: new Date().toISOString(),
    files,
  };
  await writeFile(join(models, version, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return version;
}
