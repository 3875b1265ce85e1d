/** MLflow's `runs/log-batch` request limits (REST API docs, "Request Limits"). For internal use. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export interface KeyValue {
  key: string;
  value: string;
}

export interface MetricEntry {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** One `runs/log-batch` body (without the run id). */
export interface LogBatchChunk {
  metrics: MetricEntry[];
  params: KeyValue[];
  tags: KeyValue[];
}

/**
 * Splits a batch into chunks within MLflow's limits, keeping the order within each kind (MLflow
 * guarantees order only within a kind). Params and tags go first, then metrics fill the rest.
 */
export function chunkLogBatch(batch: LogBatchChunk, limits = LOG_BATCH_LIMITS): LogBatchChunk[] {
  const chunks: LogBatchChunk[] = [];
  let p = 0;
  let t = 0;
  let m = 0;
  while (p < batch.params.length || t < batch.tags.length || m < batch.metrics.length) {
    const params = batch.params.slice(p, p + limits.params);
    const tags = batch.tags.slice(t, t + Math.min(limits.tags, limits.total - params.length));
    const room = Math.min(limits.metrics, limits.total - params.length - tags.length);
    const metrics = batch.metrics.slice(m, m + room);
    p += params.length;
    t += tags.length;
    m += metrics.length;
    chunks.push({ metrics, params, tags });
  }
  return chunks;
}
