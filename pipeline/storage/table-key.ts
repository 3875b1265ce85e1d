/**
 * Reversible encoding of any text into an Azure Table PartitionKey/RowKey. Table keys forbid
 * `/`, `\`, `#`, `?` and control characters (U+0000–U+001F, U+007F–U+009F); we also escape `%`
 * (the escape character itself) and `'` (so keys never need OData quoting care). Each such
 * UTF-16 code unit becomes `%XX` or `%uXXXX`; everything else is kept, so keys stay readable
 * and keep the ids' sort order for ASCII text.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: Table keys forbid control characters
const NEEDS_ESCAPE = /[%/\\#?'\u0000-\u001f\u007f-\u009f]/g;
const ESCAPE = /%(?:u([0-9A-F]{4})|([0-9A-F]{2}))/g;
/** Azure's key size limit is 1 KiB (UTF-16: 512 code units). */
export const MAX_TABLE_KEY_LENGTH = 512;

/** Encodes `text` into a valid table key; {@link decodeTableKey} gives it back exactly. */
export function encodeTableKey(text: string): string {
  const key = text.replace(NEEDS_ESCAPE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
  if (key.length > MAX_TABLE_KEY_LENGTH) {
    throw new RangeError(
      `table key for ${JSON.stringify(text.slice(0, 40))}… is ${key.length} characters; the limit is ${MAX_TABLE_KEY_LENGTH}`,
    );
  }
  return key;
}

/** Inverse of {@link encodeTableKey}. */
export function decodeTableKey(key: string): string {
  return key.replace(ESCAPE, (_, long: string | undefined, short: string | undefined) =>
    String.fromCharCode(Number.parseInt(long ?? short!, 16)),
  );
}
