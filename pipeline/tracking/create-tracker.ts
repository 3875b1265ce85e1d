import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/ConfigError.js';
import { OPP_HOME_ENV } from '../util/opp-home.js';
import type { RetryOptions } from '../util/retry.js';
import { FileStoreTracker } from './FileStoreTracker.js';
import { MlflowRestClient, type TokenProvider } from './MlflowRestClient.js';
import { RemoteTracker } from './RemoteTracker.js';
import { redactUri } from './redact-uri.js';
import { SafeTracker, warnOnStderr } from './SafeTracker.js';

/** Environment variables `createTracker` reads (MLflow's own names where MLflow has one). */
export const TRACKING_ENV = {
  /** `http(s)://…` or `azureml://…`: an MLflow server; `file:…`, a path, or unset: the local store. */
  uri: 'MLFLOW_TRACKING_URI',
  /** @default 'opp' */
  experimentName: 'MLFLOW_EXPERIMENT_NAME',
  /** A bearer token (Azure ML jobs set it); otherwise Azure ML endpoints get one from @azure/identity. */
  token: 'MLFLOW_TRACKING_TOKEN',
  /** Azure ML workspace, used to build the tracking URI when `MLFLOW_TRACKING_URI` is unset. */
  subscriptionId: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_RESOURCE_GROUP',
  workspaceName: 'AZUREML_WORKSPACE',
  /** The workspace's Azure region, e.g. `westeurope`. */
  region: 'AZUREML_REGION',
} as const;

/** The experiment name when `MLFLOW_EXPERIMENT_NAME` is unset. */
export const DEFAULT_EXPERIMENT_NAME = 'opp';
/** The scope Azure ML's MLflow endpoint accepts tokens for (Azure Resource Manager). */
export const AZURE_ML_TOKEN_SCOPE = 'https://management.azure.com/.default';

export interface CreateTrackerOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** Overrides how bearer tokens are obtained (tests, or a credential of the caller's). */
  tokenProvider?: TokenProvider;
  retry?: RetryOptions;
  /** @default a line on stderr */
  onWarning?: (message: string) => void;
  /** Upload runs kept from earlier processes before returning. @default true */
  syncPending?: boolean;
}

/** Where runs go, as decided from the environment. */
export type TrackingTarget =
  | { kind: 'file'; root: string; experimentName: string }
  | { kind: 'mlflow'; url: string; experimentName: string; azure: boolean; outboxDir: string };

/**
 * Decides the tracking target from the environment (no I/O).
 *
 * @throws ConfigError for a tracking URI scheme opp cannot use (e.g. `databricks`).
 */
export function resolveTrackingTarget(env: Record<string, string | undefined> = process.env): TrackingTarget {
  const home = resolve(env[OPP_HOME_ENV] || '.opp');
  const outboxDir = join(home, 'tracking', 'outbox');
  const experimentName = env[TRACKING_ENV.experimentName] || DEFAULT_EXPERIMENT_NAME;
  let uri = env[TRACKING_ENV.uri]?.trim();
  const sub = env[TRACKING_ENV.subscriptionId] ?? env.AZUREML_ARM_SUBSCRIPTION;
  const group = env[TRACKING_ENV.resourceGroup] ?? env.AZUREML_ARM_RESOURCEGROUP;
  const workspace = env[TRACKING_ENV.workspaceName] ?? env.AZUREML_ARM_WORKSPACE_NAME;
  const region = env[TRACKING_ENV.region];
  if (!uri && sub && group && workspace && region)
    uri = `azureml://${region}.api.azureml.ms/mlflow/v1.0/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  if (!uri) return { kind: 'file', root: join(home, 'mlruns'), experimentName };
  if (uri.startsWith('file:')) return { kind: 'file', root: fileURLToPath(uri), experimentName };
  if (isAbsolute(uri) || uri.startsWith('.')) return { kind: 'file', root: uri, experimentName };
  if (uri.startsWith('azureml://'))
    return {
      kind: 'mlflow',
      url: `https://${uri.slice('azureml://'.length)}`,
      experimentName,
      azure: true,
      outboxDir,
    };
  if (/^https?:\/\//.test(uri))
    return {
      kind: 'mlflow',
      url: uri,
      experimentName,
      azure: new URL(uri).hostname.endsWith('.azureml.ms'),
      outboxDir,
    };
  throw new ConfigError(
    `${TRACKING_ENV.uri}=${redactUri(uri)}: opp tracks to http(s)://, azureml:// or file: URIs (or a folder); unset it to use ${join(home, 'mlruns')}`,
  );
}

/** Bearer tokens for Azure ML from @azure/identity's DefaultAzureCredential (OIDC in Actions). */
export function azureTokenProvider(scope = AZURE_ML_TOKEN_SCOPE): TokenProvider {
  let credential: Promise<{ getToken(scope: string): Promise<{ token: string } | null> }> | undefined;
  return async () => {
    credential ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential());
    return (await (await credential).getToken(scope))?.token;
  };
}

/**
 * The tracker for this process, chosen by the environment ({@link TRACKING_ENV}): MLflow's
 * file layout under `$OPP_HOME/mlruns` by default, else an MLflow server with runs kept in
 * `$OPP_HOME/tracking/outbox` until uploaded. Always wrapped in {@link SafeTracker}: tracking
 * failures are warnings, never errors. Runs left by earlier processes are uploaded first.
 *
 * @example
 * const tracker = await createTracker();
 * const { runId } = await tracker.startRun({ runName: 'train division 3' });
 */
export async function createTracker(options: CreateTrackerOptions = {}): Promise<SafeTracker> {
  const env = options.env ?? process.env;
  const onWarning = options.onWarning ?? warnOnStderr;
  const target = resolveTrackingTarget(env);
  if (target.kind === 'file')
    return new SafeTracker(
      new FileStoreTracker(target.root, { experimentName: target.experimentName }),
      onWarning,
    );
  const token = env[TRACKING_ENV.token];
  const tokenProvider =
    options.tokenProvider ?? (token ? async () => token : target.azure ? azureTokenProvider() : undefined);
  const client = new MlflowRestClient(target.url, { tokenProvider, retry: options.retry });
  const remote = new RemoteTracker(client, {
    experimentName: target.experimentName,
    outboxDir: target.outboxDir,
    retry: options.retry,
    onWarning,
  });
  const tracker = new SafeTracker(remote, onWarning);
  if (options.syncPending !== false) await tracker.syncPending();
  return tracker;
}
