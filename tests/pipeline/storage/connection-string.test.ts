import { afterEach, describe, expect, it } from 'vitest';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { azuriteConnectionString } from '../../../pipeline/storage/azurite.js';
import { checkConnectionString } from '../../../pipeline/storage/connection-string.js';
import { resolveStorage, STORAGE_CONNECTION_ENV } from '../../../pipeline/storage/resolve-storage.js';
import { runCli } from '../../support/run-cli.js';

/** A made-up account key (base64, like Azure's): it must never appear in a message. */
const KEY = 'c2VjcmV0LWtleS1ub3QtdG8tYmUtbG9nZ2VkLWFueXdoZXJlLWF0LWFsbC1zZWNyZXQta2V5LWtleS1rZXk=';
const ACCOUNT = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`;

function messageOf(value: string): string {
  try {
    checkConnectionString(value, 'OPP_STORAGE_CONNECTION_STRING');
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).not.toContain(KEY);
    expect(message).not.toContain('sig=');
    return message;
  }
  throw new Error('accepted');
}

describe('checkConnectionString', () => {
  it('accepts account-key, SAS, development and Azurite connection strings', () => {
    const valid = [
      ACCOUNT,
      `AccountName=acct;AccountKey=${KEY}`,
      `TableEndpoint=https://acct.table.core.windows.net;BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2022-11-02&sig=abc`,
      'UseDevelopmentStorage=true',
      azuriteConnectionString({ table: 'http://127.0.0.1:10002', blob: 'http://127.0.0.1:10000' }),
    ];
    for (const value of valid) expect(() => checkConnectionString(value, 'X'), value).not.toThrow();
  });

  it('names the setting and the malformed part, never the secret', () => {
    expect(messageOf(`${ACCOUNT};TableEndpoint=not a url`)).toMatch(
      /^OPP_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string: TableEndpoint is not an http\(s\) URL/,
    );
    expect(messageOf(KEY)).toContain('part 1 of 1 is not Name=value');
    expect(messageOf(ACCOUNT.replace(KEY, `"${KEY}"`))).toContain('AccountKey is not base64');
    expect(messageOf('AccountName=acct;EndpointSuffix=core.windows.net')).toContain(
      'neither AccountKey nor SharedAccessSignature',
    );
    expect(messageOf(`AccountKey=${KEY}`)).toContain('neither TableEndpoint nor AccountName');
    expect(messageOf(`${ACCOUNT};EndpointSuffix=`)).toContain('EndpointSuffix is empty');
    expect(messageOf(ACCOUNT.replace('https', 'ftp'))).toContain(
      'DefaultEndpointsProtocol must be http or https',
    );
    expect(messageOf('SharedAccessSignature=sv=1&sig=abc')).toContain(
      'neither TableEndpoint nor AccountName',
    );
  });
});

describe('a malformed storage connection string', () => {
  const saved = process.env[STORAGE_CONNECTION_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[STORAGE_CONNECTION_ENV];
    else process.env[STORAGE_CONNECTION_ENV] = saved;
  });

  it('fails resolveStorage with a ConfigError naming the option it came from', async () => {
    const error = await resolveStorage({
      connectionString: `${ACCOUNT};BlobEndpoint=http//host`,
      setting: '--connection-string',
      env: {},
    }).catch((e: unknown) => e);
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^--connection-string is not .*BlobEndpoint is not an http\(s\) URL/,
    );
  });

  it('makes the CLI name OPP_STORAGE_CONNECTION_STRING, without a stack or the key', async () => {
    process.env[STORAGE_CONNECTION_ENV] = `${ACCOUNT};TableEndpoint=http//127.0.0.1:1/acct`;
    const { code, stdout, stderr } = await runCli(['quarantine']);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'opp: OPP_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string: TableEndpoint is not an http(s) URL',
    );
    expect(stderr).not.toContain('unexpected error');
    expect(stderr).not.toContain('    at ');
    expect(stdout + stderr).not.toContain(KEY);
  });
});
