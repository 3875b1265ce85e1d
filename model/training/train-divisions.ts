import type { DivisionsConfig } from '../../pipeline/config/divisions-config.js';
import { GENERAL_DIVISION } from '../../pipeline/config/divisions-config.js';
import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import type { CompiledFeatureSpec } from '../../pipeline/features/compile-spec.js';
import type { BundleManifest } from '../bundle/bundle-manifest.js';
import { createHoldout, type DivisionHoldout, type Holdout } from '../bundle/holdout.js';
import { preprocessorToManifest } from '../bundle/preprocessor-manifest.js';
import { hashJson } from '../bundle/provenance.js';
import type { BundleContents } from '../bundle/save-bundle.js';
import type { TrainingTable } from '../data/load-training-data.js';
import { requestedEngine, resolveEngine } from '../engine/select-engine.js';
import { computeMetricSet } from '../metrics/metric-set.js';
import { METRICS_REPORT_VERSION, type MetricsReport, type ModelReport } from '../metrics-report.js';
import type { FitRunner } from '../parallel/fit-runner.js';
import type { TrainingConfig } from '../training-config.js';
import { positivesOf } from './dataset.js';
import type { EpochLog } from './fit-network.js';
import { networkSettings } from './network-settings.js';
import { fitsPerModel, type TrainedModel, trainModel } from './train-model.js';

export interface TrainDivisionsOptions {
  table: TrainingTable;
  spec: CompiledFeatureSpec;
  config: TrainingConfig;
  divisions: DivisionsConfig;
  /** `all`: the general model and every division; a number: that model only. @default 'all' */
  which?: 'all' | number;
  runner: FitRunner;
  /** Name of the tfjs backend in use (recorded in the report). */
  backend: string;
  /** Overrides `config.training.seed`. */
  seed?: number;
  /** Overrides `config.training.fitSeed` (see `TrainModelOptions.fitSeed`). */
  fitSeed?: number;
  gitSha?: string;
  bootstrapResamples?: number;
  onEpoch?: (label: string, log: EpochLog) => void;
  onFitDone?: (label: string) => void;
}

export interface TrainDivisionsResult {
  /** One report for all models (trained and fallback), general first. */
  report: MetricsReport;
  /** Bundle contents of each trained model, by division. */
  bundles: Map<number, BundleContents>;
  /** The record ids of each model's test rows (written as `holdout.json`). */
  holdout?: Holdout;
}

/** Why a division cannot have a model of its own, or undefined when it can. */
export function fallbackReason(rows: number, positives: number, config: TrainingConfig): string | undefined {
  const { minRows, minPerClass } = config.divisions;
  const negatives = rows - positives;
  if (positives === 0 || negatives === 0)
    return `all ${rows} rows are ${positives === 0 ? 'negative' : 'positive'}: a single class`;
  if (rows < minRows) return `${rows} rows, fewer than divisions.minRows = ${minRows}`;
  if (Math.min(positives, negatives) < minPerClass)
    return `${Math.min(positives, negatives)} ${positives < negatives ? 'positive' : 'negative'} rows, fewer than divisions.minPerClass = ${minPerClass}`;
  return undefined;
}

/** How many fits a run will make (for a progress bar), given which divisions qualify. */
export function plannedFits(
  options: Pick<TrainDivisionsOptions, 'table' | 'config' | 'divisions' | 'which'>,
): number {
  return planModels(options).filter((m) => m.reason === undefined).length * fitsPerModel(options.config);
}

interface PlannedModel {
  division: number;
  name: string;
  rows: Int32Array;
  reason?: string;
}

function planModels(
  options: Pick<TrainDivisionsOptions, 'table' | 'config' | 'divisions' | 'which'>,
): PlannedModel[] {
  const { table, config, divisions } = options;
  const which = options.which ?? 'all';
  const nameOf = new Map(divisions.divisions.map((d) => [d.id, d.name]));
  if (which !== 'all' && !nameOf.has(which)) {
    throw new ConfigError(
      `division ${which} is not in the divisions config (${[...nameOf.keys()].join(', ')})`,
    );
  }
  const ids = which === 'all' ? divisions.divisions.map((d) => d.id) : [which];
  const planned = ids.map((division): PlannedModel => {
    const rows: number[] = [];
    for (let i = 0; i < table.rows; i++)
      if (division === GENERAL_DIVISION || table.division[i] === division) rows.push(i);
    const selected = Int32Array.from(rows);
    const positives = positivesOf(Uint8Array.from(selected, (r) => table.labels[r]!));
    // The general model has nothing to fall back to: only trainModel's own checks apply to it.
    const reason =
      division === GENERAL_DIVISION ? undefined : fallbackReason(selected.length, positives, config);
    return { division, name: nameOf.get(division)!, rows: selected, ...(reason ? { reason } : {}) };
  });
  // A division that falls back needs the general model; train it even when not asked for.
  if (which !== 'all' && which !== GENERAL_DIVISION && planned[0]!.reason !== undefined) {
    return [...planModels({ ...options, which: GENERAL_DIVISION }), ...planned];
  }
  return planned.sort((a, b) => a.division - b.division);
}

/**
 * Trains the general model (division 0, all rows) and one model per division in one run; a
 * division with too little data or a single class falls back to the general model, and the
 * report says why (and, where the general test set has both classes for it, how the general
 * model does on that division's test rows). All models share the runner, so their folds run
 * in parallel on a worker pool.
 *
 * @throws TrainingError when the general model itself cannot be trained (e.g. a single class).
 */
export async function trainDivisions(options: TrainDivisionsOptions): Promise<TrainDivisionsResult> {
  const { table, config, spec } = options;
  const seed = options.seed ?? config.training.seed;
  const fitSeed = options.fitSeed ?? config.training.fitSeed ?? seed;
  const timeIndex = table.featureNames.indexOf(config.evaluation.timeFeature);
  if (config.evaluation.split === 'time' && timeIndex < 0) {
    throw new ConfigError(
      `evaluation.split is "time" but the time feature "${config.evaluation.timeFeature}" is not among the features`,
    );
  }
  const planned = planModels(options);

  const d = table.featureNames.length;
  const trained = await Promise.all(
    planned.map(async (m) => {
      if (m.reason) return { plan: m, model: undefined };
      const x = new Float32Array(m.rows.length * d);
      const y = new Uint8Array(m.rows.length);
      const time = new Float64Array(m.rows.length);
      m.rows.forEach((row, i) => {
        x.set(table.x.subarray(row * d, row * d + d), i * d);
        y[i] = table.labels[row]!;
        time[i] = timeIndex >= 0 ? table.x[row * d + timeIndex]! : row;
      });
      const model = await trainModel(
        {
          division: m.division,
          name: m.name,
          data: { rows: m.rows.length, features: d, x, y },
          featureNames: table.featureNames,
          time,
        },
        {
          config,
          runner: options.runner,
          seed,
          fitSeed,
          ...(options.bootstrapResamples ? { bootstrapResamples: options.bootstrapResamples } : {}),
          ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
          ...(options.onFitDone ? { onFitDone: options.onFitDone } : {}),
        },
      );
      return { plan: m, model };
    }),
  );

  const generalModel = trained.find((t) => t.plan.division === GENERAL_DIVISION)?.model;
  const generalPlan = trained.find((t) => t.plan.division === GENERAL_DIVISION)?.plan;
  const models: ModelReport[] = trained.map(({ plan, model }) =>
    model ? model.report : fallbackReport(plan, table, generalModel!, generalPlan!),
  );
  const configHash = hashJson(config);
  const createdAt = new Date().toISOString();
  // The engine that trained the models: the fused WebAssembly kernel where it supports the
  // network, else tfjs on `options.backend` (model/engine/select-engine.ts).
  const engine = resolveEngine(
    requestedEngine(config.training.engine),
    table.featureNames.length,
    networkSettings(config),
  );
  const trainedOn = engine === 'fused' ? 'fused-wasm-simd' : `tfjs-${options.backend}`;
  const report: MetricsReport = {
    version: METRICS_REPORT_VERSION,
    createdAt,
    ...(options.gitSha ? { gitSha: options.gitSha } : {}),
    snapshotId: table.snapshotId,
    specHash: spec.hash,
    configHash,
    seed,
    ...(fitSeed === seed ? {} : { fitSeed }),
    backend: trainedOn,
    models,
  };
  const bundles = new Map<number, BundleContents>();
  for (const { plan, model } of trained) {
    if (!model) continue;
    const manifest: BundleManifest = {
      version: 1,
      division: plan.division,
      name: plan.name,
      featureNames: [...table.featureNames],
      specHash: spec.hash,
      configHash,
      ...preprocessorToManifest(model.preprocessor, table.featureNames),
      threshold: model.threshold,
      snapshotId: table.snapshotId,
      ...(options.gitSha ? { gitSha: options.gitSha } : {}),
      backend: trainedOn,
      seed,
      createdAt,
    };
    bundles.set(plan.division, {
      manifest,
      weights: model.weights,
      percentiles: model.percentiles,
      featureSpec: spec.spec,
      config,
      metrics: { ...report, models: [model.report] },
    });
  }
  const holdout = createHoldout(
    table.snapshotId,
    trained.map(({ plan, model }) => holdoutOf(plan, model, table, generalModel!, generalPlan!)),
  );
  return { report, bundles, holdout };
}

/** The record ids a model was tested on; a fallback: the general model's test rows of its division. */
function holdoutOf(
  plan: PlannedModel,
  model: TrainedModel | undefined,
  table: TrainingTable,
  general: TrainedModel,
  generalPlan: PlannedModel,
): DivisionHoldout {
  const recordIds: string[] = [];
  if (model) for (const local of model.testRows) recordIds.push(table.recordIds[plan.rows[local]!]!);
  else {
    for (const local of general.testRows) {
      const row = generalPlan.rows[local]!;
      if (table.division[row] === plan.division) recordIds.push(table.recordIds[row]!);
    }
  }
  return { division: plan.division, name: plan.name, status: model ? 'trained' : 'fallback', recordIds };
}

function fallbackReport(
  plan: PlannedModel,
  table: TrainingTable,
  general: TrainedModel,
  generalPlan: PlannedModel,
): ModelReport {
  const positives = positivesOf(Uint8Array.from(plan.rows, (r) => table.labels[r]!));
  // The general model's test rows that belong to this division: an honest estimate of how the
  // fallback serves it (the general model never trained on them).
  const labels: number[] = [];
  const probabilities: number[] = [];
  general.testRows.forEach((local, i) => {
    const row = generalPlan.rows[local]!;
    if (table.division[row] === plan.division) {
      labels.push(table.labels[row]!);
      probabilities.push(general.testProbabilities[i]!);
    }
  });
  const testPositives = labels.reduce((a, b) => a + b, 0);
  const both = testPositives > 0 && testPositives < labels.length;
  return {
    division: plan.division,
    name: plan.name,
    status: 'fallback',
    fallbackReason: `${plan.reason}; the general model serves this division`,
    rows: { train: plan.rows.length, test: labels.length, trainPositives: positives, testPositives },
    rebalancing: general.report.rebalancing,
    threshold: general.threshold,
    epochs: 0,
    ...(both ? { test: computeMetricSet(labels, probabilities, general.threshold) } : {}),
  };
}
