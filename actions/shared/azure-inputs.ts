import * as core from '@actions/core';
import {
  AZURE_ARM_ENDPOINT_ENV,
  AZURE_RESOURCE_GROUP_ENV,
  AZURE_SUBSCRIPTION_ID_ENV,
  AZUREML_WORKSPACE_ENV,
} from '../../pipeline/azureml/workspace-env.js';

/** Inputs every Azure-using action declares, and the env var the library reads each from. */
const AZURE_INPUTS: [input: string, env: string][] = [
  ['azure-subscription-id', AZURE_SUBSCRIPTION_ID_ENV],
  ['azure-resource-group', AZURE_RESOURCE_GROUP_ENV],
  ['azureml-workspace', AZUREML_WORKSPACE_ENV],
  ['azure-arm-endpoint', AZURE_ARM_ENDPOINT_ENV],
];

/**
 * Copies the workspace inputs into the env vars the library reads (`connectAzureMl`); an
 * empty input leaves the variable as the workflow set it. The subscription id is masked.
 * Credentials never pass through inputs: `DefaultAzureCredential` picks up azure/login (OIDC).
 */
export function applyAzureInputs(env: NodeJS.ProcessEnv = process.env): void {
  for (const [input, name] of AZURE_INPUTS) {
    const value = core.getInput(input);
    if (value === '') continue;
    if (name === AZURE_SUBSCRIPTION_ID_ENV) core.setSecret(value);
    env[name] = value;
  }
}
