/** The tracking layer's public API: what the trainer, HPO, the gate and the CLI import. */
export { compareRuns, headlineMetrics, type RunComparison } from './compare-runs.js';
export {
  AZURE_ML_TOKEN_SCOPE,
  azureTokenProvider,
  type CreateTrackerOptions,
  createTracker,
  DEFAULT_EXPERIMENT_NAME,
  resolveTrackingTarget,
  TRACKING_ENV,
  type TrackingTarget,
} from './create-tracker.js';
export { FileStoreTracker } from './FileStoreTracker.js';
export { MlflowRestClient, type TokenProvider } from './MlflowRestClient.js';
export { RemoteTracker, type SyncReport } from './RemoteTracker.js';
export {
  findFileStoreRun,
  listFileStoreExperiments,
  listFileStoreRuns,
  readFileStoreRun,
} from './read-file-store.js';
export { REDACTED_USERINFO, redactUri } from './redact-uri.js';
export type { ExperimentRecord, MetricPoint, RunRecord } from './run-record.js';
export { createRunSource, type RunSource } from './run-source.js';
export { SafeTracker } from './SafeTracker.js';
export * from './tracker.js';
export {
  type EpochMetrics,
  epochMetricKeys,
  finalMetricKeys,
  flattenParams,
  type GateDecision,
  logBundle,
  logEpoch,
  logGateDecision,
  logModelReport,
  logTrainingParams,
  type TrainingRunParams,
  withTrackedRun,
} from './training-logging.js';
