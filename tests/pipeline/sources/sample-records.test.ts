import { describe, expect, it } from 'vitest';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { decodeRecordId } from '../../../pipeline/records/record-id.js';
import { generateSampleRecords, type SampleRecord } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const records = [...generateSampleRecords({ n: 20_000, seed: 11 })];
const idOf = (r: SampleRecord) => (r.RecordID ?? r.Id ?? r.id) as string;

describe('generateSampleRecords', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = [...generateSampleRecords({ n: 200, seed: 11 })];
    expect(JSON.stringify(again)).toBe(JSON.stringify([...generateSampleRecords({ n: 200, seed: 11 })]));
    expect(JSON.stringify(again)).not.toBe(JSON.stringify([...generateSampleRecords({ n: 200, seed: 12 })]));
  });

  it('lists ids in the index encoded with every terminator kind, a few of them undecodable', () => {
    const kinds = new Set<string>();
    let undecodable = 0;
    for (const record of records) {
      const decoded = decodeRecordId(record._sample.indexId);
      if (!decoded.ok) {
        undecodable++;
        continue;
      }
      expect(decoded.id).toBe(idOf(record));
      kinds.add(`${decoded.terminator.padding}/${decoded.terminator.zeroBytes}`);
    }
    expect(kinds.size).toBe(12);
    expect(undecodable).toBeGreaterThan(20);
    expect(undecodable).toBeLessThan(200);
    expect(new Set(records.map(idOf)).size).toBe(records.length);
  });

  it('writes the messes real sources have', () => {
    const dates = records.map((r) => String(r.timestamp ?? r.dateReceived));
    expect(dates.some((d) => /^\d{4}-\d\d-\d\dT.*Z$/.test(d))).toBe(true);
    expect(dates.some((d) => /-05:00$/.test(d))).toBe(true);
    expect(dates.some((d) => /^\d\d\/\d\d\/\d{4} .* [AP]M$/.test(d))).toBe(true);
    expect(dates.some((d) => /GMT$/.test(d))).toBe(true);
    expect(dates.some((d) => /^\/Date\(\d+\)\/$/.test(d))).toBe(true);
    const sizes = records.map((r) => r.project_size);
    expect(sizes.some((s) => typeof s === 'number')).toBe(true);
    expect(sizes.some((s) => typeof s === 'string' && /^\d{1,3}(,\d{3})+ sq ft$/.test(s))).toBe(true);
    expect(sizes.some((s) => s === undefined)).toBe(true);
    const vip = records.map((r) => r.vip_details ?? r.VipDetails);
    expect(vip.filter((v) => typeof v === 'string' && !isJson(v)).length).toBeGreaterThan(100);
    expect(records.some((r) => r.Id !== undefined || r.id !== undefined)).toBe(true);
    expect(records.some((r) => r.Segment === 'Government' || r.segment === 'Government')).toBe(true);
  });

  it('labels about 25% of usable records positive, from its stated probabilities', () => {
    const kept = records
      .map((r) => ({ r, result: spec.extract(r) }))
      .filter((x) => x.result.status === 'kept');
    const labels = kept.map((x) => (x.result.status === 'kept' ? x.result.row.label : 0));
    const rate = labels.reduce<number>((a, b) => a + b, 0) / kept.length;
    const meanP = kept.reduce((a, x) => a + x.r._sample.p, 0) / kept.length;
    expect(rate).toBeGreaterThan(0.22);
    expect(rate).toBeLessThan(0.28);
    expect(Math.abs(rate - meanP)).toBeLessThan(0.015);
  });

  it('gives divisions different base rates and lets the segment effects drift', () => {
    const meanP = (filter: (r: SampleRecord) => boolean) => {
      const chosen = records.filter(filter);
      return chosen.reduce((a, r) => a + r._sample.p, 0) / chosen.length;
    };
    const division = (r: SampleRecord) => Number(r.division ?? r.Division ?? 0);
    expect(meanP((r) => division(r) === 7) - meanP((r) => division(r) === 6)).toBeGreaterThan(0.1);
    const education = (r: SampleRecord) => String(r.segment ?? r.Segment) === 'Education';
    const year = (r: SampleRecord) => r._sample.modified.slice(0, 4);
    expect(
      meanP((r) => education(r) && year(r) === '2025') - meanP((r) => education(r) && year(r) === '2021'),
    ).toBeGreaterThan(0.05);
  });

  it('refuses impossible options', () => {
    expect(() => [...generateSampleRecords({ n: -1 })]).toThrow(/n must be a whole number/);
    expect(() => [...generateSampleRecords({ n: 1, from: '2024-01-01', to: '2023-01-01' })]).toThrow(
      /must be after/,
    );
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
