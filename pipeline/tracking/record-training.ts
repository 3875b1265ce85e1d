import { join } from 'node:path';
import type { MetricsReport } from '../../model/metrics-report.js';
import type { EpochLog } from '../../model/training/fit-network.js';
import { type CreateTrackerOptions, createTracker } from './create-tracker.js';
import type { Tracker, TrackerReport } from './tracker.js';
import {
  type GateDecision,
  logBundle,
  logEpoch,
  logGateDecision,
  logModelReport,
  logTrainingParams,
} from './training-logging.js';

/** Epoch logs of one training, keyed by the fit's label (`<model> · <method> · fold k/K` or `<model> · final …`). */
export type EpochLogs = Map<string, EpochLog[]>;

/** Collects `onEpoch(label, log)` callbacks of `trainDivisions` for {@link recordTraining}. */
export function collectEpochs(): { logs: EpochLogs; onEpoch: (label: string, log: EpochLog) => void } {
  const logs: EpochLogs = new Map();
  return {
    logs,
    onEpoch: (label, log) => {
      const list = logs.get(label) ?? [];
      if (list.length === 0) logs.set(label, list);
      list.push(log);
    },
  };
}

export interface RecordTrainingInput {
  report: MetricsReport;
  /** The training config (logged flattened as params). */
  config: unknown;
  /** Training output folder (metrics.json + a bundle per trained division). */
  out: string;
  epochs: EpochLogs;
  gate?: GateDecision;
  runName?: string;
}

const FOLD_LABEL = / · (none|class-weight|oversample) · fold (\d+)\/\d+$/;

/**
 * Records a finished training as MLflow runs: one parent run (params, the gate decision, the
 * metrics report), and a child run per model with its params, per-epoch losses of each CV fold
 * of the chosen rebalancing (`fold_<k>/train_loss`, `fold_<k>/val_loss`) and of the final fit,
 * `final_<metric>` and CV means, and its bundle. Tracking never fails the training: the tracker
 * keeps what it cannot send and reports a warning.
 *
 * @returns the parent run's id.
 */
export async function recordTraining(tracker: Tracker, input: RecordTrainingInput): Promise<string> {
  const { report } = input;
  const common = {
    config: input.config,
    seed: report.seed,
    backend: report.backend,
    ...(report.snapshotId ? { dataSnapshotId: report.snapshotId } : {}),
    ...(report.gitSha ? { gitSha: report.gitSha } : {}),
  };
  const parent = await tracker.startRun({ runName: input.runName ?? `train ${report.createdAt}` });
  await logTrainingParams(tracker, parent.runId, common);
  if (input.gate) await logGateDecision(tracker, parent.runId, input.gate);
  await logBundle(tracker, parent.runId, { metricsReport: join(input.out, 'metrics.json') });
  for (const model of report.models) {
    const child = await tracker.startRun({
      runName: `division ${model.division} ${model.name}`,
      parentRunId: parent.runId,
    });
    await logTrainingParams(tracker, child.runId, { ...common, division: model.division });
    for (const [label, logs] of input.epochs) {
      if (!label.startsWith(`${model.name} · `)) continue;
      const fold = FOLD_LABEL.exec(label);
      if (fold && fold[1] !== model.rebalancing.method) continue;
      for (const log of logs) {
        await logEpoch(tracker, child.runId, {
          epoch: log.epoch,
          ...(fold ? { fold: Number(fold[2]) } : {}),
          trainLoss: log.trainLoss,
          ...(log.valLoss !== undefined ? { valLoss: log.valLoss } : {}),
        });
      }
    }
    await logModelReport(tracker, child.runId, model);
    if (model.status === 'trained')
      await logBundle(tracker, child.runId, { bundleDir: join(input.out, String(model.division)) });
    await tracker.endRun(child.runId, 'FINISHED');
  }
  await tracker.endRun(parent.runId, 'FINISHED');
  return parent.runId;
}

/**
 * Records a finished training as runs where the environment says ({@link createTracker}:
 * `$MLFLOW_TRACKING_URI`, else `$OPP_HOME/mlruns`) and closes the tracker: what `opp train` and
 * the train action both do. Never fails the training: problems go to `onWarning`, and runs an
 * unreachable server did not take wait in the outbox for the next process.
 *
 * @throws ConfigError for a tracking URI scheme opp cannot use (as {@link createTracker}).
 */
export async function trackTraining(
  input: RecordTrainingInput,
  options: CreateTrackerOptions = {},
): Promise<TrackerReport> {
  const tracker = await createTracker(options);
  await recordTraining(tracker, input);
  return tracker.close();
}

/** One HPO trial as the study stored it (model/hpo/trial.ts). */
export interface TrackedTrial {
  number: number;
  state: string;
  params: Record<string, string | number | boolean>;
  value?: number;
  intermediate: readonly { step: number; value: number }[];
}

/**
 * Records an HPO study as MLflow runs: a parent run for the study (its settings and best value)
 * and a child run per trial finished in this invocation (its parameters, the validation AUC of
 * each epoch, the trial's value and state).
 *
 * @returns the study run's id.
 */
export async function recordStudy(
  tracker: Tracker,
  study: {
    name: string;
    settings: Record<string, string | number | boolean>;
    trials: readonly TrackedTrial[];
    best?: TrackedTrial;
  },
): Promise<string> {
  const parent = await tracker.startRun({ runName: `hpo ${study.name}` });
  await tracker.logParams(parent.runId, study.settings);
  for (const trial of study.trials) {
    const child = await tracker.startRun({ runName: `trial ${trial.number}`, parentRunId: parent.runId });
    await tracker.logParams(child.runId, trial.params);
    for (const point of trial.intermediate)
      await tracker.logMetrics(child.runId, { val_auc: point.value }, { step: point.step });
    if (trial.value !== undefined) await tracker.logMetrics(child.runId, { trial_value: trial.value });
    await tracker.setTags(child.runId, {
      'opp.trial.state': trial.state,
      'opp.trial.number': String(trial.number),
    });
    await tracker.endRun(child.runId, trial.state === 'failed' ? 'FAILED' : 'FINISHED');
  }
  if (study.best?.value !== undefined) {
    await tracker.logMetrics(parent.runId, { best_value: study.best.value });
    await tracker.setTags(parent.runId, { 'opp.study.best_trial': String(study.best.number) });
  }
  await tracker.endRun(parent.runId, 'FINISHED');
  return parent.runId;
}
