/**
 * Hyper-parameter optimisation: TPE and random samplers, pruners, studies stored as they go,
 * trials in worker threads. See `runStudy` for the one-call entry point.
 */
export { AzureTableStudyStorage, trialRowKey } from './azure-table-study-storage.js';
export * from './distributions.js';
export { JsonLinesStudyStorage } from './json-lines-study-storage.js';
export type { ObjectiveFactory, ObjectiveFunction, ObjectiveModule, TrialReporter } from './objective.js';
export { neighbourBandwidths, ParzenEstimator, type ParzenEstimatorOptions } from './parzen-estimator.js';
export {
  MedianPruner,
  type MedianPrunerOptions,
  NopPruner,
  type Pruner,
  SuccessiveHalvingPruner,
  type SuccessiveHalvingPrunerOptions,
} from './pruner.js';
export {
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  sampleSpaceLatinHypercube,
  sampleSpaceUniform,
  trialRandom,
} from './random-sampler.js';
export {
  type RunStudyOptions,
  type RunStudyResult,
  runStudy,
  type StudyProgress,
} from './run-study.js';
export {
  DEFAULT_GOOD_MIN_BANDWIDTH,
  defaultGamma,
  defaultWeights,
  hyperoptGamma,
  OPTUNA_TPE_OPTIONS,
  parameterGroups,
  rankTrials,
  TpeSampler,
  type TpeSamplerOptions,
} from './sampler.js';
export {
  loadSearchSpace,
  parseSearchSpace,
  type SearchSpaceJson,
  SearchSpaceSchema,
  toSearchSpace,
} from './search-space.js';
export { type AskedTrial, type OpenStudyOptions, Study, type TrialOutcome } from './study.js';
export {
  formatStudyReport,
  type ParamImportance,
  parameterImportance,
  type StudyReport,
  type SummarizeStudyOptions,
  summarizeStudy,
} from './study-report.js';
export {
  checkHeader,
  describeContextDifferences,
  describeSpaceDifferences,
  MemoryStudyStorage,
  STUDY_FORMAT,
  type StudyContext,
  type StudyHeader,
  type StudyStorage,
} from './study-storage.js';
export { applyTrainingParams } from './training-params.js';
export * from './trial.js';
export { TRIAL_WORKER_PATH } from './worker-pool.js';
