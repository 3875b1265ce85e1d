/**
 * Record ids as the search index stores them: the id text (`<identifier@domain>`) as UTF-16LE
 * bytes, Base64url-encoded without `=` padding, then a digit giving how many `=` were removed
 * (.NET's `HttpServerUtility.UrlTokenEncode`). Some producers appended zero bytes (a C-style
 * terminator) to the text bytes before encoding, which shows up as `AA` before the digit.
 */

/** How an id was terminated: the padding digit, and the zero bytes appended before encoding. */
export interface IdTerminator {
  /** Number of `=` the encoder removed (0, 1 or 2): the trailing digit. */
  padding: 0 | 1 | 2;
  /** Zero bytes appended to the UTF-16LE text before encoding (0 when none). */
  zeroBytes: number;
}

export type DecodeIdResult =
  | { ok: true; id: string; terminator: IdTerminator }
  | { ok: false; encoded: string; reason: string };

/** What a decoded id must look like: `<local@domain>` with no spaces or angle brackets inside. */
export const DECODED_ID_PATTERN = /^<[^<>\s@]+@[^<>\s@]+>$/;

const BASE64URL_BODY = /^[A-Za-z0-9_-]*$/;
const MAX_ZERO_BYTES = 8;

/**
 * Encodes an id the way the index does (for tests, the sample source and the record API fake).
 *
 * @param id - the id text, e.g. `<abc@example.com>`.
 * @param options.zeroBytes - zero bytes to append before encoding (default 0).
 */
export function encodeRecordId(id: string, options: { zeroBytes?: number } = {}): string {
  const zeroBytes = options.zeroBytes ?? 0;
  if (!Number.isInteger(zeroBytes) || zeroBytes < 0 || zeroBytes > MAX_ZERO_BYTES) {
    throw new RangeError(`zeroBytes must be an integer in 0..${MAX_ZERO_BYTES}, but got ${zeroBytes}`);
  }
  const text = Buffer.from(id, 'utf16le');
  const bytes = zeroBytes > 0 ? Buffer.concat([text, Buffer.alloc(zeroBytes)]) : text;
  const body = bytes.toString('base64url');
  const padding = (4 - (body.length % 4)) % 4;
  return `${body}${padding}`;
}

/**
 * Decodes an id from the index exactly: the trailing digit must match the body's length, the
 * body must be canonical Base64url, the bytes valid UTF-16LE (after dropping appended zero
 * bytes), and the text must look like `<local@domain>`. Anything else is reported, not guessed.
 */
export function decodeRecordId(encoded: string): DecodeIdResult {
  const fail = (reason: string): DecodeIdResult => ({ ok: false, encoded, reason });
  if (encoded.length < 2) return fail('too short to be an encoded id');
  const digit = encoded.at(-1)!;
  if (digit !== '0' && digit !== '1' && digit !== '2') {
    return fail(`last character must be the padding digit 0, 1 or 2, but got "${digit}"`);
  }
  const padding = Number(digit) as 0 | 1 | 2;
  const body = encoded.slice(0, -1);
  if (!BASE64URL_BODY.test(body)) {
    const bad = [...body].find((c) => !/[A-Za-z0-9_-]/.test(c));
    return fail(`contains "${bad}", which is not a Base64url character`);
  }
  if ((body.length + padding) % 4 !== 0) {
    return fail(`padding digit ${padding} does not match a body of ${body.length} characters`);
  }
  if (padding === 0 && body.length === 0) return fail('empty body');
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body)
    return fail('not canonical Base64url (stray bits in the last character)');

  // Drop the appended zero bytes, keeping whole UTF-16 code units of the text.
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0 && (end % 2 === 1 || bytes[end - 2] === 0))
    end -= end % 2 === 1 ? 1 : 2;
  const zeroBytes = bytes.length - end;
  let text: string;
  try {
    text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return fail('bytes are not valid UTF-16LE text');
  }
  if (!DECODED_ID_PATTERN.test(text)) {
    return fail(`decodes to ${JSON.stringify(text.slice(0, 80))}, which is not of the form <local@domain>`);
  }
  return { ok: true, id: text, terminator: { padding, zeroBytes } };
}
