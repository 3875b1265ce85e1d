import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  ContainerClient,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../pipeline/ingestion/run-ingest.js';
import { AzureMlModelRegistry } from '../../pipeline/registry/AzureMlModelRegistry.js';
import type { ModelVersion } from '../../pipeline/registry/model-registry.js';
import type { StorageClients } from '../../pipeline/storage/storage-clients.js';
import { azuriteContainers, clientFor } from '../support/azureml-fixture.js';
import { useAzurite } from '../support/azurite.js';
import { type AzuriteBlob, startAzuriteBlob } from '../support/azurite-blob.js';
import { azureRehearsalEnv, type BlobTlsProxy, startBlobTlsProxy } from '../support/blob-tls-proxy.js';
import { azureLoginStandIn, installFakeAz } from '../support/fake-az.js';
import { type FakeAzureMl, startFakeAzureMl } from '../support/fake-azureml.js';
import { AFTER_ALL, type SourceFixture, startSourceFixture } from '../support/ingest-fixture.js';
import {
  checkoutWorkingTree,
  type ExpressionContext,
  evaluateExpression,
  type JobRun,
  jobOutputs,
  jobRuns,
  npmCiStandIn,
  readJob,
  readJobSteps,
  runJobSteps,
} from '../support/workflow-run.js';

/**
 * retrain.yml (issue 25, item 4a) rehearsed as a runner runs it: every job in the file's order,
 * each job's `if:` evaluated against its needs (a job that does not run is reported skipped),
 * matrix legs from `strategy.matrix`, each job on a fresh checkout of this working tree, the
 * train, metrics-gate and register actions from their committed dist/ in child processes, the
 * registry the fake Azure ML workspace.
 *
 * Stand-ins: checkout, setup-node and `npm ci` as in the other rehearsals; upload-artifact and
 * download-artifact copy folders through a per-run artifact store; azure/login and the runner's
 * `az` as in deploy.test.ts ({@link installFakeAz}); the datastore's blob account is Azurite
 * behind {@link startBlobTlsProxy}. The record table is a second Azurite, filled by the ingest
 * code from a sample source of 3,000 records (first only those modified before 2024, then all
 * of them: "new records arrive"). Training uses the checkout's configs unchanged (about 15 s a
 * run on 2 cores); the checkout's configs/gate.json keeps its rules but asks only AUC ≥ 0.55:
 * its accuracy, precision and F1 bounds are for the real data, the sample records' models stay
 * below them.
 */

const WORKFLOW = '.github/workflows/retrain.yml';
const ROOT = resolve('.');
const JOBS = ['snapshot', 'train', 'train-azureml', 'gate-register'] as const;
/** The expression inside `${{ … }}`. */
const inner = (text: unknown) => String(text).replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
const LAG_MS = 60_000;
/** The commit the runs are of (a runner sets GITHUB_SHA; the checkout copy has no .git). */
const SHA = 'c0ffee'.padEnd(40, '0');

const storage = useAzurite();
let dir: string;
let fake: FakeAzureMl;
let datastore: AzuriteBlob;
let proxy: BlobTlsProxy;
let registry: AzureMlModelRegistry;
let bin: string;
let source: SourceFixture;
let table: { prefix: string; clients: StorageClients };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opp-retrain-yml-'));
  [fake, datastore, source] = await Promise.all([
    startFakeAzureMl({ operationPolls: 1 }),
    startAzuriteBlob(),
    startSourceFixture(3000, 25),
  ]);
  // The register action writes the bundle: the proxy signs its requests with a SAS of the account.
  const sas = generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 3600_000),
      permissions: AccountSASPermissions.parse('rwdlac'),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
      services: AccountSASServices.parse('b').toString(),
    },
    datastore.credential,
  ).toString();
  proxy = await startBlobTlsProxy(datastore.url, { sas });
  await new ContainerClient(`${datastore.url}/azureml-blobstore`, datastore.credential).createIfNotExists();
  registry = new AzureMlModelRegistry(clientFor(fake), { containerClient: azuriteContainers(datastore) });
  bin = join(dir, 'bin');
  installFakeAz(bin);
}, 60_000);
afterAll(async () => {
  await source?.stop();
  await proxy?.close();
  await fake?.close();
  await datastore?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Ingests the source's records modified before `until` into the record table. */
async function ingestUntil(until: Date): Promise<void> {
  await runIngest(source.clients(table.clients), {
    now: () => new Date(until.getTime() + LAG_MS),
    lagMs: LAG_MS,
  });
}

const AZURE_VARS = () => ({
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_TENANT_ID: '66666666-7777-8888-9999-000000000000',
  AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
  AZURE_RESOURCE_GROUP: fake.resourceGroup,
  AZUREML_WORKSPACE: fake.workspaceName,
});

interface WorkflowRun {
  /** Each job's runs (one per matrix leg), by job. */
  jobs: Partial<Record<(typeof JOBS)[number], (JobRun & { matrix: Record<string, string> })[]>>;
  results: Record<string, 'success' | 'failure' | 'skipped'>;
  skipped: string[];
  /** The snapshot job's outputs. */
  snapshot: Record<string, string>;
  logins: Record<string, string>[];
}

let runs = 0;

/** One run of retrain.yml: `event` schedule, or workflow_dispatch with `inputs`. */
async function runWorkflow(
  event: 'schedule' | 'workflow_dispatch',
  inputs: Record<string, string | boolean> = {},
): Promise<WorkflowRun> {
  runs += 1;
  const run = join(dir, `run-${runs}`);
  const artifacts = join(run, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const base: ExpressionContext = {
    'github.event_name': event,
    'github.run_id': String(1000 + runs),
    // The default of metrics-gate's github-token input.
    'github.token': 'ghs_rehearsal',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`inputs.${k}`, v])),
    ...Object.fromEntries(Object.entries(AZURE_VARS()).map(([k, v]) => [`vars.${k}`, v])),
    'secrets.OPP_STORAGE_CONNECTION_STRING': storage.instance.connectionString,
    'vars.OPP_STORAGE_PREFIX': table.prefix,
  };
  const result: WorkflowRun = { jobs: {}, results: {}, skipped: [], snapshot: {}, logins: [] };
  const needsContext: ExpressionContext = {};
  for (const name of JOBS) {
    const job = readJob(WORKFLOW, name);
    const context: ExpressionContext = {
      ...base,
      ...Object.fromEntries(
        Object.entries(needsContext).filter(([k]) => job.needs.includes(k.split('.')[1]!)),
      ),
    };
    if (!jobRuns(job.if, context)) {
      result.results[name] = 'skipped';
      result.skipped.push(name);
      needsContext[`needs.${name}.result`] = 'skipped';
      continue;
    }
    const divisions = job.matrix?.division
      ? (JSON.parse(evaluateExpression(inner(job.matrix.division), context, {})) as string[])
      : [undefined];
    const legs: (JobRun & { matrix: Record<string, string> })[] = [];
    for (const division of divisions) {
      const matrix: Record<string, string> = division === undefined ? {} : { division };
      const leg = join(run, `${name}-${division ?? 'job'}`);
      const workspace = join(leg, 'workspace');
      const runnerTemp = join(leg, 'runner-temp');
      const home = join(leg, 'home');
      for (const d of [workspace, runnerTemp, home]) mkdirSync(d, { recursive: true });
      const jobRun = await runJobSteps(job.steps, {
        workspace,
        runnerTemp,
        jobEnv: job.env,
        context: {
          ...context,
          ...Object.fromEntries(Object.entries(matrix).map(([k, v]) => [`matrix.${k}`, v])),
        },
        env: {
          HOME: home,
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          GITHUB_EVENT_NAME: event,
          GITHUB_RUN_ID: String(context['github.run_id']),
          GITHUB_REPOSITORY: 'example/opp',
          GITHUB_SHA: SHA,
          ...azureRehearsalEnv(fake.url, proxy),
        },
        remoteActions: {
          'actions/checkout': () => {
            checkoutWorkingTree(ROOT, workspace);
            const gate = join(workspace, 'configs', 'gate.json');
            writeFileSync(
              gate,
              JSON.stringify({ ...JSON.parse(readFileSync(gate, 'utf8')), minimum: { auc: 0.55 } }),
            );
          },
          'actions/setup-node': () => true,
          'azure/login': azureLoginStandIn(home, result.logins),
          'actions/upload-artifact': (with_) => {
            if (!existsSync(join(workspace, with_.path!))) return false;
            cpSync(join(workspace, with_.path!), join(artifacts, with_.name!), { recursive: true });
            return true;
          },
          'actions/download-artifact': (with_) => {
            if (!existsSync(join(artifacts, with_.name!))) return false;
            cpSync(join(artifacts, with_.name!), join(workspace, with_.path!), { recursive: true });
            return true;
          },
        },
        runStandIns: [npmCiStandIn(ROOT)],
      });
      legs.push({ ...jobRun, matrix });
      if (name === 'snapshot') result.snapshot = jobOutputs(job.outputs, jobRun, context);
    }
    result.jobs[name] = legs;
    result.results[name] = legs.every((leg) => !leg.failed) ? 'success' : 'failure';
    needsContext[`needs.${name}.result`] = result.results[name];
    if (name === 'snapshot')
      for (const [k, v] of Object.entries(result.snapshot)) needsContext[`needs.snapshot.outputs.${k}`] = v;
  }
  return result;
}

/** Every version of `opp` on the fake workspace, oldest first. */
async function versions(): Promise<ModelVersion[]> {
  const all: ModelVersion[] = [];
  for await (const version of registry.listVersions('opp')) all.push(version);
  return all.sort((a, b) => Number(a.version) - Number(b.version));
}

/** The errors of every job of `run`, for a failing assertion's message. */
const errorsOf = (run: WorkflowRun) =>
  Object.values(run.jobs)
    .flat()
    .flatMap((leg) => leg.errors)
    .join('\n');

/** The runs follow one another on one record table and one registry, as week after week. */
describe('retrain.yml, scheduled week after week', () => {
  let first: WorkflowRun;

  beforeAll(async () => {
    table = await storage.freshStorage();
    await ingestUntil(new Date('2024-01-01T00:00:00Z'));
  }, 60_000);

  it('trains on the snapshot, gates on thresholds alone (no production yet) and registers a candidate', async () => {
    first = await runWorkflow('schedule');
    // The only error: compare, which has no production version to score (continue-on-error).
    expect(errorsOf(first), errorsOf(first)).toBe('opp: model opp has no production version');
    expect(first.results).toEqual({
      snapshot: 'success',
      train: 'success',
      'train-azureml': 'skipped',
      'gate-register': 'success',
    });
    expect(first.snapshot).toMatchObject({ divisions: '["all"]', changed: 'true' });
    expect(first.snapshot['snapshot-id']).toMatch(/^[0-9a-f]{64}$/);
    const [train] = first.jobs.train!;
    expect(train!.matrix).toEqual({ division: 'all' });
    expect(train!.outputs.train).toMatchObject({ backend: expect.stringMatching(/wasm/) });
    const [gate] = first.jobs['gate-register']!;
    // No production version: compare fails (continue-on-error), the gate checks thresholds only.
    expect(gate!.outputs.compare).toEqual({});
    expect(gate!.summary).toContain('**no comparison model** (thresholds only)');
    expect(gate!.summary).toMatch(/opp register: opp:1 \(candidate\)/);
    const registered = await versions();
    expect(registered.map((v) => [v.version, v.stage, v.lineage.snapshotId])).toEqual([
      ['1', 'candidate', first.snapshot['snapshot-id']],
    ]);
    expect(registered[0]!.tags).toMatchObject({ trigger: 'schedule', division: 'all', 'github-run': '1001' });
    expect(registered[0]!.lineage.gitSha).toBe(SHA);
    // The snapshot job logged in to ask the registry; gate-register logged in to compare and register.
    expect(first.logins).toHaveLength(2);
    expect(fake.violations).toEqual([]);
  }, 240_000);

  it('on the unchanged table the next week, decides changed=false and skips training and registration', async () => {
    const requests = fake.requests.length;
    const second = await runWorkflow('schedule');
    expect(errorsOf(second)).toBe('');
    expect(second.snapshot['snapshot-id']).toBe(first.snapshot['snapshot-id']);
    expect(second.snapshot.changed).toBe('false');
    expect(second.skipped).toEqual(['train', 'train-azureml', 'gate-register']);
    expect(second.jobs.snapshot![0]!.output).toContain('opp:1 (candidate) was trained on this snapshot');
    expect((await versions()).map((v) => v.version)).toEqual(['1']);
    // It only read the registry.
    expect(fake.requests.slice(requests).every((r) => r.method === 'GET')).toBe(true);
  }, 120_000);

  it('after new records arrive, compares with the production version (v1, promoted) and registers v2', async () => {
    await registry.setStage('opp', '1', 'production');
    await ingestUntil(AFTER_ALL);
    const third = await runWorkflow('schedule');
    expect(errorsOf(third)).toBe('');
    expect(third.snapshot.changed).toBe('true');
    expect(third.snapshot['snapshot-id']).not.toBe(first.snapshot['snapshot-id']);
    expect(third.results['gate-register']).toBe('success');
    const [gate] = third.jobs['gate-register']!;
    expect(gate!.outputs.compare).toEqual({ report: 'comparison.json' });
    // `opp compare --baseline opp:production` resolved v1 and comparison.json names it.
    expect(gate!.summary).toContain(
      'Compared with the **production model `opp:1` from the registry**, scored on the same pinned hold-out rows',
    );
    expect(gate!.summary).toContain('**AUC non-regression**');
    const registered = await versions();
    expect(registered.map((v) => [v.version, v.stage, v.lineage.snapshotId])).toEqual([
      ['1', 'production', first.snapshot['snapshot-id']],
      ['2', 'candidate', third.snapshot['snapshot-id']],
    ]);
    expect(fake.violations).toEqual([]);
  }, 240_000);
});

/**
 * The snapshot job alone, in the two cases that decide changed=true without asking the registry:
 * a fork without the Azure variables (on the local Azurite opp starts, no storage secret), and
 * a dispatch with `force`.
 */
describe('retrain.yml snapshot job, deciding without the registry', () => {
  it.each([
    [
      'in a fork without the Azure variables',
      {},
      /::notice::changed=true: the Azure variables are not all set/,
    ],
    [
      'dispatched with force',
      { 'github.event_name': 'workflow_dispatch', 'inputs.force': true },
      /changed=true \(forced/,
    ],
  ] as const)(
    '%s: snapshots, plans one training job, decides changed=true and uploads the snapshot CSV',
    async (_, extra, why) => {
      const run = mkdtempSync(join(dir, 'snapshot-'));
      const workspace = join(run, 'workspace');
      const runnerTemp = join(run, 'runner-temp');
      mkdirSync(workspace);
      mkdirSync(runnerTemp);
      const { steps, env, outputs } = readJob(WORKFLOW, 'snapshot');
      const uploads: Record<string, string>[] = [];
      const logins: Record<string, string>[] = [];
      const forced = 'inputs.force' in extra;
      const context: ExpressionContext = {
        'github.event_name': 'schedule',
        ...extra,
        ...(forced ? Object.fromEntries(Object.entries(AZURE_VARS()).map(([k, v]) => [`vars.${k}`, v])) : {}),
      };
      const job = await runJobSteps(steps, {
        workspace,
        runnerTemp,
        jobEnv: env,
        context,
        env: { HOME: join(run, 'home') },
        remoteActions: {
          'actions/checkout': () => checkoutWorkingTree(ROOT, workspace),
          'actions/setup-node': () => true,
          'azure/login': (inputs) => logins.push(inputs),
          'actions/upload-artifact': (inputs) => {
            uploads.push(inputs);
            return existsSync(join(workspace, inputs.path!));
          },
        },
        runStandIns: [npmCiStandIn(ROOT)],
      });
      expect(job.errors, job.output).toEqual([]);
      expect(job.failed).toBe(false);
      const results = jobOutputs(outputs, job, context);
      expect(results).toMatchObject({ divisions: '["all"]', changed: 'true' });
      expect(job.output).toMatch(why);
      // Neither logs in: the fork has nothing to log in with, a forced run nothing to ask.
      expect(logins).toEqual([]);
      expect(results['snapshot-id']).toMatch(/^[0-9a-f]{64}$/);
      const csv = readFileSync(join(workspace, 'snapshot', 'snapshot.csv'));
      expect(createHash('sha256').update(csv).digest('hex')).toBe(results['snapshot-id']);
      expect(uploads).toEqual([expect.objectContaining({ name: 'snapshot', path: 'snapshot/' })]);
    },
    120_000,
  );

  it("registers with the snapshot job's id and skips a snapshot a live version was trained on, unless forced", () => {
    const register = readJobSteps(WORKFLOW, 'gate-register').find(
      (step) => step.uses === './actions/register',
    );
    expect(register?.with).toMatchObject({ stage: 'candidate' });
    const skip = inner(register?.with?.['skip-same-snapshot']);
    expect(evaluateExpression(skip, {}, {})).toBe('true');
    expect(evaluateExpression(skip, { 'inputs.force': true }, {})).toBe('false');
    expect(register?.with?.['snapshot-id']).toMatch(/^\$\{\{ needs\.snapshot\.outputs\.snapshot-id \}\}$/);
  });
});
