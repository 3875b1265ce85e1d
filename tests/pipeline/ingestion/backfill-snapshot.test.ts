import { describe, expect, it } from 'vitest';
import { runBackfill, splitWindows } from '../../../pipeline/ingestion/run-backfill.js';
import { createSnapshot, downloadSnapshot } from '../../../pipeline/ingestion/snapshot.js';
import { listDoneWindows, markWindowDone, windowKey } from '../../../pipeline/storage/run-state.js';
import { useAzurite } from '../../support/azurite.js';
import {
  AFTER_ALL,
  expectTablesMatchSource,
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
