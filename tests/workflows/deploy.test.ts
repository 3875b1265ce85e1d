import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AzureMlModelRegistry } from '../../pipeline/registry/AzureMlModelRegistry.js';
import { azuriteContainers, clientFor } from '../support/azureml-fixture.js';
import { type AzuriteBlob, startAzuriteBlob } from '../support/azurite-blob.js';
import { azureRehearsalEnv, type BlobTlsProxy, startBlobTlsProxy } from '../support/blob-tls-proxy.js';
import { makeBundle, sampleMetricsReport } from '../support/bundle-fixture.js';
import { azureLoginStandIn, installFakeAz } from '../support/fake-az.js';
import { FAKE_TOKEN, type FakeAzureMl, startFakeAzureMl } from '../support/fake-azureml.js';
import {
  checkoutWorkingTree,
  type JobRun,
  jobOutputs,
  readJob,
  runJobSteps,
} from '../support/workflow-run.js';

/**
 * deploy.yml (issue 25, item 4c): a `workflow_dispatch` run rehearsed as a runner runs it: the
 * job's steps as written, on a fresh checkout of this working tree, the deploy action from its
 * committed dist/ in a child process, against the fake Azure ML workspace.
 *
 * Stand-ins: checkout copies the working tree; azure/login leaves what the real one leaves for
 * later steps, a logged-in Azure CLI (`az account get-access-token` answers; before the login it
 * answers "Please run 'az login'", as the runner image's CLI does), which DefaultAzureCredential
 * uses. The fake `az` is the runner image's CLI, on PATH. The ARM URL is the fake's, through
 * AZURE_ARM_ENDPOINT (the action's documented override); the datastore's blob account is
 * Azurite behind {@link startBlobTlsProxy}. The checkout's configs/deployment.json keeps its
 * steps and rules but waits 0 s (its 60 s per step and 10 s polls are a real endpoint's).
 */

const WORKFLOW = '.github/workflows/deploy.yml';
const ROOT = resolve('.');
const ENDPOINT = 'opp-scoring';

let dir: string;
let fake: FakeAzureMl;
let azurite: AzuriteBlob;
let proxy: BlobTlsProxy;
let registry: AzureMlModelRegistry;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opp-deploy-yml-'));
  [fake, azurite] = await Promise.all([startFakeAzureMl({ operationPolls: 1 }), startAzuriteBlob()]);
  proxy = await startBlobTlsProxy(azurite.url);
  const container = new ContainerClient(`${azurite.url}/azureml-blobstore`, azurite.credential);
  await container.createIfNotExists({ access: 'container' });
  registry = new AzureMlModelRegistry(clientFor(fake), { containerClient: azuriteContainers(azurite) });
  bin = join(dir, 'bin');
  installFakeAz(bin);
  for (const auc of [0.9, 0.91, 0.92, 0.93, 0.94])
    await registry.registerVersion('opp', await makeBundle(auc === 0.93 ? {} : passingMetrics(auc), auc), {
      snapshotId: `snap-${auc}`,
      gitSha: 'deadbeef',
      configHash: 'cfg',
      specHash: 'spec',
      metrics: { auc },
    });
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await fake?.close();
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A metrics.json that passes configs/gate.json (the sample report's precision and f1 do not). */
function passingMetrics(auc: number): Record<string, string> {
  const report = sampleMetricsReport(auc);
  for (const model of report.models)
    if (model.test) Object.assign(model.test, { accuracy: 0.9, precision: 0.85, recall: 0.8, f1: 0.82 });
  return { 'metrics.json': JSON.stringify(report) };
}

/**
 * The GitHub deployment's environment after `job`: the job's `environment:` as written, its
 * expressions evaluated with the run's step outputs, as GitHub does once the job ends.
 */
function environmentOf(job: JobRun): Record<string, string> {
  const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as {
    jobs: { deploy: { environment: string | Record<string, string> } };
  };
  const environment = workflow.jobs.deploy.environment;
  return jobOutputs(typeof environment === 'string' ? { name: environment } : environment, job);
}

/** The endpoint's traffic now. */
function liveTraffic(): unknown {
  return (fake.endpoints.get(ENDPOINT) as { properties: { traffic: unknown } } | undefined)?.properties
    .traffic;
}

/** The endpoint's traffic maps, in the order the run set them. */
function trafficHistory(): Record<string, number>[] {
  return fake
    .calls('PUT', new RegExp(`^/onlineEndpoints/${ENDPOINT}$`))
    .map((r) => (r.body as { properties: { traffic?: Record<string, number> } }).properties.traffic ?? {});
}

/** Dispatches deploy.yml with `inputs` and runs its job on a fresh checkout. */
async function dispatch(
  inputs: Record<string, string>,
  editConfig: (config: Record<string, any>) => void = () => {},
): Promise<JobRun & { logins: Record<string, string>[] }> {
  const run = mkdtempSync(join(dir, 'run-'));
  const workspace = join(run, 'workspace');
  const runnerTemp = join(run, 'runner-temp');
  const home = join(run, 'home');
  for (const d of [workspace, runnerTemp, home]) mkdirSync(d);
  const eventPath = join(run, 'event.json');
  writeFileSync(eventPath, JSON.stringify({ inputs }));
  const vars = {
    AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    AZURE_TENANT_ID: '66666666-7777-8888-9999-000000000000',
    AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
    AZURE_RESOURCE_GROUP: fake.resourceGroup,
    AZUREML_WORKSPACE: fake.workspaceName,
  };
  const logins: Record<string, string>[] = [];
  const { steps, env } = readJob(WORKFLOW, 'deploy');
  const job = await runJobSteps(steps, {
    workspace,
    runnerTemp,
    jobEnv: env,
    context: {
      'github.event_name': 'workflow_dispatch',
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`inputs.${k}`, v])),
      ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [`vars.${k}`, v])),
    },
    env: {
      HOME: home,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'example/opp',
      ...azureRehearsalEnv(fake.url, proxy),
    },
    remoteActions: {
      'actions/checkout': () => {
        checkoutWorkingTree(ROOT, workspace);
        const config = join(workspace, 'configs', 'deployment.json');
        const shipped = JSON.parse(readFileSync(config, 'utf8'));
        shipped.traffic = { ...shipped.traffic, stepWaitSeconds: 0, healthPollSeconds: 0.05 };
        shipped.azureml = { ...shipped.azureml, pollSeconds: 0 };
        editConfig(shipped);
        writeFileSync(config, JSON.stringify(shipped));
      },
      'azure/login': azureLoginStandIn(home, logins),
    },
  });
  return { ...job, logins };
}

/** The dispatches follow one another on one workspace, as on a real endpoint: each starts from where the last left it. */
describe('deploy.yml, dispatched', () => {
  it('rolls a registered version out blue/green in the traffic steps asked for, then promotes it', async () => {
    const first = await dispatch({ model: 'opp:1', division: '', traffic: '', promote: 'true' });
    expect(first.errors, first.output).toEqual([]);
    expect(first.failed).toBe(false);
    expect(first.logins).toEqual([
      {
        'client-id': '11111111-2222-3333-4444-555555555555',
        'tenant-id': '66666666-7777-8888-9999-000000000000',
        'subscription-id': fake.subscriptionId,
      },
    ]);
    const before = trafficHistory().length;
    const started = Date.now();
    const second = await dispatch({ model: 'opp:2', division: '', traffic: '25,60,100', promote: 'true' });
    const seconds = (Date.now() - started) / 1000;
    expect(second.errors, second.output).toEqual([]);
    expect(second.failed).toBe(false);
    expect(trafficHistory().slice(before)).toEqual([
      { 'opp-v1': 75, 'opp-v2': 25 },
      { 'opp-v1': 40, 'opp-v2': 60 },
      { 'opp-v1': 0, 'opp-v2': 100 },
    ]);
    // keepDeployments 2: the old deployment stays, at 0 %, for a fast rollback.
    expect([...fake.deployments.keys()].sort()).toEqual([`${ENDPOINT}/opp-v1`, `${ENDPOINT}/opp-v2`]);
    expect(second.summary).toContain('## opp deploy: ✅ opp:2');
    expect(second.summary).toContain('promoted to production');
    // The GitHub deployment links to the endpoint's scoring URI, as Azure ML reports it.
    const scoringUri = (fake.endpoints.get(ENDPOINT) as { properties: { scoringUri: string } }).properties
      .scoringUri;
    expect(scoringUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/inference\/opp-scoring\/score$/);
    expect(second.outputs.deploy?.['scoring-uri']).toBe(scoringUri);
    expect(environmentOf(second)).toEqual({ name: 'production', url: scoringUri });
    // The summary: what was rolled out (new and old deployment), each step as it happened, the gate.
    expect(second.summary).toContain(
      `\n| ${ENDPOINT} | \`${scoringUri}\` | opp-v2 | opp-v1 \\(100% before\\) | opp-v1 0%, opp-v2 100% | - |\n`,
    );
    const steps = second.summary.match(/^\| opp-scoring \| opp-v2 \| .*$/gm)!;
    expect(steps.map((row) => row.split(' | ').slice(2, 4))).toEqual([
      ['25%', 'opp-v1 75%, opp-v2 25%'],
      ['60%', 'opp-v1 40%, opp-v2 60%'],
      ['100%', 'opp-v1 0%, opp-v2 100%'],
    ]);
    expect(
      steps.every((row) =>
        /\| ✅ error rate 0\.0%: provisioning state Succeeded \| [\d-]+T[\d:.]+Z \|$/.test(row),
      ),
    ).toBe(true);
    expect(second.summary).toContain('### Gate re-checked on `opp:2`: ✅ passed');
    expect(second.summary).toContain('| 0 general | 0.910 | ✅ pass |');
    expect((await registry.getVersion('opp', '2')).stage).toBe('production');
    // Every blob read went through the datastore's account with the CLI's token; nothing else left.
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.every((r) => r.authorization === `Bearer ${FAKE_TOKEN}`)).toBe(true);
    expect(proxy.refused).toEqual([]);
    expect(fake.violations).toEqual([]);
    expect(seconds).toBeLessThan(30);
  }, 60_000);

  it('rolls back to the live deployment when the new one fails to provision, and fails the job', async () => {
    fake.failingDeployments.set('opp-v3', 'ERROR: scoring container exited with code 137 (OOMKilled)');
    const before = trafficHistory().length;
    const job = await dispatch({ model: 'opp:3', division: '', traffic: '10,100', promote: 'true' });
    expect(job.failed).toBe(true);
    expect(job.failedStep).toBe('Re-check the gate, then roll out');
    expect(job.errors.join('\n')).toMatch(/opp-v3/);
    // No traffic ever moved to the failed deployment; the live one still takes all of it.
    expect(
      trafficHistory()
        .slice(before)
        .every((t) => !t['opp-v3']),
    ).toBe(true);
    expect(liveTraffic()).toEqual({
      'opp-v1': 0,
      'opp-v2': 100,
    });
    expect(job.summary).toContain('## opp deploy: ❌ opp:3');
    expect(job.summary).toMatch(/rolled back\s*\|\s*yes/);
    expect(job.summary).toContain('OOMKilled');
    // Nothing was rolled out: the deployment gets no URL.
    expect(environmentOf(job)).toEqual({ name: 'production', url: '' });
    expect((await registry.getVersion('opp', '3')).stage).not.toBe('production');
    expect((await registry.getVersion('opp', '2')).stage).toBe('production');
    expect(fake.violations).toEqual([]);
  }, 60_000);

  it('refuses a version whose registered metrics fail the gate before any deployment is made', async () => {
    const requests = fake.requests.length;
    const job = await dispatch({ model: 'opp:4', division: '', traffic: '', promote: 'true' });
    expect(job.failed).toBe(true);
    expect(job.errors.join('\n')).toMatch(/metrics gate failed/);
    // Only the re-check's verdict: no model, endpoint or scoring URI (the deployment gets no URL).
    expect(job.outputs).toEqual({ deploy: { 'gate-passed': 'false' } });
    expect(environmentOf(job)).toEqual({ name: 'production', url: '' });
    expect(job.summary).toContain('## opp deploy: ❌ opp:4 refused by the gate');
    expect(job.summary).toMatch(/\| 0 general \| 0\.930 \| ❌ fail \|\n/);
    const writes = fake.requests.slice(requests).filter((r) => r.method !== 'GET' && r.method !== 'POST');
    expect(writes).toEqual([]);
    expect(liveTraffic()).toEqual({
      'opp-v1': 0,
      'opp-v2': 100,
    });
  }, 60_000);

  it('with the scoring probe configured, rolls traffic back when the new deployment answers 500s', async () => {
    fake.failingScoring.add('opp-v5');
    const before = trafficHistory().length;
    const job = await dispatch(
      { model: 'opp:5', division: '', traffic: '10,100', promote: 'true' },
      (config) => {
        config.azureml.probe = { requests: 2, body: { records: [] } };
      },
    );
    expect(job.failed).toBe(true);
    expect(job.errors.join('\n')).toMatch(/opp-v5/);
    expect(trafficHistory().slice(before)).toEqual([{ 'opp-v2': 90, 'opp-v5': 10 }, { 'opp-v2': 100 }]);
    expect(liveTraffic()).toEqual({ 'opp-v2': 100 });
    expect(job.summary).toMatch(/rolled back\s*\|\s*yes/);
    // The step that failed, with the probe's result, then the rollback.
    expect(job.summary).toMatch(
      /\n\| opp-scoring \| opp-v5 \| 10% \| opp-v2 90%, opp-v5 10% \| ❌ error rate 100\.0%: 2\/2 scoring calls to opp-v5 failed \\\(last: HTTP 500\\\) \| [\d-]+T[\d:.]+Z \|\n/,
    );
    expect(job.summary).toMatch(
      /### Rollback\n\n- [\d-]+T[\d:.]+Z: opp-scoring rolled back from opp-v5: at 10%: error rate 1 \\\(max 0\.01\\\): 2\/2 scoring calls [^\n]+\. Traffic restored to opp-v2 100%\.\n/,
    );
    expect((await registry.getVersion('opp', '2')).stage).toBe('production');
    expect(fake.violations).toEqual([]);
  }, 40_000);
});
