import { findBundleDirs } from './assert-finite-model.js';
import { loadBundle } from './load-bundle.js';

/**
 * Loads every bundle in a folder (a bundle, or a training output with one per division) and so
 * checks each with `assertFiniteModel` (`loadBundle` does). A folder with no bundle in it (a
 * registry test's opaque files) passes: there is nothing to score with.
 *
 * @returns the bundle folders checked.
 * @throws NonFiniteModelError for a bundle with a non-finite weight or probe output;
 *   InputError for a bundle that cannot be read.
 */
export async function assertFiniteModelsIn(dir: string): Promise<string[]> {
  const dirs = findBundleDirs(dir);
  for (const bundle of dirs) await loadBundle(bundle);
  return dirs;
}
