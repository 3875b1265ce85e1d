/** MLflow's JSON shapes and their conversion to opp's records. For internal use. */
import type { ExperimentRecord, RunRecord } from '../run-record.js';
import { latestPoint, runStatusName, withParent } from '../run-record.js';
import type { KeyValue, MetricEntry } from './batch-limits.js';

/** A run as `runs/get`, `runs/create` and `runs/search` return it. */
export interface WireRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
    user_id?: string;
    artifact_uri?: string;
    lifecycle_stage?: string;
  };
  data?: { params?: KeyValue[]; tags?: KeyValue[]; metrics?: MetricEntry[] };
}

export function wireMetric(m: MetricEntry) {
  // JSON has no NaN/Infinity; MLflow's protobuf JSON parser reads them as strings.
  return { ...m, value: Number.isFinite(m.value) ? m.value : String(m.value) };
}

export function toExperiment(e: Record<string, unknown>): ExperimentRecord {
  return {
    experimentId: String(e.experiment_id),
    name: String(e.name),
    artifactLocation: String(e.artifact_location ?? ''),
    lifecycleStage: String(e.lifecycle_stage ?? 'active'),
    creationTime: e.creation_time === undefined ? null : Number(e.creation_time),
  };
}

export function toRun(run: WireRun): RunRecord {
  const pairs = (list: KeyValue[] | undefined) =>
    Object.fromEntries((list ?? []).map((p) => [p.key, p.value]));
  const metrics: Record<string, number> = {};
  for (const m of run.data?.metrics ?? []) {
    const point = latestPoint([
      { timestamp: Number(m.timestamp), value: Number(m.value), step: Number(m.step ?? 0) },
    ]);
    if (point) metrics[m.key] = point.value;
  }
  const tags = pairs(run.data?.tags);
  return withParent({
    runId: run.info.run_id,
    experimentId: String(run.info.experiment_id),
    runName: run.info.run_name ?? tags['mlflow.runName'] ?? '',
    status: runStatusName(run.info.status),
    startTime: Number(run.info.start_time ?? 0),
    endTime: run.info.end_time === undefined || run.info.end_time === null ? null : Number(run.info.end_time),
    userId: run.info.user_id ?? '',
    artifactUri: run.info.artifact_uri ?? '',
    lifecycleStage: run.info.lifecycle_stage ?? 'active',
    params: pairs(run.data?.params),
    tags,
    metrics,
  });
}
