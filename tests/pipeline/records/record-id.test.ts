import { describe, expect, it } from 'vitest';
import { decodeRecordId, encodeRecordId } from '../../../pipeline/records/record-id.js';
import { Random } from '../../../pipeline/util/random.js';

const LOCAL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+=$%ñéøß漢字😀';

function randomId(random: Random): string {
  const chars = [...LOCAL_CHARS];
  const length = 1 + random.int(60);
  let local = '';
  for (let i = 0; i < length; i++) local += random.pick(chars);
  return `<${local}@${random.pick(['contoso.com', 'a.b', 'mail.fabrikam.net', 'xn--bcher-kva.example'])}>`;
}

describe('record id codec', () => {
  it('round-trips 12,000 generated ids across every padding digit and zero-byte terminator', () => {
    const random = new Random(7);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 12_000; i++) {
      const id = randomId(random);
      const zeroBytes = i % 4;
      const encoded = encodeRecordId(id, { zeroBytes });
      const decoded = decodeRecordId(encoded);
      expect(decoded).toEqual({ ok: true, id, terminator: { padding: Number(encoded.at(-1)), zeroBytes } });
      const kind = `${encoded.at(-1)}/${zeroBytes}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // Every padding digit (0, 1, 2) occurs with every number of appended zero bytes (0-3).
    expect(kinds.size).toBe(12);
    for (const count of kinds.values()) expect(count).toBeGreaterThan(300);
  });

  it('decodes the forms the index writes, including the "AA2" zero-byte terminator', () => {
    const plain = encodeRecordId('<a@b.c>');
    expect(plain).toBe(`${Buffer.from('<a@b.c>', 'utf16le').toString('base64url')}${plain.at(-1)}`);
    // 9 UTF-16 characters + 1 zero byte = 19 bytes: the last Base64 group holds only the zero byte.
    const withZero = encodeRecordId('<ab@cd.e>', { zeroBytes: 1 });
    expect(withZero.endsWith('AA2')).toBe(true);
    expect(decodeRecordId(withZero)).toMatchObject({
      ok: true,
      id: '<ab@cd.e>',
      terminator: { padding: 2, zeroBytes: 1 },
    });
  });

  it.each([
    ['', 'too short'],
    ['P', 'too short'],
    ['PABhAEAAYgA-AA', 'padding digit'],
    ['PABhAEAAYgA-AA3', 'padding digit 0, 1 or 2'],
    ['PABh!EAAYgA-AA0', 'not a Base64url character'],
    ['PABhAEAAYgA-AA1', 'does not match a body'],
    ['PABhAEAAYgA+AA0', 'not a Base64url character'],
    [encodeRecordId('no-brackets@x.y'), 'not of the form <local@domain>'],
    [encodeRecordId('<a@b@c>'), 'not of the form'],
    [encodeRecordId('<a b@c>'), 'not of the form'],
    [encodeRecordId('<a@b>x'), 'not of the form'],
    // Lone high surrogate (U+D800) before ">": not valid UTF-16.
    [encodeRecordId('<a@b\uD800>'), 'not valid UTF-16LE'],
    // "PQ" decodes to one byte, but "PR" has stray low bits: not what an encoder writes.
    ['PR2', 'not canonical'],
  ])('reports %j as undecodable (%s)', (encoded, reason) => {
    const result = decodeRecordId(encoded);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.encoded).toBe(encoded);
      expect(result.reason).toContain(reason);
    }
  });

  it('refuses a zero-byte count outside 0-8', () => {
    expect(() => encodeRecordId('<a@b>', { zeroBytes: 9 })).toThrow(
      /zeroBytes must be an integer in 0..8, but got 9/,
    );
  });
});
