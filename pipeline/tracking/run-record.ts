import { MLFLOW_TAGS, RUN_STATUS_CODES, type RunStatus } from './tracker.js';

/** One logged value of a metric. */
export interface MetricPoint {
  timestamp: number;
  value: number;
  step: number;
}

/** A run as read back from a store, whichever store it came from. */
export interface RunRecord {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  userId: string;
  artifactUri: string;
  /** `active` or `deleted`. */
  lifecycleStage: string;
  /** The parent's run id, for a child run (an HPO trial). */
  parentRunId?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Each metric's latest value: the point with the largest (step, timestamp, value), as MLflow picks. */
  metrics: Record<string, number>;
  /** Every point, in logged order (only where the store gave them). */
  history?: Record<string, MetricPoint[]>;
}

/** An experiment as read back from a store. */
export interface ExperimentRecord {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: number | null;
}

/** The run status name of a stored status (an integer in the file store, a name over REST). */
export function runStatusName(value: unknown): RunStatus {
  if (typeof value === 'string' && value in RUN_STATUS_CODES) return value as RunStatus;
  const found = Object.entries(RUN_STATUS_CODES).find(([, code]) => code === value);
  return (found?.[0] as RunStatus | undefined) ?? 'RUNNING';
}

/** The latest point as MLflow chooses it: largest step, then timestamp, then value. */
export function latestPoint(points: readonly MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) {
    if (
      !best ||
      p.step > best.step ||
      (p.step === best.step &&
        (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))
    )
      best = p;
  }
  return best;
}

/** Fills `parentRunId` from the `mlflow.parentRunId` tag. */
export function withParent(run: RunRecord): RunRecord {
  const parent = run.tags[MLFLOW_TAGS.parentRunId];
  return parent ? { ...run, parentRunId: parent } : run;
}
