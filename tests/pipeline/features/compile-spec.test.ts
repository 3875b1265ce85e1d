import { describe, expect, it } from 'vitest';
import { compileFeatureSpec, type ExtractResult, hashSpec } from '../../../pipeline/features/compile-spec.js';
import { FeatureSpecSchema, loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

/** The seed's 15 features in the seed's order (SEED.md). */
const SEED_FEATURES = [
  'timestamp_days',
  'is_duplicate',
  'project_size',
  'blacklisted',
  'hotel_vip',
  'large_project_vip',
  'key_customer_vip',
  'historical_vip',
  'historical_vip_rating',
  'segment_education',
  'segment_entertainment_transit',
  'segment_hospitality_retail_dialysis',
  'segment_unknown',
  'segment_healthcare',
  'segment_spaces',
];

const BASE = {
  RecordID: '<a1@contoso.com>',
  PartitionKey: 'processed',
  userName: 'amartin',
  timestamp: '2021-01-01T12:00:00Z',
  is_duplicate: false,
  project_size: 12_000,
  vip_details: JSON.stringify({
    Blacklisted: false,
    HotelVip: true,
    LargeProjectVip: false,
    KeyCustomerVip: true,
    HistoricalVip: true,
    HistoricalVipRating: 4,
  }),
  segment: 'Healthcare',
  division: 2,
};

function kept(result: ExtractResult) {
  if (result.status !== 'kept') throw new Error(`expected kept, got ${result.status}: ${result.reason}`);
  return result.row;
}

function features(record: Record<string, unknown>): Record<string, number> {
  const row = kept(spec.extract(record));
  return Object.fromEntries(spec.featureNames.map((name, i) => [name, row.features[i]!]));
}

describe('the default feature spec', () => {
  it("yields the seed's 15 features in the seed's order", () => {
    expect(spec.featureNames).toEqual(SEED_FEATURES);
  });

  it('computes every feature of a complete record', () => {
    const row = kept(spec.extract(BASE));
    expect(row.recordId).toBe('<a1@contoso.com>');
    expect(row.division).toBe(2);
    expect(row.label).toBe(1);
    expect([...row.features]).toEqual([366, 0, 12000, 0, 1, 0, 1, 1, 4, 0, 0, 0, 0, 1, 0]);
  });
});

describe('labelling rules', () => {
  it.each([
    ['processed', 1],
    ['declined', 0],
    ['trash', 0],
    ['Processed', 1],
    [' TRASH ', 0],
  ])('state %j is label %d', (state, label) => {
    expect(kept(spec.extract({ ...BASE, PartitionKey: state })).label).toBe(label);
  });

  it.each(['preprocessing', 'sameduplicate', 'unknownduplicate', 'newduplicate', 'pastdue'])(
    'state %j is excluded, not invalid',
    (state) => {
      expect(spec.extract({ ...BASE, PartitionKey: state })).toEqual({
        status: 'excluded',
        rule: `state=${state}`,
        reason: `state "${state}" is excluded`,
      });
    },
  );

  it('reports an unknown state as invalid, listing the accepted ones', () => {
    const result = spec.extract({ ...BASE, PartitionKey: 'archived' });
    expect(result).toMatchObject({ status: 'invalid', rule: 'state' });
    expect(result.status !== 'kept' && result.reason).toContain('expected processed | declined | trash');
  });

  it.each([{ userName: '' }, { userName: '   ' }, { userName: null }, { userName: undefined }])(
    'excludes records no person reviewed (%j)',
    (reviewer) => {
      expect(spec.extract({ ...BASE, ...reviewer })).toMatchObject({
        status: 'excluded',
        rule: 'no userName',
      });
    },
  );

  it('accepts the reviewer under its alias', () => {
    const { userName: _, ...rest } = BASE;
    expect(spec.extract({ ...rest, UserName: 'bchen' }).status).toBe('kept');
  });

  it('reports a record without an id as invalid', () => {
    const { RecordID: _, ...rest } = BASE;
    expect(spec.extract(rest)).toMatchObject({ status: 'invalid', rule: 'id' });
  });
});

describe('division rule', () => {
  it.each([
    [{ division: 5 }, 5],
    [{ division: '7' }, 7],
    [{ division: undefined, Division: 1 }, 1],
    [{ division: null }, 0],
    [{ division: '' }, 0],
    [{ division: undefined }, 0],
  ])('%j is division %d', (value, expected) => {
    expect(kept(spec.extract({ ...BASE, ...value })).division).toBe(expected);
  });

  it.each([[{ division: 8 }], [{ division: 2.5 }], [{ division: 'north' }], [{ division: -1 }]])(
    '%j is invalid',
    (value) => {
      const result = spec.extract({ ...BASE, ...value });
      expect(result).toMatchObject({ status: 'invalid', rule: 'division' });
      expect(result.status !== 'kept' && result.reason).toContain(
        'expected one of divisions 0, 1, 2, 3, 4, 5, 6, 7',
      );
    },
  );
});

describe('feature rules on raw values', () => {
  it.each([
    [{ timestamp: '2020-01-01' }, 'timestamp_days', 0],
    [{ timestamp: '01/02/2020 11:59:59 PM' }, 'timestamp_days', 1],
    [{ timestamp: '/Date(1609459200000)/' }, 'timestamp_days', 366],
    [{ timestamp: undefined, dateReceived: '2020-03-01T00:00:00+01:00' }, 'timestamp_days', 59],
    [{ is_duplicate: 'True' }, 'is_duplicate', 1],
    [{ is_duplicate: 1 }, 'is_duplicate', 1],
    [{ is_duplicate: undefined }, 'is_duplicate', 0],
    [{ project_size: '12,500 sq ft' }, 'project_size', 12500],
    [{ project_size: '12500 sqft' }, 'project_size', 12500],
    [{ project_size: '1000 m²' }, 'project_size', 10763.9],
    [{ project_size: '' }, 'project_size', 0],
    [{ project_size: undefined }, 'project_size', 0],
    [{ vip_details: '{"Blacklisted": true}' }, 'blacklisted', 1],
    [{ vip_details: '{"Blacklisted": "yes"}' }, 'blacklisted', 1],
    [{ vip_details: { HotelVip: 1 } }, 'hotel_vip', 1],
    [{ vip_details: '{"HotelVip": true' }, 'hotel_vip', 0],
    [{ vip_details: "{'HotelVip': True}" }, 'hotel_vip', 0],
    [{ vip_details: '[]' }, 'hotel_vip', 0],
    [{ vip_details: undefined }, 'historical_vip_rating', 0],
    [{ vip_details: '{"HistoricalVipRating": "3"}' }, 'historical_vip_rating', 3],
    [{ segment: 'Education' }, 'segment_education', 1],
    [{ segment: ' education ' }, 'segment_education', 1],
    [{ segment: 'Transit' }, 'segment_entertainment_transit', 1],
    [{ segment: 'Entertainment' }, 'segment_entertainment_transit', 1],
    [{ segment: 'Hospitality/Retail/Dialysis' }, 'segment_hospitality_retail_dialysis', 1],
    [{ segment: 'Spaces' }, 'segment_spaces', 1],
    [{ segment: 'Government' }, 'segment_unknown', 1],
    [{ segment: '' }, 'segment_unknown', 1],
    [{ segment: undefined, Segment: 'Healthcare' }, 'segment_healthcare', 1],
  ])('%j gives %s = %d', (change, name, value) => {
    expect(features({ ...BASE, ...change })[name]).toBeCloseTo(value, 6);
  });

  it('sets exactly one segment column', () => {
    for (const segment of ['Education', 'Transit', 'Government', '', 'Spaces']) {
      const values = features({ ...BASE, segment });
      const hot = SEED_FEATURES.filter((n) => n.startsWith('segment_') && values[n] === 1);
      expect(hot).toHaveLength(1);
    }
  });

  it.each([
    [{ timestamp: 'yesterday' }, 'date', 'expected a date'],
    [{ timestamp: undefined }, 'date', 'missing'],
    [{ project_size: 'about 5000' }, 'project_size', 'expected a number with an optional unit'],
    [{ project_size: -10 }, 'project_size', 'below the minimum 0'],
    [{ is_duplicate: 'maybe' }, 'is_duplicate', 'expected a flag'],
    [
      { vip_details: '{"HistoricalVipRating": 2.5}' },
      'vip_details',
      'key "HistoricalVipRating": expected a whole number',
    ],
    [{ vip_details: '{"Blacklisted": "perhaps"}' }, 'vip_details', 'key "Blacklisted": expected a flag'],
    [{ project_size: '1e309 sq ft' }, 'project_size', 'expected a finite number'],
    [{ project_size: 2e9 }, 'project_size', 'above the maximum 1000000000'],
    [{ vip_details: '{"HistoricalVipRating": 1e308}' }, 'vip_details', 'above the maximum 10'],
    [{ timestamp: '2201-01-01' }, 'date', '"2201-01-01" is after 2200-12-31'],
    [{ timestamp: '1899-12-31' }, 'date', '"1899-12-31" is before 1900-01-01'],
    [{ timestamp: 1e300 }, 'date', 'is after 2200-12-31'],
  ])('%j is invalid (%s: %s)', (change, rule, reason) => {
    const result = spec.extract({ ...BASE, ...change });
    expect(result).toMatchObject({ status: 'invalid', rule });
    expect(result.status !== 'kept' && result.reason).toContain(reason);
  });

  it('computes features for scoring without id, label or reviewer', () => {
    const result = spec.computeFeatures({ timestamp: '2021-01-01', segment: 'Spaces', project_size: 10 });
    expect(result.ok && [...result.features]).toEqual([366, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('marks the fields it saw in the unseen set', () => {
    const unseen = new Set(spec.fields);
    spec.extract(BASE, unseen);
    expect([...unseen]).toEqual([]);
    const partial = new Set(spec.fields);
    spec.extract(
      { RecordID: 'x', PartitionKey: 'processed', userName: 'a', timestamp: '2021-01-01' },
      partial,
    );
    expect([...partial].sort()).toEqual([
      'division',
      'is_duplicate',
      'project_size',
      'segment',
      'vip_details',
    ]);
  });
});

describe('spec validation and hashing', () => {
  const raw = loadFeatureSpec(defaultConfigPath('features.json'));

  it('hashes the same spec the same way whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(raw).reverse());
    expect(hashSpec(FeatureSpecSchema.parse(reordered))).toBe(spec.hash);
    const changed = FeatureSpecSchema.parse({ ...raw, require: [] });
    expect(hashSpec(changed)).not.toBe(spec.hash);
  });

  it.each([
    [
      'a repeated feature name',
      { features: [...raw.features, { name: 'project_size', type: 'flag', field: 'x' }] },
      'duplicate feature name "project_size"',
    ],
    [
      'a label value in two lists',
      { label: { ...raw.label, negative: ['processed'] } },
      'value "processed" is listed twice',
    ],
    [
      'a default division not allowed',
      { division: { ...raw.division, default: 9 } },
      'must be one of division.allowed',
    ],
    [
      'a feature name not in snake_case',
      { features: [{ name: 'BadName', type: 'flag', field: 'x' }] },
      'must be snake_case',
    ],
    [
      'an unknown feature type',
      { features: [{ name: 'x', type: 'spline', field: 'x' }] },
      'Invalid discriminator value',
    ],
    [
      'a range whose min is not below its max',
      { features: [{ name: 'x', type: 'number', field: 'x', min: 5, max: 5 }] },
      'min must be below max',
    ],
    [
      'a min above the default max',
      { features: [{ name: 'x', type: 'json-number', field: 'x', key: 'k', min: 2e9 }] },
      'min must be below max',
    ],
    [
      'an infinite bound',
      { features: [{ name: 'x', type: 'number', field: 'x', max: Number.POSITIVE_INFINITY }] },
      'expected number',
    ],
    [
      'dates out of order',
      {
        features: [
          {
            name: 'x',
            type: 'days-since',
            field: 'x',
            reference: '2020-01-01',
            earliest: '2030-01-01',
            latest: '2025-01-01',
          },
        ],
      },
      'earliest must be before latest',
    ],
  ])('refuses %s', (_label, change, message) => {
    const result = FeatureSpecSchema.safeParse({ ...raw, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join('\n')).toContain(message);
  });
});

describe('feature ranges', () => {
  it('gives each of the 15 seed features a finite range', () => {
    expect(spec.ranges.map((r) => r.name)).toEqual(SEED_FEATURES);
    const bounds = Object.fromEntries(spec.ranges.map((r) => [r.name, [r.min, r.max]]));
    expect(bounds).toMatchObject({
      timestamp_days: [-43829, 66108],
      is_duplicate: [0, 1],
      project_size: [0, 1e9],
      historical_vip_rating: [0, 10],
      segment_spaces: [0, 1],
    });
    for (const range of spec.ranges) expect(Number.isFinite(range.max - range.min)).toBe(true);
  });

  it('fills in defaults for a spec that gives none, keeping its hash', () => {
    const bare = FeatureSpecSchema.parse({
      source: 'table',
      id: { field: 'id' },
      label: { field: 'y', positive: ['1'], negative: ['0'] },
      division: { default: 0, allowed: [0] },
      features: [
        { name: 'day', type: 'days-since', field: 'd', reference: '2000-01-01' },
        { name: 'amount', type: 'number', field: 'a' },
      ],
    });
    expect(JSON.stringify(bare)).not.toMatch(/earliest|"min"/);
    expect(compileFeatureSpec(bare).ranges).toEqual([
      {
        name: 'day',
        min: -36524,
        max: 73413,
        integer: true,
        dates: { earliest: '1900-01-01', latest: '2200-12-31' },
      },
      { name: 'amount', min: -1e9, max: 1e9, integer: false },
    ]);
  });

  it('checks a feature vector made elsewhere against the ranges', () => {
    const ok = spec.computeFeatures(BASE);
    expect(ok.ok).toBe(true);
    const row = Float64Array.from(ok.ok ? ok.features : []);
    expect(spec.checkFeatures(row)).toBeUndefined();
    const size = SEED_FEATURES.indexOf('project_size');
    expect(spec.checkFeatures(row.map((v, i) => (i === size ? -5 : v)))).toEqual({
      index: size,
      name: 'project_size',
      reason: 'must be at least 0, got -5',
    });
    const days = SEED_FEATURES.indexOf('timestamp_days');
    expect(spec.checkFeatures(row.map((v, i) => (i === days ? 1e300 : v)))?.reason).toBe(
      'must be at most 66108 (2200-12-31), got 1e+300',
    );
    const segments = row.map((v, i) => (SEED_FEATURES[i]!.startsWith('segment_') ? 0 : v));
    expect(spec.checkFeatures(segments)).toMatchObject({
      name: SEED_FEATURES.filter((n) => n.startsWith('segment_')).join('|'),
      reason: 'exactly one of these must be 1, got 0',
    });
  });
});
