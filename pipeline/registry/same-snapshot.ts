import type { ModelRegistry, ModelStage, ModelVersion } from './model-registry.js';

/** Stages whose versions make a new registration on the same snapshot pointless. */
export const LIVE_STAGES: readonly ModelStage[] = ['production', 'candidate'];

/**
 * The newest version of `name` in one of `stages` (default: production and candidate) trained
 * on the data snapshot `snapshotId`, or `undefined`: a scheduled retrain on an unchanged
 * snapshot then registers nothing new (archived versions do not count: one could have been
 * rolled back for a reason the new training would share).
 */
export async function findVersionOnSnapshot(
  registry: ModelRegistry,
  name: string,
  snapshotId: string,
  stages: readonly ModelStage[] = LIVE_STAGES,
): Promise<ModelVersion | undefined> {
  let found: ModelVersion | undefined;
  for await (const version of registry.listVersions(name)) {
    if (stages.includes(version.stage) && version.lineage.snapshotId === snapshotId) found = version;
  }
  return found;
}

/** A model of a planned training and its live version on the snapshot, if any. */
export interface SnapshotCoverage {
  name: string;
  existing?: ModelVersion;
}

/**
 * Whether training on `snapshotId` can produce anything new for the models `names`: it cannot
 * when each has a live version on that snapshot ({@link findVersionOnSnapshot}, the test the
 * register step's skip-same-snapshot applies), so a scheduled retrain skips the training too.
 */
export async function snapshotCoverage(
  registry: ModelRegistry,
  names: readonly string[],
  snapshotId: string,
): Promise<{ changed: boolean; models: SnapshotCoverage[] }> {
  const models: SnapshotCoverage[] = [];
  for (const name of names)
    models.push({ name, existing: await findVersionOnSnapshot(registry, name, snapshotId) });
  return { changed: models.some((model) => !model.existing), models };
}
