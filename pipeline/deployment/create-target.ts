import type { AzureConnection } from '../azureml/create-client.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { AzureMlDeploymentTarget } from './AzureMlDeploymentTarget.js';
import type { DeploymentTarget } from './deployment-target.js';
import { LocalDeploymentTarget } from './LocalDeploymentTarget.js';
import { createScoringProbe } from './scoring-probe.js';

const MS = 1000;

/** The deployment target of a kind, set up from configs/deployment.json. */
export async function createDeploymentTarget(
  kind: 'local' | 'azureml',
  config: DeploymentConfig,
  registry: ModelRegistry,
  azure: () => Promise<AzureConnection>,
): Promise<DeploymentTarget> {
  if (kind === 'local') {
    if (!config.local) throw new ConfigError('deployment config has no "local" section for --target local');
    return new LocalDeploymentTarget(registry, {
      serverCommand: config.local.serverCommand,
      healthPath: config.local.healthPath,
      readyTimeoutMs: config.local.readyTimeoutSeconds * MS,
      healthProbes: config.local.healthProbes,
    });
  }
  if (!config.azureml)
    throw new ConfigError('deployment config has no "azureml" section for --target azureml');
  const { location, environmentId, instanceType, instanceCount, authMode, pollSeconds, probe } =
    config.azureml;
  const { client } = await azure();
  return new AzureMlDeploymentTarget(client, {
    ...(probe ? { probe: createScoringProbe(client, { requests: probe.requests, body: probe.body }) } : {}),
    location,
    environmentId,
    instanceType,
    instanceCount,
    authMode,
    pollIntervalMs: pollSeconds * MS,
  });
}
