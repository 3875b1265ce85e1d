import { join } from 'node:path';
import { TrackingError } from '../errors/TrackingError.js';
import type { RetryOptions } from '../util/retry.js';
import type { KeyValue, MetricEntry } from './internal/batch-limits.js';
import { checkKey, currentUser, defaultRunName, newRunId, paramText } from './internal/keys.js';
import type { MlflowRestClient } from './MlflowRestClient.js';
import { Outbox } from './Outbox.js';
import { redactUri } from './redact-uri.js';
import {
  type LogArtifactOptions,
  type LogMetricsOptions,
  MLFLOW_TAGS,
  type ParamValue,
  type RunEndStatus,
  type RunRef,
  type StartRunOptions,
  type Tracker,
  type TrackerReport,
} from './tracker.js';
import { type UploadResult, uploadOutboxRun } from './upload-outbox-run.js';

export interface RemoteTrackerOptions {
  /** Experiment to record runs in; created on the server when missing. */
  experimentName: string;
  /** Folder for runs not yet uploaded, e.g. `$OPP_HOME/tracking/outbox`. */
  outboxDir: string;
  retry?: RetryOptions;
  /**
   * After a failed upload, how long to keep runs in the outbox only before trying the server
   * again (then everything pending is uploaded). @default 60000
   */
  offlineRetryMs?: number;
  /** Called once per distinct problem. */
  onWarning?: (message: string) => void;
}

/** Default of {@link RemoteTrackerOptions.offlineRetryMs}. */
export const DEFAULT_OFFLINE_RETRY_MS = 60_000;

/** What {@link RemoteTracker.syncPending} did. */
export interface SyncReport {
  uploaded: number;
  /** Runs still in the outbox (unreachable server, or a run another live process records). */
  pending: number;
}

/**
 * Records runs on an MLflow server (any, or an Azure ML workspace) without ever holding up
 * training: each call is first appended to a local outbox, then uploaded in the background in
 * call order. When the server stays unreachable after retries, one warning is given and the
 * runs stay in the outbox; uploads are tried again after `offlineRetryMs` (catching up on
 * everything pending), and {@link syncPending} (called by `createTracker` on the next start)
 * uploads what is still left. Every upload is exactly once (see `uploadOutboxRun`).
 *
 * Run ids returned are client-side ids (32 hex digits); {@link remoteRunId} gives the server's.
 */
export class RemoteTracker implements Tracker {
  readonly destination: string;
  private readonly outbox: Outbox;
  private queue: Promise<void> = Promise.resolve();
  /** While set, uploads wait until this time (ms since the epoch); 0 when the server is reachable. */
  private offlineUntil = 0;
  /** Runs with an upload queued and not yet started: one queued upload covers later calls. */
  private readonly queued = new Set<string>();
  private readonly warnings: string[] = [];

  constructor(
    private readonly client: MlflowRestClient,
    private readonly options: RemoteTrackerOptions,
  ) {
    this.destination = redactUri(client.baseUrl);
    this.outbox = new Outbox(options.outboxDir);
  }

  async startRun(options: StartRunOptions = {}): Promise<RunRef> {
    const localRunId = newRunId();
    const startTime = options.startTime ?? Date.now();
    const runName = options.runName ?? defaultRunName(startTime);
    const tags: KeyValue[] = [
      { key: MLFLOW_TAGS.runName, value: runName },
      { key: MLFLOW_TAGS.user, value: currentUser() },
      { key: MLFLOW_TAGS.sourceName, value: 'opp' },
      ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    ];
    for (const tag of tags) checkKey('tag', tag.key);
    await this.outbox.createRun({
      localRunId,
      experimentName: this.options.experimentName,
      runName,
      startTime,
      parentLocalRunId: options.parentRunId,
      tags,
      userId: currentUser(),
      pid: process.pid,
    });
    this.schedule(localRunId);
    return { runId: localRunId, experimentId: '' };
  }

  async logParams(runId: string, params: Record<string, ParamValue>): Promise<void> {
    const list = Object.entries(params).map(([key, value]) => {
      checkKey('param', key);
      return { key, value: paramText(key, value) };
    });
    await this.appendData(runId, { params: list });
  }

  async logMetrics(
    runId: string,
    metrics: Record<string, number>,
    options: LogMetricsOptions = {},
  ): Promise<void> {
    const timestamp = Math.round(options.timestamp ?? Date.now());
    const step = Math.round(options.step ?? 0);
    const list: MetricEntry[] = Object.entries(metrics).map(([key, value]) => {
      checkKey('metric', key);
      return { key, value, timestamp, step };
    });
    await this.appendData(runId, { metrics: list });
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const list = Object.entries(tags).map(([key, value]) => {
      checkKey('tag', key);
      return { key, value };
    });
    await this.appendData(runId, { tags: list });
  }

  async logArtifact(runId: string, localPath: string, options: LogArtifactOptions = {}): Promise<void> {
    await this.known(runId);
    await this.outbox.appendArtifact(runId, localPath, options.artifactPath ?? '');
    this.schedule(runId);
  }

  async endRun(runId: string, status: RunEndStatus = 'FINISHED', endTime = Date.now()): Promise<void> {
    await this.known(runId);
    await this.outbox.append(runId, { op: 'end', status, endTime });
    this.schedule(runId);
  }

  /** Waits for queued uploads; says what is still pending. */
  async close(): Promise<TrackerReport> {
    await this.queue;
    return {
      destination: this.destination,
      warnings: [...this.warnings],
      pendingRuns: (await this.outbox.pendingRuns()).length,
    };
  }

  /** The server's id of a run, once it has been created there. */
  async remoteRunId(runId: string): Promise<string | undefined> {
    await this.queue;
    return (await this.outbox.readState(runId)).remoteRunId;
  }

  /**
   * Uploads every run left in the outbox by earlier processes (and this one), oldest first.
   * Never throws: a failure is a warning, and the runs stay for the next try.
   */
  async syncPending(): Promise<SyncReport> {
    await this.queue;
    let uploaded = 0;
    for (const run of await this.outbox.pendingRuns()) {
      try {
        if ((await this.upload(run.localRunId)) === 'uploaded') uploaded++;
      } catch (error) {
        this.warn(
          `tracking server ${this.destination} unreachable (${(error as Error).message}); runs stay in ${this.outbox.root}`,
        );
        break;
      }
    }
    return { uploaded, pending: (await this.outbox.pendingRuns()).length };
  }

  private upload(localRunId: string): Promise<UploadResult> {
    return uploadOutboxRun(this.outbox, this.client, localRunId, {
      retry: this.options.retry,
      onWarning: (message) => this.warn(message),
    });
  }

  private async appendData(
    runId: string,
    data: Partial<{ params: KeyValue[]; tags: KeyValue[]; metrics: MetricEntry[] }>,
  ) {
    await this.known(runId);
    await this.outbox.append(runId, {
      op: 'data',
      params: data.params ?? [],
      tags: data.tags ?? [],
      metrics: data.metrics ?? [],
    });
    this.schedule(runId);
  }

  private async known(runId: string): Promise<void> {
    if (!(await this.outbox.readRun(runId)))
      throw new TrackingError(
        `run ${runId} was not started by this tracker (no ${join(this.outbox.root, runId)})`,
        'RESOURCE_DOES_NOT_EXIST',
      );
  }

  /** Queues an upload of the run; uploads run one at a time, in call order. */
  private schedule(localRunId: string): void {
    if (this.queued.has(localRunId)) return;
    this.queued.add(localRunId);
    this.queue = this.queue.then(async () => {
      this.queued.delete(localRunId);
      if (Date.now() < this.offlineUntil) return;
      try {
        if (this.offlineUntil === 0) await this.upload(localRunId);
        else {
          // Back after an outage: catch up on every run kept meanwhile, oldest first.
          for (const run of await this.outbox.pendingRuns()) await this.upload(run.localRunId);
          this.offlineUntil = 0;
        }
      } catch (error) {
        this.offlineUntil = Date.now() + (this.options.offlineRetryMs ?? DEFAULT_OFFLINE_RETRY_MS);
        this.warn(
          `tracking server ${this.destination} failed (${(error as Error).message}); the run is kept in ${this.outbox.root} and uploaded later`,
        );
      }
    });
  }

  private warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }
}
