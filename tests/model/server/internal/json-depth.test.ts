import { describe, expect, it } from 'vitest';
import { findDeepNesting, MAX_JSON_DEPTH } from '../../../../model/server/internal/json-depth.js';

describe('findDeepNesting', () => {
  it('accepts nesting up to the limit and points at the first bracket past it', () => {
    const ok = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(findDeepNesting(ok)).toBe(-1);
    expect(findDeepNesting(`{"a":${ok}}`)).toBe(5 + MAX_JSON_DEPTH - 1);
    expect(findDeepNesting('{"a":[{"b":[1]}]}', 3)).toBe(11);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(findDeepNesting(`["${'['.repeat(100)}"]`, 2)).toBe(-1);
    expect(findDeepNesting(`["\\"${'{'.repeat(100)}\\\\"]`, 2)).toBe(-1);
    expect(findDeepNesting('["\\\\",[[1]]]', 2)).toBe(7);
  });

  it('stops at the limit instead of reading a 1 MiB unclosed body', () => {
    expect(findDeepNesting('['.repeat(1 << 20))).toBe(MAX_JSON_DEPTH);
  });
});
