import { setTimeout as sleep } from 'node:timers/promises';
import { DeploymentError } from '../errors/DeploymentError.js';
import type { ModelVersion } from '../registry/model-registry.js';
import type { BLUE_GREEN_DEFAULTS, BlueGreenOptions, DeployProgress, DeployResult } from './blue-green.js';
import { type DeploymentTarget, deploymentName } from './deployment-target.js';
import { cleanUp, splitTraffic } from './traffic.js';

type Settings = { -readonly [K in keyof typeof BLUE_GREEN_DEFAULTS]: (typeof BLUE_GREEN_DEFAULTS)[K] } & {
  division?: number;
};
type Phase = 'start' | 'create' | 'health' | 'traffic' | 'check' | 'cleanup' | 'done';
type FailPhase = 'create' | 'health' | 'traffic';

/** Everything a rollout needs to continue, JSON-serializable (the `resumeFrom` token). */
export interface DeployPollerState {
  endpoint: string;
  model: ModelVersion;
  deployment: string;
  settings: Settings;
  phase: Phase;
  previousTraffic: Record<string, number>;
  traffic: Record<string, number>;
  /** Index into `settings.steps` of the current traffic step. */
  step: number;
  /** Epoch ms: when waiting for health gives up / when the current step may be checked. */
  deadline: number;
  result?: DeployResult;
}

/**
 * A blue/green rollout as a resumable poller (the shape of `@azure/core-lro`'s
 * SimplePollerLike). Each `poll()` does one step; `pollUntilDone()` waits between steps;
 * `toString()` serializes the state for `resumeFrom`, so a rollout can continue in another process.
 */
export class DeployPoller {
  private constructor(
    private readonly target: DeploymentTarget,
    private state: DeployPollerState,
    private readonly listeners: { onProgress?: (event: DeployProgress) => void },
  ) {}

  static start(
    target: DeploymentTarget,
    endpoint: string,
    model: ModelVersion,
    settings: Settings,
    options: BlueGreenOptions,
  ): DeployPoller {
    const deployment = deploymentName(model.name, model.version, settings.division);
    return new DeployPoller(
      target,
      {
        endpoint,
        model,
        deployment,
        settings,
        phase: 'start',
        previousTraffic: {},
        traffic: {},
        step: 0,
        deadline: 0,
      },
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
  }

  static resume(target: DeploymentTarget, token: string, options: BlueGreenOptions): DeployPoller {
    return new DeployPoller(
      target,
      DeployPoller.parseToken(token),
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
  }

  /**
   * Reads a `toString()` token back into the rollout's state.
   * @throws DeploymentError when the token is not one.
   */
  static parseToken(token: string): DeployPollerState {
    try {
      const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeployPollerState;
      if (typeof state.endpoint !== 'string' || typeof state.phase !== 'string' || !state.model)
        throw new Error('bad state');
      return state;
    } catch (error) {
      throw new DeploymentError(
        'resumeFrom: not a deployment poller token',
        { endpoint: '', deployment: '', phase: 'create', rolledBack: false, traffic: {} },
        { cause: error },
      );
    }
  }

  isDone(): boolean {
    return this.state.phase === 'done';
  }

  getOperationState(): DeployPollerState {
    return structuredClone(this.state);
  }

  /** A token for `beginDeploy(…, { resumeFrom })`. */
  toString(): string {
    return Buffer.from(JSON.stringify(this.state)).toString('base64url');
  }

  /**
   * Runs the rollout to its end. `onPoll` runs after each step (e.g. to save `toString()`).
   * @throws DeploymentError after rolling back, with the new deployment's logs.
   */
  async pollUntilDone(
    options: { abortSignal?: AbortSignal; onPoll?: (poller: DeployPoller) => Promise<void> | void } = {},
  ): Promise<DeployResult> {
    while (!this.isDone()) {
      await this.poll();
      await options.onPoll?.(this);
      const wait = this.waitMs();
      if (wait > 0) await sleep(wait, undefined, { signal: options.abortSignal });
    }
    return this.state.result!;
  }

  /** Advances the rollout by one step (or checks once, when it is waiting). */
  async poll(): Promise<void> {
    const s = this.state;
    const { target } = this;
    const { endpoint, deployment, settings } = s;
    switch (s.phase) {
      case 'start': {
        await target.ensureEndpoint(endpoint);
        s.previousTraffic = await target.getTraffic(endpoint);
        s.traffic = s.previousTraffic;
        if ((await target.listDeployments(endpoint)).some((d) => d.name === deployment)) {
          const share = s.previousTraffic[deployment] ?? 0;
          if (share === 100) {
            // Idempotent: the version already serves everything, if it is up. When it is not
            // (its server died with the machine, a crashed demo), the endpoint serves nothing
            // now: bring the deployment up again in place rather than report it deployed.
            if ((await target.checkHealth(endpoint, deployment)).healthy) return this.finish([], []);
            s.phase = 'create';
            return;
          }
          if (share > 0) {
            throw new DeploymentError(
              `deployment ${deployment} on ${endpoint} already takes ${share}% (an interrupted rollout?): set its traffic to 0 or 100 first`,
              { endpoint, deployment, phase: 'create', rolledBack: false, traffic: s.previousTraffic },
            );
          }
          // An idle leftover (e.g. of a failed run): replace it.
          await target.deleteDeployment(endpoint, deployment);
        }
        s.phase = 'create';
        return;
      }
      case 'create': {
        this.emit({ stage: 'create', deployment });
        try {
          await target.createDeployment(endpoint, {
            name: deployment,
            model: s.model,
            ...(settings.division !== undefined ? { division: settings.division } : {}),
          });
        } catch (error) {
          return this.fail('create', error instanceof Error ? error.message : String(error), error);
        }
        s.phase = 'health';
        s.deadline = Date.now() + settings.healthTimeoutMs;
        return;
      }
      case 'health': {
        const health = await target.checkHealth(endpoint, deployment);
        if (health.healthy) {
          this.emit({ stage: 'healthy', deployment, health });
          // With nothing serving yet, or this deployment re-created in place, there is nothing to
          // shift from: go straight to 100%.
          if (Object.keys(s.previousTraffic).length === 0 || s.previousTraffic[deployment] === 100)
            settings.steps = [100];
          s.phase = 'traffic';
          s.step = 0;
        } else if (Date.now() >= s.deadline) {
          return this.fail(
            'health',
            `not healthy after ${settings.healthTimeoutMs / 1000} s: ${health.detail}`,
          );
        }
        return;
      }
      case 'traffic': {
        const percent = settings.steps[s.step]!;
        const traffic = splitTraffic(s.previousTraffic, deployment, percent);
        try {
          await target.setTraffic(endpoint, traffic);
        } catch (error) {
          return this.fail(
            'traffic',
            `cannot set traffic ${JSON.stringify(traffic)}: ${(error as Error).message}`,
            error,
          );
        }
        s.traffic = traffic;
        s.phase = 'check';
        s.deadline = Date.now() + (percent < 100 ? settings.stepWaitMs : 0);
        return;
      }
      case 'check': {
        if (Date.now() < s.deadline) return;
        const percent = settings.steps[s.step]!;
        const check = await target.checkHealth(endpoint, deployment);
        this.emit({ stage: 'traffic', deployment, percent, traffic: s.traffic, health: check });
        if (!check.healthy || check.errorRate > settings.maxErrorRate) {
          return this.fail(
            'traffic',
            `at ${percent}%: ${check.healthy ? '' : 'unhealthy, '}error rate ${check.errorRate} (max ${settings.maxErrorRate}): ${check.detail}`,
          );
        }
        s.step++;
        s.phase = s.step < settings.steps.length ? 'traffic' : 'cleanup';
        return;
      }
      case 'cleanup': {
        const { deleted, warnings } = await cleanUp(
          target,
          endpoint,
          deployment,
          s.traffic,
          settings.keepDeployments,
        );
        this.emit({ stage: 'cleanup', deleted });
        return this.finish(deleted, warnings);
      }
      case 'done':
        return;
    }
  }

  /** How long to wait before the next poll. */
  private waitMs(): number {
    const s = this.state;
    if (s.phase === 'health') return Math.min(s.settings.healthPollMs, Math.max(0, s.deadline - Date.now()));
    if (s.phase === 'check') return Math.max(0, s.deadline - Date.now());
    return 0;
  }

  private finish(deleted: string[], warnings: string[]): void {
    const s = this.state;
    s.phase = 'done';
    s.result = {
      endpoint: s.endpoint,
      deployment: s.deployment,
      model: s.model.name,
      version: s.model.version,
      previousTraffic: s.previousTraffic,
      traffic: s.traffic,
      deleted,
      warnings,
    };
  }

  /** Restores the previous traffic, fetches the new deployment's logs, removes it, and throws. */
  private async fail(phase: FailPhase, reason: string, cause?: unknown): Promise<never> {
    const { endpoint, deployment, previousTraffic, settings, model } = this.state;
    const { target } = this;
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
    this.emit({ stage: 'rollback', deployment, traffic, reason });
    const logs = await target
      .getLogs(endpoint, deployment, settings.logTailLines)
      .catch((e: unknown) => `(logs unavailable: ${String(e)})`);
    // The failed deployment takes no traffic now; remove it so it costs nothing.
    await target.deleteDeployment(endpoint, deployment).catch(() => undefined);
    const tail = logs
      ? `\n--- last ${settings.logTailLines} log lines of ${deployment} ---\n${logs}`
      : '\n(no logs)';
    const outcome = rolledBack ? 'traffic unchanged' : 'ROLLBACK FAILED, check the endpoint';
    throw new DeploymentError(
      `deploy ${model.name}:${model.version} to ${endpoint} failed at ${phase}: ${reason} (${outcome})${tail}`,
      { endpoint, deployment, phase, rolledBack, traffic, logs },
      cause === undefined ? undefined : { cause },
    );
  }

  private emit(event: DeployProgress): void {
    this.listeners.onProgress?.(event);
  }
}
