import { setTimeout as sleep } from 'node:timers/promises';
import { DeploymentError } from '../errors/DeploymentError.js';
import type { ModelVersion } from '../registry/model-registry.js';
import { type DeploymentTarget, deploymentName, type HealthReport } from './deployment-target.js';

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

const DEFAULTS = {
  steps: [10, 100],
  stepWaitMs: 60_000,
  maxErrorRate: 0.01,
  healthTimeoutMs: 900_000,
  healthPollMs: 10_000,
  keepDeployments: 2,
  logTailLines: 200,
};

/**
 * Rolls a model version out blue/green: creates a new deployment, waits until it is healthy,
 * shifts traffic to it in steps (checking health and error rate after each), and deletes
 * deployments past `keepDeployments`. On any failure the previous traffic is restored, the
 * new deployment is removed, and a {@link DeploymentError} carries the new deployment's logs.
 *
 * @throws DeploymentError with `phase`, `rolledBack`, the endpoint's `traffic` and `logs`.
 */
export async function deployModelVersion(
  target: DeploymentTarget,
  endpoint: string,
  model: ModelVersion,
  options: BlueGreenOptions = {},
): Promise<DeployResult> {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const name = deploymentName(model.name, model.version, options.division);
  await target.ensureEndpoint(endpoint);
  const previousTraffic = await target.getTraffic(endpoint);
  if ((await target.listDeployments(endpoint)).some((d) => d.name === name)) {
    const share = previousTraffic[name] ?? 0;
    // Idempotent: the version already serves everything.
    if (share === 100) {
      return {
        endpoint,
        deployment: name,
        model: model.name,
        version: model.version,
        previousTraffic,
        traffic: previousTraffic,
        deleted: [],
        warnings: [],
      };
    }
    if (share > 0) {
      throw new DeploymentError(
        `deployment ${name} on ${endpoint} already takes ${share}% (an interrupted rollout?): set its traffic to 0 or 100 first`,
        { endpoint, deployment: name, phase: 'create', rolledBack: false, traffic: previousTraffic },
      );
    }
    // An idle leftover (e.g. of a failed run): replace it.
    await target.deleteDeployment(endpoint, name);
  }
  const fail = async (
    phase: 'create' | 'health' | 'traffic',
    reason: string,
    cause?: unknown,
  ): Promise<never> => {
    let rolledBack = true;
    let traffic = previousTraffic;
    if (phase === 'traffic') {
      try {
        await target.setTraffic(endpoint, previousTraffic);
      } catch {
        rolledBack = false;
        traffic = await target.getTraffic(endpoint).catch(() => ({}));
      }
    }
    options.onProgress?.({ stage: 'rollback', deployment: name, traffic, reason });
    const logs = await target
      .getLogs(endpoint, name, o.logTailLines)
      .catch((e: unknown) => `(logs unavailable: ${String(e)})`);
    // The failed deployment takes no traffic now; remove it so it costs nothing.
    await target.deleteDeployment(endpoint, name).catch(() => undefined);
    const tail = logs ? `\n--- last ${o.logTailLines} log lines of ${name} ---\n${logs}` : '\n(no logs)';
    const outcome = rolledBack ? 'traffic unchanged' : 'ROLLBACK FAILED, check the endpoint';
    throw new DeploymentError(
      `deploy ${model.name}:${model.version} to ${endpoint} failed at ${phase}: ${reason} (${outcome})${tail}`,
      { endpoint, deployment: name, phase, rolledBack, traffic, logs },
      cause === undefined ? undefined : { cause },
    );
  };

  options.onProgress?.({ stage: 'create', deployment: name });
  try {
    await target.createDeployment(endpoint, {
      name,
      model,
      ...(options.division !== undefined ? { division: options.division } : {}),
    });
  } catch (error) {
    return fail('create', error instanceof Error ? error.message : String(error), error);
  }

  const health = await waitHealthy(
    target,
    endpoint,
    name,
    o.healthTimeoutMs,
    o.healthPollMs,
    options.abortSignal,
  );
  if (!health.healthy)
    return fail('health', `not healthy after ${o.healthTimeoutMs / 1000} s: ${health.detail}`);
  options.onProgress?.({ stage: 'healthy', deployment: name, health });

  let traffic = previousTraffic;
  const steps = Object.keys(previousTraffic).length === 0 ? [100] : o.steps;
  for (const percent of steps) {
    traffic = splitTraffic(previousTraffic, name, percent);
    try {
      await target.setTraffic(endpoint, traffic);
    } catch (error) {
      return fail(
        'traffic',
        `cannot set traffic ${JSON.stringify(traffic)}: ${(error as Error).message}`,
        error,
      );
    }
    if (percent < 100 && o.stepWaitMs > 0)
      await sleep(o.stepWaitMs, undefined, { signal: options.abortSignal });
    const check = await target.checkHealth(endpoint, name);
    options.onProgress?.({ stage: 'traffic', deployment: name, percent, traffic, health: check });
    if (!check.healthy || check.errorRate > o.maxErrorRate) {
      return fail(
        'traffic',
        `at ${percent}%: ${check.healthy ? '' : 'unhealthy, '}error rate ${check.errorRate} (max ${o.maxErrorRate}): ${check.detail}`,
      );
    }
  }

  const { deleted, warnings } = await cleanUp(target, endpoint, name, traffic, o.keepDeployments);
  options.onProgress?.({ stage: 'cleanup', deleted });
  return {
    endpoint,
    deployment: name,
    model: model.name,
    version: model.version,
    previousTraffic,
    traffic,
    deleted,
    warnings,
  };
}

/**
 * Traffic with `percent` on `name` and the rest spread over the previous deployments in
 * proportion to their shares (whole percents, summing to 100).
 */
export function splitTraffic(
  previous: Record<string, number>,
  name: string,
  percent: number,
): Record<string, number> {
  const others = Object.entries(previous).filter(([d, p]) => d !== name && p > 0);
  const total = others.reduce((a, [, p]) => a + p, 0);
  const rest = 100 - percent;
  const out: Record<string, number> = Object.fromEntries(Object.keys(previous).map((d) => [d, 0]));
  out[name] = total === 0 ? 100 : percent;
  if (total === 0) return out;
  const shares = others.map(([d, p]) => ({ d, exact: (rest * p) / total }));
  for (const s of shares) out[s.d] = Math.floor(s.exact);
  let left = rest - shares.reduce((a, s) => a + Math.floor(s.exact), 0);
  for (const s of [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1))) {
    if (left-- <= 0) break;
    out[s.d]! += 1;
  }
  return out;
}

async function waitHealthy(
  target: DeploymentTarget,
  endpoint: string,
  name: string,
  timeoutMs: number,
  pollMs: number,
  signal: AbortSignal | undefined,
): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await target.checkHealth(endpoint, name);
    if (report.healthy || Date.now() >= deadline) return report;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), undefined, { signal });
  }
}

/** Deletes the oldest idle deployments so that at most `keep` remain. */
async function cleanUp(
  target: DeploymentTarget,
  endpoint: string,
  current: string,
  traffic: Record<string, number>,
  keep: number,
): Promise<{ deleted: string[]; warnings: string[] }> {
  const deleted: string[] = [];
  const warnings: string[] = [];
  const all = await target.listDeployments(endpoint);
  const newestFirst = [...all].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  const kept = new Set([
    current,
    ...Object.entries(traffic)
      .filter(([, p]) => p > 0)
      .map(([d]) => d),
  ]);
  for (const d of newestFirst) {
    if (kept.size < keep) kept.add(d.name);
  }
  for (const d of newestFirst) {
    if (kept.has(d.name)) continue;
    try {
      await target.deleteDeployment(endpoint, d.name);
      deleted.push(d.name);
    } catch (error) {
      warnings.push(`could not delete old deployment ${d.name}: ${(error as Error).message}`);
    }
  }
  return { deleted, warnings };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
