import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { currentGitSha } from '../../model/bundle/provenance.js';
import { readTrainingReport, writeTrainingOutput } from '../../model/bundle/training-output.js';
import { loadTrainingData } from '../../model/data/load-training-data.js';
import type { MetricsReport } from '../../model/metrics-report.js';
import { createFitRunner } from '../../model/parallel/fit-workers.js';
import { useBackend } from '../../model/tf/backend.js';
import type { EpochLog } from '../../model/training/fit-network.js';
import { plannedFits, trainDivisions } from '../../model/training/train-divisions.js';
import { loadTrainingConfig } from '../../model/training-config.js';
import { loadDeploymentConfig } from '../config/deployment-config.js';
import { loadDivisionsConfig } from '../config/divisions-config.js';
import { loadGateConfig } from '../config/gate-config.js';
import { deployModelVersion } from '../deployment/blue-green.js';
import { LocalDeploymentTarget } from '../deployment/LocalDeploymentTarget.js';
import { type LocalEndpointRouter, startLocalEndpointRouter } from '../deployment/LocalEndpointRouter.js';
import { OppError } from '../errors/OppError.js';
import { compileFeatureSpec } from '../features/compile-spec.js';
import { loadFeatureSpec } from '../features/feature-spec.js';
import { evaluateGate, type GateResult } from '../gate/evaluate-gate.js';
import { runBackfill } from '../ingestion/run-backfill.js';
import { runIngest } from '../ingestion/run-ingest.js';
import { createSnapshot, downloadSnapshot } from '../ingestion/snapshot.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { acquireProcessLock, releaseProcessLock } from '../io/process-lock.js';
import { LocalModelRegistry } from '../registry/LocalModelRegistry.js';
import type { ModelVersion } from '../registry/model-registry.js';
import { writeHtmlReport } from '../reports/html-report.js';
import { IndexClient } from '../sources/IndexClient.js';
import { RecordApiClient } from '../sources/RecordApiClient.js';
import { SampleSource } from '../sources/SampleSource.js';
import { startSampleSourceServer } from '../sources/sample-source-server.js';
import { openLocalAzurite } from '../storage/local-azurite.js';
import { createStorageClients } from '../storage/storage-clients.js';
import { collectEpochs, type EpochLogs, trackTraining } from '../tracking/record-training.js';
import { oppHome, oppPath } from '../util/opp-home.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../util/package-root.js';
import { type ScoredExample, scoreExamples } from './score-examples.js';

export interface DemoOptions {
  /** Sample records the local source serves. */
  records: number;
  /** Seed of the sample source and of training. */
  seed: number;
  /** Worker threads for training. */
  workers: number;
  /** Gate config the demo checks its models against. */
  gate: string;
  /** Receives one line per step, and progress within long steps. */
  progress: DemoProgress;
}

export interface DemoProgress {
  step(title: string): void;
  /** Starts a bar for `total` units; returns its update and stop functions. */
  bar(
    label: string,
    total: number,
    unit: string,
  ): { update(done: number, detail?: string): void; stop(): void };
}

export interface DemoResult {
  home: string;
  source: { records: number; url: string };
  storage: { azurite: string };
  backfill: {
    windows: number;
    skipped: number;
    listed: number;
    kept: number;
    excluded: number;
    quarantined: number;
    seconds: number;
  };
  ingest: { listed: number; kept: number; quarantined: number; watermark: string };
  snapshot: { id: string; rows: number; positives: number; reused: boolean };
  training: {
    out: string;
    reused: boolean;
    seconds: number;
    models: { division: number; status: string; testAuc?: number }[];
  };
  gate: { config: string; passed: boolean; reasons: string[] };
  registry: { name: string; version: string; stage: string };
  /** The version now serving: the new one if it passed the gate, else the production one. */
  deployedVersion: string;
  deployment: { endpoint: string; url: string; traffic: Record<string, number> };
  examples: ScoredExample[];
  report: string;
  seconds: number;
}

/** Sample records are received from here on (the sample source's default range). */
const HISTORY_FROM = new Date('2021-01-01T00:00:00Z');
/** The backfill covers history up to here; the incremental ingest picks up the rest. */
const BACKFILL_TO = new Date('2025-07-01T00:00:00Z');
const MODEL_NAME = 'opp';
const ENDPOINT = 'opp-demo';

/** Everything the demo started, stopped in reverse order. */
export interface DemoServices {
  router?: LocalEndpointRouter;
  target?: LocalDeploymentTarget;
  stop(): Promise<void>;
}

/**
 * The whole pipeline on embedded defaults, no cloud account: sample source → backfill and one
 * incremental ingest into Azurite → snapshot → train (general + division models, k-fold CV) →
 * gate → register → deploy locally (blue/green) → score examples over HTTP → HTML report.
 * State lives under $OPP_HOME, so a second run re-uses what is there (finished backfill
 * windows, an identical snapshot, the models trained on it, the deployed version).
 */
export async function runDemo(options: DemoOptions, services: DemoServices): Promise<DemoResult> {
  const started = performance.now();
  const { progress } = options;
  const stops: (() => Promise<void>)[] = [];
  services.stop = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  // Two demos on one $OPP_HOME would share Azurite's folder and the endpoint, and the first to
  // stop would take the other's servers down with its own.
  mkdirSync(oppHome(), { recursive: true });
  const lock = oppPath('demo.lock');
  acquireProcessLock(
    lock,
    (owner) =>
      new OppError(
        `another opp demo (process ${owner}) is running on ${oppHome()}: stop it (Ctrl-C in its terminal), or give this one its own OPP_HOME`,
      ),
  );
  stops.push(async () => releaseProcessLock(lock));

  progress.step(`1/8 sample source: ${options.records} records (seed ${options.seed}) and Azurite storage`);
  const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
  const source = await startSampleSourceServer(
    SampleSource.fromSample({ n: options.records, seed: options.seed }),
  );
  stops.push(() => source.stop());
  const { azurite, close: stopAzurite } = await openLocalAzurite(oppHome());
  stops.push(stopAzurite);
  const storage = createStorageClients(azurite.connectionString, { prefix: 'demo' });
  const context = {
    index: new IndexClient({ endpoint: source.url, indexName: 'records', apiKey: source.apiKey }),
    recordApi: new RecordApiClient({ url: source.recordApiUrl, key: source.functionsKey }),
    storage,
    spec,
    fetchConcurrency: 8,
    writeConcurrency: 8,
  };

  progress.step(
    `2/8 backfill ${HISTORY_FROM.toISOString().slice(0, 10)} → ${BACKFILL_TO.toISOString().slice(0, 10)}, then one incremental ingest`,
  );
  let windowsBar: ReturnType<DemoProgress['bar']> | undefined;
  const backfill = await runBackfill(context, HISTORY_FROM, BACKFILL_TO, {
    windowMs: 30 * 86_400_000,
    concurrency: 4,
    onWindow: (done, total) => {
      windowsBar ??= progress.bar('backfill', total, 'windows');
      windowsBar.update(done);
    },
  }).finally(() => windowsBar?.stop());
  const ingest = await runIngest(context, { initialWatermark: BACKFILL_TO });

  progress.step('3/8 snapshot the ML-ready table to blob storage');
  const snapshot = await createSnapshot(storage, spec);
  const snapshotFile = oppPath('snapshots', `${snapshot.snapshotId}.csv`);
  if (!existsSync(snapshotFile)) {
    const downloaded = await downloadSnapshot(storage.snapshots, snapshot.snapshotId);
    await AtomicFile.write(snapshotFile, downloaded.csv);
  }

  progress.step('4/8 train the general model and one per division (k-fold CV, early stopping)');
  const trainingStarted = performance.now();
  const out = oppPath('models', snapshot.snapshotId.slice(0, 16));
  const reused = existsSync(join(out, 'metrics.json'));
  const epochs = collectEpochs();
  const report = reused
    ? await readTrainingReport(out)
    : await train(snapshotFile, out, options, spec, epochs.onEpoch);
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;

  progress.step(`5/8 gate the models (${options.gate})`);
  const registry = new LocalModelRegistry(oppPath('registry'));
  const production = await registry.getProduction(MODEL_NAME);
  const productionReport = production
    ? await readTrainingReport(production.uri).catch(() => undefined)
    : undefined;
  const gate = evaluateGate(
    report,
    loadGateConfig(options.gate),
    productionReport ? { production: productionReport } : {},
  );
  if (!reused) await track(report, out, epochs.logs, gate);

  progress.step('6/8 register the models');
  const version = await registerOnce(registry, out, report, gate);

  // Only a version that passed the gate is deployed; otherwise the one in production stays.
  const deployed = gate.passed ? version : production;
  if (!deployed) {
    const reportFile = await writeHtmlReport(report, oppPath('report'), 'opp demo: model report');
    throw new DemoError(
      `the models failed the gate (${options.gate}) and no earlier version is in production, so nothing is deployed:\n` +
        `${gate.reasons.map((r) => `  ${r}`).join('\n')}\nSee the report: ${reportFile}`,
    );
  }
  progress.step(`7/8 deploy version ${deployed.version} to the local endpoint "${ENDPOINT}" (blue/green)`);
  const deployment = loadDeploymentConfig(defaultConfigPath('deployment.json'));
  const target = new LocalDeploymentTarget(
    registry,
    { serverCommand: deployment.local!.serverCommand, healthProbes: 2 },
    oppPath('endpoints'),
  );
  services.target = target;
  stops.push(() => target.removeEndpoint(ENDPOINT));
  const rollout = await deployModelVersion(target, ENDPOINT, deployed, {
    steps: [10, 100],
    stepWaitMs: 500,
    healthTimeoutMs: 60_000,
    healthPollMs: 200,
  });
  const router = await startLocalEndpointRouter(() => target.getEndpointState(ENDPOINT));
  services.router = router;
  stops.push(() => router.close());

  progress.step(`8/8 score example opportunities at ${router.url}/score, and write the report`);
  const examples = await scoreExamples(router.url, spec, options.seed);
  const reportFile = await writeHtmlReport(report, oppPath('report'), 'opp demo: model report');

  return {
    home: oppPath(),
    source: { records: options.records, url: source.url },
    storage: { azurite: oppPath('azurite') },
    backfill: {
      windows: backfill.windows,
      skipped: backfill.skipped,
      listed: backfill.stats.listed,
      kept: backfill.stats.kept,
      excluded: backfill.stats.excluded,
      quarantined: backfill.stats.quarantined,
      seconds: backfill.seconds,
    },
    ingest: {
      listed: ingest.stats.listed,
      kept: ingest.stats.kept,
      quarantined: ingest.stats.quarantined,
      watermark: ingest.watermark,
    },
    snapshot: {
      id: snapshot.snapshotId,
      rows: snapshot.rows,
      positives: snapshot.positives,
      reused: !snapshot.created,
    },
    training: {
      out,
      reused,
      seconds: trainingSeconds,
      models: report.models.map((m) => ({
        division: m.division,
        status: m.status,
        ...(m.test ? { testAuc: m.test.auc } : {}),
      })),
    },
    gate: { config: options.gate, passed: gate.passed, reasons: gate.reasons },
    registry: { name: version.name, version: version.version, stage: version.stage },
    deployedVersion: deployed.version,
    deployment: { endpoint: ENDPOINT, url: router.url, traffic: rollout.traffic },
    examples,
    report: reportFile,
    seconds: (performance.now() - started) / 1000,
  };

  async function train(
    file: string,
    dir: string,
    opts: DemoOptions,
    compiled: typeof spec,
    onEpoch: (label: string, log: EpochLog) => void,
  ): Promise<MetricsReport> {
    const config = loadTrainingConfig(defaultConfigPath('production.json'));
    const divisions = loadDivisionsConfig(defaultConfigPath('divisions.json'));
    const backend = await useBackend('auto');
    const table = await loadTrainingData(file, compiled);
    const total = plannedFits({ table, config, divisions, which: 'all' });
    const runner = createFitRunner(opts.workers, backend);
    const bar = progress.bar('train', total, 'fits');
    let done = 0;
    try {
      const gitSha = currentGitSha();
      const result = await trainDivisions({
        table,
        spec: compiled,
        config,
        divisions,
        which: 'all',
        runner,
        backend,
        seed: opts.seed,
        ...(gitSha ? { gitSha } : {}),
        onEpoch: (label, log) => {
          onEpoch(label, log);
          bar.update(done, `${label} · epoch ${log.epoch} · loss ${log.trainLoss.toFixed(4)}`);
        },
        onFitDone: (label) => bar.update(++done, `${label} done`),
      });
      await writeTrainingOutput(dir, result);
      return result.report;
    } finally {
      bar.stop();
      await runner.close();
    }
  }
}

/** Records the training and its gate decision as MLflow runs ($OPP_HOME/mlruns by default). */
async function track(report: MetricsReport, out: string, epochs: EpochLogs, gate: GateResult): Promise<void> {
  await trackTraining(
    {
      report,
      config: loadTrainingConfig(defaultConfigPath('production.json')),
      out,
      epochs,
      gate: { passed: gate.passed, reasons: gate.reasons },
      runName: 'opp demo',
    },
    { onWarning: () => undefined },
  );
}

/** Registers the training output once: a re-run finds the version with the same snapshot and config. */
async function registerOnce(
  registry: LocalModelRegistry,
  out: string,
  report: MetricsReport,
  gate: GateResult,
): Promise<ModelVersion> {
  for await (const existing of registry.listVersions(MODEL_NAME)) {
    if (
      existing.lineage.snapshotId === report.snapshotId &&
      existing.lineage.configHash === report.configHash
    ) {
      return existing;
    }
  }
  const version = await registry.registerVersion(
    MODEL_NAME,
    out,
    {
      ...(report.snapshotId ? { snapshotId: report.snapshotId } : {}),
      ...(report.gitSha ? { gitSha: report.gitSha } : {}),
      configHash: report.configHash,
      specHash: report.specHash,
    },
    { tags: { gate: gate.passed ? 'passed' : 'failed', source: 'opp demo' } },
  );
  return gate.passed ? registry.setStage(MODEL_NAME, version.version, 'production') : version;
}

/** The demo could not reach a servable model. */
export class DemoError extends OppError {
  override name = 'DemoError';
}

/** Where the package's own example gate for the sample data lives. */
export const SAMPLE_DATA_GATE = join(PACKAGE_ROOT, 'configs', 'examples', 'gate-sample-data.json');
