import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmAzureMlClient } from '../../pipeline/azureml/arm-client.js';
import { useTokenPolicyForHttp } from '../../pipeline/azureml/internal/http-token-policy.js';
import { isAzureMlError } from '../../pipeline/errors/AzureMlError.js';
import {
  FAKE_API_VERSION,
  FAKE_TOKEN,
  FAST_RETRY,
  type FakeAzureMl,
  fakeCredential,
  startFakeAzureMl,
} from './fake-azureml.js';

let fake: FakeAzureMl;
beforeAll(async () => {
  fake = await startFakeAzureMl();
});
afterAll(async () => fake?.close());

/** A raw call to the fake, with the fake's token. */
function call(method: string, path: string, body?: unknown, apiVersion = FAKE_API_VERSION) {
  return fetch(`${fake.url}${fake.prefix}${path}?api-version=${apiVersion}`, {
    method,
    headers: { authorization: `Bearer ${FAKE_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const job = (inputs: Record<string, unknown>) => ({
  properties: {
    jobType: 'Command',
    command: 'opp train',
    environmentId: `${fake.prefix}/environments/e/versions/1`,
    inputs,
  },
});

describe('the fake Azure ML ARM server checks what it is sent against the 2024-04-01 description', () => {
  it("refuses an api-version it has no description for (the SDK's default 2022-10-01, a preview)", async () => {
    for (const apiVersion of ['2022-10-01', '2023-04-01-preview']) {
      const client = createArmAzureMlClient(fake.workspace, fakeCredential, {
        endpoint: fake.url,
        apiVersion,
        retryOptions: FAST_RETRY,
      });
      const error = await client.getJob('any').catch((e: unknown) => e);
      expect(isAzureMlError(error) && error.details).toEqual({
        statusCode: 400,
        code: 'NoRegisteredProviderFound',
      });
      expect(fake.violations.pop()).toMatch(new RegExp(`API version '${apiVersion}'`));
    }
  });

  it("refuses the job body SDK 2.1.1's own jobs.createOrUpdate sends: its uri_folder input has no uri", async () => {
    const sdk = new AzureMachineLearningWorkspaces(fakeCredential, fake.subscriptionId, {
      $host: fake.url,
      endpoint: fake.url,
      apiVersion: FAKE_API_VERSION,
      allowInsecureConnection: true,
      retryOptions: FAST_RETRY,
    });
    useTokenPolicyForHttp(sdk.pipeline, fakeCredential, 'https://management.azure.com/.default');
    const error = await sdk.jobs
      .createOrUpdate(fake.resourceGroup, fake.workspaceName, 'sdk-job', {
        properties: {
          jobType: 'Command',
          command: 'opp train',
          environmentId: `${fake.prefix}/environments/e/versions/1`,
          inputs: {
            snapshot: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p/' } as never,
          },
          outputs: { bundle: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } as never },
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: 'UserError' });
    const sent = fake.calls('PUT', /^\/jobs\/sdk-job$/)[0]!.body as {
      properties: { inputs: unknown; outputs: unknown };
    };
    expect(sent.properties.inputs).toEqual({ snapshot: { jobInputType: 'uri_folder' } });
    // Outputs lose theirs too (optional, so not refused: the mode silently falls back to the default).
    expect(sent.properties.outputs).toEqual({ bundle: { jobOutputType: 'uri_folder' } });
    expect(fake.violations.pop()).toMatch(/body\.properties\.inputs\.snapshot\.uri: required/);
    expect(fake.jobs.has('sdk-job')).toBe(false);
  });

  it("answers a refused body with 400 and ARM's error shape, naming each problem", async () => {
    const res = await call(
      'PUT',
      '/jobs/j-bad',
      job({
        a: { jobInputType: 'uri_folder' },
        b: { jobInputType: 'dataset' },
        c: { jobInputType: 'literal' },
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UserError');
    expect(body.error.message).toMatch(/Request is invalid and\/or missing fields/);
    expect(body.error.message).toMatch(/inputs\.a\.uri: required/);
    expect(body.error.message).toMatch(/inputs\.b\.jobInputType: "dataset" names no subtype of JobInput/);
    expect(body.error.message).toMatch(/inputs\.c\.value: required/);
    expect(fake.violations.splice(0)).toHaveLength(1);
  });

  it('refuses keys a model does not declare, wrong types and values outside an enum', async () => {
    const res = await call('PUT', '/onlineEndpoints/ep1', {
      location: 'westeurope',
      properties: { authMode: 'Password', traffic: { blue: '100' }, trafic: {} },
    });
    expect(res.status).toBe(400);
    const { message } = ((await res.json()) as { error: { message: string } }).error;
    expect(message).toMatch(/properties\.authMode: "Password" is not one of AMLToken, Key, AADToken/);
    expect(message).toMatch(/properties\.traffic\.blue: expected an integer/);
    expect(message).toMatch(/properties\.trafic: not a property of OnlineEndpoint/);
    fake.violations.splice(0);
  });

  it('ignores read-only properties in a request, as ARM does', async () => {
    const res = await call('PUT', '/models/m/versions/1', {
      id: 'ignored',
      properties: { modelUri: 'azureml://datastores/d/paths/m/1/', provisioningState: 'Succeeded' },
    });
    expect(res.status).toBe(201);
    expect(fake.violations).toEqual([]);
  });

  it('refuses the CLI environment shorthand where the REST API takes an id', async () => {
    await call('PUT', '/onlineEndpoints/ep2', { location: 'westeurope', properties: { authMode: 'Key' } });
    const deployment = (environmentId: string) => ({
      location: 'westeurope',
      properties: { endpointComputeType: 'Managed', environmentId },
    });
    const short = await call('PUT', '/onlineEndpoints/ep2/deployments/d1', deployment('azureml:opp-serve:1'));
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { message: string } }).error.message).toMatch(
      /environmentId azureml:opp-serve:1: not an ARM id/,
    );
    const armId = await call(
      'PUT',
      '/onlineEndpoints/ep2/deployments/d2',
      deployment(`${fake.prefix}/environments/opp-serve/versions/1`),
    );
    expect(armId.status).toBe(201);
  });

  it('refuses a request without a bearer token', async () => {
    const res = await fetch(`${fake.url}${fake.prefix}/jobs/j?api-version=${FAKE_API_VERSION}`);
    expect(res.status).toBe(401);
  });

  it('answers a route the description does not have with 400 rather than pretending', async () => {
    const res = await call('GET', '/computes/c1/nothing');
    expect(res.status).toBe(400);
    expect(fake.violations.pop()).toMatch(/no such route/);
  });

  it('never sends a response its description refuses: 500, recorded, and close() would throw', async () => {
    fake.models.set('broken/1', { id: 'x', name: '1', properties: { modelType: 7 } });
    const res = await call('GET', '/models/broken/versions/1');
    expect(res.status).toBe(500);
    expect(fake.responseViolations.splice(0)).toEqual(['200 body.properties.modelType: expected a string']);
    fake.models.delete('broken/1');
  });
});
