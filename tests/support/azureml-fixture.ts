import { ContainerClient } from '@azure/storage-blob';
import { createArmAzureMlClient } from '../../pipeline/azureml/arm-client.js';
import type { AzureMlClient, BlobDatastore } from '../../pipeline/azureml/azureml-client.js';
import type { AzuriteBlob } from './azurite-blob.js';
import { FAST_RETRY, type FakeAzureMl, fakeCredential } from './fake-azureml.js';

/** The real SDK client, pointed at the fake ARM server. */
export function clientFor(fake: FakeAzureMl): AzureMlClient {
  return createArmAzureMlClient(fake.workspace, fakeCredential, {
    endpoint: fake.url,
    retryOptions: FAST_RETRY,
  });
}

/** A container factory that maps the fake's default datastore onto Azurite (creating the container). */
export function azuriteContainers(azurite: AzuriteBlob): (datastore: BlobDatastore) => ContainerClient {
  return (datastore) => {
    const client = new ContainerClient(`${azurite.url}/${datastore.containerName}`, azurite.credential);
    const ensure = client.createIfNotExists();
    // Make every first use wait for the container (the registry calls this synchronously).
    const upload = client.getBlockBlobClient.bind(client);
    client.getBlockBlobClient = (name: string) => {
      const blob = upload(name);
      const uploadFile = blob.uploadFile.bind(blob);
      blob.uploadFile = async (...args) => {
        await ensure;
        return uploadFile(...args);
      };
      return blob;
    };
    return client;
  };
}
