import { describe, expect, it } from 'vitest';
import {
  findJsonShapeBreach,
  MAX_JSON_DEPTH,
  MAX_JSON_OBJECT_KEYS,
} from '../../../../model/server/internal/json-shape.js';

const depthAt = (text: string, maxDepth?: number) => {
  const breach = findJsonShapeBreach(text, maxDepth);
  return breach === undefined ? -1 : breach.limit === 'depth' ? breach.at : Number.NaN;
};

const object = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":{"x":[1,2]}`).join(',')}}`;

describe('findJsonShapeBreach: depth', () => {
  it('accepts nesting up to the limit and points at the first bracket past it', () => {
    const ok = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(depthAt(ok)).toBe(-1);
    expect(depthAt(`{"a":${ok}}`)).toBe(5 + MAX_JSON_DEPTH - 1);
    expect(depthAt('{"a":[{"b":[1]}]}', 3)).toBe(11);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(depthAt(`["${'['.repeat(100)}"]`, 2)).toBe(-1);
    expect(depthAt(`["\\"${'{'.repeat(100)}\\\\"]`, 2)).toBe(-1);
    expect(depthAt('["\\\\",[[1]]]', 2)).toBe(7);
  });

  it('stops at the limit instead of reading a 1 MiB unclosed body', () => {
    expect(depthAt('['.repeat(1 << 20))).toBe(MAX_JSON_DEPTH);
  });
});

describe('findJsonShapeBreach: keys per object', () => {
  it('accepts an object of the limit, refuses one more key and points at its colon', () => {
    expect(findJsonShapeBreach(object(MAX_JSON_OBJECT_KEYS))).toBeUndefined();
    const text = object(MAX_JSON_OBJECT_KEYS + 1);
    const breach = findJsonShapeBreach(text);
    expect(breach?.limit).toBe('keys');
    expect(text.slice(breach!.at - 7, breach!.at + 1)).toBe(`"k${MAX_JSON_OBJECT_KEYS}":`);
  });

  it('counts each object on its own: siblings and nested objects do not add up', () => {
    const instances = Array.from({ length: 3 }, () => object(MAX_JSON_OBJECT_KEYS)).join(',');
    expect(findJsonShapeBreach(`{"instances":[${instances}]}`)).toBeUndefined();
  });

  it('ignores colons inside strings and elements of arrays', () => {
    expect(findJsonShapeBreach(`{"a":"${':'.repeat(5000)}"}`)).toBeUndefined();
    expect(findJsonShapeBreach(`[${Array.from({ length: 5000 }, () => '"a:b"').join(',')}]`)).toBeUndefined();
  });
});
