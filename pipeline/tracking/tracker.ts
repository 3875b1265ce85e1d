/**
 * The tracking layer's one interface. Training, HPO and the gate log through a {@link Tracker};
 * which store receives the data (MLflow's local file layout, or an MLflow REST server such as an
 * Azure ML workspace) is chosen once by `createTracker` from the environment.
 */

/** How a run ended (MLflow's `RunStatus` names). */
export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/** MLflow's run states, as stored (the file store keeps the integer). */
export const RUN_STATUS_CODES = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
export type RunStatus = keyof typeof RUN_STATUS_CODES;

/** MLflow's system tags that opp sets. */
export const MLFLOW_TAGS = {
  runName: 'mlflow.runName',
  parentRunId: 'mlflow.parentRunId',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
} as const;

/** Tag carrying the client-side run id, so an upload can find a run it created before a crash. */
export const LOCAL_RUN_ID_TAG = 'opp.localRunId';

/** A parameter value; MLflow stores every value as a string. */
export type ParamValue = string | number | boolean;

export interface StartRunOptions {
  /** Shown in the UI (tag `mlflow.runName`). @default a name from the start time */
  runName?: string;
  /** Makes this a child run (tag `mlflow.parentRunId`), e.g. an HPO trial under its study. */
  parentRunId?: string;
  /** Tags set at creation. */
  tags?: Record<string, string>;
  /** Milliseconds since the epoch. @default now */
  startTime?: number;
}

/** A started run. `runId` is the id every other call takes. */
export interface RunRef {
  /** 32 hex digits. For a server, a client-side id (the server's comes with the upload). */
  runId: string;
  /** The experiment's id in the local store; empty for a server (known after the upload). */
  experimentId: string;
}

export interface LogMetricsOptions {
  /** Training step (epoch). @default 0 */
  step?: number;
  /** Milliseconds since the epoch. @default now */
  timestamp?: number;
}

export interface LogArtifactOptions {
  /** Folder inside the run's artifacts. @default the root */
  artifactPath?: string;
}

/** What a tracker did, for the command's summary. */
export interface TrackerReport {
  /** Where runs go: a folder (`file:`) or a server URI. */
  destination: string;
  /** Problems that did not stop the work (each said once). */
  warnings: string[];
  /** Runs kept locally for a later upload. */
  pendingRuns: number;
}

/** Records runs, their params, metrics, tags and artifacts. */
export interface Tracker {
  /** Where runs go, e.g. `file:///…/.opp/mlruns` or `https://…`. */
  readonly destination: string;
  startRun(options?: StartRunOptions): Promise<RunRef>;
  /** Params are write-once in MLflow: logging the same key again must give the same value. */
  logParams(runId: string, params: Record<string, ParamValue>): Promise<void>;
  /** Appends one point per key at `step`. Non-finite values are kept (MLflow stores NaN). */
  logMetrics(runId: string, metrics: Record<string, number>, options?: LogMetricsOptions): Promise<void>;
  /** Tags can be overwritten. */
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
  /** Copies a file, or a folder's files, into the run's artifacts. */
  logArtifact(runId: string, localPath: string, options?: LogArtifactOptions): Promise<void>;
  /** Ends a run. @default status 'FINISHED' */
  endRun(runId: string, status?: RunEndStatus, endTime?: number): Promise<void>;
  /** Waits for pending uploads and says what happened. */
  close(): Promise<TrackerReport>;
}
