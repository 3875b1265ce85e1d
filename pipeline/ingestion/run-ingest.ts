import { readWatermark, type TimeWindow, writeWatermark } from '../storage/run-state.js';
import { ensureStorage } from '../storage/storage-clients.js';
import { TableLease } from '../storage/TableLease.js';
import { emptyStats, type IngestContext, type IngestStats, ingestWindow } from './ingest-window.js';

/** Default overlap re-read before the watermark: catches late index updates. */
export const DEFAULT_OVERLAP_MS = 10 * 60_000;
/** Default lag behind now: the index may not list the newest changes yet. */
export const DEFAULT_LAG_MS = 2 * 60_000;
/** Where the first run starts when no watermark exists. */
export const DEFAULT_INITIAL_WATERMARK = new Date('2000-01-01T00:00:00Z');
/** Name of the watermark and lease of incremental ingest. */
export const INGEST_STATE_NAME = 'ingest';

export interface RunIngestOptions {
  /** Re-read this long before the watermark. Default 10 min. */
  overlapMs?: number;
  /** Stop this long before now. Default 2 min. */
  lagMs?: number;
  /** The clock (tests). Default `new Date()`. */
  now?: () => Date;
  /** Where to start when there is no watermark yet. Default 2000-01-01. */
  initialWatermark?: Date;
  /** Lease duration, ms. Default 60 s. */
  leaseMs?: number;
  /** How long to wait for a lease another run holds; 0 gives up at once. Default 0. */
  leaseWaitMs?: number;
  /** Index pages after which buffered rows are sent (the watermark moves at least that often). Default 100. */
  checkpointPages?: number;
  onProgress?: (stats: IngestStats) => void;
}

export interface RunIngestResult {
  window: { from: string; to: string };
  /** Watermark before and after this run. */
  previousWatermark: string | null;
  watermark: string;
  stats: IngestStats;
  seconds: number;
}

/**
 * One incremental ingest: takes the lease, reads the window [watermark − overlap, now − lag),
 * stores or quarantines every record in it, and moves the watermark forward only behind
 * records already stored (at checkpoints, then to the window's end).
 *
 * @throws LeaseHeldError when another run holds the lease; SourceError or StorageError when a
 * service keeps failing (the watermark then stays where the last checkpoint put it).
 */
export async function runIngest(
  context: IngestContext,
  options: RunIngestOptions = {},
): Promise<RunIngestResult> {
  const started = performance.now();
  await ensureStorage(context.storage);
  const lease = await TableLease.acquire(context.storage.state, INGEST_STATE_NAME, {
    durationMs: options.leaseMs,
    waitMs: options.leaseWaitMs,
  });
  try {
    const previous = await readWatermark(context.storage.state, INGEST_STATE_NAME);
    const start = previous ?? options.initialWatermark ?? DEFAULT_INITIAL_WATERMARK;
    const now = options.now?.() ?? new Date();
    const window: TimeWindow = {
      from: new Date(start.getTime() - (previous ? (options.overlapMs ?? DEFAULT_OVERLAP_MS) : 0)),
      to: new Date(now.getTime() - (options.lagMs ?? DEFAULT_LAG_MS)),
    };
    let watermark = previous ?? start;
    const advance = async (to: Date) => {
      lease.check();
      if (to > watermark) {
        await writeWatermark(context.storage.state, INGEST_STATE_NAME, to);
        watermark = to;
      }
    };
    const stats =
      window.to > window.from
        ? await ingestWindow(context, window, {
            checkpointPages: options.checkpointPages,
            onCheckpoint: (storedBefore) => advance(storedBefore),
            onProgress: options.onProgress,
          })
        : undefined;
    await advance(window.to);
    return {
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      previousWatermark: previous?.toISOString() ?? null,
      watermark: watermark.toISOString(),
      stats: stats ?? emptyStats(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await lease.release().catch(() => undefined);
  }
}
