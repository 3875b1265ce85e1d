import { ConfigError } from '../errors/ConfigError.js';
import type { AzureMlWorkspace } from './azureml-client.js';

/** Environment variables naming the Azure ML workspace (set by azure/login + the workflow). */
export const AZURE_SUBSCRIPTION_ID_ENV = 'AZURE_SUBSCRIPTION_ID';
export const AZURE_RESOURCE_GROUP_ENV = 'AZURE_RESOURCE_GROUP';
export const AZUREML_WORKSPACE_ENV = 'AZUREML_WORKSPACE';
/** ARM endpoint override (sovereign clouds, or a local fake in tests). Default https://management.azure.com. */
export const AZURE_ARM_ENDPOINT_ENV = 'AZURE_ARM_ENDPOINT';

/**
 * Reads the workspace from the environment.
 * @throws ConfigError naming every missing variable.
 */
export function workspaceFromEnv(env: NodeJS.ProcessEnv = process.env): AzureMlWorkspace {
  const names = [AZURE_SUBSCRIPTION_ID_ENV, AZURE_RESOURCE_GROUP_ENV, AZUREML_WORKSPACE_ENV];
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) {
    throw new ConfigError(`Azure ML workspace not configured: set ${missing.join(', ')}`);
  }
  return {
    subscriptionId: env[AZURE_SUBSCRIPTION_ID_ENV]!,
    resourceGroup: env[AZURE_RESOURCE_GROUP_ENV]!,
    workspaceName: env[AZUREML_WORKSPACE_ENV]!,
  };
}
