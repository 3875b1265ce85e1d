import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TrackingError } from '../errors/TrackingError.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { checkKey, currentUser, defaultRunName, newRunId, paramText } from './internal/keys.js';
import { formatYaml, parseYaml, type YamlMap } from './internal/meta-yaml.js';
import {
  type LogArtifactOptions,
  type LogMetricsOptions,
  MLFLOW_TAGS,
  type ParamValue,
  RUN_STATUS_CODES,
  type RunEndStatus,
  type RunRef,
  type StartRunOptions,
  type Tracker,
  type TrackerReport,
} from './tracker.js';

/** Names MLflow's `FileStore` uses (mlflow/store/tracking/file_store.py). */
export const FILE_STORE = {
  meta: 'meta.yaml',
  trash: '.trash',
  metrics: 'metrics',
  params: 'params',
  tags: 'tags',
  artifacts: 'artifacts',
  defaultExperimentId: '0',
  defaultExperimentName: 'Default',
} as const;

/** MLflow's `SourceType.LOCAL`, which its file store writes into every run's meta.yaml. */
const SOURCE_TYPE_LOCAL = 4;
/** Digits of an experiment id derived from its name (MLflow's ids are up to 18 digits). */
const EXPERIMENT_ID_BITS = 52;

export interface FileStoreTrackerOptions {
  /** Experiment to record runs in; created when missing. @default 'Default' (id 0) */
  experimentName?: string;
}

/**
 * Writes runs in MLflow's local file-store layout, so `mlflow ui --backend-store-uri <root>`
 * shows them:
 *
 * ```text
 * <root>/<experiment id>/meta.yaml                  name, artifact_location, lifecycle_stage …
 * <root>/<experiment id>/<run id>/meta.yaml         run_id, status (1 running … 5 killed), times …
 * <root>/<experiment id>/<run id>/params/<key>      the value, no newline
 * <root>/<experiment id>/<run id>/metrics/<key>     one line per point: "timestamp value step"
 * <root>/<experiment id>/<run id>/tags/<key>        mlflow.runName, mlflow.parentRunId, …
 * <root>/<experiment id>/<run id>/artifacts/…       copied files
 * ```
 *
 * Keys with `/` (e.g. `fold_2/val_loss`) become sub-folders, as in MLflow.
 */
export class FileStoreTracker implements Tracker {
  readonly root: string;
  readonly destination: string;
  private readonly experimentName: string;
  private experimentId: Promise<string> | undefined;
  private readonly runDirs = new Map<string, string>();
  /** Metric folders already made (keys with `/`): one mkdir per folder, not per point. */
  private readonly madeDirs = new Set<string>();

  /** @param root - the `mlruns` folder (created with MLflow's Default experiment if missing). */
  constructor(root: string, options: FileStoreTrackerOptions = {}) {
    this.root = resolve(root);
    this.destination = pathToFileURL(this.root).href;
    this.experimentName = options.experimentName ?? FILE_STORE.defaultExperimentName;
  }

  async startRun(options: StartRunOptions = {}): Promise<RunRef> {
    const experimentId = await this.resolveExperiment();
    const runId = newRunId();
    const startTime = options.startTime ?? Date.now();
    const runName = options.runName ?? defaultRunName(startTime);
    const dir = join(this.root, experimentId, runId);
    await mkdir(join(dir, FILE_STORE.metrics), { recursive: true });
    await mkdir(join(dir, FILE_STORE.params), { recursive: true });
    await mkdir(join(dir, FILE_STORE.artifacts), { recursive: true });
    await mkdir(join(dir, FILE_STORE.tags), { recursive: true });
    const user = currentUser();
    await AtomicFile.write(
      join(dir, FILE_STORE.meta),
      formatYaml({
        artifact_uri: pathToFileURL(join(dir, FILE_STORE.artifacts)).href,
        deleted_time: null,
        end_time: null,
        entry_point_name: '',
        experiment_id: experimentId,
        lifecycle_stage: 'active',
        run_id: runId,
        run_name: runName,
        run_uuid: runId,
        source_name: '',
        source_type: SOURCE_TYPE_LOCAL,
        source_version: '',
        start_time: startTime,
        status: RUN_STATUS_CODES.RUNNING,
        tags: [],
        user_id: user,
      }),
    );
    this.runDirs.set(runId, dir);
    const tags: Record<string, string> = {
      [MLFLOW_TAGS.runName]: runName,
      [MLFLOW_TAGS.user]: user,
      [MLFLOW_TAGS.sourceType]: 'LOCAL',
      [MLFLOW_TAGS.sourceName]: 'opp',
      ...options.tags,
    };
    if (options.parentRunId) tags[MLFLOW_TAGS.parentRunId] = options.parentRunId;
    await this.setTags(runId, tags);
    return { runId, experimentId };
  }

  async logParams(runId: string, params: Record<string, ParamValue>): Promise<void> {
    const dir = await this.runDir(runId);
    for (const [key, value] of Object.entries(params)) {
      checkKey('param', key);
      const text = paramText(key, value);
      const file = join(dir, FILE_STORE.params, key);
      const existing = await readFile(file, 'utf8').catch(() => undefined);
      if (existing !== undefined && existing !== text)
        throw new TrackingError(
          `param ${key} of run ${runId} is already ${JSON.stringify(existing)}; MLflow params cannot change (got ${JSON.stringify(text)})`,
          'INVALID_PARAMETER_VALUE',
        );
      await writeSmallFile(file, text);
    }
  }

  async logMetrics(
    runId: string,
    metrics: Record<string, number>,
    options: LogMetricsOptions = {},
  ): Promise<void> {
    const dir = await this.runDir(runId);
    const timestamp = options.timestamp ?? Date.now();
    const step = options.step ?? 0;
    for (const [key, value] of Object.entries(metrics)) {
      checkKey('metric', key);
      const file = join(dir, FILE_STORE.metrics, key);
      if (!this.madeDirs.has(dirname(file))) {
        await mkdir(dirname(file), { recursive: true });
        this.madeDirs.add(dirname(file));
      }
      await appendFile(file, `${Math.round(timestamp)} ${formatMetricValue(value)} ${Math.round(step)}\n`);
    }
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const dir = await this.runDir(runId);
    for (const [key, value] of Object.entries(tags)) {
      checkKey('tag', key);
      await writeSmallFile(join(dir, FILE_STORE.tags, key), value);
      if (key === MLFLOW_TAGS.runName) await this.updateMeta(runId, { run_name: value });
    }
  }

  async logArtifact(runId: string, localPath: string, options: LogArtifactOptions = {}): Promise<void> {
    const dir = await this.runDir(runId);
    const target = join(dir, FILE_STORE.artifacts, options.artifactPath ?? '');
    if (!resolve(target).startsWith(join(dir, FILE_STORE.artifacts)))
      throw new TrackingError(`artifact path ${options.artifactPath} leaves the run's artifacts folder`);
    const info = await stat(localPath).catch((error: unknown) => {
      throw new TrackingError(
        `cannot log artifact ${localPath}: ${(error as Error).message}`,
        undefined,
        undefined,
        {
          cause: error,
        },
      );
    });
    await mkdir(target, { recursive: true });
    if (info.isDirectory()) await cp(localPath, target, { recursive: true });
    else await cp(localPath, join(target, basename(localPath)));
  }

  async endRun(runId: string, status: RunEndStatus = 'FINISHED', endTime = Date.now()): Promise<void> {
    await this.updateMeta(runId, { status: RUN_STATUS_CODES[status], end_time: endTime });
  }

  async close(): Promise<TrackerReport> {
    return { destination: this.destination, warnings: [], pendingRuns: 0 };
  }

  /** The experiment's id, creating the store and the experiment when missing. */
  resolveExperiment(): Promise<string> {
    this.experimentId ??= this.findOrCreateExperiment().catch((error: unknown) => {
      this.experimentId = undefined;
      throw error;
    });
    return this.experimentId;
  }

  private async findOrCreateExperiment(): Promise<string> {
    await this.ensureDefaultExperiment();
    for (const id of await readdir(this.root)) {
      if (id === FILE_STORE.trash) continue;
      const meta = await readMeta(join(this.root, id));
      if (meta?.name === this.experimentName && meta.lifecycle_stage === 'active') return id;
    }
    // An id derived from the name: two processes creating the same experiment at once write
    // the same folder instead of two experiments with one name.
    const digest = createHash('sha256').update(this.experimentName).digest();
    const id = String(Number(digest.readBigUInt64BE() >> BigInt(64 - EXPERIMENT_ID_BITS)));
    await this.writeExperiment(id, this.experimentName);
    return id;
  }

  private async ensureDefaultExperiment(): Promise<void> {
    const exists = await stat(this.root).then(
      () => true,
      () => false,
    );
    if (exists) return;
    await mkdir(join(this.root, FILE_STORE.trash), { recursive: true });
    await this.writeExperiment(FILE_STORE.defaultExperimentId, FILE_STORE.defaultExperimentName);
  }

  private async writeExperiment(id: string, name: string): Promise<void> {
    const dir = join(this.root, id);
    await mkdir(dir, { recursive: true });
    const now = Date.now();
    await AtomicFile.write(
      join(dir, FILE_STORE.meta),
      formatYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      }),
    );
  }

  private async runDir(runId: string): Promise<string> {
    const known = this.runDirs.get(runId);
    if (known) return known;
    if (!/^[0-9a-f]{32}$/.test(runId)) throw new TrackingError(`not a run id: ${JSON.stringify(runId)}`);
    const entries = await readdir(this.root).catch(() => [] as string[]);
    for (const experiment of entries) {
      const dir = join(this.root, experiment, runId);
      if (await readMeta(dir)) {
        this.runDirs.set(runId, dir);
        return dir;
      }
    }
    throw new TrackingError(`run ${runId} not found under ${this.root}`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private async updateMeta(runId: string, changes: YamlMap): Promise<void> {
    const dir = await this.runDir(runId);
    const meta = await readMeta(dir);
    if (!meta) throw new TrackingError(`run ${runId} has no ${FILE_STORE.meta}`, 'RESOURCE_DOES_NOT_EXIST');
    await AtomicFile.write(join(dir, FILE_STORE.meta), formatYaml({ ...meta, ...changes }));
  }
}

/** A metric value as Python's `float()` reads it back (`NaN`, `Infinity` included). */
function formatMetricValue(value: number): string {
  return String(value);
}

async function writeSmallFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A folder's `meta.yaml`, or undefined when it has none. */
export async function readMeta(dir: string): Promise<YamlMap | undefined> {
  const text = await readFile(join(dir, FILE_STORE.meta), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseYaml(text);
}
