import type { DeploymentConfig } from '../config/deployment-config.js';
import { loadDivisionsConfig } from '../config/divisions-config.js';
import { ConfigError } from '../errors/ConfigError.js';
import { RegistryError } from '../errors/RegistryError.js';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import type { BlueGreenOptions } from './blue-green.js';

const MS = 1000;

/** What a caller (`opp deploy`, the deploy action) may override of configs/deployment.json. */
export interface RolloutOverrides {
  endpoint?: string | undefined;
  steps?: number[] | undefined;
  stepWaitSeconds?: number | undefined;
  keep?: number | undefined;
  /** Roll out this division only (per-division mode). */
  division?: number | undefined;
  /** configs/divisions.json, read in per-division mode. */
  divisionsConfig: string;
}

/** One endpoint of a rollout: its name and, in per-division mode, the division it serves. */
export interface RolloutEndpoint {
  name: string;
  division?: number;
}

/** A version number, or `production` for the registry's production version. */
export async function resolveModelVersion(
  registry: ModelRegistry,
  ref: { name: string; version: string },
): Promise<ModelVersion> {
  const model =
    ref.version === 'production'
      ? await registry.getProduction(ref.name)
      : await registry.getVersion(ref.name, ref.version);
  if (!model) throw new RegistryError(`model ${ref.name} has no production version`, ref.name);
  return model;
}

/**
 * The endpoints a rollout touches: the one endpoint in single-endpoint mode, else
 * `<endpoint>-d<id>` for each division of the divisions config (or only `overrides.division`).
 */
export function rolloutEndpoints(config: DeploymentConfig, overrides: RolloutOverrides): RolloutEndpoint[] {
  const endpoint = overrides.endpoint ?? config.endpoint;
  if (config.divisions.mode === 'single-endpoint') {
    if (overrides.division !== undefined)
      throw new ConfigError(
        `division ${overrides.division}: the deployment config is single-endpoint (one deployment serves all divisions)`,
      );
    return [{ name: endpoint }];
  }
  const ids = loadDivisionsConfig(overrides.divisionsConfig).divisions.map((d) => d.id);
  if (overrides.division !== undefined && !ids.includes(overrides.division))
    throw new ConfigError(
      `division ${overrides.division} is not in ${overrides.divisionsConfig} (${ids.join(', ')})`,
      overrides.divisionsConfig,
    );
  return ids
    .filter((id) => overrides.division === undefined || id === overrides.division)
    .map((id) => ({ name: `${endpoint}-d${id}`, division: id }));
}

/** The blue/green settings of one endpoint's rollout: the config's, with the caller's overrides. */
export function rolloutOptions(
  config: DeploymentConfig,
  overrides: RolloutOverrides,
  endpoint: RolloutEndpoint,
): BlueGreenOptions {
  return {
    steps: overrides.steps ?? config.traffic.steps,
    stepWaitMs: (overrides.stepWaitSeconds ?? config.traffic.stepWaitSeconds) * MS,
    maxErrorRate: config.traffic.maxErrorRate,
    healthTimeoutMs: config.traffic.healthTimeoutSeconds * MS,
    healthPollMs: config.traffic.healthPollSeconds * MS,
    keepDeployments: overrides.keep ?? config.keepDeployments,
    logTailLines: config.logTailLines,
    ...(endpoint.division !== undefined ? { division: endpoint.division } : {}),
  };
}
