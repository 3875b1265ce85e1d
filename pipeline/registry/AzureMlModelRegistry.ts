import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { assertFiniteModelsIn } from '../../model/bundle/assert-finite-models-in.js';
import {
  type AzureMlClient,
  type BlobDatastore,
  datastoreUri,
  type ModelVersionResource,
  parseDatastoreUri,
} from '../azureml/azureml-client.js';
import { isAzureMlError } from '../errors/AzureMlError.js';
import { RegistryError } from '../errors/RegistryError.js';
import { assertSafeBundlePath, hashFile, listBundleFiles } from './internal/bundle-files.js';
import { archiveOtherProductions, findProduction } from './internal/production-stage.js';
import {
  type BundleFile,
  checkRegistration,
  type ListVersionsOptions,
  MODEL_STAGES,
  type ModelLineage,
  type ModelRegistry,
  type ModelStage,
  type ModelVersion,
  RESERVED_TAG_PREFIX,
  type RegisterVersionOptions,
} from './model-registry.js';
import { createPagedIterable, type PagedAsyncIterable } from './paging.js';

/** Tag keys opp writes on Azure ML model versions (under RESERVED_TAG_PREFIX). */
export const AML_TAGS = {
  stage: 'opp.stage',
  snapshotId: 'opp.snapshotId',
  gitSha: 'opp.gitSha',
  configHash: 'opp.configHash',
  specHash: 'opp.specHash',
  /** Prefix of one tag per lineage metric, e.g. `opp.metric.auc`. */
  metricPrefix: 'opp.metric.',
} as const;
const PROP_FILES = 'opp.files';
const PROP_CREATED = 'opp.createdAt';
const LINEAGE_KEYS = ['snapshotId', 'gitSha', 'configHash', 'specHash'] as const;
/** Answers to a conditional create when the version exists already. */
const LOST_RACE_STATUS = [409, 412];
/** Versions tried after a lost race for a version number. */
const MAX_VERSION_ATTEMPTS = 20;

/** Options of {@link AzureMlModelRegistry}. */
export interface AzureMlModelRegistryOptions {
  /** Credential for the default datastore's blob container (usually DefaultAzureCredential). */
  credential?: TokenCredential;
  /**
   * Builds the container client of a datastore. Default:
   * `{protocol}://{account}.blob.{endpoint}/{container}` with `credential`. Tests point it at Azurite.
   */
  containerClient?: (datastore: BlobDatastore) => ContainerClient;
  /** Folder in the datastore for bundles. Default `opp-models`. */
  blobPrefix?: string;
}

/**
 * Model registry on Azure ML: bundle files go to the workspace's default datastore (blob),
 * each version is an Azure ML model version whose tags carry the lineage and the stage, and
 * whose immutable properties list the files with their hashes. Version numbers are the next
 * free number; a registration that loses a race to the same number retries with the next
 * (the bundle is uploaded under a unique folder first, so nothing is overwritten).
 */
export class AzureMlModelRegistry implements ModelRegistry {
  readonly kind = 'azureml';
  private container?: Promise<{ datastore: BlobDatastore; client: ContainerClient }>;

  constructor(
    private readonly client: AzureMlClient,
    private readonly options: AzureMlModelRegistryOptions = {},
  ) {}

  async registerVersion(
    name: string,
    bundleDir: string,
    lineage: ModelLineage,
    options: RegisterVersionOptions = {},
  ): Promise<ModelVersion> {
    const tags = options.tags ?? {};
    checkRegistration(name, tags);
    const files = await listBundleFiles(bundleDir);
    await assertFiniteModelsIn(bundleDir);
    const { datastore, client } = await this.getContainer();
    const folder = `${this.options.blobPrefix ?? 'opp-models'}/${name}/${randomUUID()}/`;
    for (const file of files) {
      options.abortSignal?.throwIfAborted();
      await client
        .getBlockBlobClient(folder + file.path)
        .uploadFile(join(bundleDir, ...file.path.split('/')));
    }
    const resource: ModelVersionResource = {
      name,
      version: '',
      description: `opp model bundle${lineage.snapshotId ? ` (snapshot ${lineage.snapshotId})` : ''}`,
      tags: { ...tags, ...lineageTags(lineage), [AML_TAGS.stage]: 'candidate' },
      properties: { [PROP_FILES]: JSON.stringify(files), [PROP_CREATED]: new Date().toISOString() },
      modelUri: datastoreUri(this.client.workspace, datastore.name, folder),
      modelType: 'custom_model',
    };
    let version = (await this.latestVersionNumber(name)) + 1;
    for (let attempt = 0; attempt < MAX_VERSION_ATTEMPTS; attempt++, version++) {
      if (await this.client.getModelVersion(name, String(version))) continue;
      let created: ModelVersion;
      try {
        const put = await this.client.putModelVersion(
          { ...resource, version: String(version) },
          { createOnly: true },
        );
        created = toModelVersion(put, name);
      } catch (error) {
        // Another registration took this number between our read and our write: take the next.
        if (isAzureMlError(error) && LOST_RACE_STATUS.includes(error.details.statusCode ?? 0)) continue;
        throw error;
      }
      const stage = options.stage ?? 'candidate';
      return stage === 'candidate' ? created : this.setStage(name, created.version, stage);
    }
    throw new RegistryError(`could not find a free version number for ${name}`, name);
  }

  async getVersion(name: string, version: string): Promise<ModelVersion> {
    const resource = await this.client.getModelVersion(name, version);
    if (!resource)
      throw new RegistryError(`model ${name} has no version ${version} in Azure ML`, name, version);
    return toModelVersion(resource, name);
  }

  listVersions(name: string, options: ListVersionsOptions = {}): PagedAsyncIterable<ModelVersion> {
    return createPagedIterable(async (token, size) => {
      const page = await this.client.listModelVersionsPage(name, {
        top: size,
        ...(token ? { continuationToken: token } : {}),
        ...(options.stage ? { tags: `${AML_TAGS.stage}=${options.stage}` } : {}),
      });
      const items = page.items
        .map((r) => toModelVersion(r, name))
        .filter((v) => !options.stage || v.stage === options.stage);
      return { items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
    });
  }

  async setStage(name: string, version: string, stage: ModelStage): Promise<ModelVersion> {
    const target = await this.client.getModelVersion(name, version);
    if (!target)
      throw new RegistryError(`model ${name} has no version ${version} in Azure ML`, name, version);
    if (stage === 'production')
      await archiveOtherProductions(this, name, version, async (other) => {
        const resource = await this.client.getModelVersion(name, other);
        if (resource) await this.client.putModelVersion(withStage(resource, name, 'archived'));
      });
    return toModelVersion(await this.client.putModelVersion(withStage(target, name, stage)), name);
  }

  getProduction(name: string): Promise<ModelVersion | undefined> {
    return findProduction(this, name);
  }

  async downloadVersion(name: string, version: string, dir: string): Promise<string> {
    const model = await this.getVersion(name, version);
    const location = parseDatastoreUri(model.uri);
    if (!location)
      throw new RegistryError(
        `${name}:${version}: model URI ${model.uri} is not a datastore path`,
        name,
        version,
      );
    const { client } = await this.getContainer();
    for (const file of model.files) {
      assertSafeBundlePath(file.path);
      const target = join(dir, ...file.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await client.getBlockBlobClient(location.path + file.path).downloadToFile(target);
      if ((await hashFile(target)) !== file.sha256) {
        throw new RegistryError(`${name}:${version}: ${file.path} does not match its hash`, name, version);
      }
    }
    return dir;
  }

  private async latestVersionNumber(name: string): Promise<number> {
    let max = 0;
    for await (const v of this.listVersions(name)) max = Math.max(max, Number(v.version) || 0);
    return max;
  }

  private getContainer(): Promise<{ datastore: BlobDatastore; client: ContainerClient }> {
    this.container ??= this.client.getDefaultDatastore().then((datastore) => ({
      datastore,
      client: this.options.containerClient
        ? this.options.containerClient(datastore)
        : this.defaultContainer(datastore),
    }));
    return this.container;
  }

  private defaultContainer(datastore: BlobDatastore): ContainerClient {
    if (!this.options.credential)
      throw new RegistryError('AzureMlModelRegistry needs a credential for the datastore');
    const url = `${datastore.protocol}://${datastore.accountName}.blob.${datastore.endpoint}`;
    return new BlobServiceClient(url, this.options.credential).getContainerClient(datastore.containerName);
  }
}

function lineageTags(lineage: ModelLineage): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const key of LINEAGE_KEYS) if (lineage[key] !== undefined) tags[AML_TAGS[key]] = lineage[key];
  for (const [metric, value] of Object.entries(lineage.metrics ?? {}))
    tags[AML_TAGS.metricPrefix + metric] = String(value);
  return tags;
}

function withStage(resource: ModelVersionResource, name: string, stage: ModelStage): ModelVersionResource {
  return { ...resource, name, tags: { ...resource.tags, [AML_TAGS.stage]: stage } };
}

/** Reads our view of a version back from its tags and properties. */
function toModelVersion(resource: ModelVersionResource, name: string): ModelVersion {
  const tags: Record<string, string> = {};
  const lineage: ModelLineage = {};
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(resource.tags)) {
    if (key.startsWith(AML_TAGS.metricPrefix))
      metrics[key.slice(AML_TAGS.metricPrefix.length)] = Number(value);
    else if (!key.startsWith(RESERVED_TAG_PREFIX)) tags[key] = value;
  }
  for (const key of LINEAGE_KEYS) {
    const value = resource.tags[AML_TAGS[key]];
    if (value !== undefined) lineage[key] = value;
  }
  if (Object.keys(metrics).length > 0) lineage.metrics = metrics;
  const stage = resource.tags[AML_TAGS.stage] as ModelStage | undefined;
  let files: BundleFile[] = [];
  try {
    files = JSON.parse(resource.properties[PROP_FILES] ?? '[]') as BundleFile[];
  } catch {
    files = [];
  }
  return {
    name: resource.name || name,
    version: resource.version,
    stage: stage && MODEL_STAGES.includes(stage) ? stage : 'candidate',
    tags,
    lineage,
    createdAt: resource.properties[PROP_CREATED] ?? '',
    files,
    uri: resource.modelUri ?? '',
  };
}
