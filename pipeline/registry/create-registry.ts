import type { AzureConnection } from '../azureml/create-client.js';
import { LocalModelRegistry } from './LocalModelRegistry.js';
import type { ModelRegistry } from './model-registry.js';

/** Registry kinds, as named in configs/deployment.json (`registry`) and `--registry`. */
export type RegistryKind = 'local' | 'azureml';

/**
 * The registry of a kind: `local` under `$OPP_HOME/registry`, `azureml` on the workspace
 * (`azure` is called only for that kind, so local use never needs Azure settings or SDKs).
 */
export async function createRegistry(
  kind: RegistryKind,
  azure: () => Promise<AzureConnection>,
): Promise<ModelRegistry> {
  if (kind === 'local') return new LocalModelRegistry();
  const connection = await azure();
  const { AzureMlModelRegistry } = await import('./AzureMlModelRegistry.js');
  return new AzureMlModelRegistry(connection.client, {
    credential: connection.credential,
    containerClient: connection.containerFor,
  });
}
