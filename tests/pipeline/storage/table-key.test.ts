import { describe, expect, it } from 'vitest';
import { decodeTableKey, encodeTableKey } from '../../../pipeline/storage/table-key.js';

const HOSTILE = [
  '<abc@example.com>',
  'a/b\\c#d?e',
  "it's%41",
  '%u0041%',
  'tab\there\nnew\u0000nul\u007f\u0085',
  'ünïcødé ✓ 𝄞',
  '',
];

describe('table keys', () => {
  it('round-trips hostile ids exactly', () => {
    for (const id of HOSTILE) expect(decodeTableKey(encodeTableKey(id))).toBe(id);
  });

  it('never contains a character Azure Table keys forbid', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to rule out
    for (const id of HOSTILE) expect(encodeTableKey(id)).not.toMatch(/[/\\#?'\u0000-\u001f\u007f-\u009f]/);
  });

  it('keeps ordinary ids readable', () => {
    expect(encodeTableKey('<abc.def@mail.contoso.com>')).toBe('<abc.def@mail.contoso.com>');
  });

  it('refuses a key longer than the service allows', () => {
    expect(() => encodeTableKey('/'.repeat(200))).toThrow(RangeError);
  });
});
