import type { ModelVersion } from '../registry/model-registry.js';
import { DeployPoller } from './DeployPoller.js';
import type { DeploymentTarget, HealthReport } from './deployment-target.js';

export { splitTraffic } from './traffic.js';

/** Settings of one blue/green rollout (see `traffic` in configs/deployment.json). */
export interface BlueGreenOptions {
  /** Percent on the new deployment after each step, ascending, ending at 100. Default [10, 100]. */
  steps?: number[];
  /** Wait at each step before checking. Default 60 000 ms. */
  stepWaitMs?: number;
  /** Highest error rate allowed at a step. Default 0.01. */
  maxErrorRate?: number;
  /** How long the new deployment may take to become healthy. Default 900 000 ms. */
  healthTimeoutMs?: number;
  /** Pause between health polls. Default 10 000 ms. */
  healthPollMs?: number;
  /** Deployments kept after success (the new one included). Default 2. */
  keepDeployments?: number;
  /** Log lines fetched into the error on failure. Default 200. */
  logTailLines?: number;
  /** Division served by this deployment (per-division mode). */
  division?: number;
  /** Called at each stage, for progress output. */
  onProgress?: (event: DeployProgress) => void;
  abortSignal?: AbortSignal;
}

export type DeployProgress =
  | { stage: 'create'; deployment: string }
  | { stage: 'healthy'; deployment: string; health: HealthReport }
  | {
      stage: 'traffic';
      deployment: string;
      percent: number;
      traffic: Record<string, number>;
      health: HealthReport;
    }
  | { stage: 'rollback'; deployment: string; traffic: Record<string, number>; reason: string }
  | { stage: 'cleanup'; deleted: string[] };

/** What a successful rollout did. */
export interface DeployResult {
  endpoint: string;
  deployment: string;
  model: string;
  version: string;
  previousTraffic: Record<string, number>;
  traffic: Record<string, number>;
  /** Old deployments deleted by the clean-up. */
  deleted: string[];
  /** Clean-up failures (the rollout itself succeeded). */
  warnings: string[];
}

/** Defaults of {@link BlueGreenOptions}. */
export const BLUE_GREEN_DEFAULTS = {
  steps: [10, 100],
  stepWaitMs: 60_000,
  maxErrorRate: 0.01,
  healthTimeoutMs: 900_000,
  healthPollMs: 10_000,
  keepDeployments: 2,
  logTailLines: 200,
};

/** Options of {@link beginDeploy}. */
export interface BeginDeployOptions extends BlueGreenOptions {
  /** A token from `poller.toString()`: continue that rollout (e.g. in a later CI job) instead of starting one. */
  resumeFrom?: string;
}

/**
 * Starts a blue/green rollout and returns its resumable poller: `poll()` advances one step,
 * `pollUntilDone()` runs it to the end, `toString()` is a token for `resumeFrom`.
 * The steps: create a new deployment, wait until it is healthy, shift traffic to it in steps
 * (checking health and error rate after each), delete deployments past `keepDeployments`.
 * On any failure the previous traffic is restored, the new deployment is removed, and a
 * {@link DeploymentError} carries the new deployment's logs.
 */
export function beginDeploy(
  target: DeploymentTarget,
  endpoint: string,
  model: ModelVersion,
  options: BeginDeployOptions = {},
): DeployPoller {
  const o = definedOnly(options);
  const settings = {
    steps: [...(o.steps ?? BLUE_GREEN_DEFAULTS.steps)],
    stepWaitMs: o.stepWaitMs ?? BLUE_GREEN_DEFAULTS.stepWaitMs,
    maxErrorRate: o.maxErrorRate ?? BLUE_GREEN_DEFAULTS.maxErrorRate,
    healthTimeoutMs: o.healthTimeoutMs ?? BLUE_GREEN_DEFAULTS.healthTimeoutMs,
    healthPollMs: o.healthPollMs ?? BLUE_GREEN_DEFAULTS.healthPollMs,
    keepDeployments: o.keepDeployments ?? BLUE_GREEN_DEFAULTS.keepDeployments,
    logTailLines: o.logTailLines ?? BLUE_GREEN_DEFAULTS.logTailLines,
    ...(o.division !== undefined ? { division: o.division } : {}),
  };
  return options.resumeFrom
    ? DeployPoller.resume(target, options.resumeFrom, options)
    : DeployPoller.start(target, endpoint, model, settings, options);
}

/**
 * {@link beginDeploy} then `pollUntilDone()`.
 *
 * @throws DeploymentError with `phase`, `rolledBack`, the endpoint's `traffic` and `logs`.
 */
export async function deployModelVersion(
  target: DeploymentTarget,
  endpoint: string,
  model: ModelVersion,
  options: BeginDeployOptions = {},
): Promise<DeployResult> {
  return beginDeploy(target, endpoint, model, options).pollUntilDone(
    options.abortSignal ? { abortSignal: options.abortSignal } : {},
  );
}

export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
