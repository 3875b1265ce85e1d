import { ConfigError } from '../errors/ConfigError.js';

/** Settings of a connection string that name an endpoint URL. */
const ENDPOINT_NAMES = ['BlobEndpoint', 'TableEndpoint', 'QueueEndpoint', 'FileEndpoint'] as const;
/** An account key is base64 (64 bytes in Azure: 88 characters). */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks an Azure Storage connection string before any client is built from it, so a malformed
 * one fails naming the setting and the part that is wrong instead of the SDK's "Invalid URL".
 * Messages name parts, never values: the string holds the account key or a SAS token.
 *
 * Accepted: `UseDevelopmentStorage=true`; or `Name=value` pairs separated by `;` where every
 * `…Endpoint` is an http(s) URL, the table and blob endpoints come from `TableEndpoint` and
 * `BlobEndpoint` or from `AccountName` (with `DefaultEndpointsProtocol` http or https and an
 * optional non-empty `EndpointSuffix`), and the credential is a base64 `AccountKey` (with
 * `AccountName`) or a `SharedAccessSignature` (with both endpoints).
 *
 * @param value - the connection string.
 * @param setting - where it came from, for the message, e.g. `OPP_STORAGE_CONNECTION_STRING`.
 * @throws ConfigError naming `setting` and the malformed part.
 */
export function checkConnectionString(value: string, setting: string): void {
  const fail = (problem: string) =>
    new ConfigError(
      `${setting} is not a valid Azure Storage connection string: ${problem} (the value is not shown, as it holds a secret; copy the connection string again from the storage account's "Access keys" page)`,
    );
  const parts = new Map<string, string>();
  const segments = value.split(';').filter((s) => s.trim() !== '');
  for (const [i, segment] of segments.entries()) {
    const eq = segment.indexOf('=');
    const name = eq > 0 ? segment.slice(0, eq).trim() : '';
    if (!/^[A-Za-z]+$/.test(name)) throw fail(`part ${i + 1} of ${segments.length} is not Name=value`);
    parts.set(name.toLowerCase(), segment.slice(eq + 1).trim());
  }
  const get = (name: string) => parts.get(name.toLowerCase());
  if (get('UseDevelopmentStorage') !== undefined) {
    if (get('UseDevelopmentStorage')!.toLowerCase() !== 'true')
      throw fail('UseDevelopmentStorage must be true');
    return;
  }
  for (const name of ENDPOINT_NAMES) {
    const endpoint = get(name);
    if (endpoint !== undefined && !isHttpUrl(endpoint)) throw fail(`${name} is not an http(s) URL`);
  }
  const protocol = get('DefaultEndpointsProtocol');
  if (protocol !== undefined && !/^https?$/i.test(protocol))
    throw fail('DefaultEndpointsProtocol must be http or https');
  if (get('EndpointSuffix') === '') throw fail('EndpointSuffix is empty');
  const account = get('AccountName');
  if (account === '') throw fail('AccountName is empty');
  for (const name of ['TableEndpoint', 'BlobEndpoint']) {
    if (get(name) === undefined && account === undefined)
      throw fail(`it has neither ${name} nor AccountName`);
  }
  const key = get('AccountKey');
  const sas = get('SharedAccessSignature');
  if (key !== undefined) {
    if (!BASE64.test(key)) throw fail('AccountKey is not base64 (was it cut short or quoted?)');
    if (account === undefined) throw fail('AccountKey needs AccountName');
  } else if (sas !== undefined) {
    if (sas === '') throw fail('SharedAccessSignature is empty');
    if (get('TableEndpoint') === undefined || get('BlobEndpoint') === undefined)
      throw fail('a SharedAccessSignature needs TableEndpoint and BlobEndpoint');
  } else {
    throw fail('it has neither AccountKey nor SharedAccessSignature');
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
