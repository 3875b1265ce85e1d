import {
  AzureMachineLearningWorkspaces,
  getContinuationToken,
  type ManagedOnlineDeployment,
  type ModelVersion,
  type OnlineDeployment,
  type OnlineEndpoint,
} from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';
import { AzureMlError } from '../errors/AzureMlError.js';
import { trimTrailingSlashes } from '../util/trim-trailing-slashes.js';
import {
  type AzureMlClient,
  type AzureMlWorkspace,
  type BlobDatastore,
  type DeploymentResource,
  type LroOptions,
  workspaceResourceId,
} from './azureml-client.js';
import { toDeployment, toEndpoint, toJob, toModel } from './internal/arm-mappers.js';
import { useTokenPolicyForHttp } from './internal/http-token-policy.js';
import { commandJobRequest, putJob } from './internal/job-request.js';

/** Default ARM endpoint. */
export const AZURE_ARM_ENDPOINT = 'https://management.azure.com';

/**
 * The Azure ML REST api-version opp sends. The SDK 2.1.1 defaults to 2022-10-01; opp sends
 * 2024-04-01 instead: a stable (GA) version, the one whose published description
 * (Azure/azure-rest-api-specs, mfe.json) tests/contracts/ vendors and the test fake validates
 * every request and response against. The shapes opp sends exist unchanged in both versions.
 */
export const AZUREML_API_VERSION = '2024-04-01';

/** Options of {@link createArmAzureMlClient}. */
export interface ArmAzureMlClientOptions {
  /** ARM endpoint. Default https://management.azure.com; an `http://127.0.0.1` URL is allowed for a local fake. */
  endpoint?: string;
  /** REST api-version. Default {@link AZUREML_API_VERSION}. */
  apiVersion?: string;
  /** Retry settings of the HTTP pipeline (429 with Retry-After, 5xx). Default: the SDK's. */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

/**
 * The {@link AzureMlClient} on `@azure/arm-machinelearning` 2.1.1.
 *
 * @param credential - usually `new DefaultAzureCredential()`; tests inject a fake one.
 */
export function createArmAzureMlClient(
  workspace: AzureMlWorkspace,
  credential: TokenCredential,
  options: ArmAzureMlClientOptions = {},
): AzureMlClient {
  const endpoint = options.endpoint ?? AZURE_ARM_ENDPOINT;
  const insecure = endpoint.startsWith('http://');
  // Tokens are for the ARM audience of the cloud in use; a local fake accepts the public cloud's.
  const scope = `${insecure ? AZURE_ARM_ENDPOINT : trimTrailingSlashes(endpoint)}/.default`;
  const apiVersion = options.apiVersion ?? AZUREML_API_VERSION;
  const sdk = new AzureMachineLearningWorkspaces(credential, workspace.subscriptionId, {
    $host: endpoint,
    endpoint,
    credentialScopes: scope,
    apiVersion,
    ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
    allowInsecureConnection: insecure,
  });
  if (insecure) useTokenPolicyForHttp(sdk.pipeline, credential, scope);
  const rg = workspace.resourceGroup;
  const ws = workspace.workspaceName;
  const lro = (o: LroOptions) => ({
    ...(o.pollIntervalMs !== undefined ? { updateIntervalInMs: o.pollIntervalMs } : {}),
    ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}),
  });

  return {
    workspace,
    async getDefaultDatastore(): Promise<BlobDatastore> {
      return call('find the default datastore', async () => {
        for await (const ds of sdk.datastores.list(rg, ws, { isDefault: true })) {
          const p = ds.properties as { datastoreType: string; isDefault?: boolean } & Partial<BlobDatastore>;
          if (p.datastoreType !== 'AzureBlob' || p.isDefault === false) continue;
          return {
            name: ds.name ?? 'workspaceblobstore',
            accountName: p.accountName ?? '',
            containerName: p.containerName ?? '',
            endpoint: p.endpoint ?? 'core.windows.net',
            protocol: p.protocol ?? 'https',
          };
        }
        throw new AzureMlError(`workspace ${ws} has no default blob datastore`);
      });
    },
    async getModelVersion(name, version) {
      return orUndefined(() => sdk.modelVersions.get(rg, ws, name, version).then(toModel));
    },
    async putModelVersion(model, o = {}) {
      const body: ModelVersion = {
        properties: {
          ...(model.description !== undefined ? { description: model.description } : {}),
          tags: model.tags,
          properties: model.properties,
          modelType: model.modelType ?? 'custom_model',
          ...(model.modelUri !== undefined ? { modelUri: model.modelUri } : {}),
        },
      };
      return call(`create model version ${model.name}:${model.version}`, async () =>
        toModel(
          await sdk.modelVersions.createOrUpdate(
            rg,
            ws,
            model.name,
            model.version,
            body,
            o.createOnly ? { requestOptions: { customHeaders: { 'If-None-Match': '*' } } } : {},
          ),
        ),
      );
    },
    async listModelVersionsPage(name, o = {}) {
      return call(`list versions of ${name}`, async () => {
        const pages = sdk.modelVersions
          .list(rg, ws, name, {
            ...(o.top !== undefined ? { top: o.top } : {}),
            ...(o.tags !== undefined ? { tags: o.tags } : {}),
          })
          .byPage(o.continuationToken ? { continuationToken: o.continuationToken } : {});
        const first = await pages.next();
        if (first.done) return { items: [] };
        const page = first.value as ModelVersion[];
        const token = getContinuationToken(page);
        return { items: page.map(toModel), ...(token ? { continuationToken: token } : {}) };
      });
    },
    async putCommandJob(name, spec) {
      // Not sdk.jobs.createOrUpdate: its serializer drops the `uri` of uri_folder inputs (see job-request.ts).
      const url = `${trimTrailingSlashes(endpoint)}${workspaceResourceId(workspace, `jobs/${encodeURIComponent(name)}`)}`;
      return call(`submit job ${name}`, async () =>
        toJob(await putJob(sdk, url, apiVersion, commandJobRequest(spec))),
      );
    },
    async getJob(name) {
      return call(`read job ${name}`, async () => toJob(await sdk.jobs.get(rg, ws, name)));
    },
    async getEndpoint(name) {
      return orUndefined(() => sdk.onlineEndpoints.get(rg, ws, name).then(toEndpoint));
    },
    async putEndpoint(endpoint, o = {}) {
      const body: OnlineEndpoint = {
        location: endpoint.location,
        tags: endpoint.tags,
        properties: { authMode: endpoint.authMode, traffic: endpoint.traffic },
      };
      return call(`create or update endpoint ${endpoint.name}`, async () =>
        toEndpoint(await sdk.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, endpoint.name, body, lro(o))),
      );
    },
    async listEndpointKeys(name) {
      return call(`list keys of endpoint ${name}`, async () => {
        const keys = await sdk.onlineEndpoints.listKeys(rg, ws, name);
        return {
          ...(keys.primaryKey ? { primaryKey: keys.primaryKey } : {}),
          ...(keys.secondaryKey ? { secondaryKey: keys.secondaryKey } : {}),
        };
      });
    },
    async getDeployment(endpoint, name) {
      return orUndefined(() => sdk.onlineDeployments.get(rg, ws, endpoint, name).then(toDeployment));
    },
    async listDeployments(endpoint) {
      return call(`list deployments of ${endpoint}`, async () => {
        const out: DeploymentResource[] = [];
        for await (const d of sdk.onlineDeployments.list(rg, ws, endpoint)) out.push(toDeployment(d));
        return out;
      });
    },
    async putDeployment(endpoint, name, spec, o = {}) {
      const properties: ManagedOnlineDeployment = {
        endpointComputeType: 'Managed',
        model: spec.modelId,
        environmentId: spec.environmentId,
        environmentVariables: spec.environmentVariables,
        instanceType: spec.instanceType,
      };
      const body: OnlineDeployment = {
        location: spec.location,
        tags: spec.tags,
        properties,
        sku: { name: 'Default', capacity: spec.instanceCount },
      };
      return call(`create deployment ${endpoint}/${name}`, async () =>
        toDeployment(
          await sdk.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, endpoint, name, body, lro(o)),
        ),
      );
    },
    async deleteDeployment(endpoint, name, o = {}) {
      await call(`delete deployment ${endpoint}/${name}`, () =>
        sdk.onlineDeployments.beginDeleteAndWait(rg, ws, endpoint, name, lro(o)),
      );
    },
    async getDeploymentLogs(endpoint, name, tail) {
      return call(`read logs of ${endpoint}/${name}`, async () => {
        const logs = await sdk.onlineDeployments.getLogs(rg, ws, endpoint, name, {
          containerType: 'InferenceServer',
          tail,
        });
        return logs.content ?? '';
      });
    },
  };
}

/** Runs an SDK call, turning service errors into {@link AzureMlError} (status and code kept). */
async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AzureMlError) throw error;
    const { statusCode, code } = restDetails(error);
    const message = error instanceof Error ? error.message : String(error);
    throw new AzureMlError(
      `Azure ML: cannot ${what}: ${message}`,
      {
        ...(statusCode !== undefined ? { statusCode } : {}),
        ...(code !== undefined ? { code } : {}),
      },
      { cause: error },
    );
  }
}

/** Like {@link call}, but a 404 answers `undefined`. */
async function orUndefined<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (restDetails(error).statusCode === 404) return undefined;
    return call('read resource', () => Promise.reject(error));
  }
}

function restDetails(error: unknown): { statusCode?: number; code?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as { statusCode?: unknown; code?: unknown };
  return {
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}
