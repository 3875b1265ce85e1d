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
