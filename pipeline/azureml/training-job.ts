import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { type MetricsReport, MetricsReportSchema } from '../../model/metrics-report.js';
import type { BackendName } from '../../model/tf/backend.js';
import { BACKEND_ENV } from '../../model/tf/backend-env.js';
import { AzureMlError } from '../errors/AzureMlError.js';
import {
  type AzureMlClient,
  type AzureMlWorkspace,
  type BlobDatastore,
  type CommandJobSpec,
  environmentResourceId,
  type JobResource,
  parseDatastoreUri,
  workspaceResourceId,
} from './azureml-client.js';
import { JobPoller, type JobPollerOptions } from './job-poller.js';

/** The backend a GPU training job asks for (`--gpu`): tfjs-node-gpu, no fallback. */
export const GPU_BACKEND: BackendName = 'node-gpu';

/** The job's output folder that receives the model bundle. */
export const BUNDLE_OUTPUT = 'bundle';
/** Default command: `opp train` reading the snapshot folder (one CSV inside) and writing the bundle output. */
export const DEFAULT_TRAIN_COMMAND =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML's own placeholders, not JS templates
  'opp train --data ${{inputs.snapshot}} --config ${{inputs.config}} --out ${{outputs.bundle}} --json';

/** What to train, where. */
export interface TrainJobOptions {
  /** Compute cluster name in the workspace (e.g. `cpu-cluster`, `gpu-cluster`). */
  compute: string;
  /** Environment: an ARM id, or `name:version` / `azureml:name:version` of a workspace environment. */
  environment: string;
  /** URI of the data snapshot folder (`azureml://…`, `https://…`). */
  snapshotUri: string;
  /** Training config path inside the image. Default `configs/production.json`. */
  configPath?: string;
  /** Job name (unique in the workspace). Default `opp-train-<time>-<random>`. */
  jobName?: string;
  /** Experiment. Default `opp`. */
  experimentName?: string;
  /**
   * GPU variant: sets `$OPP_BACKEND` to `node-gpu`, so `opp train` loads tfjs-node-gpu (in the
   * GPU image) and fails rather than fall back to WASM when it cannot. Default false.
   */
  gpu?: boolean;
  /** Command override; `${{inputs.*}}`/`${{outputs.*}}` are Azure ML placeholders. Default {@link DEFAULT_TRAIN_COMMAND}. */
  command?: string;
  /** Nodes. Default 1. */
  instanceCount?: number;
  /** Time limit, ISO 8601. Default `PT4H`. */
  timeout?: string;
  /** Extra job tags (e.g. git sha). */
  tags?: Record<string, string>;
}

/** Options of {@link beginTrain}. */
export interface BeginTrainOptions extends JobPollerOptions {
  /** A poller token from `poller.toString()`: resume waiting for that job instead of submitting. */
  resumeFrom?: string;
}

/** Builds the command-job spec that runs `opp train` on a compute cluster. */
export function buildTrainJobSpec(workspace: AzureMlWorkspace, options: TrainJobOptions): CommandJobSpec {
  return {
    displayName: options.jobName ?? 'opp train',
    experimentName: options.experimentName ?? 'opp',
    description: 'Train the opp division models and write a model bundle',
    computeId: workspaceResourceId(workspace, `computes/${options.compute}`),
    environmentId: environmentResourceId(workspace, options.environment),
    command: options.command ?? DEFAULT_TRAIN_COMMAND,
    inputs: {
      snapshot: { type: 'uri_folder', uri: options.snapshotUri },
      config: { type: 'literal', value: options.configPath ?? 'configs/production.json' },
    },
    outputs: { [BUNDLE_OUTPUT]: { type: 'uri_folder', mode: 'ReadWriteMount' } },
    environmentVariables: {
      OPP_HOME: './.opp',
      ...(options.gpu ? { [BACKEND_ENV]: GPU_BACKEND } : {}),
    },
    tags: { 'opp.kind': 'train', ...(options.gpu ? { 'opp.gpu': 'true' } : {}), ...options.tags },
    instanceCount: options.instanceCount ?? 1,
    timeout: options.timeout ?? 'PT4H',
  };
}

/**
 * Submits the training job (or, with `resumeFrom`, picks up an earlier one) and returns a
 * poller. Submitting under an existing name is refused by the service.
 */
export async function beginTrain(
  client: AzureMlClient,
  options: TrainJobOptions,
  pollerOptions: BeginTrainOptions = {},
): Promise<JobPoller> {
  if (pollerOptions.resumeFrom) return JobPoller.resume(client, pollerOptions.resumeFrom, pollerOptions);
  const name = options.jobName ?? `opp-train-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const job = await client.putCommandJob(
    name,
    buildTrainJobSpec(client.workspace, { ...options, jobName: name }),
  );
  return new JobPoller(
    client,
    { jobName: job.name || name, status: job.status, isDone: false, job },
    pollerOptions,
  );
}

/** {@link beginTrain} then `pollUntilDone()`. */
export async function beginTrainAndWait(
  client: AzureMlClient,
  options: TrainJobOptions,
  pollerOptions: BeginTrainOptions & { abortSignal?: AbortSignal } = {},
): Promise<JobResource> {
  const poller = await beginTrain(client, options, pollerOptions);
  return poller.pollUntilDone(pollerOptions.abortSignal ? { abortSignal: pollerOptions.abortSignal } : {});
}

/** What {@link fetchTrainOutputs} brings back. */
export interface TrainOutputs {
  /** Local folder holding the downloaded bundle. */
  bundleDir: string;
  files: string[];
  metrics: MetricsReport;
}

/**
 * Downloads a completed job's bundle output from the datastore and reads its `metrics.json`.
 *
 * @param containerFor - the blob container of a datastore (the default datastore for job outputs).
 */
export async function fetchTrainOutputs(
  client: AzureMlClient,
  job: JobResource,
  containerFor: (datastore: BlobDatastore) => ContainerClient,
  dir: string,
): Promise<TrainOutputs> {
  const uri = job.outputs[BUNDLE_OUTPUT]?.uri;
  const location = uri ? parseDatastoreUri(uri) : undefined;
  if (!location)
    throw new AzureMlError(`job ${job.name} has no datastore URI for output "${BUNDLE_OUTPUT}" (${uri})`);
  const datastore = await client.getDefaultDatastore();
  if (location.datastore !== datastore.name) {
    throw new AzureMlError(
      `job output is on datastore ${location.datastore}, not the default ${datastore.name}`,
    );
  }
  const container = containerFor(datastore);
  const prefix = location.path.endsWith('/') ? location.path : `${location.path}/`;
  const files: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) {
    const relative = blob.name.slice(prefix.length);
    if (!relative || relative.split('/').includes('..')) continue;
    const target = join(dir, ...relative.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await container.getBlockBlobClient(blob.name).downloadToFile(target);
    files.push(relative);
  }
  if (!files.includes('metrics.json'))
    throw new AzureMlError(`job ${job.name}: output "${BUNDLE_OUTPUT}" has no metrics.json`);
  const parsed = MetricsReportSchema.safeParse(JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')));
  if (!parsed.success)
    throw new AzureMlError(
      `job ${job.name}: metrics.json does not match its schema: ${parsed.error.message}`,
    );
  return { bundleDir: dir, files: files.sort(), metrics: parsed.data };
}
