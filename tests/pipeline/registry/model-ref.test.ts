import { describe, expect, it } from 'vitest';
import { parseModelRef } from '../../../pipeline/registry/model-registry.js';

describe('parseModelRef', () => {
  it('reads name:version and name:production', () => {
    expect(parseModelRef('opp-division-3:12')).toEqual({ name: 'opp-division-3', version: '12' });
    expect(parseModelRef('opp.v2:production')).toEqual({ name: 'opp.v2', version: 'production' });
  });

  it.each([
    'opp',
    'opp:',
    ':3',
    'opp:latest',
    'opp:-1',
    'opp:1.5',
    '-opp:1',
    'a/b:1',
    'opp:1:2',
    `${'a'.repeat(256)}:1`,
    `opp:${'9'.repeat(19)}`,
  ])('refuses %j', (text) => {
    expect(parseModelRef(text)).toBeUndefined();
  });
});
