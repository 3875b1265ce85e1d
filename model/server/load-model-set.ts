import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../pipeline/errors/InputError.js';
import { BundleFiles } from '../bundle/bundle-manifest.js';
import { modelDigest } from '../bundle/model-digest.js';
import { loadDivisionPredictors, REPORT_FILE } from '../bundle/training-output.js';
import { Predictor } from '../Predictor.js';
import type { ModelSet, ScoringModel } from './scoring-model.js';

/** A loaded bundle as the scoring server sees it. */
export function predictorModel(predictor: Predictor, version: string): ScoringModel {
  const { manifest } = predictor;
  return {
    identity: { name: manifest.name, version, division: manifest.division },
    spec: predictor.spec,
    threshold: predictor.threshold,
    probabilities: (features, rows) => predictor.probabilities(features, rows),
    percentile: (probability) => predictor.percentile(probability),
  };
}

/**
 * Loads the models to serve from a folder: a training output (`metrics.json` and a bundle per
 * division, fallback divisions served by the general model) or a single bundle. Azure ML
 * mounts a registered model a few folders down (`<name>/<version>/`), so a chain of single
 * folders is followed.
 *
 * @param version - the registry version; defaults to the first 12 hex digits of each bundle's
 *   `modelDigest` (manifest, weight bytes and percentiles: changed weights give a new version).
 * @throws InputError when the folder holds no models.
 * @throws NonFiniteModelError when a bundle has a non-finite weight or probe output (`loadBundle`).
 */
export async function loadModelSet(dir: string, version?: string): Promise<ModelSet> {
  const root = findModelRoot(dir);
  const models = new Map<number, ScoringModel>();
  const versionOf = (predictor: Predictor) => version ?? modelDigest(predictor.bundle).slice(0, 12);
  if (existsSync(join(root, REPORT_FILE)) && !existsSync(join(root, BundleFiles.manifest))) {
    const shared = new Map<Predictor, ScoringModel>();
    for (const [division, predictor] of await loadDivisionPredictors(root)) {
      const model = shared.get(predictor) ?? predictorModel(predictor, versionOf(predictor));
      shared.set(predictor, model);
      // A fallback division is answered by the general model, under the general model's identity.
      if (model.identity.division === division) models.set(division, model);
    }
  } else {
    const predictor = await Predictor.load(root);
    models.set(predictor.manifest.division, predictorModel(predictor, versionOf(predictor)));
  }
  return { models, source: root };
}

/** How far down Azure ML's mount (`<model name>/<version>/…`) a model folder is looked for. */
const MAX_MOUNT_DEPTH = 3;

function findModelRoot(dir: string): string {
  const isModel = (d: string) =>
    existsSync(join(d, REPORT_FILE)) || existsSync(join(d, BundleFiles.manifest));
  let current = dir;
  for (let depth = 0; depth <= MAX_MOUNT_DEPTH; depth++) {
    if (isModel(current)) return current;
    let folders: string[];
    try {
      folders = readdirSync(current, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(current, e.name));
    } catch (error) {
      throw new InputError(
        `${current}: cannot read the model folder (${(error as Error).message})`,
        current,
        undefined,
        {
          cause: error,
        },
      );
    }
    if (folders.length !== 1) break;
    current = folders[0]!;
  }
  throw new InputError(
    `${dir}: no model here (expected a training output with ${REPORT_FILE}, or a bundle with ${BundleFiles.manifest}, ` +
      'possibly inside a chain of single folders as Azure ML mounts it)',
    dir,
  );
}
