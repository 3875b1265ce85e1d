import { describe, expect, it } from 'vitest';
import { formatYaml, parseYaml } from '../../../../pipeline/tracking/internal/meta-yaml.js';

describe('meta-yaml', () => {
  it('writes what PyYAML safe_dump writes for meta.yaml shapes (sorted keys, null, [], quoted ids)', () => {
    expect(
      formatYaml({
        name: 'Default',
        experiment_id: '0',
        end_time: null,
        tags: [],
        status: 1,
        source_name: '',
      }),
    ).toBe("end_time: null\nexperiment_id: '0'\nname: Default\nsource_name: ''\nstatus: 1\ntags: []\n");
  });

  it.each([
    '12345678901234567890123456789012', // an all-digit run id would read as an int
    '1.5',
    '0x1f',
    'yes',
    'Off',
    'null',
    '~',
    '2026-11-25',
    "Bob's exp: #1",
    ' leading space',
    'trailing:',
    '- dash',
    'file:///tmp/mlruns/0',
    'trial 7',
    '',
  ])('round-trips %j as a string', (value) => {
    expect(parseYaml(formatYaml({ v: value }))).toEqual({ v: value });
  });

  it('quotes only what needs it', () => {
    expect(formatYaml({ a: 'trial 7', b: 'a52e478b0c134cf5b69b4e651d9e1760', c: '0' })).toBe(
      "a: trial 7\nb: a52e478b0c134cf5b69b4e651d9e1760\nc: '0'\n",
    );
  });

  it('joins continuation lines of a long string PyYAML folded', () => {
    expect(parseYaml("name: 'a long\n  name'\nstatus: 3\n")).toEqual({ name: 'a long name', status: 3 });
  });

  it('refuses text that is not a flat mapping of plain values', () => {
    expect(() => parseYaml('just text\n')).toThrow(/not a meta\.yaml mapping: "just text/);
    expect(() => parseYaml('- a\n- b\n')).toThrow(/not a meta\.yaml mapping/);
    expect(() => parseYaml('name: x\nnested:\n  a: 1\n')).toThrow(/"nested" is not a plain value/);
  });

  it('reads what PyYAML writes for a long name (folded) and a quote inside a quoted string', () => {
    expect(parseYaml("name: 'Bob''s exp: #1'\nstatus: 1\n")).toEqual({ name: "Bob's exp: #1", status: 1 });
  });
});
