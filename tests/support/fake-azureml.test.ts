import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmAzureMlClient } from '../../pipeline/azureml/arm-client.js';
import { isAzureMlError } from '../../pipeline/errors/AzureMlError.js';
import {
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

describe('the fake Azure ML ARM server checks what it is sent', () => {
  it('refuses another api-version and records the violation', async () => {
    const client = createArmAzureMlClient(fake.workspace, fakeCredential, {
      endpoint: fake.url,
      apiVersion: '2023-04-01-preview',
      retryOptions: FAST_RETRY,
    });
    const error = await client.getJob('any').catch((e: unknown) => e);
    expect(isAzureMlError(error) && error.details.statusCode).toBe(400);
    expect(fake.violations.pop()).toMatch(/api-version 2023-04-01-preview/);
  });

  it('refuses a model version body without modelUri, and a request without a bearer token', async () => {
    const url = `${fake.url}${fake.prefix}/models/m/versions/1?api-version=2022-10-01`;
    const put = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ properties: { tags: {} } }),
      });
    expect((await put({})).status).toBe(401);
    expect((await put({ authorization: `Bearer ${FAKE_TOKEN}` })).status).toBe(400);
    expect(fake.violations.pop()).toMatch(/model version body: properties\.modelUri/);
  });

  it('answers an unknown route with 400 rather than pretending', async () => {
    const res = await fetch(`${fake.url}${fake.prefix}/computes/c1?api-version=2022-10-01`, {
      headers: { authorization: `Bearer ${FAKE_TOKEN}` },
    });
    expect(res.status).toBe(400);
    expect(fake.violations.pop()).toMatch(/no such route/);
  });
});
