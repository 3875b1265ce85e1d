import type { ModelRegistry, ModelVersion } from '../model-registry.js';

/**
 * Archives every production version of `name` except `keep`, through `archive`: the one rule
 * both registries keep when a version becomes production (at most one per name).
 */
export async function archiveOtherProductions(
  registry: Pick<ModelRegistry, 'listVersions'>,
  name: string,
  keep: string,
  archive: (version: string) => Promise<void>,
): Promise<void> {
  for await (const other of registry.listVersions(name, { stage: 'production' })) {
    if (other.version !== keep) await archive(other.version);
  }
}

/** The newest production version of `name` (normally the only one), or `undefined`. */
export async function findProduction(
  registry: Pick<ModelRegistry, 'listVersions'>,
  name: string,
): Promise<ModelVersion | undefined> {
  let found: ModelVersion | undefined;
  for await (const version of registry.listVersions(name, { stage: 'production' })) found = version;
  return found;
}
