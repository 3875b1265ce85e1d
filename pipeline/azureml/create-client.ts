import type { TokenCredential } from '@azure/identity';
import type { ContainerClient } from '@azure/storage-blob';
import type { AzureMlClient, BlobDatastore } from './azureml-client.js';
import { AZURE_ARM_ENDPOINT_ENV, workspaceFromEnv } from './workspace-env.js';

/** What the CLI needs to reach Azure ML; tests inject a fake credential and containers. */
export interface AzureConnection {
  client: AzureMlClient;
  credential: TokenCredential;
  /** The blob container behind a datastore. */
  containerFor: (datastore: BlobDatastore) => ContainerClient;
}

/** Overrides for {@link connectAzureMl}. */
export interface AzureConnectionOverrides {
  /** Default: `new DefaultAzureCredential()` (azure/login OIDC in Actions, `az login` locally). */
  credential?: TokenCredential;
  containerFor?: (datastore: BlobDatastore) => ContainerClient;
  env?: NodeJS.ProcessEnv;
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

/**
 * Connects to the workspace named by AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and
 * AZUREML_WORKSPACE (AZURE_ARM_ENDPOINT overrides the ARM URL). No secret is read or logged:
 * tokens come from the credential. The Azure SDKs are imported here, on first use, so that
 * local-only commands start fast.
 */
export async function connectAzureMl(overrides: AzureConnectionOverrides = {}): Promise<AzureConnection> {
  const env = overrides.env ?? process.env;
  const workspace = workspaceFromEnv(env);
  const credential = overrides.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
  const endpoint = env[AZURE_ARM_ENDPOINT_ENV];
  const { createArmAzureMlClient } = await import('./arm-client.js');
  const client = createArmAzureMlClient(workspace, credential, {
    ...(endpoint ? { endpoint } : {}),
    ...(overrides.retryOptions ? { retryOptions: overrides.retryOptions } : {}),
  });
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const containerFor =
    overrides.containerFor ??
    ((ds: BlobDatastore) =>
      new BlobServiceClient(
        `${ds.protocol}://${ds.accountName}.blob.${ds.endpoint}`,
        credential,
      ).getContainerClient(ds.containerName));
  return { client, credential, containerFor };
}
