import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/ingest/src/main.js';
import { INGEST_STATE_NAME } from '../../pipeline/ingestion/run-ingest.js';
import { TableLease } from '../../pipeline/storage/TableLease.js';
import { type ActionHarness, createActionHarness } from '../support/action-run.js';
import { useAzurite } from '../support/azurite.js';

const azurite = useAzurite();
let harness: ActionHarness;

beforeAll(() => {
  harness = createActionHarness();
});
afterAll(() => harness.dispose());

/** Inputs for a run against the shared Azurite under a fresh prefix, reading 300 sample records. */
async function storageInputs(): Promise<Record<string, string>> {
  const { prefix } = await azurite.freshStorage();
  return {
    'storage-connection-string': azurite.instance.connectionString,
    'storage-prefix': prefix,
    'sample-records': '300',
    'sample-seed': '3',
  };
}

describe('ingest action', () => {
  it('ingests the sample source once, sets outputs, writes the summary and masks the connection string', async () => {
    const result = await harness.run(run, { ...(await storageInputs()), lag: '0s' });
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(false);
    expect(result.outputs.skipped).toBe('false');
    expect(Number(result.outputs.listed)).toBe(300);
    expect(
      Number(result.outputs.kept) + Number(result.outputs.excluded) + Number(result.outputs.quarantined),
    ).toBe(300);
    expect(result.outputs.watermark).toBe(result.outputs['window-to']);
    expect(result.outputs['window-from']).toBe('2000-01-01T00:00:00.000Z');
    expect(result.summary).toContain('## opp ingest');
    expect(result.summary).toMatch(/\| listed \| 300 \|/);
    expect(result.stdout).toContain(`::add-mask::${azurite.instance.connectionString}`);
  });

  it('skips, without failing, while another run holds the lease', async () => {
    const { prefix, clients } = await azurite.freshStorage();
    const lease = await TableLease.acquire(clients.state, INGEST_STATE_NAME);
    try {
      const result = await harness.run(run, {
        'storage-connection-string': azurite.instance.connectionString,
        'storage-prefix': prefix,
        'sample-records': '10',
      });
      expect(result.failed).toBe(false);
      expect(result.outputs).toEqual({ skipped: 'true' });
      expect(result.stdout).toMatch(/^::notice::ingest skipped: /m);
      expect(result.summary).toContain('## opp ingest: skipped');
    } finally {
      await lease.release();
    }
  });

  it('backfills a date range in windows', async () => {
    const result = await harness.run(run, {
      ...(await storageInputs()),
      mode: 'backfill',
      from: '2021-01-01',
      to: '2026-01-01',
      window: '400d',
      concurrency: '2',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputs).toMatchObject({
      skipped: 'false',
      windows: '5',
      'window-from': '2021-01-01T00:00:00.000Z',
      'window-to': '2026-01-01T00:00:00.000Z',
    });
    expect(Number(result.outputs.listed)).toBeGreaterThan(0);
    expect(result.summary).toContain('## opp backfill');
  });

  it('fails naming the input when backfill has no range, and when a duration does not parse', async () => {
    const noRange = await harness.run(run, { mode: 'backfill' });
    expect(noRange.failed).toBe(true);
    expect(noRange.errors.at(-1)).toBe('Input required and not supplied: from');
    const badLag = await harness.run(run, { lag: 'soon' });
    expect(badLag.failed).toBe(true);
    expect(badLag.errors.at(-1)).toMatch(/^Input lag: expected a duration/);
    expect(badLag.outputs).toEqual({});
  });

  it('fails with the cause when the real source is configured without its keys', async () => {
    const result = await harness.run(run, {
      ...(await storageInputs()),
      'index-endpoint': 'http://127.0.0.1:9',
      'index-api-key': 'secret-index-key',
    });
    expect(result.failed).toBe(true);
    expect(result.errors.at(-1)).toMatch(/OPP_RECORD_API_URL must be set/);
    expect(result.stdout).toContain('::add-mask::secret-index-key');
  });
});
