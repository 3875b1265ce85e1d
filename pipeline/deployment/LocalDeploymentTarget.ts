import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';
import { DeploymentError } from '../errors/DeploymentError.js';
import { OppError } from '../errors/OppError.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { withProcessLock } from '../io/process-lock.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { oppPath } from '../util/opp-home.js';
import { PACKAGE_ROOT } from '../util/package-root.js';
import type {
  CreateDeploymentRequest,
  DeployedModel,
  DeploymentTarget,
  HealthReport,
} from './deployment-target.js';
import { serverEnvironment } from './local-server-env.js';

/** What the local target needs to run a scoring server for a bundle. */
export interface LocalServerSettings {
  /**
   * argv of the server; `{bundle}`, `{port}`, `{division}` and `{root}` are replaced. The server
   * must print its `http://127.0.0.1:<port>` URL on stdout once it listens: `opp serve` (the
   * default in configs/deployment.json), which reads the version from `OPP_MODEL_VERSION`.
   */
  serverCommand: string[];
  /** Readiness path. Default `/health/ready`. */
  healthPath?: string;
  /** How long the server may take to print its URL. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** Probes per health check. Default 5. */
  healthProbes?: number;
}

const StateSchema = z.strictObject({
  traffic: z.record(z.string(), z.number()),
  deployments: z.record(
    z.string(),
    z.strictObject({
      model: z.string(),
      version: z.string(),
      division: z.number().optional(),
      pid: z.number(),
      url: z.string(),
      createdAt: z.string(),
    }),
  ),
});
/** A local endpoint: traffic split and the server process of each deployment. */
export type LocalEndpointState = z.output<typeof StateSchema>;
type EndpointState = LocalEndpointState;

/** Names of local endpoints and deployments: they become folder names under the endpoints root. */
const LOCAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+)/;
const READY_POLL_MS = 25;
const PROBE_TIMEOUT_MS = 2_000;
/** How long a state change waits for another process's lock on the endpoint (changes take milliseconds). */
const STATE_LOCK_TIMEOUT_MS = 30_000;

/**
 * Deployment target on this machine: each deployment is a server process (detached, so it
 * outlives `opp deploy`) serving a bundle downloaded from the registry; an endpoint is a
 * state file `$OPP_HOME/endpoints/<endpoint>/state.json` holding the traffic split and the
 * processes. `opp endpoint serve` (LocalEndpointRouter) routes by the split; health is probed on each server.
 */
export class LocalDeploymentTarget implements DeploymentTarget {
  readonly kind = 'local';

  constructor(
    private readonly registry: ModelRegistry,
    private readonly settings: LocalServerSettings,
    /** Folder of endpoint state. Default `$OPP_HOME/endpoints`. */
    readonly root: string = oppPath('endpoints'),
  ) {}

  async ensureEndpoint(endpoint: string): Promise<void> {
    await this.updateState(endpoint, () => undefined);
  }

  async getTraffic(endpoint: string): Promise<Record<string, number>> {
    const { traffic } = await this.readState(endpoint);
    return Object.fromEntries(Object.entries(traffic).filter(([, p]) => p > 0));
  }

  async setTraffic(endpoint: string, traffic: Record<string, number>): Promise<void> {
    await this.updateState(endpoint, (state) => {
      for (const d of Object.keys(traffic)) {
        if ((traffic[d] ?? 0) > 0 && !Object.hasOwn(state.deployments, d))
          throw new Error(`no deployment ${d} on ${endpoint}`);
      }
      state.traffic = { ...traffic };
    });
  }

  async listDeployments(endpoint: string): Promise<DeployedModel[]> {
    const { deployments } = await this.readState(endpoint);
    return Object.entries(deployments).map(([name, d]) => ({
      name,
      model: d.model,
      version: d.version,
      createdAt: d.createdAt,
    }));
  }

  async createDeployment(endpoint: string, request: CreateDeploymentRequest): Promise<void> {
    // Re-created in place (it was down): stop what may be left of its server first.
    const previous = (await this.readState(endpoint)).deployments[request.name];
    if (previous) stopProcess(previous.pid);
    const dir = this.deploymentDir(endpoint, request.name);
    await rm(dir, { recursive: true, force: true });
    const bundle = await this.registry.downloadVersion(
      request.model.name,
      request.model.version,
      join(dir, 'bundle'),
    );
    const args = this.settings.serverCommand.map((a) =>
      a
        .replaceAll('{bundle}', bundle)
        .replaceAll('{port}', '0')
        .replaceAll('{division}', request.division === undefined ? '' : String(request.division))
        .replaceAll('{root}', PACKAGE_ROOT),
    );
    const log = await open(join(dir, 'server.log'), 'a');
    const child = spawn(args[0]!, args.slice(1), {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: {
        ...serverEnvironment(),
        OPP_MODEL: request.model.name,
        OPP_MODEL_VERSION: request.model.version,
        ...(request.division !== undefined ? { OPP_DIVISION: String(request.division) } : {}),
      },
    });
    child.unref();
    await log.close();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await this.waitForUrl(endpoint, request.name, exited);
    await this.updateState(endpoint, (state) => {
      state.deployments[request.name] = {
        model: request.model.name,
        version: request.model.version,
        ...(request.division !== undefined ? { division: request.division } : {}),
        pid: child.pid!,
        url,
        createdAt: new Date().toISOString(),
      };
    });
  }

  async checkHealth(endpoint: string, deployment: string): Promise<HealthReport> {
    const d = (await this.readState(endpoint)).deployments[deployment];
    if (!d) return { healthy: false, errorRate: 1, detail: `no deployment ${deployment}` };
    const probes = this.settings.healthProbes ?? 5;
    const url = d.url + (this.settings.healthPath ?? '/health/ready');
    let failures = 0;
    let last = '';
    for (let i = 0; i < probes; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await res.arrayBuffer();
        if (!res.ok) {
          failures++;
          last = `${url} answered ${res.status}`;
        }
      } catch (error) {
        failures++;
        last = `${url}: ${(error as Error).message}`;
      }
    }
    return { healthy: failures === 0, errorRate: failures / probes, detail: last || `${url} ok` };
  }

  async getLogs(endpoint: string, deployment: string, tail: number): Promise<string> {
    const text = await readFile(join(this.deploymentDir(endpoint, deployment), 'server.log'), 'utf8').catch(
      () => '',
    );
    return text.trimEnd().split('\n').slice(-tail).join('\n');
  }

  async deleteDeployment(endpoint: string, deployment: string): Promise<void> {
    await this.updateState(endpoint, (state) => {
      if ((state.traffic[deployment] ?? 0) > 0)
        throw new Error(`deployment ${deployment} still takes traffic`);
      const d = Object.hasOwn(state.deployments, deployment) ? state.deployments[deployment] : undefined;
      if (d) stopProcess(d.pid);
      delete state.deployments[deployment];
      delete state.traffic[deployment];
    });
    await rm(this.deploymentDir(endpoint, deployment), { recursive: true, force: true });
  }

  /** Stops every server of an endpoint and forgets it (tests, `opp deploy --teardown`). */
  async removeEndpoint(endpoint: string): Promise<void> {
    const state = await this.readState(endpoint);
    for (const d of Object.values(state.deployments)) stopProcess(d.pid);
    await rm(join(this.root, checkName(endpoint, 'endpoint')), { recursive: true, force: true });
  }

  private async waitForUrl(endpoint: string, name: string, exited: Promise<number | null>): Promise<string> {
    const deadline = Date.now() + (this.settings.readyTimeoutMs ?? 30_000);
    let exitCode: number | null | undefined;
    void exited.then((code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      const match = URL_LINE.exec(await this.getLogs(endpoint, name, 1000));
      if (match) return match[1]!;
      if (exitCode !== undefined) break;
      await sleep(READY_POLL_MS);
    }
    const logs = await this.getLogs(endpoint, name, 200);
    throw new DeploymentError(
      `server for ${name} ${exitCode !== undefined ? `exited with ${exitCode}` : 'printed no URL in time'}`,
      { endpoint, deployment: name, phase: 'create', rolledBack: true, traffic: {}, logs },
    );
  }

  private deploymentDir(endpoint: string, deployment: string): string {
    return join(
      this.root,
      checkName(endpoint, 'endpoint'),
      'deployments',
      checkName(deployment, 'deployment'),
    );
  }

  /** The endpoint's state file (what a local router reads). */
  stateFile(endpoint: string): string {
    return join(this.root, checkName(endpoint, 'endpoint'), 'state.json');
  }

  /**
   * Reads, changes and writes the endpoint's state as one step, under the endpoint's lock
   * (`state.json.lock`, see {@link withProcessLock}): two `opp deploy` runs on one endpoint
   * lose no update.
   */
  private async updateState(endpoint: string, change: (state: EndpointState) => void): Promise<void> {
    await mkdir(join(this.root, checkName(endpoint, 'endpoint')), { recursive: true });
    const file = this.stateFile(endpoint);
    const lock = `${file}.lock`;
    await withProcessLock(
      lock,
      async () => {
        const state = await this.readState(endpoint);
        change(state);
        await this.writeState(endpoint, state);
      },
      {
        timeoutMs: STATE_LOCK_TIMEOUT_MS,
        timedOut: (owner) =>
          new OppError(
            `${file} is locked by process ${owner} (lock ${lock}) for over ${STATE_LOCK_TIMEOUT_MS / 1000} s: is another opp deploy stuck? Stop it, or remove the lock if no such process runs`,
          ),
      },
    );
  }

  /** The endpoint's traffic split and deployments (empty when it does not exist). */
  async getEndpointState(endpoint: string): Promise<LocalEndpointState> {
    return this.readState(endpoint);
  }

  private async readState(endpoint: string): Promise<EndpointState> {
    const text = await readFile(this.stateFile(endpoint), 'utf8').catch(() => undefined);
    return text ? StateSchema.parse(JSON.parse(text)) : { traffic: {}, deployments: {} };
  }

  private async writeState(endpoint: string, state: EndpointState): Promise<void> {
    await mkdir(join(this.root, endpoint), { recursive: true });
    await AtomicFile.write(this.stateFile(endpoint), `${JSON.stringify(state, null, 2)}\n`);
  }
}

/** `name` when it is safe as a folder name under the endpoints root. @throws ConfigError naming `what`. */
function checkName(name: string, what: 'endpoint' | 'deployment'): string {
  if (!LOCAL_NAME.test(name))
    throw new ConfigError(
      `${what} name ${JSON.stringify(name.slice(0, 80))} is not allowed: use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  return name;
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
