import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLeaseHeldError } from '../../../pipeline/errors/LeaseHeldError.js';
import { isStorageError } from '../../../pipeline/errors/StorageError.js';
import { INGEST_STATE_NAME, runIngest } from '../../../pipeline/ingestion/run-ingest.js';
import { startAzurite } from '../../../pipeline/storage/azurite.js';
import { readWatermark } from '../../../pipeline/storage/run-state.js';
import { createStorageClients } from '../../../pipeline/storage/storage-clients.js';
import { useAzurite } from '../../support/azurite.js';
import {
  AFTER_ALL,
  expectTablesMatchSource,
  readTables,
  type SourceFixture,
  SPEC,
  startSourceFixture,
} from '../../support/ingest-fixture.js';

const azurite = useAzurite();
let fixture: SourceFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const LAG_MS = 60_000;
const clockAt = (date: Date) => () => new Date(date.getTime() + LAG_MS);

describe('runIngest', () => {
  it('stores every record of the window, moves the watermark to its end, and is idempotent', async () => {
    fixture = await startSourceFixture(400, 11);
    const { clients } = await azurite.freshStorage();
    const context = fixture.clients(clients);
    const first = await runIngest(context, { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    expect(first.stats.listed).toBe(400);
    expect(first.stats.kept + first.stats.excluded + first.stats.quarantined).toBe(400);
    expect(first.watermark).toBe(AFTER_ALL.toISOString());
    await expectTablesMatchSource(clients, fixture);

    const second = await runIngest(context, { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    expect(second.window.from).toBe(new Date(AFTER_ALL.getTime() - 10 * 60_000).toISOString());
    await expectTablesMatchSource(clients, fixture);
  });

  it('picks up records that changed since the last run', async () => {
    fixture = await startSourceFixture(400, 12);
    const { clients } = await azurite.freshStorage();
    const context = fixture.clients(clients);
    await runIngest(context, { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    const later = new Date(AFTER_ALL.getTime() + 3 * 60_000);
    const changed = fixture.source.applyUpdates({ fraction: 1, modified: later });
    expect(changed.length).toBeGreaterThan(0);
    const next = await runIngest(context, { now: clockAt(new Date(later.getTime() + 1)), lagMs: LAG_MS });
    expect(next.stats.listed).toBe(changed.length);
    await expectTablesMatchSource(clients, fixture, new Date(later.getTime() + 1));
    const { records } = await readTables(clients);
    for (const id of changed) expect(records.get(id)?.status).not.toBe('excluded');
  });

  it('completes through 10% 5xx, 5% 429, 2% timeouts and 1% malformed records, quarantining the malformed', async () => {
    fixture = await startSourceFixture(600, 13, {
      errorRate: 0.1,
      throttleRate: 0.05,
      retryAfterMs: 5,
      timeoutRate: 0.02,
      malformedRate: 0.01,
      seed: 13,
    });
    const { clients } = await azurite.freshStorage();
    await runIngest(fixture.clients(clients, { pageSize: 20 }), { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    const malformed = fixture.source.all().filter((d) => d.recordId && fixture!.server.isMalformed(d));
    expect(malformed.length).toBeGreaterThan(0);
    expect(fixture.server.stats.failed).toBeGreaterThan(0);
    expect(fixture.server.stats.throttled).toBeGreaterThan(0);
    await expectTablesMatchSource(clients, fixture);
    const { quarantine } = await readTables(clients);
    for (const doc of malformed) expect(quarantine.get(doc.indexId)?.reason).toMatch(/state/);
  });

  it('quarantines records with absurd values, with the reason, and keeps the rest', async () => {
    fixture = await startSourceFixture(200, 16);
    const kept = fixture.source.all().filter((d) => d.recordId && SPEC.extract(d.record).status === 'kept');
    const absurd: [string, unknown, string][] = [
      ['project_size', '1e309 sq ft', 'project_size: expected a finite number, got "1e309 sq ft"'],
      ['timestamp', '2300-01-01', 'date: "2300-01-01" is after 2200-12-31, the latest date accepted'],
      [
        'vip_details',
        '{"HistoricalVipRating": 1e308}',
        'vip_details: key "HistoricalVipRating": 1e+308 is above the maximum 10',
      ],
      ['project_size', '9'.repeat(400), 'project_size: expected a number of at most 100 characters, got 400'],
    ];
    const changed = absurd.map(([field, value, reason], i) => {
      const doc = kept[i]!;
      doc.record[field] = value;
      return { doc, reason };
    });
    const { clients } = await azurite.freshStorage();
    const result = await runIngest(fixture.clients(clients), { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    expect(result.stats.quarantined).toBeGreaterThanOrEqual(absurd.length);
    await expectTablesMatchSource(clients, fixture);
    const { quarantine } = await readTables(clients);
    for (const { doc, reason } of changed) expect(quarantine.get(doc.indexId)?.reason).toContain(reason);
  });

  it('lets one of two concurrent runs ingest; the other exits with LeaseHeldError; the result is one run', async () => {
    fixture = await startSourceFixture(300, 14, { latencyMs: 2 });
    const { clients } = await azurite.freshStorage();
    const run = () => runIngest(fixture!.clients(clients), { now: clockAt(AFTER_ALL), lagMs: LAG_MS });
    const results = await Promise.allSettled([run(), run()]);
    const failed = results.filter((r) => r.status === 'rejected');
    for (const r of failed) expect(isLeaseHeldError((r as PromiseRejectedResult).reason)).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(1);
    await expectTablesMatchSource(clients, fixture);
  });

  it('fails clearly and keeps the watermark when storage goes down mid-run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opp-down-'));
    let storage = await startAzurite({ location: dir });
    try {
      fixture = await startSourceFixture(600, 15, { latencyMs: 20 });
      const clients = createStorageClients(storage.connectionString);
      const half = new Date(fixture.source.all()[300]!.modified);
      const first = await runIngest(fixture.clients(clients), { now: clockAt(half), lagMs: LAG_MS });
      expect(first.watermark).toBe(half.toISOString());

      const running = runIngest(fixture.clients(clients), {
        now: clockAt(AFTER_ALL),
        lagMs: LAG_MS,
        checkpointPages: 1000,
      });
      const outcome = running.catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await storage.stop();
      const error = await outcome;
      expect(isStorageError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/storage did not answer/);

      storage = await startAzurite({ location: dir });
      const after = createStorageClients(storage.connectionString);
      expect(await readWatermark(after.state, INGEST_STATE_NAME)).toEqual(half);
    } finally {
      await storage.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
