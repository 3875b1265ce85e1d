import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TrackingError } from '../errors/TrackingError.js';
import { FILE_STORE, readMeta } from './FileStoreTracker.js';
import {
  type ExperimentRecord,
  latestPoint,
  type MetricPoint,
  type RunRecord,
  runStatusName,
  withParent,
} from './run-record.js';

/** Every file under `dir`, as `/`-separated paths relative to it (keys with `/` are sub-folders). */
async function listKeys(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

async function readValues(dir: string): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const key of await listKeys(dir)) values[key] = await readFile(join(dir, key), 'utf8');
  return values;
}

/** Parses a metric file: one `timestamp value step` line per point (MLflow also reads 2 fields). */
export function parseMetricLines(text: string, key: string): MetricPoint[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parts = line.trim().split(' ');
      if (parts.length !== 2 && parts.length !== 3)
        throw new TrackingError(`metric ${key}: malformed line ${JSON.stringify(line)}`);
      return { timestamp: Number(parts[0]), value: Number(parts[1]), step: parts[2] ? Number(parts[2]) : 0 };
    });
}

/** Experiments of a file store (active and deleted are both read; `.trash` is skipped). */
export async function listFileStoreExperiments(root: string): Promise<ExperimentRecord[]> {
  const ids = await readdir(root).catch(() => [] as string[]);
  const experiments: ExperimentRecord[] = [];
  for (const id of ids.sort()) {
    if (id === FILE_STORE.trash) continue;
    const meta = await readMeta(join(root, id)).catch(() => undefined);
    if (!meta || typeof meta.name !== 'string') continue;
    experiments.push({
      experimentId: String(meta.experiment_id ?? id),
      name: meta.name,
      artifactLocation: String(meta.artifact_location ?? ''),
      lifecycleStage: String(meta.lifecycle_stage ?? 'active'),
      creationTime: typeof meta.creation_time === 'number' ? meta.creation_time : null,
    });
  }
  return experiments;
}

/**
 * Reads one run folder field by field: meta.yaml, params, tags and every metric point.
 *
 * @returns undefined when the folder holds no run (no meta.yaml with a run id).
 */
export async function readFileStoreRun(runDir: string): Promise<RunRecord | undefined> {
  const meta = await readMeta(runDir).catch(() => undefined);
  if (!meta || typeof meta.run_id !== 'string') return undefined;
  const tags = await readValues(join(runDir, FILE_STORE.tags));
  const history: Record<string, MetricPoint[]> = {};
  const metrics: Record<string, number> = {};
  const metricsDir = join(runDir, FILE_STORE.metrics);
  for (const key of await listKeys(metricsDir)) {
    history[key] = parseMetricLines(await readFile(join(metricsDir, key), 'utf8'), key);
    const latest = latestPoint(history[key]);
    if (latest) metrics[key] = latest.value;
  }
  return withParent({
    runId: meta.run_id,
    experimentId: String(meta.experiment_id),
    runName: String(meta.run_name || tags['mlflow.runName'] || ''),
    status: runStatusName(meta.status),
    startTime: Number(meta.start_time),
    endTime: typeof meta.end_time === 'number' ? meta.end_time : null,
    userId: String(meta.user_id ?? ''),
    artifactUri: String(meta.artifact_uri ?? ''),
    lifecycleStage: String(meta.lifecycle_stage ?? 'active'),
    params: await readValues(join(runDir, FILE_STORE.params)),
    tags,
    metrics,
    history,
  });
}

/** Runs of one experiment (by name or id), newest first. */
export async function listFileStoreRuns(root: string, experiment: string): Promise<RunRecord[]> {
  const found = (await listFileStoreExperiments(root)).find(
    (e) => e.name === experiment || e.experimentId === experiment,
  );
  if (!found) return [];
  const dir = join(root, found.experimentId);
  const runs: RunRecord[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === FILE_STORE.tags) continue;
    const run = await readFileStoreRun(join(dir, entry.name));
    if (run && run.lifecycleStage === 'active') runs.push(run);
  }
  return runs.sort((a, b) => b.startTime - a.startTime || a.runId.localeCompare(b.runId));
}

/** Finds a run by id (or a unique id prefix) in any experiment. */
export async function findFileStoreRun(root: string, runId: string): Promise<RunRecord | undefined> {
  const matches: RunRecord[] = [];
  for (const experiment of await listFileStoreExperiments(root)) {
    const dir = join(root, experiment.experimentId);
    for (const name of await readdir(dir)) {
      if (!name.startsWith(runId)) continue;
      const run = await readFileStoreRun(join(dir, name));
      if (run) matches.push(run);
    }
  }
  if (matches.length > 1) throw new TrackingError(`run id prefix ${runId} matches ${matches.length} runs`);
  return matches[0];
}
