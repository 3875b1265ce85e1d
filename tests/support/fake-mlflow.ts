/**
 * A local stand-in for an MLflow tracking server: the documented REST endpoints opp uses
 * (experiments get-by-name/create, runs create/update/get/search/log-batch/set-tag,
 * metrics/get-history, the mlflow-artifacts proxy), with MLflow's error bodies
 * (`{error_code, message}`), its log-batch limits, write-once params, and page tokens.
 * Faults can be injected per endpoint, before or after the request is applied.
 *
 * Requests and responses are contract-checked against the messages of MLflow's
 * mlflow/protos/service.proto (tests/contracts/mlflow/, an extract): a request the message
 * refuses (a required field missing, a value of the wrong type) gets MLflow's answer, 400
 * `INVALID_PARAMETER_VALUE`, and is recorded in `violations`; a 200 answer the fake would send
 * that its `Response` message refuses is a bug in the fake: it answers 500 instead, records it
 * in `responseViolations`, and `close()` throws. The artifact proxy is not in service.proto and
 * is answered unchecked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MLFLOW_ENDPOINTS, mlflowContract } from './contracts/mlflow.js';

export interface FakeMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface FakeRun {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: FakeMetric[];
}

export interface Fault {
  /** e.g. `runs/log-batch`, `runs/create`, or `*`. */
  endpoint: string;
  status: number;
  /** How many requests get it. */
  times: number;
  errorCode?: string;
  /** Apply the request, then answer the error (a lost answer). @default false */
  afterApply?: boolean;
  retryAfterSeconds?: number;
  /** Only requests whose JSON body this accepts get the fault. @default all */
  when?: (body: Record<string, unknown>) => boolean;
}

export interface FakeMlflow {
  url: string;
  experiments: Map<
    string,
    { experiment_id: string; name: string; artifact_location: string; lifecycle_stage: string }
  >;
  runs: Map<string, FakeRun>;
  artifacts: Map<string, Buffer>;
  /** `METHOD endpoint` of every request, in order. */
  requests: string[];
  /** Requests the contract refused (answered 400 INVALID_PARAMETER_VALUE, as MLflow does). */
  violations: string[];
  /** 200 answers the fake would have sent that the contract refuses (a bug in the fake). */
  responseViolations: string[];
  faults: Fault[];
  /** When set, every request answers 503. */
  down: boolean;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  requiredToken?: string;
  /** When set (`user:password`), requests must carry it as `Authorization: Basic …`. */
  requiredBasic?: string;
  /** Runs once before the next request to an endpoint (e.g. a racing create). */
  before: Map<string, () => void>;
  /** Page size cap the server applies to searches and histories. */
  maxPageSize: number;
  createExperiment(name: string): string;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX = { metrics: 1000, params: 100, tags: 100, total: 1000 };

/**
 * A metric as MLflow answers it: protobuf's JSON mapping writes a non-finite double as the
 * string `"NaN"`, `"Infinity"` or `"-Infinity"` (JSON.stringify would write null).
 */
const wireMetric = (m: FakeMetric) => ({ ...m, value: Number.isFinite(m.value) ? m.value : String(m.value) });

export async function startFakeMlflow(): Promise<FakeMlflow> {
  let nextExperiment = 1;
  let nextRun = 1;
  const fake: FakeMlflow = {
    url: '',
    experiments: new Map(),
    runs: new Map(),
    artifacts: new Map(),
    requests: [],
    violations: [],
    responseViolations: [],
    faults: [],
    down: false,
    before: new Map(),
    maxPageSize: 1000,
    createExperiment(name) {
      if ([...fake.experiments.values()].some((e) => e.name === name))
        throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
      const id = String(nextExperiment++);
      fake.experiments.set(id, {
        experiment_id: id,
        name,
        artifact_location: `mlflow-artifacts:/${id}`,
        lifecycle_stage: 'active',
      });
      return id;
    },
    close: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      if (fake.responseViolations.length > 0)
        throw new Error(`the fake sent answers its contract refuses: ${fake.responseViolations.join(' | ')}`);
    },
  };
  const contract = mlflowContract();

  const runOf = (id: unknown) => {
    const run = fake.runs.get(String(id));
    if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${id}' not found`);
    return run;
  };
  const wireRun = (run: FakeRun) => {
    const latest = new Map<string, FakeMetric>();
    for (const m of run.metrics) {
      const best = latest.get(m.key);
      if (!best || m.step > best.step || (m.step === best.step && m.timestamp >= best.timestamp))
        latest.set(m.key, m);
    }
    const pairs = (map: Map<string, string>) => [...map].map(([key, value]) => ({ key, value }));
    return {
      info: run.info,
      data: {
        params: pairs(run.params),
        tags: pairs(run.tags),
        metrics: [...latest.values()].map(wireMetric),
      },
    };
  };
  const page = <T>(items: T[], token: unknown, max: unknown) => {
    const start = token ? Number(Buffer.from(String(token), 'base64').toString()) : 0;
    const size = Math.min(Number(max) || fake.maxPageSize, fake.maxPageSize);
    const next =
      start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
    return { items: items.slice(start, start + size), next };
  };
  const matches = (run: FakeRun, filter: string) => {
    if (!filter.trim()) return true;
    const m = /^(tags|params)\.`?([^`=\s]+)`?\s*=\s*'([^']*)'$/.exec(filter.trim());
    if (!m) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `unsupported filter ${filter}`);
    return (m[1] === 'tags' ? run.tags : run.params).get(m[2]!) === m[3];
  };

  const handlers: Record<string, (body: Record<string, unknown>, query: URLSearchParams) => unknown> = {
    'GET experiments/get-by-name': (_, q) => {
      const found = [...fake.experiments.values()].find((e) => e.name === q.get('experiment_name'));
      if (!found)
        throw new ApiError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Could not find experiment with name '${q.get('experiment_name')}'`,
        );
      return { experiment: found };
    },
    'POST experiments/create': (b) => ({ experiment_id: fake.createExperiment(String(b.name)) }),
    'POST runs/create': (b) => {
      const experimentId = String(b.experiment_id);
      if (!fake.experiments.has(experimentId))
        throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No experiment ${experimentId}`);
      const id = `remote${String(nextRun++).padStart(26, '0')}`;
      const tags = new Map((b.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
      const run: FakeRun = {
        info: {
          run_id: id,
          run_uuid: id,
          run_name: String(b.run_name ?? tags.get('mlflow.runName') ?? ''),
          experiment_id: experimentId,
          user_id: String(b.user_id ?? ''),
          status: 'RUNNING',
          start_time: Number(b.start_time ?? Date.now()),
          artifact_uri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`,
          lifecycle_stage: 'active',
        },
        params: new Map(),
        tags,
        metrics: [],
      };
      fake.runs.set(id, run);
      return { run: wireRun(run) };
    },
    'POST runs/update': (b) => {
      const run = runOf(b.run_id);
      run.info.status = String(b.status);
      if (b.end_time !== undefined) run.info.end_time = Number(b.end_time);
      return { run_info: run.info };
    },
    'GET runs/get': (_, q) => ({ run: wireRun(runOf(q.get('run_id'))) }),
    'POST runs/search': (b) => {
      const ids = (b.experiment_ids as string[]).map(String);
      const found = [...fake.runs.values()]
        .filter((r) => ids.includes(r.info.experiment_id) && matches(r, String(b.filter ?? '')))
        .sort((x, y) => y.info.start_time - x.info.start_time || x.info.run_id.localeCompare(y.info.run_id));
      const { items, next } = page(found, b.page_token, b.max_results);
      return { runs: items.map(wireRun), next_page_token: next };
    },
    'POST runs/log-batch': (b) => {
      const run = runOf(b.run_id);
      const metrics = (b.metrics ?? []) as FakeMetric[];
      const params = (b.params ?? []) as { key: string; value: string }[];
      const tags = (b.tags ?? []) as { key: string; value: string }[];
      for (const [kind, list] of [
        ['metrics', metrics],
        ['params', params],
        ['tags', tags],
      ] as const)
        if (list.length > MAX[kind])
          throw new ApiError(
            400,
            'INVALID_PARAMETER_VALUE',
            `A batch logging request can contain at most ${MAX[kind]} ${kind}. Got ${list.length} ${kind}.`,
          );
      if (metrics.length + params.length + tags.length > MAX.total)
        throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'too many items in total');
      for (const p of params) {
        const old = run.params.get(p.key);
        if (old !== undefined && old !== p.value)
          throw new ApiError(
            400,
            'INVALID_PARAMETER_VALUE',
            `Changing param values is not allowed (${p.key})`,
          );
      }
      for (const p of params) run.params.set(p.key, p.value);
      for (const m of metrics)
        run.metrics.push({
          key: m.key,
          value: Number(m.value),
          timestamp: Number(m.timestamp),
          step: Number(m.step ?? 0),
        });
      for (const t of tags) run.tags.set(t.key, t.value);
      return {};
    },
    'POST runs/set-tag': (b) => {
      runOf(b.run_id).tags.set(String(b.key), String(b.value));
      return {};
    },
    'GET metrics/get-history': (_, q) => {
      const run = runOf(q.get('run_id'));
      const points = run.metrics.filter((m) => m.key === q.get('metric_key'));
      const { items, next } = page(points, q.get('page_token'), q.get('max_results'));
      return { metrics: items.map(wireMetric), next_page_token: next };
    },
  };

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const artifact = url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/');
    const endpoint = artifact ? 'mlflow-artifacts' : url.pathname.replace('/api/2.0/mlflow/', '');
    fake.requests.push(`${req.method} ${endpoint}`);
    if (fake.down) return answer(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down' });
    if (fake.requiredToken && req.headers.authorization !== `Bearer ${fake.requiredToken}`)
      return answer(res, 401, { error_code: 'UNAUTHENTICATED', message: 'bad token' });
    if (
      fake.requiredBasic &&
      req.headers.authorization !== `Basic ${Buffer.from(fake.requiredBasic).toString('base64')}`
    )
      return answer(res, 401, { error_code: 'UNAUTHENTICATED', message: 'bad credentials' });
    const hook = fake.before.get(endpoint);
    if (hook) {
      fake.before.delete(endpoint);
      hook();
    }
    const body = raw.length && !artifact ? (JSON.parse(raw.toString()) as Record<string, unknown>) : {};
    const message = MLFLOW_ENDPOINTS[`${req.method} ${endpoint}`];
    if (message) {
      const input = req.method === 'GET' ? contract.queryToMessage(message, url.searchParams) : body;
      const refusal = contract.checkRequest(message, input);
      if (refusal) {
        fake.violations.push(`${req.method} ${endpoint}: ${refusal.message}`);
        return answer(res, refusal.status, { error_code: refusal.error_code, message: refusal.message });
      }
    }
    const fault = fake.faults.find(
      (f) => (f.endpoint === endpoint || f.endpoint === '*') && f.times > 0 && (!f.when || f.when(body)),
    );
    if (fault) fault.times--;
    const fail = () =>
      answer(
        res,
        fault!.status,
        { error_code: fault!.errorCode ?? 'INTERNAL_ERROR', message: 'injected fault' },
        fault!.retryAfterSeconds ? { 'retry-after': String(fault!.retryAfterSeconds) } : {},
      );
    if (fault && !fault.afterApply) return fail();
    try {
      let result: unknown = {};
      if (artifact && req.method === 'PUT')
        fake.artifacts.set(
          decodeURIComponent(url.pathname.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)),
          raw,
        );
      else {
        const handler = handlers[`${req.method} ${endpoint}`];
        if (!handler) throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `no ${req.method} ${endpoint}`);
        result = handler(body, url.searchParams);
      }
      if (fault) return fail();
      const problems = message
        ? contract.checkMessage(`${message}.Response`, result, 'response', 'response')
        : [];
      if (problems.length > 0) {
        fake.responseViolations.push(...problems.map((p) => `${req.method} ${endpoint}: ${p}`));
        return answer(res, 500, {
          error_code: 'INTERNAL_ERROR',
          message: `fake contract error: ${problems.join('; ')}`,
        });
      }
      answer(res, 200, result);
    } catch (error) {
      if (error instanceof ApiError)
        answer(res, error.status, { error_code: error.code, message: error.message });
      else answer(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) =>
      answer(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
