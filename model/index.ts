/** opp's model package: training, metrics, bundles and scoring. */
export { BundleFiles, type BundleManifest } from './bundle/bundle-manifest.js';
export {
  createHoldout,
  type DivisionHoldout,
  HOLDOUT_FILE,
  type Holdout,
  HoldoutSchema,
  holdoutId,
  readHoldout,
} from './bundle/holdout.js';
export { loadBundle } from './bundle/load-bundle.js';
export { PERCENTILE_QUANTILES, percentileMapping, percentileOf } from './bundle/percentiles.js';
export { type BundleContents, saveBundle } from './bundle/save-bundle.js';
export {
  bundleDir,
  loadDivisionPredictors,
  REPORT_FILE,
  readTrainingReport,
  writeTrainingOutput,
} from './bundle/training-output.js';
export { loadTrainingData, type TrainingTable } from './data/load-training-data.js';
export * from './metrics/index.js';
export * from './metrics-report.js';
export { type DenseLayer, type MlpWeights, mlpLogits } from './network/mlp-weights.js';
export { Predictor, type Score } from './Predictor.js';
export { createSerialRunner, type FitRunner } from './parallel/fit-runner.js';
export { WorkerPool } from './parallel/WorkerPool.js';
export { type BackendName, requestedBackend, useBackend } from './tf/backend.js';
export { type FitOptions, type FitResult, fitNetwork, type NetworkSettings } from './training/fit-network.js';
export { fallbackReason, type TrainDivisionsOptions, trainDivisions } from './training/train-divisions.js';
export { type ModelData, type TrainedModel, trainModel } from './training/train-model.js';
export { loadTrainingConfig, type TrainingConfig, TrainingConfigSchema } from './training-config.js';
