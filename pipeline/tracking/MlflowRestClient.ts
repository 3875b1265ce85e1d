/*
 * A small client for MLflow's REST API (`/api/2.0/mlflow/...`), written for opp rather than
 * taken from npm. The npm `mlflow` package (2.0.7) is an unofficial client: it logs every
 * request body (our params can carry config and ids we do not want in CI logs), calls the
 * removed `experiments/list` endpoint, has no retries, no chunking to the log-batch limits,
 * no bearer-token hook for Azure ML, and no model registry. The endpoints opp needs are few
 * and documented, so owning ~250 lines is cheaper than working around it.
 *
 * Endpoints used (MLflow REST API docs): experiments/get-by-name, experiments/create,
 * runs/create, runs/update, runs/get, runs/search (page_token), runs/log-batch (≤ 1000
 * metrics, 100 params, 100 tags, 1000 items per call), runs/set-tag, metrics/get-history,
 * and the artifact proxy `PUT /api/2.0/mlflow-artifacts/artifacts/<path>` (`--serve-artifacts`).
 */
import { TrackingError } from '../errors/TrackingError.js';
import { trimTrailingSlashes } from '../util/trim-trailing-slashes.js';
import {
  chunkLogBatch,
  type KeyValue,
  type LogBatchChunk,
  type MetricEntry,
} from './internal/batch-limits.js';
import {
  isRetriedByClient,
  type RetryPolicy,
  type SendOptions,
  sendRequest,
} from './internal/send-request.js';
import { toExperiment, toRun, type WireRun, wireMetric } from './internal/wire-format.js';
import { splitUserinfo } from './redact-uri.js';
import type { ExperimentRecord, MetricPoint, RunRecord } from './run-record.js';
import type { RunStatus } from './tracker.js';

export type { RetryPolicy, TokenProvider } from './internal/send-request.js';

export type MlflowRestClientOptions = SendOptions;

export interface SearchRunsOptions {
  /** MLflow filter, e.g. "tags.`opp.localRunId` = 'abc'". */
  filter?: string;
  /** Page size (MLflow allows up to 50,000). @default 1000 */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchRunsPage {
  runs: RunRecord[];
  nextPageToken?: string;
}

const DEFAULT_PAGE_SIZE = 1000;
/** A client for one MLflow tracking server; `baseUrl` is the tracking URI (http or https). */
export class MlflowRestClient {
  readonly baseUrl: string;
  private readonly options: MlflowRestClientOptions;

  /**
   * @param baseUrl - the tracking URI. A `user:password@` in it is taken out (so `baseUrl`, and
   *   every message that quotes it, holds none) and sent as HTTP Basic authentication instead,
   *   unless `options.tokenProvider` gives a bearer token.
   */
  constructor(baseUrl: string, options: MlflowRestClientOptions = {}) {
    const { uri, username, password } = splitUserinfo(baseUrl);
    this.baseUrl = trimTrailingSlashes(uri);
    this.options = { ...options };
    if (username !== undefined && !this.options.basicAuth)
      this.options.basicAuth = { username, password: password ?? '' };
  }

  /** The experiment's record, or undefined when no active experiment has that name. */
  async getExperimentByName(name: string): Promise<ExperimentRecord | undefined> {
    try {
      const body = await this.call<{ experiment: Record<string, unknown> }>(
        'GET',
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      );
      return toExperiment(body.experiment);
    } catch (error) {
      if ((error as TrackingError).code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /** The id of the named experiment, creating it if missing (a concurrent create is fine). */
  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experimentId;
    try {
      const body = await this.call<{ experiment_id: string }>(
        'POST',
        'experiments/create',
        { name },
        'unapplied',
      );
      return String(body.experiment_id);
    } catch (error) {
      if ((error as TrackingError).code !== 'RESOURCE_ALREADY_EXISTS') throw error;
      const raced = await this.getExperimentByName(name);
      if (!raced) throw error;
      return raced.experimentId;
    }
  }

  /** Creates a run; `runs/create` is not idempotent, so it is retried only when surely unapplied. */
  async createRun(
    experimentId: string,
    options: { runName?: string; startTime?: number; tags?: KeyValue[]; userId?: string } = {},
  ): Promise<RunRecord> {
    const body = await this.call<WireRun & { run: WireRun }>(
      'POST',
      'runs/create',
      {
        experiment_id: experimentId,
        run_name: options.runName,
        start_time: options.startTime,
        user_id: options.userId,
        tags: options.tags ?? [],
      },
      'unapplied',
    );
    return toRun(body.run);
  }

  /** Sets a run's status and end time. */
  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }

  async getRun(runId: string): Promise<RunRecord> {
    const body = await this.call<{ run: WireRun }>('GET', `runs/get?run_id=${encodeURIComponent(runId)}`);
    return toRun(body.run);
  }

  /** One page of `runs/search`. */
  async searchRunsPage(experimentIds: string[], options: SearchRunsOptions = {}): Promise<SearchRunsPage> {
    const body = await this.call<{ runs?: WireRun[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter: options.filter ?? '',
      max_results: options.maxResults ?? DEFAULT_PAGE_SIZE,
      order_by: options.orderBy ?? [],
      page_token: options.pageToken,
    });
    return { runs: (body.runs ?? []).map(toRun), nextPageToken: body.next_page_token || undefined };
  }

  /** Every run matching the search, following `next_page_token`. */
  async *searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): AsyncGenerator<RunRecord> {
    let pageToken = options.pageToken;
    do {
      const page = await this.searchRunsPage(experimentIds, { ...options, pageToken });
      yield* page.runs;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * Logs params, tags and metrics in as many `runs/log-batch` calls as MLflow's limits need.
   * Params and tags are idempotent; metrics are not (a resend appends twice), so a batch with
   * metrics is retried only when surely unapplied. Callers that must not duplicate metrics
   * after an ambiguous failure dedupe against {@link getMetricHistory} (see the outbox upload).
   *
   * @returns the number of requests sent.
   */
  async logBatch(runId: string, batch: Partial<LogBatchChunk>): Promise<number> {
    const chunks = chunkLogBatch({
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
    for (const chunk of chunks)
      await this.call(
        'POST',
        'runs/log-batch',
        { run_id: runId, ...chunk, metrics: chunk.metrics.map(wireMetric) },
        chunk.metrics.length > 0 ? 'unapplied' : 'transient',
      );
    return chunks.length;
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  /** Every logged point of one metric, following pages. */
  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const query = `run_id=${encodeURIComponent(runId)}&metric_key=${encodeURIComponent(key)}&max_results=${DEFAULT_PAGE_SIZE * 25}${pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ''}`;
      const body = await this.call<{ metrics?: MetricEntry[]; next_page_token?: string }>(
        'GET',
        `metrics/get-history?${query}`,
      );
      for (const m of body.metrics ?? [])
        points.push({ timestamp: Number(m.timestamp), value: Number(m.value), step: Number(m.step ?? 0) });
      pageToken = body.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  /**
   * Uploads one artifact file through the server's artifact proxy. Only `mlflow-artifacts:`
   * artifact URIs go through the tracking server; other stores (s3, azureml, wasbs) need their
   * own SDK and are refused with a TrackingError (the caller keeps the file locally).
   */
  async uploadArtifact(artifactUri: string, relativePath: string, content: Uint8Array): Promise<void> {
    // `s`: the path runs to the end whatever it holds, so a failed match cannot retry every split
    // of a long host between `[^/]*` and `.*` (quadratic without it).
    const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/s.exec(artifactUri);
    if (!match)
      throw new TrackingError(
        `artifact store ${artifactUri.split(':')[0]}: is not uploaded by opp (only mlflow-artifacts:)`,
        'UNSUPPORTED_ARTIFACT_STORE',
      );
    const path = [match[1], relativePath]
      .filter(Boolean)
      .join('/')
      .split('/')
      .map(encodeURIComponent)
      .join('/');
    await this.send(
      'PUT',
      `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${path}`,
      content,
      'transient',
    );
  }

  private call<T = unknown>(
    method: 'GET' | 'POST',
    endpoint: string,
    body?: unknown,
    policy: RetryPolicy = 'transient',
  ): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    return this.send(method, `${this.baseUrl}/api/2.0/mlflow/${endpoint}`, json, policy) as Promise<T>;
  }

  private send(
    method: string,
    url: string,
    body: string | Uint8Array | undefined,
    policy: RetryPolicy,
  ): Promise<unknown> {
    const label = `${method} ${url.replace(this.baseUrl, '').split('?')[0]}`;
    return sendRequest({ method, url, body, label, policy }, this.options);
  }
}

/** @see isRetriedByClient in internal/send-request.ts */
export { isRetriedByClient };
