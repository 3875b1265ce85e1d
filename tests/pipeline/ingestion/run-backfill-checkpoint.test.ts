import { describe, expect, it } from 'vitest';
import { runBackfill, splitWindows } from '../../../pipeline/ingestion/run-backfill.js';
import type { IndexClient } from '../../../pipeline/sources/IndexClient.js';
import { listDoneWindows, type TimeWindow, windowKey } from '../../../pipeline/storage/run-state.js';
import { useAzurite } from '../../support/azurite.js';
import { AFTER_ALL, expectTablesMatchSource, startSourceFixture } from '../../support/ingest-fixture.js';

const azurite = useAzurite();
const FROM = new Date('2020-01-01T00:00:00Z');
const QUARTER_MS = 91 * 86_400_000;
/** Windows read before the run stalls (2020 holds no sample records; 2021 and half of 2022 do). */
const READ_BEFORE_STALL = 10;
/** How long the test waits for the read windows to be marked done before it gives up. */
const DEADLINE_MS = 15_000;

describe('runBackfill checkpoints', () => {
  it('stores and marks read windows done while a later window is still running, and a resume skips them', async () => {
    const fixture = await startSourceFixture(400, 23);
    let release = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const { clients } = await azurite.freshStorage();
      const windows = splitWindows(FROM, AFTER_ALL, QUARTER_MS);
      const stallFrom = windows[READ_BEFORE_STALL]!.from;
      const context = fixture.clients(clients);
      const source = context.index;
      // The index hangs on the first window after READ_BEFORE_STALL, then fails like a killed run.
      const index = {
        async *listChanged(window: TimeWindow) {
          if (window.from >= stallFrom) {
            await stalled;
            throw new Error('the run was killed');
          }
          yield* source.listChanged(window);
        },
      } as unknown as IndexClient;
      let reached = () => {};
      const allReadDone = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const run = runBackfill({ ...context, index }, FROM, AFTER_ALL, {
        windowMs: QUARTER_MS,
        concurrency: 1,
        checkpointMs: 20,
        onWindow: (done) => {
          if (done === READ_BEFORE_STALL) reached();
        },
      });
      run.catch(() => undefined);
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const marked = await Promise.race([
        allReadDone.then(() => true),
        new Promise<boolean>((resolve) => {
          deadline = setTimeout(() => resolve(false), DEADLINE_MS);
        }),
      ]);
      clearTimeout(deadline);
      expect(marked, 'the windows read were marked done while the run went on').toBe(true);

      // While the run hangs, what it read is stored and the run state says so.
      const readWindows = windows.slice(0, READ_BEFORE_STALL).map(windowKey);
      expect(await listDoneWindows(clients.state)).toEqual(new Set(readWindows));
      await expectTablesMatchSource(clients, fixture, stallFrom);
      release();
      await expect(run).rejects.toThrow('the run was killed');

      // The resumed run reads only the rest; the tables then equal the source, each record once.
      const resumed = await runBackfill(context, FROM, AFTER_ALL, { windowMs: QUARTER_MS, concurrency: 3 });
      expect(resumed.skipped).toBe(READ_BEFORE_STALL);
      const rest = fixture.source.all().filter((d) => d.modified >= stallFrom.getTime());
      expect(resumed.stats.listed).toBe(rest.length);
      expect(await listDoneWindows(clients.state)).toEqual(new Set(windows.map(windowKey)));
      await expectTablesMatchSource(clients, fixture);
    } finally {
      release();
      await fixture.stop();
    }
  }, 60_000);
});
