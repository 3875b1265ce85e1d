import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { AZUREML_CONTRACT_VERSION, azureMlContract } from './contracts/azureml.js';
import type { ContractOperation } from './contracts/swagger.js';

/**
 * A local fake of the Azure ML ARM REST resources opp uses, on 127.0.0.1 port 0, checked
 * against the published description of api-version 2024-04-01 (tests/contracts/, mfe.json of
 * Azure/azure-rest-api-specs): every request is matched to its operation by path + method and
 * its path, query (api-version included: another version has no description here and is
 * refused, as the service refuses versions it does not know) and body are validated; a request
 * that does not match is refused with ARM's error shape and recorded in `violations`. Every
 * response the fake sends is validated too: one that does not match is recorded in
 * `responseViolations`, answered 500 instead, and makes `close()` throw, so a test cannot pass
 * on a response the service could not send. Beyond the schema, the fake keeps the service rules
 * the description states in words (environment ids are ARM ids; asset versions immutable; …).
 */

export const FAKE_API_VERSION = AZUREML_CONTRACT_VERSION;
export const FAKE_TOKEN = 'fake-arm-token';

/** A credential that hands out a fixed token (tests never reach Entra ID). */
export const fakeCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: FAKE_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

export interface RecordedRequest {
  method: string;
  /** Path below the workspace, e.g. `/models/opp/versions/1` (or the full path outside it). */
  path: string;
  apiVersion: string | null;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  /** How many matching requests get the fault. Default 1. */
  times?: number;
}

type Json = Record<string, unknown>;

const OPERATION_PATH =
  /^\/subscriptions\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/locations\/[^/]+\/mfeOperationsStatus\/([^/]+)$/;
/**
 * What the description says environment ids are: "The ARM resource ID of the Environment
 * specification for the job" (CommandJob.environmentId); "ARM resource ID or AssetId of the
 * environment specification" (OnlineDeployment.environmentId). The CLI's `azureml:name:version`
 * shorthand is resolved by the CLI (and the Python SDK) before it calls REST; REST takes ids.
 */
const ENVIRONMENT_ARM_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/(?:workspaces|registries)\/[^/]+\/environments\/[^/]+\/versions\/[^/]+$/i;
const REGISTRY_ASSET_ID =
  /^azureml:\/\/registries\/[^/]+\/environments\/[^/]+\/(?:versions\/[^/]+|labels\/[^/]+)$/;
interface Operation {
  polls: number;
  fail?: { code: string; message: string };
  onDone: () => void;
}

export interface FakeAzureMlOptions {
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  /** Models per list page when the caller gives no `$top`. Default 2 (to exercise nextLink). */
  pageSize?: number;
  /** Polls of an operation that answer InProgress before it finishes. Default 1. */
  operationPolls?: number;
  /** The default datastore's blob container. */
  datastore?: { name: string; accountName: string; containerName: string };
}

export class FakeAzureMl {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  /** Responses the fake would have sent that its own contract refuses (a bug in the fake). */
  readonly responseViolations: string[] = [];
  readonly faults: Fault[] = [];
  readonly models = new Map<string, Json>();
  readonly jobs = new Map<string, { body: Json; statuses: string[] }>();
  readonly endpoints = new Map<string, Json>();
  readonly deployments = new Map<string, Json>();
  /** Deployment name → logs; a deployment listed here fails provisioning. */
  readonly failingDeployments = new Map<string, string>();
  /** Deployment name → container logs returned by getLogs. */
  readonly logs = new Map<string, string>();
  /** Deployments whose scoring calls answer 500. */
  readonly failingScoring = new Set<string>();
  /** Job name → final status (default Completed). */
  readonly jobOutcomes = new Map<string, 'Completed' | 'Failed'>();
  url = '';
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  private readonly operations = new Map<string, Operation>();
  private readonly contract = azureMlContract();
  /** The described operation each response answers (the async-operation polls have none). */
  private readonly answering = new WeakMap<ServerResponse, ContractOperation>();
  private readonly server = createServer((req, res) => void this.handle(req, res));

  constructor(private readonly options: FakeAzureMlOptions = {}) {
    this.subscriptionId = options.subscriptionId ?? '00000000-1111-2222-3333-444444444444';
    this.resourceGroup = options.resourceGroup ?? 'test-rg';
    this.workspaceName = options.workspaceName ?? 'test-ws';
  }

  get workspace() {
    return {
      subscriptionId: this.subscriptionId,
      resourceGroup: this.resourceGroup,
      workspaceName: this.workspaceName,
    };
  }

  get prefix(): string {
    return (
      `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${this.workspaceName}`
    );
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.responseViolations.length > 0)
      throw new Error(`the fake sent responses its contract refuses: ${this.responseViolations.join(' | ')}`);
  }

  /** Requests below the workspace matching `method` and a path pattern. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.fail(res, 400, 'BadRequest', 'body is not JSON');
    }
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) : url.pathname;
    const apiVersion = url.searchParams.get('api-version');
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'authorization',
      ),
    );
    this.requests.push({
      method,
      path,
      apiVersion,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    });
    const scoring = /^\/inference\/([^/]+)\/score$/.exec(path);
    if (scoring && method === 'POST') return this.score(scoring[1]!, req.headers, res);
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`)
      return this.fail(res, 401, 'AuthenticationFailed', 'no token');
    if (!OPERATION_PATH.test(url.pathname)) {
      const op = this.contract.match(method, url.pathname);
      if (!op)
        return this.violation(res, `${method} ${path}: no such route in the ${FAKE_API_VERSION} description`);
      const refusal = this.contract.checkRequest(op, url.searchParams, body);
      if (refusal) {
        this.violations.push(`${method} ${path}: ${refusal.message}`);
        return this.fail(res, refusal.status, refusal.code, refusal.message);
      }
      this.answering.set(res, op);
    }
    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && f.path.test(path) && (f.times ?? 1) > 0,
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      const code = fault.status === 429 ? 'TooManyRequests' : 'InternalError';
      return this.send(res, fault.status, { error: { code, message: 'injected fault' } }, fault.headers);
    }
    try {
      this.route(method, path, url, body, res, req.headers['if-none-match']);
    } catch (error) {
      this.fail(res, 500, 'FakeError', (error as Error).message);
    }
  }

  private route(
    method: string,
    path: string,
    url: URL,
    body: unknown,
    res: ServerResponse,
    ifNoneMatch?: string,
  ) {
    const routes: [string | null, RegExp, (m: string[]) => void][] = [
      [null, OPERATION_PATH, (m) => this.pollOperation(m[0]!, res)],
      ['GET', /^\/datastores$/, () => this.listDatastores(url, res)],
      ['GET', /^\/models\/([^/]+)\/versions$/, (m) => this.listModels(m[0]!, url, res)],
      [
        null,
        /^\/models\/([^/]+)\/versions\/([^/]+)$/,
        (m) => this.modelVersion(method, m[0]!, m[1]!, body, res, ifNoneMatch),
      ],
      [null, /^\/jobs\/([^/]+)$/, (m) => this.job(method, m[0]!, body, res)],
      [null, /^\/onlineEndpoints\/([^/]+)$/, (m) => this.endpoint(method, m[0]!, body, url, res)],
      ['POST', /^\/onlineEndpoints\/([^/]+)\/listKeys$/, (m) => this.listKeys(m[0]!, res)],
      ['GET', /^\/onlineEndpoints\/([^/]+)\/deployments$/, (m) => this.listDeployments(m[0]!, res)],
      [
        'POST',
        /^\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)\/getLogs$/,
        (m) => this.getLogs(m[1]!, body, res),
      ],
      [
        null,
        /^\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)$/,
        (m) => this.deployment(method, m[0]!, m[1]!, body, url, res),
      ],
    ];
    for (const [verb, pattern, handler] of routes) {
      const match = pattern.exec(path);
      if (match && (!verb || verb === method)) {
        handler(match.slice(1));
        return;
      }
    }
    this.violation(res, `${method} ${path}: no such route`);
  }

  private listKeys(endpoint: string, res: ServerResponse) {
    if (!this.endpoints.has(endpoint)) return this.fail(res, 404, 'NotFound', `endpoint ${endpoint}`);
    this.send(res, 200, { primaryKey: 'fake-primary-key', secondaryKey: 'fake-secondary-key' });
  }

  private listDeployments(endpoint: string, res: ServerResponse) {
    const value = [...this.deployments.entries()]
      .filter(([k]) => k.startsWith(`${endpoint}/`))
      .map(([, v]) => v);
    this.send(res, 200, { value });
  }

  private getLogs(deployment: string, body: unknown, res: ServerResponse) {
    const content = this.logs.get(deployment) ?? this.failingDeployments.get(deployment) ?? '';
    const tail = (body as { tail?: number }).tail;
    this.send(res, 200, { content: tail ? content.split('\n').slice(-tail).join('\n') : content });
  }

  private listDatastores(url: URL, res: ServerResponse) {
    const ds = this.options.datastore ?? {
      name: 'workspaceblobstore',
      accountName: 'devstoreaccount1',
      containerName: 'azureml-blobstore',
    };
    const item = {
      id: `${this.prefix}/datastores/${ds.name}`,
      name: ds.name,
      type: 'Microsoft.MachineLearningServices/workspaces/datastores',
      properties: {
        datastoreType: 'AzureBlob',
        isDefault: true,
        credentials: { credentialsType: 'AccountKey' },
        accountName: ds.accountName,
        containerName: ds.containerName,
        endpoint: 'core.windows.net',
        protocol: 'https',
      },
    };
    const other = { ...item, name: 'other', properties: { ...item.properties, isDefault: false } };
    this.send(res, 200, { value: url.searchParams.get('isDefault') === 'true' ? [item] : [other, item] });
  }

  private modelResource(name: string, version: string, properties: Json): Json {
    return {
      id: `${this.prefix}/models/${name}/versions/${version}`,
      name: version,
      type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
      properties,
      systemData: { createdAt: new Date().toISOString(), createdBy: 'fake', createdByType: 'User' },
    };
  }

  private modelVersion(
    method: string,
    name: string,
    version: string,
    body: unknown,
    res: ServerResponse,
    ifNoneMatch?: string,
  ) {
    const key = `${name}/${version}`;
    if (method === 'GET') {
      const model = this.models.get(key);
      return model ? this.send(res, 200, model) : this.fail(res, 404, 'UserError', `model ${key} not found`);
    }
    if (method !== 'PUT') return this.violation(res, `${method} model version`);
    const existed = this.models.has(key);
    if (existed && ifNoneMatch === '*')
      return this.fail(res, 412, 'PreconditionFailed', `model ${key} exists`);
    const oldUri = ((this.models.get(key)?.properties ?? {}) as Json).modelUri;
    const newUri = (body as { properties: Json }).properties.modelUri;
    // Asset versions are immutable but for tags and description.
    if (existed && oldUri !== newUri)
      return this.fail(res, 409, 'Conflict', `model ${key}: modelUri cannot change`);
    const resource = this.modelResource(name, version, (body as { properties: Json }).properties);
    this.models.set(key, resource);
    this.send(res, existed ? 200 : 201, resource);
  }

  private listModels(name: string, url: URL, res: ServerResponse) {
    const filter = url.searchParams.get('tags');
    const wanted = (filter ? filter.split(',') : []).map((kv) => kv.split('='));
    const all = [...this.models.entries()]
      .filter(([k]) => k.startsWith(`${name}/`))
      .map(([, v]) => v)
      .filter((v) => {
        const tags = ((v.properties as Json).tags ?? {}) as Record<string, string>;
        return wanted.every(([k, val]) => tags[k!] === val);
      })
      .sort((a, b) => Number(a.name) - Number(b.name));
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const top = Number(url.searchParams.get('$top') ?? this.options.pageSize ?? 2);
    const value = all.slice(skip, skip + top);
    const next = new URL(url);
    next.searchParams.set('$skip', String(skip + top));
    this.send(res, 200, { value, ...(skip + top < all.length ? { nextLink: next.toString() } : {}) });
  }

  private job(method: string, name: string, body: unknown, res: ServerResponse) {
    const job = this.jobs.get(name);
    if (method === 'GET') {
      if (!job) return this.fail(res, 404, 'UserError', `job ${name} not found`);
      // Each read moves the job one state on, like a real run seen at long intervals.
      if (job.statuses.length > 1) job.statuses.shift();
      const status = job.statuses[0]!;
      const props = job.body.properties as Json;
      const outputs = Object.fromEntries(
        Object.entries((props.outputs ?? {}) as Record<string, Json>).map(([k, v]) => [
          k,
          { ...v, uri: v.uri ?? `azureml://datastores/workspaceblobstore/paths/azureml/${name}/${k}/` },
        ]),
      );
      return this.send(res, 200, { ...job.body, properties: { ...props, status, outputs } });
    }
    if (method !== 'PUT') return this.violation(res, `${method} job`);
    const environment = ((body as { properties: Json }).properties.environmentId ?? '') as string;
    if (!ENVIRONMENT_ARM_ID.test(environment))
      return this.fail(
        res,
        400,
        'UserError',
        `environmentId ${environment}: not the ARM id of an environment version`,
      );
    if (job) return this.fail(res, 409, 'Conflict', `job ${name} exists`);
    const final = this.jobOutcomes.get(name) ?? 'Completed';
    const resource = {
      id: `${this.prefix}/jobs/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/jobs',
      properties: { ...(body as { properties: Json }).properties, status: 'NotStarted' },
    };
    this.jobs.set(name, { body: resource, statuses: ['NotStarted', 'Queued', 'Running', final] });
    this.send(res, 201, resource);
  }

  private endpoint(method: string, name: string, body: unknown, url: URL, res: ServerResponse) {
    const existing = this.endpoints.get(name);
    if (method === 'GET')
      return existing ? this.send(res, 200, existing) : this.fail(res, 404, 'NotFound', `endpoint ${name}`);
    if (method !== 'PUT') return this.violation(res, `${method} endpoint`);
    const b = body as {
      location: string;
      tags?: Json;
      properties: { authMode: string; traffic?: Record<string, number> };
    };
    const traffic = b.properties.traffic ?? {};
    const total = Object.values(traffic).reduce((a, v) => a + v, 0);
    if (total !== 0 && total !== 100)
      return this.fail(res, 400, 'BadArgument', `traffic sums to ${total}, not 100`);
    for (const [d, pct] of Object.entries(traffic)) {
      const dep = this.deployments.get(`${name}/${d}`);
      const state = ((dep?.properties ?? {}) as Json).provisioningState;
      if (pct > 0 && state !== 'Succeeded')
        return this.fail(res, 400, 'BadArgument', `deployment ${d} is not ready (${String(state)})`);
    }
    const resource = {
      id: `${this.prefix}/onlineEndpoints/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
      location: b.location,
      tags: b.tags ?? {},
      properties: {
        authMode: b.properties.authMode,
        traffic,
        scoringUri: `${this.url}/inference/${name}/score`,
        provisioningState: existing ? 'Updating' : 'Creating',
      },
    };
    this.endpoints.set(name, resource);
    this.startOperation(res, existing ? 200 : 201, resource, url, undefined, () => {
      resource.properties.provisioningState = 'Succeeded';
    });
  }

  private deployment(
    method: string,
    endpoint: string,
    name: string,
    body: unknown,
    url: URL,
    res: ServerResponse,
  ) {
    const key = `${endpoint}/${name}`;
    const existing = this.deployments.get(key);
    if (method === 'GET')
      return existing ? this.send(res, 200, existing) : this.fail(res, 404, 'NotFound', `deployment ${key}`);
    const ep = this.endpoints.get(endpoint);
    if (!ep) return this.fail(res, 404, 'NotFound', `endpoint ${endpoint}`);
    if (method === 'DELETE') {
      if (!existing) {
        return this.send(res, 204, undefined);
      }
      const traffic = ((ep.properties as Json).traffic ?? {}) as Record<string, number>;
      if ((traffic[name] ?? 0) > 0)
        return this.fail(res, 400, 'BadArgument', `deployment ${name} still takes traffic`);
      return this.startOperation(res, 202, undefined, url, undefined, () => this.deployments.delete(key));
    }
    if (method !== 'PUT') return this.violation(res, `${method} deployment`);
    const environment = ((body as { properties: Json }).properties.environmentId ?? '') as string;
    if (environment && !ENVIRONMENT_ARM_ID.test(environment) && !REGISTRY_ASSET_ID.test(environment))
      return this.fail(
        res,
        400,
        'UserError',
        `environmentId ${environment}: not an ARM id or asset id of an environment version`,
      );
    const b = body as { location: string; tags?: Json; sku?: Json; properties: Json };
    const props: Json = { ...b.properties, provisioningState: existing ? 'Updating' : 'Creating' };
    const resource = {
      id: `${this.prefix}/onlineEndpoints/${endpoint}/deployments/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      location: b.location,
      tags: b.tags ?? {},
      ...(b.sku ? { sku: b.sku } : {}),
      properties: props,
    };
    this.deployments.set(key, resource);
    const failing = this.failingDeployments.has(name);
    const fail = failing ? { code: 'OperationFailed', message: 'Deployment provisioning failed' } : undefined;
    this.startOperation(res, existing ? 200 : 201, resource, url, fail, () => {
      props.provisioningState = failing ? 'Failed' : 'Succeeded';
    });
  }

  /**
   * The endpoint's scoring route (data plane): key auth, routed to one deployment by the
   * `azureml-model-deployment` header; deployments in `failingScoring` answer 500.
   */
  private score(endpoint: string, headers: IncomingMessage['headers'], res: ServerResponse) {
    if (headers.authorization !== 'Bearer fake-primary-key')
      return this.fail(res, 401, 'Unauthorized', 'bad key');
    const deployment = headers['azureml-model-deployment'];
    if (typeof deployment !== 'string' || !this.deployments.has(`${endpoint}/${deployment}`)) {
      return this.fail(res, 404, 'NotFound', `no deployment ${String(deployment)} on ${endpoint}`);
    }
    if (this.failingScoring.has(deployment)) return this.fail(res, 500, 'ScoringError', 'model raised');
    this.send(res, 200, { scores: [0.5] });
  }

  /** Answers a long-running PUT/DELETE with an Azure-AsyncOperation URL to poll. */
  private startOperation(
    res: ServerResponse,
    status: number,
    resource: Json | undefined,
    url: URL,
    fail: Operation['fail'],
    onDone: () => void,
  ) {
    const id = randomUUID();
    this.operations.set(id, { polls: 0, onDone, ...(fail ? { fail } : {}) });
    const op = `${this.url}/subscriptions/${this.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/westeurope/mfeOperationsStatus/${id}?api-version=${url.searchParams.get('api-version')}`;
    const headers: Record<string, string> = { 'Azure-AsyncOperation': op };
    if (status === 202) headers.Location = op;
    this.send(res, status, resource, headers);
  }

  private pollOperation(id: string, res: ServerResponse) {
    const op = this.operations.get(id);
    if (!op) return this.fail(res, 404, 'NotFound', `operation ${id}`);
    op.polls++;
    if (op.polls <= (this.options.operationPolls ?? 1))
      return this.send(res, 200, { id, name: id, status: 'InProgress' });
    op.onDone();
    if (op.fail) return this.send(res, 200, { id, name: id, status: 'Failed', error: op.fail });
    this.send(res, 200, { id, name: id, status: 'Succeeded' });
  }

  private violation(res: ServerResponse, message: string) {
    this.violations.push(message);
    this.fail(res, 400, 'BadRequest', message);
  }

  private fail(res: ServerResponse, status: number, code: string, message: string) {
    this.send(res, status, { error: { code, message } });
  }

  /** Sends a response after checking it against the operation's described responses. */
  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const op = this.answering.get(res);
    const problems = op ? this.contract.checkResponse(op, status, body) : [];
    if (problems.length > 0) {
      this.responseViolations.push(...problems);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'FakeContractError', message: problems.join('; ') } }));
      return;
    }
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a fake on a free port. */
export async function startFakeAzureMl(options: FakeAzureMlOptions = {}): Promise<FakeAzureMl> {
  return new FakeAzureMl(options).start();
}

/** Retry settings that keep tests fast (the SDK default waits seconds between 5xx retries). */
export const FAST_RETRY = { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 };
