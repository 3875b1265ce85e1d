import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoringServer } from '../../../model/server/ScoringServer.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { jsonOf } from '../../support/http.js';
import { linearModelSet } from '../../support/linear-scoring-model.js';

/**
 * Values no real opportunity has, sent to /score by features or as a raw record: each answers
 * 400 naming the field (never 500, never 200 with a probability computed from them), and fast.
 */

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

const FEATURES = {
  timestamp_days: 1500,
  is_duplicate: 0,
  project_size: 12000,
  blacklisted: 0,
  hotel_vip: 1,
  large_project_vip: 0,
  key_customer_vip: 1,
  historical_vip: 1,
  historical_vip_rating: 4,
  segment_education: 0,
  segment_entertainment_transit: 0,
  segment_hospitality_retail_dialysis: 0,
  segment_unknown: 0,
  segment_healthcare: 1,
  segment_spaces: 0,
};
const RECORD = {
  RecordID: '<x@y.z>',
  timestamp: '2024-02-09T10:00:00Z',
  project_size: '12,000 sq ft',
  vip_details: '{"HistoricalVip": true, "HistoricalVipRating": 4}',
  segment: 'Healthcare',
};

let server: ScoringServer;
beforeAll(async () => {
  // The default body limit (1 MiB), so a 150 KB value reaches the parser.
  server = await ScoringServer.start({ models: linearModelSet(spec, [0]), divisions: [0], keys: null });
});
afterAll(async () => {
  await server.close();
});

async function post(body: unknown) {
  const response = await fetch(`${server.url}/score`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await jsonOf(response) };
}

describe('POST /score with absurd values', () => {
  it.each([
    ['timestamp_days', 1e300, 'must be at most 66108 (2200-12-31), got 1e+300'],
    ['timestamp_days', -1e300, 'must be at least -43829 (1900-01-01), got -1e+300'],
    ['historical_vip_rating', 1e308, 'must be at most 10, got 1e+308'],
    ['project_size', 1e300, 'must be at most 1000000000, got 1e+300'],
    ['project_size', -1, 'must be at least 0, got -1'],
  ])('answers 400 naming %s = %d given by name', async (field, value, message) => {
    const response = await post({ ...FEATURES, [field]: value });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field, message }]);
  });

  it.each([
    ['project_size', '1e309 sq ft', /^expected a finite number, got "1e309 sq ft"$/],
    ['project_size', '400 digits', /^expected a number of at most 100 characters, got 400$/],
    ['date', '/Date(400 digits)/', /^expected a date of at most 100 characters, got 408$/],
    ['date', '/Date(99999999999999999999)/', /outside the dates JavaScript can hold$/],
    ['date', '2201-01-01', /^"2201-01-01" is after 2200-12-31, the latest date accepted$/],
    [
      'vip_details',
      '{"HistoricalVipRating": 1e308}',
      /^key "HistoricalVipRating": 1e\+308 is above the maximum 10$/,
    ],
    ['vip_details', '70 KB of JSON', /^70009 characters, more than the 65536 a field may hold$/],
  ])('answers 400 naming record.%s for %s', async (field, label, message) => {
    const value = label
      .replace('400 digits', '9'.repeat(400))
      .replace('70 KB of JSON', `{"x": "${'y'.repeat(70_000)}"}`);
    const response = await post({ record: { ...RECORD, [field === 'date' ? 'timestamp' : field]: value } });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: `record.${field}`, message: expect.stringMatching(message) },
    ]);
  });

  // It took 28 s before the number parser was made linear, and blocked every other request.
  it('rejects a 150 KB run of digits ending in a letter in well under a second', async () => {
    const started = performance.now();
    const response = await post({ record: { ...RECORD, project_size: `${'1'.repeat(150_000)}x` } });
    const ms = performance.now() - started;
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('record.project_size');
    expect(ms).toBeLessThan(1000);
  });

  it('still scores the ordinary instance', async () => {
    expect((await post(FEATURES)).status).toBe(200);
    expect((await post({ record: RECORD })).status).toBe(200);
  });
});
