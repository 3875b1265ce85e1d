import { BatchWriter } from '../storage/BatchWriter.js';
import { RECORD_PARTITIONS } from '../storage/record-rows.js';
import { listDoneWindows, markWindowDone, type TimeWindow, windowKey } from '../storage/run-state.js';
import { ensureStorage } from '../storage/storage-clients.js';
import { TableLease } from '../storage/TableLease.js';
import { WriteGroup } from '../storage/WriteGroup.js';
import { createLimit } from '../util/limit.js';
import { addStats, emptyStats, type IngestContext, type IngestStats, ingestWindow } from './ingest-window.js';

/** Default backfill window: a week of records. */
export const DEFAULT_BACKFILL_WINDOW_MS = 7 * 86_400_000;
/**
 * Default time between checkpoints: while a window that finished reading waits for its rows, the
 * shared writers are flushed this often, so finished windows are stored and marked done. Each
 * checkpoint sends up to one half-full transaction per partition (~1,000), so a shorter time
 * costs batch fill; a longer one loses more to a kill.
 */
export const DEFAULT_BACKFILL_CHECKPOINT_MS = 10_000;
/** The next checkpoint starts no sooner than this many times the last one's duration after it ended. */
const CHECKPOINT_SPACING = 2;
/**
 * Record rows buffered that bring a checkpoint forward (~20 a partition, so its transactions are
 * not tiny): reading outruns storage, and full partitions are rare early on, so without it
 * storage idles until the first checkpoint, which then has most of the run to store.
 */
export const CHECKPOINT_ROWS = 20 * RECORD_PARTITIONS;
/** How often the checkpoint conditions are looked at. */
const CHECKPOINT_POLL_MS = 250;
/** Name of the backfill lease. */
export const BACKFILL_STATE_NAME = 'backfill';

export interface RunBackfillOptions {
  /** Size of each window, ms. Default 7 days. */
  windowMs?: number;
  /** Windows in flight at once. Default 4. */
  concurrency?: number;
  leaseMs?: number;
  leaseWaitMs?: number;
  /**
   * Time between checkpoints, ms: while a window that finished reading waits for rows still in
   * half-full buffers, the writers are flushed this often, so that window is stored and marked
   * done and a killed run keeps it; sooner once {@link CHECKPOINT_ROWS} rows wait. After a slow
   * checkpoint (storage busy) the next waits twice its duration, so checkpoints take at most
   * about a third of the run.
   * Default {@link DEFAULT_BACKFILL_CHECKPOINT_MS} (10 s).
   */
  checkpointMs?: number;
  /** Called when a window finishes. */
  onWindow?: (done: number, total: number, stats: IngestStats) => void;
  /** Called after each index page: entries listed so far, and rows storage acknowledged. */
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  /** Index entries read so far (this run). */
  listed: number;
  /** Record and quarantine rows storage acknowledged so far (this run). */
  stored: number;
}

export interface RunBackfillResult {
  from: string;
  to: string;
  windows: number;
  /** Windows finished by an earlier run and skipped. */
  skipped: number;
  stats: IngestStats;
  /** Rows (records + quarantine) and transactions this run wrote. */
  writes: { rows: number; transactions: number };
  seconds: number;
}

/** Splits [from, to) into windows of `windowMs` (the last one shorter). */
export function splitWindows(from: Date, to: Date, windowMs: number): TimeWindow[] {
  if (!(windowMs > 0)) throw new RangeError(`window must be > 0 ms, but got ${windowMs}`);
  const windows: TimeWindow[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += windowMs) {
    windows.push({ from: new Date(t), to: new Date(Math.min(t + windowMs, to.getTime())) });
  }
  return windows;
}

/**
 * Backfills [from, to): ingests its windows in parallel, records each finished window in the
 * state table, and skips windows an earlier run finished, so an interrupted backfill resumes.
 * Windows are keyed by their bounds: resume with the same --from, --to and window size.
 *
 * All windows share one record writer and one quarantine writer, so a transaction fills with
 * rows of its partition from any window (the record table has many partitions; see
 * record-rows.ts). A window is recorded as finished once every one of its rows is stored,
 * which may be a while after it was read: its last rows wait in half-full buffers. The
 * window slot is freed when reading ends, so reading goes on meanwhile. Every `checkpointMs`
 * while a read window waits, the buffers (≤ 99 rows per partition) are flushed, so progress is
 * durable at window boundaries at least that often; the rest are flushed at the end.
 */
export async function runBackfill(
  context: IngestContext,
  from: Date,
  to: Date,
  options: RunBackfillOptions = {},
): Promise<RunBackfillResult> {
  const started = performance.now();
  if (!(to > from))
    throw new RangeError(`--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  await ensureStorage(context.storage);
  const lease = await TableLease.acquire(context.storage.state, BACKFILL_STATE_NAME, {
    durationMs: options.leaseMs,
    waitMs: options.leaseWaitMs,
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const windows = splitWindows(from, to, options.windowMs ?? DEFAULT_BACKFILL_WINDOW_MS);
    const done = await listDoneWindows(context.storage.state);
    const todo = windows.filter((w) => !done.has(windowKey(w)));
    const stats = emptyStats();
    const limit = createLimit(options.concurrency ?? 4);
    const writeOptions = { concurrency: context.writeConcurrency, maxBuffered: context.maxBufferedRows };
    const writers = {
      records: new BatchWriter(context.storage.records, writeOptions),
      quarantine: new BatchWriter(context.storage.quarantine, writeOptions),
    };
    let finished = windows.length - todo.length;
    let listed = 0;
    const completions: Promise<void>[] = [];
    // Windows read whose rows are not all stored yet; while there are any, checkpoints flush.
    let waiting = 0;
    let checkpoint: Promise<unknown> | undefined;
    const flushWriters = () => Promise.all([writers.records.flush(), writers.quarantine.flush()]);
    const intervalMs = options.checkpointMs ?? DEFAULT_BACKFILL_CHECKPOINT_MS;
    // When the last checkpoint ended, and the least time before the next (see CHECKPOINT_SPACING).
    let lastEnded = performance.now();
    let minGap = 0;
    timer = setInterval(
      () => {
        if (waiting === 0 || checkpoint) return;
        const since = performance.now() - lastEnded;
        const due =
          since >= Math.max(intervalMs, minGap) ||
          (since >= minGap && writers.records.buffered >= CHECKPOINT_ROWS);
        if (!due) return;
        const started = performance.now();
        // A failed write also fails its windows' groups and the final flush: nothing to do here.
        checkpoint = flushWriters()
          .catch(() => undefined)
          .finally(() => {
            checkpoint = undefined;
            lastEnded = performance.now();
            minGap = CHECKPOINT_SPACING * (lastEnded - started);
          });
      },
      Math.min(intervalMs, CHECKPOINT_POLL_MS),
    );
    const complete = async (window: TimeWindow, group: WriteGroup, windowStats: IngestStats) => {
      waiting += 1;
      await group.close().finally(() => {
        waiting -= 1;
      });
      lease.check();
      await markWindowDone(context.storage.state, window, { records: windowStats.listed });
      addStats(stats, windowStats);
      options.onWindow?.(++finished, windows.length, stats);
    };
    await Promise.all(
      todo.map((window) =>
        limit(async () => {
          lease.check();
          const group = new WriteGroup();
          let windowListed = 0;
          const windowStats = await ingestWindow(context, window, {
            checkpointPages: Number.POSITIVE_INFINITY,
            writers,
            group,
            onProgress: (windowSoFar) => {
              listed += windowSoFar.listed - windowListed;
              windowListed = windowSoFar.listed;
              options.onProgress?.({ listed, stored: writers.records.written + writers.quarantine.written });
            },
          });
          const completion = complete(window, group, windowStats);
          // Awaited below, after the final flush; until then a failure must not go unhandled.
          completion.catch(() => undefined);
          completions.push(completion);
        }),
      ),
    );
    clearInterval(timer);
    await checkpoint;
    await flushWriters();
    await Promise.all(completions);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      windows: windows.length,
      skipped: windows.length - todo.length,
      stats,
      writes: {
        rows: writers.records.written + writers.quarantine.written,
        transactions: writers.records.transactions + writers.quarantine.transactions,
      },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clearInterval(timer);
    await lease.release().catch(() => undefined);
  }
}
