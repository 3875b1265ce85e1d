import { readFile } from 'node:fs/promises';
import { isTrackingError, TrackingError } from '../errors/TrackingError.js';
import { isProcessRunning } from '../io/process-lock.js';
import { type RetryOptions, withRetry } from '../util/retry.js';
import { type KeyValue, LOG_BATCH_LIMITS, type MetricEntry } from './internal/batch-limits.js';
import { isRetriedByClient, type MlflowRestClient } from './MlflowRestClient.js';
import type { Outbox, OutboxOp, OutboxRun, OutboxState } from './Outbox.js';
import { LOCAL_RUN_ID_TAG, MLFLOW_TAGS } from './tracker.js';

export interface UploadOutboxRunOptions {
  retry?: RetryOptions;
  /** Told about problems that do not stop the upload (e.g. an artifact store opp cannot write). */
  onWarning?: (message: string) => void;
}

/** What one upload got done. */
export type UploadResult = 'uploaded' | 'partial' | 'locked';

/**
 * Uploads one outbox run to the server, resuming from its saved state. Exactly once, even
 * after a crash at any point:
 * - the run carries tag `opp.localRunId`; before creating it, the server is searched for it,
 *   so a create whose answer was lost is not repeated;
 * - each `runs/log-batch` group is marked in flight before it is sent; a group found in flight
 *   (a retry, or a crash before the acknowledgement was saved) is first compared with
 *   `metrics/get-history` and only the points the server lacks are sent. Params and tags are
 *   idempotent in MLflow and are simply resent.
 *
 * A run that never ended and whose process is gone is ended as KILLED.
 *
 * @throws TrackingError when the server stays unreachable or refuses; the state saved so far
 * lets the next call go on.
 */
export async function uploadOutboxRun(
  outbox: Outbox,
  client: MlflowRestClient,
  localRunId: string,
  options: UploadOutboxRunOptions = {},
): Promise<UploadResult> {
  const release = await outbox.lock(localRunId);
  if (!release) return 'locked';
  try {
    const run = await outbox.readRun(localRunId);
    if (!run) throw new TrackingError(`outbox run ${localRunId} has no run.json`);
    const state = await outbox.readState(localRunId);
    if (state.done) return 'uploaded';
    const journal = await outbox.readJournal(localRunId);
    if (!journal.some((op) => op.op === 'end') && run.pid !== process.pid && !isProcessRunning(run.pid)) {
      await outbox.append(localRunId, { op: 'end', status: 'KILLED', endTime: Date.now() });
      journal.push(...(await outbox.readJournal(localRunId)).slice(journal.length));
    }
    if (!state.remoteRunId) await createRemoteRun(outbox, client, run, state, options);
    const remoteRunId = state.remoteRunId!;
    const pending = journal.filter((op) => op.seq > state.ackedSeq);
    for (const group of groupOps(pending)) {
      const from = group[0]!.seq;
      const to = group.at(-1)!.seq;
      const first = group[0]!;
      if (first.op === 'data') {
        const merged = mergeData(group);
        const resumed = state.inflight?.from === from;
        state.inflight = { from, to };
        await outbox.writeState(localRunId, state);
        await withRetry(
          async (attempt) => {
            const batch = attempt > 1 || resumed ? await dropLogged(client, remoteRunId, merged) : merged;
            await client.logBatch(remoteRunId, batch);
          },
          isTransient,
          options.retry,
        );
      } else if (first.op === 'artifact') {
        await uploadArtifact(outbox, client, localRunId, state, first, options);
      } else {
        await client.updateRun(remoteRunId, first.status, first.endTime);
      }
      state.ackedSeq = to;
      state.inflight = undefined;
      await outbox.writeState(localRunId, state);
    }
    if (!journal.some((op) => op.op === 'end')) return 'partial';
    await outbox.complete(localRunId, state);
    return 'uploaded';
  } finally {
    await release();
  }
}

async function createRemoteRun(
  outbox: Outbox,
  client: MlflowRestClient,
  run: OutboxRun,
  state: OutboxState,
  options: UploadOutboxRunOptions,
): Promise<void> {
  const experimentId = await client.getOrCreateExperiment(run.experimentName);
  const filter = `tags.\`${LOCAL_RUN_ID_TAG}\` = '${run.localRunId}'`;
  const existing = (await client.searchRunsPage([experimentId], { filter, maxResults: 1 })).runs[0];
  let remote = existing;
  if (!remote) {
    const tags: KeyValue[] = [...run.tags, { key: LOCAL_RUN_ID_TAG, value: run.localRunId }];
    if (run.parentLocalRunId) {
      const parent = await remoteIdOf(outbox, client, run.parentLocalRunId, experimentId, options);
      tags.push({ key: MLFLOW_TAGS.parentRunId, value: parent });
    }
    remote = await withRetry(
      async (attempt) =>
        (attempt > 1 && (await client.searchRunsPage([experimentId], { filter, maxResults: 1 })).runs[0]) ||
        client.createRun(experimentId, {
          runName: run.runName,
          startTime: run.startTime,
          tags,
          userId: run.userId,
        }),
      isTransient,
      options.retry,
    );
  }
  state.remoteRunId = remote.runId;
  state.experimentId = experimentId;
  state.artifactUri = remote.artifactUri;
  await outbox.writeState(run.localRunId, state);
}

/** The server id of a parent run, uploading the parent first when it has not been. */
async function remoteIdOf(
  outbox: Outbox,
  client: MlflowRestClient,
  parentLocalRunId: string,
  experimentId: string,
  options: UploadOutboxRunOptions,
): Promise<string> {
  let state = await outbox.readState(parentLocalRunId);
  if (!state.remoteRunId && (await outbox.readRun(parentLocalRunId))) {
    await uploadOutboxRun(outbox, client, parentLocalRunId, options);
    state = await outbox.readState(parentLocalRunId);
  }
  if (state.remoteRunId) return state.remoteRunId;
  const filter = `tags.\`${LOCAL_RUN_ID_TAG}\` = '${parentLocalRunId}'`;
  const found = (await client.searchRunsPage([experimentId], { filter, maxResults: 1 })).runs[0];
  if (!found)
    throw new TrackingError(`parent run ${parentLocalRunId} is neither in the outbox nor on the server`);
  return found.runId;
}

async function uploadArtifact(
  outbox: Outbox,
  client: MlflowRestClient,
  localRunId: string,
  state: OutboxState,
  op: Extract<OutboxOp, { op: 'artifact' }>,
  options: UploadOutboxRunOptions,
): Promise<void> {
  const content = await readFile(outbox.artifactFile(localRunId, op.file));
  try {
    await client.uploadArtifact(state.artifactUri ?? '', op.artifactPath, content);
  } catch (error) {
    if ((error as TrackingError).code !== 'UNSUPPORTED_ARTIFACT_STORE') throw error;
    options.onWarning?.(
      `${(error as Error).message}; artifact ${op.artifactPath} of run ${localRunId} not uploaded`,
    );
  }
}

/**
 * Failures worth another try here: transient ones the client did not already retry, i.e. a
 * 5xx or a lost connection on a call that may have been applied (which the next try checks).
 */
function isTransient(error: unknown): boolean {
  if (!isTrackingError(error) || isRetriedByClient(error)) return false;
  const status = (error as TrackingError).statusCode;
  return status === undefined || status === 429 || status >= 500;
}

/** Consecutive ops sent together: data ops while they fit one log-batch call; others alone. */
function groupOps(ops: OutboxOp[]): OutboxOp[][] {
  const groups: OutboxOp[][] = [];
  let current: OutboxOp[] = [];
  let counts = { metrics: 0, params: 0, tags: 0 };
  for (const op of ops) {
    if (op.op !== 'data') {
      if (current.length) groups.push(current);
      groups.push([op]);
      current = [];
      counts = { metrics: 0, params: 0, tags: 0 };
      continue;
    }
    const next = {
      metrics: counts.metrics + op.metrics.length,
      params: counts.params + op.params.length,
      tags: counts.tags + op.tags.length,
    };
    const fits =
      next.metrics <= LOG_BATCH_LIMITS.metrics &&
      next.params <= LOG_BATCH_LIMITS.params &&
      next.tags <= LOG_BATCH_LIMITS.tags &&
      next.metrics + next.params + next.tags <= LOG_BATCH_LIMITS.total;
    if (!fits && current.length) {
      groups.push(current);
      current = [];
      counts = { metrics: op.metrics.length, params: op.params.length, tags: op.tags.length };
    } else counts = next;
    current.push(op);
  }
  if (current.length) groups.push(current);
  return groups;
}

function mergeData(group: OutboxOp[]): { metrics: MetricEntry[]; params: KeyValue[]; tags: KeyValue[] } {
  const merged = { metrics: [] as MetricEntry[], params: [] as KeyValue[], tags: [] as KeyValue[] };
  for (const op of group) {
    if (op.op !== 'data') continue;
    merged.metrics.push(...op.metrics);
    merged.params.push(...op.params);
    merged.tags.push(...op.tags);
  }
  // MLflow refuses a batch naming one param twice; journal order keeps the last value.
  merged.params = [...new Map(merged.params.map((p) => [p.key, p])).values()];
  return merged;
}

/** The batch without the metric points the server already has (counted, so repeats survive). */
async function dropLogged(
  client: MlflowRestClient,
  remoteRunId: string,
  batch: ReturnType<typeof mergeData>,
): Promise<ReturnType<typeof mergeData>> {
  const seen = new Map<string, number>();
  for (const key of new Set(batch.metrics.map((m) => m.key)))
    for (const p of await client.getMetricHistory(remoteRunId, key)) {
      const id = pointId(key, p.step, p.timestamp, p.value);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  const metrics = batch.metrics.filter((m) => {
    const id = pointId(m.key, m.step, m.timestamp, m.value);
    const left = seen.get(id) ?? 0;
    if (left > 0) seen.set(id, left - 1);
    return left === 0;
  });
  return { ...batch, metrics };
}

function pointId(key: string, step: number, timestamp: number, value: number): string {
  return `${key}\u0000${step}\u0000${timestamp}\u0000${Number.isNaN(value) ? 'NaN' : value}`;
}
