/**
 * What training, HPO and the gate log, in one place so every run has the same keys:
 *
 * | what | key | kind |
 * | --- | --- | --- |
 * | training config | `model.hiddenLayers.0.units`, `training.learningRate`, … (flattened) | param |
 * | run context | `seed`, `backend`, `data_snapshot_id`, `git_sha`, `division` | param |
 * | per epoch, per fold | `fold_<k>/train_loss`, `fold_<k>/val_loss`, `fold_<k>/train_auc`, `fold_<k>/val_auc` (step = epoch) | metric |
 * | per epoch, final fit | `train_loss`, `val_loss`, `train_auc`, `val_auc` (step = epoch) | metric |
 * | test set | `final_accuracy`, `final_auc`, `final_pr_auc`, `final_log_loss`, … (as the seed did) | metric |
 * | cross-validation | `cv_mean_<metric>`, `cv_std_<metric>` | metric |
 * | gate | `gate_passed` (1/0) metric; tags `opp.gate.decision` (passed/failed), `opp.gate.reasons` | both |
 * | bundle, report | artifacts `bundle/…`, `metrics.json` | artifact |
 *
 * HPO: the study is a parent run; each trial is `startRun({ parentRunId })` with its
 * sampled params and `trial_value` metric (tag `opp.trial.state`: complete/pruned/failed).
 */
import type { MetricName, ModelReport } from '../../model/metrics-report.js';
import type { ParamValue, StartRunOptions, Tracker } from './tracker.js';

/** Keys MLflow shows as the UI's "source version" and in `opp runs --compare`. */
export const TRAINING_PARAM_KEYS = {
  seed: 'seed',
  backend: 'backend',
  dataSnapshotId: 'data_snapshot_id',
  gitSha: 'git_sha',
  division: 'division',
} as const;

/** Config keys that describe rather than configure. */
const SKIPPED_CONFIG_KEYS = new Set(['$schema', 'description']);

/**
 * Flattens a config to `a.b.0.c` keys with string values, as MLflow params. Arrays of
 * primitives become one JSON value (`[64,32]`); arrays of objects are indexed.
 */
export function flattenParams(value: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (v: unknown, key: string) => {
    if (v === undefined) return;
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object'))
      for (const [i, x] of v.entries()) visit(x, `${key}.${i}`);
    else if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v))
        if (!SKIPPED_CONFIG_KEYS.has(k)) visit(x, key ? `${key}.${k}` : k);
    } else out[key] = String(v);
  };
  visit(value, prefix);
  return out;
}

/** `prAuc` → `pr_auc`, as MLflow keys and the seed's `final_<name>` use. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export interface TrainingRunParams {
  /** The training config (or any config object): logged flattened. */
  config: unknown;
  seed: number;
  /** Compute backend, e.g. `tfjs-wasm`. */
  backend: string;
  dataSnapshotId?: string;
  gitSha?: string;
  division?: number;
}

/** Logs a training run's params: the flattened config and its context. */
export async function logTrainingParams(
  tracker: Tracker,
  runId: string,
  run: TrainingRunParams,
): Promise<void> {
  const params: Record<string, ParamValue> = {
    ...flattenParams(run.config),
    [TRAINING_PARAM_KEYS.seed]: run.seed,
    [TRAINING_PARAM_KEYS.backend]: run.backend,
  };
  if (run.dataSnapshotId) params[TRAINING_PARAM_KEYS.dataSnapshotId] = run.dataSnapshotId;
  if (run.gitSha) params[TRAINING_PARAM_KEYS.gitSha] = run.gitSha;
  if (run.division !== undefined) params[TRAINING_PARAM_KEYS.division] = run.division;
  await tracker.logParams(runId, params);
  if (run.gitSha) await tracker.setTags(runId, { 'mlflow.source.git.commit': run.gitSha });
}

export interface EpochMetrics {
  /** 0-based epoch: the metric's step. */
  epoch: number;
  /** Cross-validation fold (keys get `fold_<k>/`); omit for the final fit. */
  fold?: number;
  trainLoss?: number;
  valLoss?: number;
  trainAuc?: number;
  valAuc?: number;
  timestamp?: number;
}

/** The metric keys of one epoch, e.g. `fold_2/val_loss`. */
export function epochMetricKeys(epoch: EpochMetrics): Record<string, number> {
  const prefix = epoch.fold === undefined ? '' : `fold_${epoch.fold}/`;
  const values: Record<string, number | undefined> = {
    train_loss: epoch.trainLoss,
    val_loss: epoch.valLoss,
    train_auc: epoch.trainAuc,
    val_auc: epoch.valAuc,
  };
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(values)) if (v !== undefined) out[`${prefix}${key}`] = v;
  return out;
}

/** Logs one epoch's losses and AUCs with step = epoch. */
export async function logEpoch(tracker: Tracker, runId: string, epoch: EpochMetrics): Promise<void> {
  await tracker.logMetrics(runId, epochMetricKeys(epoch), { step: epoch.epoch, timestamp: epoch.timestamp });
}

/** The final metrics of one model report: `final_<metric>`, `cv_mean_<metric>`, `cv_std_<metric>`. */
export function finalMetricKeys(model: ModelReport): Record<string, number> {
  const out: Record<string, number> = { threshold: model.threshold, epochs: model.epochs };
  const names = Object.keys(model.cv?.mean ?? model.test ?? {}) as MetricName[];
  for (const name of names) {
    const key = snakeCase(name);
    const test = model.test?.[name];
    if (typeof test === 'number') out[`final_${key}`] = test;
    if (model.cv) {
      out[`cv_mean_${key}`] = model.cv.mean[name];
      out[`cv_std_${key}`] = model.cv.std[name];
    }
  }
  return out;
}

/** Logs a model's final and CV metrics, and its division and status as tags. */
export async function logModelReport(tracker: Tracker, runId: string, model: ModelReport): Promise<void> {
  await tracker.logMetrics(runId, finalMetricKeys(model), { step: model.epochs });
  await tracker.setTags(runId, {
    'opp.division': String(model.division),
    'opp.division.name': model.name,
    'opp.model.status': model.status,
  });
}

/** The gate's verdict, as the gate step reports it. */
export interface GateDecision {
  passed: boolean;
  /** One line per failed rule, e.g. `auc 0.61 < 0.65`. */
  reasons?: string[];
}

/** Logs the gate decision: metric `gate_passed` (1/0) and tags `opp.gate.decision`, `opp.gate.reasons`. */
export async function logGateDecision(
  tracker: Tracker,
  runId: string,
  decision: GateDecision,
): Promise<void> {
  await tracker.logMetrics(runId, { gate_passed: decision.passed ? 1 : 0 });
  await tracker.setTags(runId, {
    'opp.gate.decision': decision.passed ? 'passed' : 'failed',
    'opp.gate.reasons': (decision.reasons ?? []).join('; '),
  });
}

/** Logs a model bundle folder under `bundle/` and the metrics report at the artifacts' root. */
export async function logBundle(
  tracker: Tracker,
  runId: string,
  files: { bundleDir?: string; metricsReport?: string },
): Promise<void> {
  if (files.bundleDir) await tracker.logArtifact(runId, files.bundleDir, { artifactPath: 'bundle' });
  if (files.metricsReport) await tracker.logArtifact(runId, files.metricsReport);
}

/**
 * Runs `work` inside a run: starts it, ends it FINISHED, or FAILED when `work` throws (the
 * error is rethrown: tracking never hides a training failure, and never causes one).
 *
 * @example
 * const tracker = await createTracker();
 * const result = await withTrackedRun(tracker, { runName: 'train general' }, async (runId) => {
 *   await logTrainingParams(tracker, runId, { config, seed, backend, dataSnapshotId, gitSha });
 *   return train(config, { onEpoch: (e) => logEpoch(tracker, runId, e) });
 * });
 * await tracker.close();
 */
export async function withTrackedRun<T>(
  tracker: Tracker,
  options: StartRunOptions,
  work: (runId: string) => Promise<T>,
): Promise<T> {
  const { runId } = await tracker.startRun(options);
  try {
    const result = await work(runId);
    await tracker.endRun(runId, 'FINISHED');
    return result;
  } catch (error) {
    await tracker.endRun(runId, 'FAILED');
    throw error;
  }
}
