import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_ENV, requestedBackend } from '../../../model/tf/backend.js';
import {
  beginTrain,
  beginTrainAndWait,
  buildTrainJobSpec,
  fetchTrainOutputs,
} from '../../../pipeline/azureml/training-job.js';
import { isAzureMlError } from '../../../pipeline/errors/AzureMlError.js';
import { azuriteContainers, clientFor } from '../../support/azureml-fixture.js';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite-blob.js';
import { makeBundle } from '../../support/bundle-fixture.js';
import { FAKE_API_VERSION, type FakeAzureMl, startFakeAzureMl } from '../../support/fake-azureml.js';

let fake: FakeAzureMl;
let azurite: AzuriteBlob;
const train = {
  compute: 'gpu-cluster',
  environment: 'opp-train-gpu:1',
  snapshotUri: 'azureml://datastores/workspaceblobstore/paths/snapshots/s1/',
  gpu: true,
};

beforeAll(async () => {
  [fake, azurite] = await Promise.all([startFakeAzureMl(), startAzuriteBlob()]);
});
afterAll(async () => {
  await fake?.close();
  await azurite?.stop();
});

describe('Azure ML training job', () => {
  it('builds a command job running opp train on the cluster in the custom environment', () => {
    const spec = buildTrainJobSpec(fake.workspace, train);
    expect(spec.computeId).toMatch(/\/workspaces\/test-ws\/computes\/gpu-cluster$/);
    expect(spec.environmentId).toMatch(/\/workspaces\/test-ws\/environments\/opp-train-gpu\/versions\/1$/);
    expect(spec.command).toContain('opp train');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML's own placeholder
    expect(spec.command).toContain('${{outputs.bundle}}');
  });

  it('--gpu makes opp train in the job load tfjs-node-gpu: the job sets the variable the backend choice reads', () => {
    const gpu = buildTrainJobSpec(fake.workspace, train).environmentVariables;
    const cpu = buildTrainJobSpec(fake.workspace, { ...train, gpu: false }).environmentVariables;
    const inJob = (env: Record<string, string>) => {
      const saved = process.env[BACKEND_ENV];
      delete process.env[BACKEND_ENV];
      Object.assign(process.env, env);
      try {
        // What `opp train` in the job asks for, with the production config's own backend.
        return requestedBackend(undefined, 'auto');
      } finally {
        for (const name of Object.keys(env)) delete process.env[name];
        if (saved !== undefined) process.env[BACKEND_ENV] = saved;
      }
    };
    expect(inJob(gpu)).toBe('node-gpu');
    expect(inJob(cpu)).toBe('auto');
    expect(Object.keys(gpu).filter((name) => /BACKEND/.test(name))).toEqual([BACKEND_ENV]);
  });

  it('submits with jobs.createOrUpdate and reports progress until Completed', async () => {
    const poller = await beginTrain(
      clientFor(fake),
      { ...train, jobName: 'train-ok' },
      { updateIntervalInMs: 1 },
    );
    const seen: string[] = [];
    poller.onProgress((s) => seen.push(s.status));
    const job = await poller.pollUntilDone();
    expect(job.status).toBe('Completed');
    expect(seen).toEqual(['Queued', 'Running', 'Completed']);
    const put = fake.calls('PUT', /^\/jobs\/train-ok$/)[0]!;
    expect(put.apiVersion).toBe(FAKE_API_VERSION);
    expect(put.body).toMatchObject({
      properties: {
        jobType: 'Command',
        limits: { jobLimitsType: 'Command', timeout: 'PT4H' },
        environmentId: expect.stringMatching(
          /^\/subscriptions\/.+\/workspaces\/test-ws\/environments\/opp-train-gpu\/versions\/1$/,
        ),
      },
    });
    // The whole of each input and output as it went on the wire: SDK 2.1.1's serializer sent
    // `{"jobInputType":"uri_folder"}` without the uri (azure-sdk-for-js#29328; the service and
    // the contract-checked fake refuse it).
    const props = (put.body as { properties: Record<string, unknown> }).properties;
    expect(props.inputs).toEqual({
      snapshot: { jobInputType: 'uri_folder', uri: train.snapshotUri },
      config: { jobInputType: 'literal', value: 'configs/production.json' },
    });
    expect(props.outputs).toEqual({ bundle: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } });
    expect(fake.violations).toEqual([]);
  });

  it('takes the azureml:name:version shorthand and sends the environment ARM id', async () => {
    await beginTrain(
      clientFor(fake),
      { ...train, environment: 'azureml:opp-train-cpu:3', jobName: 'train-env' },
      { updateIntervalInMs: 1 },
    );
    const put = fake.calls('PUT', /^\/jobs\/train-env$/)[0]!;
    expect((put.body as { properties: { environmentId: string } }).properties.environmentId).toBe(
      `${fake.prefix}/environments/opp-train-cpu/versions/3`,
    );
    expect(fake.violations).toEqual([]);
  });

  it("reports the service's refusal of a job PUT as AzureMlError with status and code", async () => {
    await beginTrain(clientFor(fake), { ...train, jobName: 'train-twice' }, { updateIntervalInMs: 1 });
    const error = await beginTrain(clientFor(fake), { ...train, jobName: 'train-twice' }).catch(
      (e: unknown) => e,
    );
    expect(isAzureMlError(error) && error.details).toEqual({ statusCode: 409, code: 'Conflict' });
    expect(isAzureMlError(error) && error.message).toMatch(/submit job train-twice: job train-twice exists/);
  });

  it('retries a job PUT answered 429 with Retry-After, then submits it once', async () => {
    fake.faults.push({
      method: 'PUT',
      path: /^\/jobs\/train-429$/,
      status: 429,
      headers: { 'Retry-After': '0' },
    });
    const job = await beginTrainAndWait(
      clientFor(fake),
      { ...train, jobName: 'train-429' },
      { updateIntervalInMs: 1 },
    );
    expect(job.status).toBe('Completed');
    expect(fake.calls('PUT', /^\/jobs\/train-429$/)).toHaveLength(2);
    expect(fake.jobs.has('train-429')).toBe(true);
  });

  it('resumes waiting from a poller token in a fresh poller without resubmitting', async () => {
    const first = await beginTrain(
      clientFor(fake),
      { ...train, jobName: 'train-resume' },
      { updateIntervalInMs: 1 },
    );
    await first.poll();
    const token = first.toString();
    const job = await beginTrainAndWait(clientFor(fake), train, { resumeFrom: token, updateIntervalInMs: 1 });
    expect(job).toMatchObject({ name: 'train-resume', status: 'Completed' });
    expect(fake.calls('PUT', /^\/jobs\/train-resume$/)).toHaveLength(1);
  });

  it('throws AzureMlError naming the state when the job fails', async () => {
    fake.jobOutcomes.set('train-bad', 'Failed');
    const error = await beginTrainAndWait(
      clientFor(fake),
      { ...train, jobName: 'train-bad' },
      { updateIntervalInMs: 1 },
    ).catch((e: unknown) => e);
    expect(isAzureMlError(error) && error.message).toMatch(/train-bad ended Failed/);
  });

  it('downloads the bundle output and reads its metrics.json', async () => {
    const job = await beginTrainAndWait(
      clientFor(fake),
      { ...train, jobName: 'train-out' },
      { updateIntervalInMs: 1 },
    );
    // Play Azure ML's part: the job wrote its bundle to the output folder on the default datastore.
    const container = new ContainerClient(`${azurite.url}/azureml-blobstore`, azurite.credential);
    await container.createIfNotExists();
    const bundle = await makeBundle();
    for (const file of ['metrics.json', 'model-0/model.json', 'model-0/weights.bin']) {
      await container.getBlockBlobClient(`azureml/train-out/bundle/${file}`).uploadFile(join(bundle, file));
    }
    const dir = await mkdtemp(join(tmpdir(), 'opp-out-'));
    const out = await fetchTrainOutputs(clientFor(fake), job, azuriteContainers(azurite), dir);
    expect(out.files).toEqual(['metrics.json', 'model-0/model.json', 'model-0/weights.bin']);
    expect(out.metrics.models[0]!.test?.auc).toBe(0.9);
    expect(await readFile(join(dir, 'model-0', 'weights.bin'))).toEqual(
      await readFile(join(bundle, 'model-0', 'weights.bin')),
    );
    expect((await readdir(dir)).sort()).toEqual(['metrics.json', 'model-0']);
  });
});
