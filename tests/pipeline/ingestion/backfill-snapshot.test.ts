import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../../pipeline/errors/StorageError.js';
import { runBackfill, splitWindows } from '../../../pipeline/ingestion/run-backfill.js';
import { createSnapshot, downloadSnapshot } from '../../../pipeline/ingestion/snapshot.js';
import { startAzurite } from '../../../pipeline/storage/azurite.js';
import { listDoneWindows, markWindowDone, windowKey } from '../../../pipeline/storage/run-state.js';
import { createStorageClients } from '../../../pipeline/storage/storage-clients.js';
import { useAzurite } from '../../support/azurite.js';
import {
  AFTER_ALL,
  expectTablesMatchSource,
  readTables,
  SPEC,
  startSourceFixture,
} from '../../support/ingest-fixture.js';

const azurite = useAzurite();
const FROM = new Date('2020-01-01T00:00:00Z');
const QUARTER_MS = 91 * 86_400_000;

describe('splitWindows', () => {
  it('covers the range with windows of the given size, the last one shorter', () => {
    const windows = splitWindows(new Date(0), new Date(25), 10);
    expect(windows.map((w) => [w.from.getTime(), w.to.getTime()])).toEqual([
      [0, 10],
      [10, 20],
      [20, 25],
    ]);
  });
});

describe('runBackfill', () => {
  it('ingests the range in parallel windows, records each, and skips finished ones on resume', async () => {
    const fixture = await startSourceFixture(500, 21);
    try {
      const { clients } = await azurite.freshStorage();
      const context = fixture.clients(clients);
      const windows = splitWindows(FROM, AFTER_ALL, QUARTER_MS);
      // An earlier run finished the first two windows (they hold no sample records).
      for (const window of windows.slice(0, 2)) await markWindowDone(clients.state, window, { records: 0 });
      const result = await runBackfill(context, FROM, AFTER_ALL, { windowMs: QUARTER_MS, concurrency: 3 });
      expect(result.windows).toBe(windows.length);
      expect(result.skipped).toBe(2);
      expect(result.stats.listed).toBe(500);
      expect(await listDoneWindows(clients.state)).toEqual(new Set(windows.map(windowKey)));
      await expectTablesMatchSource(clients, fixture);

      const again = await runBackfill(context, FROM, AFTER_ALL, { windowMs: QUARTER_MS, concurrency: 3 });
      expect(again.skipped).toBe(windows.length);
      expect(again.stats.listed).toBe(0);
    } finally {
      await fixture.stop();
    }
  });
});

describe('runBackfill with storage going down', () => {
  it('has marked done only windows whose every record is stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opp-bfdown-'));
    let storage = await startAzurite({ location: dir });
    const fixture = await startSourceFixture(1500, 23, { latencyMs: 10 });
    try {
      const clients = createStorageClients(storage.connectionString);
      const windowMs = 30 * 86_400_000;
      // A small write buffer, so windows complete (and get marked) while the run goes on.
      const context = { ...fixture.clients(clients), maxBufferedRows: 40 };
      const running = runBackfill(context, FROM, AFTER_ALL, { windowMs, concurrency: 3 });
      const outcome = running.then(
        () => 'finished',
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 700));
      await storage.stop();
      const ended = await outcome;
      storage = await startAzurite({ location: dir });
      const after = createStorageClients(storage.connectionString);
      const done = await listDoneWindows(after.state);
      const { records, quarantine } = await readTables(after);
      let checked = 0;
      for (const window of splitWindows(FROM, AFTER_ALL, windowMs).filter((w) => done.has(windowKey(w)))) {
        for (const doc of fixture.source.all()) {
          if (doc.modified < window.from.getTime() || doc.modified >= window.to.getTime()) continue;
          const stored = doc.recordId === undefined ? quarantine.has(doc.indexId) : records.has(doc.recordId);
          expect(stored, `${doc.indexId} of a window marked done`).toBe(true);
          checked += 1;
        }
      }
      // Either storage went down mid-run (the usual case) or the run finished first.
      if (ended === 'finished') expect(checked).toBe(1500);
      else expect(isStorageError(ended)).toBe(true);
    } finally {
      await fixture.stop();
      await storage.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshots', () => {
  it('exports kept rows under a content-hash id that downloads back byte for byte', async () => {
    const fixture = await startSourceFixture(300, 22);
    try {
      const { clients } = await azurite.freshStorage();
      await runBackfill(fixture.clients(clients), FROM, AFTER_ALL, { windowMs: 365 * 86_400_000 });
      const snapshot = await createSnapshot(clients, SPEC);
      expect(snapshot.created).toBe(true);
      expect(snapshot.specHash).toBe(SPEC.hash);
      const kept = fixture.source
        .all()
        .filter((d) => d.recordId && SPEC.extract(fixture.server.recordFor(d)).status === 'kept');
      expect(snapshot.rows).toBe(kept.length);

      const downloaded = await downloadSnapshot(clients.snapshots, snapshot.snapshotId);
      expect(downloaded.specHash).toBe(SPEC.hash);
      const lines = downloaded.csv.trimEnd().split('\n');
      expect(lines[0]).toBe(['record_id', 'division', 'action_taken', ...SPEC.featureNames].join(','));
      expect(lines).toHaveLength(kept.length + 1);

      const same = await createSnapshot(clients, SPEC);
      expect(same.snapshotId).toBe(snapshot.snapshotId);
      expect(same.created).toBe(false);
      await expect(downloadSnapshot(clients.snapshots, '0'.repeat(64))).rejects.toThrow(/not found/);
    } finally {
      await fixture.stop();
    }
  });
});
