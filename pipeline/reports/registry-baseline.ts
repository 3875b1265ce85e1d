import { existsSync, statSync } from 'node:fs';
import { connectAzureMl } from '../azureml/create-client.js';
import { loadDeploymentConfig } from '../config/deployment-config.js';
import { RegistryError } from '../errors/RegistryError.js';
import { createRegistry, type RegistryKind } from '../registry/create-registry.js';
import { parseModelRef } from '../registry/model-registry.js';
import { oppPath } from '../util/opp-home.js';
import { defaultConfigPath } from '../util/package-root.js';

/** A comparison baseline: a training output folder, and where it came from. */
export interface Baseline {
  dir: string;
  source: 'registry' | 'base-commit';
  /** `name:version` when it came from the registry. */
  modelVersion?: string;
}

/**
 * Resolves `--baseline`: a training output folder as it is, or a registry reference
 * (`name:version`, `name:production`) downloaded once to `$OPP_HOME/baselines/` — a registered
 * training output keeps its metrics.json, bundles and holdout.json, so it compares like a folder.
 *
 * @param registryKind - which registry (default: configs/deployment.json's).
 * @throws RegistryError when the model has no such version.
 */
export async function resolveBaseline(value: string, registryKind?: RegistryKind): Promise<Baseline> {
  if (existsSync(value) && statSync(value).isDirectory()) return { dir: value, source: 'base-commit' };
  const ref = parseModelRef(value);
  if (!ref) {
    throw new RegistryError(
      `--baseline "${value}" is neither a training output folder nor a registry reference (<name>:<version> or <name>:production)`,
    );
  }
  const { name, version: wanted } = ref;
  const kind = registryKind ?? loadDeploymentConfig(defaultConfigPath('deployment.json')).registry;
  const registry = await createRegistry(kind, () => connectAzureMl());
  const version =
    wanted === 'production' ? await registry.getProduction(name) : await registry.getVersion(name, wanted);
  if (!version)
    throw new RegistryError(
      `model ${name} has no ${wanted === 'production' ? 'production version' : `version ${wanted}`}`,
      name,
    );
  const dir = oppPath('baselines', `${name}-v${version.version}`);
  if (!existsSync(dir)) await registry.downloadVersion(name, version.version, dir);
  return { dir, source: 'registry', modelVersion: `${name}:${version.version}` };
}
