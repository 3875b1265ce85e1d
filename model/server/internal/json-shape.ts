/** Deepest nesting of arrays and objects a `/score` body may have (a batch of records needs 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * Most keys any one object of a `/score` body may have. A record has a few dozen; JSON.parse of
 * one object with tens of thousands of keys costs tens of milliseconds on its own.
 */
export const MAX_JSON_OBJECT_KEYS = 1000;

/** Where and how a body breaks a shape limit. */
export interface JsonShapeBreach {
  limit: 'depth' | 'keys';
  /** Index in the text where the limit was passed. */
  at: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The first place where `text` nests arrays and objects deeper than `maxDepth`, or gives one
 * object more than `maxKeys` keys; undefined when neither happens. One linear pass over the
 * characters, skipping strings: run it before `JSON.parse`, whose time (and what later walks the
 * value) grows with both. Does not check that `text` is JSON.
 */
export function findJsonShapeBreach(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
  maxKeys = MAX_JSON_OBJECT_KEYS,
): JsonShapeBreach | undefined {
  // keys[d]: colons seen so far in the container open at depth d (-1 for an array).
  const keys = new Int32Array(maxDepth + 1);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COLON) {
      if (keys[depth]! >= 0 && ++keys[depth]! > maxKeys) return { limit: 'keys', at: i };
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return { limit: 'depth', at: i };
      keys[depth] = c === OPEN_BRACE ? 0 : -1;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}
