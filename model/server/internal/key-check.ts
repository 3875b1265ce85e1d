import { hash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http.js';

/** Accepted `Authorization` header values remembered, so a client's key is hashed once, not per request. */
const MAX_REMEMBERED = 64;
/** `\S` first: `\s+(.+)` could split a run of blanks at every point (quadratic). */
const BEARER = /^Bearer\s+(\S.*)$/i;

/**
 * Checks `Authorization: Bearer <key>` against the scoring keys. Keys are compared as SHA-256
 * digests with `timingSafeEqual`, so the time taken says nothing about how much of a key was
 * right. Header values that passed are remembered (up to {@link MAX_REMEMBERED}): a client sends
 * the same header on every request, and a lookup costs ~20 ns against ~1.5 µs to hash and compare.
 * Only accepted values are remembered, so wrong keys can neither fill the memory nor skip the check.
 */
export class KeyCheck {
  private readonly digests: Buffer[];
  private readonly accepted = new Set<string>();

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** @throws HttpError 401 (with `WWW-Authenticate: Bearer`) unless `header` carries a valid key. */
  check(header: string | undefined): void {
    if (header !== undefined && this.accepted.has(header)) return;
    const match = header ? BEARER.exec(header) : null;
    const given = match ? digest(match[1]!.trim()) : undefined;
    if (!given || !this.digests.some((key) => timingSafeEqual(key, given))) {
      throw new HttpError(
        401,
        'unauthorized',
        header ? 'the scoring key is not valid' : 'send Authorization: Bearer <scoring key>',
        undefined,
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    if (this.accepted.size >= MAX_REMEMBERED) this.accepted.clear();
    this.accepted.add(header!);
  }
}

function digest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}
