import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTrackingError } from '../../../pipeline/errors/TrackingError.js';
import { FileStoreTracker } from '../../../pipeline/tracking/FileStoreTracker.js';
import { parseYaml } from '../../../pipeline/tracking/internal/meta-yaml.js';
import {
  findFileStoreRun,
  listFileStoreExperiments,
  listFileStoreRuns,
  readFileStoreRun,
} from '../../../pipeline/tracking/read-file-store.js';

const newRoot = () => join(mkdtempSync(join(tmpdir(), 'opp-mlruns-')), 'mlruns');

describe('FileStoreTracker writes MLflow file-store layout', () => {
  it('creates the Default experiment 0, .trash and the named experiment with meta.yaml as MLflow does', async () => {
    const root = newRoot();
    const tracker = new FileStoreTracker(root, { experimentName: 'opp-test' });
    const { experimentId } = await tracker.startRun();
    expect(readdirSync(root).sort()).toEqual(['.trash', '0', experimentId].sort());
    const zero = parseYaml(readFileSync(join(root, '0', 'meta.yaml'), 'utf8'));
    expect(zero).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
    expect(zero.artifact_location).toBe(pathToFileURL(join(root, '0')).href);
    const text = readFileSync(join(root, experimentId, 'meta.yaml'), 'utf8');
    // experiment_id is a string in MLflow's meta.yaml: a number-like id must be quoted.
    expect(text).toContain(`experiment_id: '${experimentId}'`);
    expect(Object.keys(parseYaml(text))).toEqual([
      'artifact_location',
      'creation_time',
      'experiment_id',
      'last_update_time',
      'lifecycle_stage',
      'name',
    ]);
    expect(experimentId).toMatch(/^[0-9]+$/);
  });

  it('reuses the experiment with the same name, also from another tracker', async () => {
    const root = newRoot();
    const a = await new FileStoreTracker(root, { experimentName: 'x' }).startRun();
    const b = await new FileStoreTracker(root, { experimentName: 'x' }).startRun();
    const c = await new FileStoreTracker(root, { experimentName: 'y' }).startRun();
    expect(b.experimentId).toBe(a.experimentId);
    expect(c.experimentId).not.toBe(a.experimentId);
    expect((await listFileStoreExperiments(root)).map((e) => e.name).sort()).toEqual(['Default', 'x', 'y']);
  });

  it('writes a run that reads back field by field: meta, params, metrics lines, tags, artifacts', async () => {
    const root = newRoot();
    const tracker = new FileStoreTracker(root, { experimentName: 'fields' });
    const parent = await tracker.startRun({ runName: 'study', startTime: 1_700_000_000_000 });
    const run = await tracker.startRun({
      runName: 'trial 1',
      parentRunId: parent.runId,
      startTime: 1_700_000_000_500,
      tags: { team: 'bids' },
    });
    await tracker.logParams(run.runId, {
      'training.learningRate': 0.00072038,
      seed: 42,
      backend: 'tfjs-wasm',
      flag: true,
    });
    await tracker.logMetrics(
      run.runId,
      { 'fold_2/val_loss': 0.5, train_loss: 0.6 },
      { step: 0, timestamp: 1000 },
    );
    await tracker.logMetrics(run.runId, { 'fold_2/val_loss': 0.25 }, { step: 1, timestamp: 2000 });
    await tracker.logMetrics(run.runId, { odd: Number.NaN }, { step: 3, timestamp: 3000 });
    const bundle = join(mkdtempSync(join(tmpdir(), 'opp-bundle-')), 'bundle');
    mkdirSync(join(bundle, 'weights'), { recursive: true });
    writeFileSync(join(bundle, 'model.json'), '{}');
    writeFileSync(join(bundle, 'weights', 'w.bin'), 'abc');
    await tracker.logArtifact(run.runId, bundle, { artifactPath: 'bundle' });
    const report = join(bundle, '..', 'metrics.json');
    writeFileSync(report, '{"version":1}');
    await tracker.logArtifact(run.runId, report);
    await tracker.endRun(run.runId, 'FAILED', 1_700_000_009_000);

    const dir = join(root, run.experimentId, run.runId);
    expect(readdirSync(dir).sort()).toEqual(['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
    const meta = parseYaml(readFileSync(join(dir, 'meta.yaml'), 'utf8'));
    expect(meta).toEqual({
      artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
      deleted_time: null,
      end_time: 1_700_000_009_000,
      entry_point_name: '',
      experiment_id: run.experimentId,
      lifecycle_stage: 'active',
      run_id: run.runId,
      run_name: 'trial 1',
      run_uuid: run.runId,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: 1_700_000_000_500,
      status: 4,
      tags: [],
      user_id: expect.any(String),
    });
    expect(readFileSync(join(dir, 'params', 'training.learningRate'), 'utf8')).toBe('0.00072038');
    expect(readFileSync(join(dir, 'params', 'flag'), 'utf8')).toBe('true');
    expect(readFileSync(join(dir, 'metrics', 'fold_2', 'val_loss'), 'utf8')).toBe(
      '1000 0.5 0\n2000 0.25 1\n',
    );
    expect(readFileSync(join(dir, 'tags', 'mlflow.runName'), 'utf8')).toBe('trial 1');
    expect(readFileSync(join(dir, 'tags', 'mlflow.parentRunId'), 'utf8')).toBe(parent.runId);
    expect(readFileSync(join(dir, 'artifacts', 'bundle', 'weights', 'w.bin'), 'utf8')).toBe('abc');
    expect(readFileSync(join(dir, 'artifacts', 'metrics.json'), 'utf8')).toBe('{"version":1}');

    const read = await readFileStoreRun(dir);
    expect(read).toMatchObject({
      runId: run.runId,
      experimentId: run.experimentId,
      runName: 'trial 1',
      status: 'FAILED',
      startTime: 1_700_000_000_500,
      endTime: 1_700_000_009_000,
      parentRunId: parent.runId,
      params: { 'training.learningRate': '0.00072038', seed: '42', backend: 'tfjs-wasm', flag: 'true' },
      tags: {
        team: 'bids',
        'mlflow.runName': 'trial 1',
        'mlflow.parentRunId': parent.runId,
        'mlflow.source.type': 'LOCAL',
      },
      metrics: { 'fold_2/val_loss': 0.25, train_loss: 0.6 },
    });
    expect(read?.metrics.odd).toBeNaN();
    expect(read?.history?.['fold_2/val_loss']).toEqual([
      { timestamp: 1000, value: 0.5, step: 0 },
      { timestamp: 2000, value: 0.25, step: 1 },
    ]);
    const listed = await listFileStoreRuns(root, 'fields');
    expect(listed.map((r) => r.runName)).toEqual(['trial 1', 'study']);
    expect((await findFileStoreRun(root, run.runId.slice(0, 10)))?.runId).toBe(run.runId);
  });

  it('keeps params write-once as MLflow does: same value is fine, another value is refused', async () => {
    const tracker = new FileStoreTracker(newRoot());
    const { runId } = await tracker.startRun();
    await tracker.logParams(runId, { seed: 42 });
    await tracker.logParams(runId, { seed: '42' });
    const error = await tracker.logParams(runId, { seed: 7 }).catch((e: unknown) => e);
    expect(isTrackingError(error) && error.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses keys that MLflow refuses or that would leave the run folder', async () => {
    const tracker = new FileStoreTracker(newRoot());
    const { runId } = await tracker.startRun();
    for (const key of ['../escape', 'a//b', '/abs', 'semi;colon', ''])
      await expect(tracker.logMetrics(runId, { [key]: 1 })).rejects.toThrow(/invalid metric name/);
    await expect(tracker.logParams(runId, { long: 'x'.repeat(6001) })).rejects.toThrow(/at most 6000/);
  });

  it('renaming through the mlflow.runName tag updates meta.yaml too', async () => {
    const root = newRoot();
    const tracker = new FileStoreTracker(root);
    const run = await tracker.startRun({ runName: 'before' });
    await tracker.setTags(run.runId, { 'mlflow.runName': 'after' });
    const again = new FileStoreTracker(root); // a fresh tracker finds the run by scanning
    await again.endRun(run.runId);
    const read = await readFileStoreRun(join(root, run.experimentId, run.runId));
    expect(read).toMatchObject({ runName: 'after', status: 'FINISHED' });
  });
});
