import { AzureMlError } from '../errors/AzureMlError.js';

/**
 * Our own small view of the Azure ML workspace API: only the resources opp uses, in our own
 * types. The SDK (`@azure/arm-machinelearning`, only 1.0.0 and 2.1.1 exist on npm) stays behind
 * {@link createArmAzureMlClient}; a later SDK major is one new implementation of this interface.
 */

/** Identifies a workspace. */
export interface AzureMlWorkspace {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

/** The blob container behind a datastore. */
export interface BlobDatastore {
  name: string;
  accountName: string;
  containerName: string;
  /** Storage endpoint suffix, e.g. `core.windows.net`. */
  endpoint: string;
  protocol: string;
}

/** A model version resource (`…/models/{name}/versions/{version}`). */
export interface ModelVersionResource {
  name: string;
  version: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  modelUri?: string;
  modelType?: string;
}

/** A job input: a literal value or a data URI. */
export type JobInput = { type: 'literal'; value: string } | { type: 'uri_folder' | 'uri_file'; uri: string };

/** A job output; `uri` absent lets Azure ML pick the default datastore path. */
export interface JobOutput {
  type: 'uri_folder' | 'uri_file';
  uri?: string;
  mode?: 'ReadWriteMount' | 'Upload';
}

/** What a command job runs, where and on what. */
export interface CommandJobSpec {
  displayName: string;
  experimentName: string;
  description?: string;
  /** ARM id of the compute cluster. */
  computeId: string;
  /** ARM id of the environment version. */
  environmentId: string;
  command: string;
  inputs: Record<string, JobInput>;
  outputs: Record<string, JobOutput>;
  environmentVariables: Record<string, string>;
  tags: Record<string, string>;
  instanceCount: number;
  /** ISO 8601 duration, e.g. `PT2H`. */
  timeout: string;
}

/** Job states Azure ML reports; the last four are final. */
export const FINAL_JOB_STATES = ['Completed', 'Failed', 'Canceled', 'NotResponding'] as const;

/** A job as read back. */
export interface JobResource {
  name: string;
  status: string;
  displayName?: string;
  /** Output name → URI where Azure ML wrote it. */
  outputs: Record<string, { uri?: string }>;
  /** Link to the job in the studio, when the service gives one. */
  studioUrl?: string;
}

/** An online endpoint. */
export interface EndpointResource {
  name: string;
  location: string;
  authMode: 'Key' | 'AMLToken' | 'AADToken';
  /** Deployment name → percent of traffic. */
  traffic: Record<string, number>;
  tags: Record<string, string>;
  provisioningState?: string;
  scoringUri?: string;
}

/** What a managed online deployment runs. */
export interface DeploymentSpec {
  location: string;
  /** ARM id of the model version. */
  modelId: string;
  /** ARM id of the environment version (the custom serving container). */
  environmentId: string;
  instanceType: string;
  instanceCount: number;
  environmentVariables: Record<string, string>;
  tags: Record<string, string>;
}

/** A deployment as read back. */
export interface DeploymentResource {
  name: string;
  provisioningState?: string;
  modelId?: string;
  tags: Record<string, string>;
  environmentVariables: Record<string, string>;
}

/** Options of the calls that wait for a long-running operation. */
export interface LroOptions {
  /** Polling interval when the service gives no Retry-After. Default 2000 ms (SDK default). */
  pollIntervalMs?: number;
  abortSignal?: AbortSignal;
}

/** The Azure ML calls opp makes. Implementations throw `AzureMlError` on service failures. */
export interface AzureMlClient {
  readonly workspace: AzureMlWorkspace;
  /** The workspace's default datastore (a blob container). */
  getDefaultDatastore(): Promise<BlobDatastore>;
  getModelVersion(name: string, version: string): Promise<ModelVersionResource | undefined>;
  /**
   * Creates or updates a model version. With `createOnly`, sends `If-None-Match: *` so that a
   * version created meanwhile by someone else is not overwritten (409/412 → AzureMlError).
   */
  putModelVersion(
    model: ModelVersionResource,
    options?: { createOnly?: boolean },
  ): Promise<ModelVersionResource>;
  /** One page of versions of `name`; `tags` filters as `key=value[,key=value]`. */
  listModelVersionsPage(
    name: string,
    options?: { continuationToken?: string; top?: number; tags?: string },
  ): Promise<{ items: ModelVersionResource[]; continuationToken?: string }>;
  putCommandJob(name: string, spec: CommandJobSpec): Promise<JobResource>;
  getJob(name: string): Promise<JobResource>;
  getEndpoint(name: string): Promise<EndpointResource | undefined>;
  /** Creates or replaces an endpoint (also how traffic is changed) and waits for it. */
  putEndpoint(endpoint: EndpointResource, options?: LroOptions): Promise<EndpointResource>;
  listEndpointKeys(name: string): Promise<{ primaryKey?: string; secondaryKey?: string }>;
  getDeployment(endpoint: string, name: string): Promise<DeploymentResource | undefined>;
  listDeployments(endpoint: string): Promise<DeploymentResource[]>;
  /** Creates or replaces a deployment and waits until it is provisioned (or failed: throws). */
  putDeployment(
    endpoint: string,
    name: string,
    spec: DeploymentSpec,
    options?: LroOptions,
  ): Promise<DeploymentResource>;
  deleteDeployment(endpoint: string, name: string, options?: LroOptions): Promise<void>;
  /** The tail of a deployment's container log. */
  getDeploymentLogs(endpoint: string, name: string, tail: number): Promise<string>;
}

/** ARM id of a resource inside the workspace, e.g. `computes/gpu-cluster`. */
export function workspaceResourceId(workspace: AzureMlWorkspace, path: string): string {
  return (
    `/subscriptions/${workspace.subscriptionId}/resourceGroups/${workspace.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${workspace.workspaceName}/${path}`
  );
}

/**
 * An environment reference → the id the REST API takes. `name:version` and the CLI's
 * `azureml:name:version` shorthand become the ARM id of that environment version in the
 * workspace (the REST API takes ids: the 2024-04-01 description calls the job's environmentId
 * "the ARM resource ID of the Environment", the deployment's "ARM resource ID or AssetId"; the
 * shorthand is resolved by the CLI before it calls REST). ARM ids and registry asset ids
 * (`azureml://registries/…`) pass through.
 */
export function environmentResourceId(workspace: AzureMlWorkspace, environment: string): string {
  if (environment.startsWith('/subscriptions/') || environment.startsWith('azureml://registries/'))
    return environment;
  const match = /^(?:azureml:)?([^:/]+):([^:/]+)$/.exec(environment);
  if (!match)
    throw new AzureMlError(
      `environment "${environment}": expected name:version, azureml:name:version, an ARM id or azureml://registries/…`,
    );
  return workspaceResourceId(workspace, `environments/${match[1]}/versions/${match[2]}`);
}

/** `azureml://` URI of a path in a datastore (what model versions and job inputs point at). */
export function datastoreUri(workspace: AzureMlWorkspace, datastore: string, path: string): string {
  return (
    `azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}` +
    `/workspaces/${workspace.workspaceName}/datastores/${datastore}/paths/${path}`
  );
}

/** Splits an `azureml://…/datastores/{name}/paths/{path}` URI; `undefined` for other URIs. */
export function parseDatastoreUri(uri: string): { datastore: string; path: string } | undefined {
  // `s`: the path runs to the end whatever it holds, so a URI ending in a line break cannot make
  // the pattern retry every `/datastores/` in it (quadratic without it).
  const match = /^azureml:\/\/(?:.*\/)?datastores\/([^/]+)\/paths\/(.*)$/s.exec(uri);
  return match ? { datastore: match[1]!, path: match[2]! } : undefined;
}
