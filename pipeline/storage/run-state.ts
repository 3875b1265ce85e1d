import type { TableClient } from '@azure/data-tables';
import { HTTP_NOT_FOUND, restStatus, toStorageError } from './storage-errors.js';
import { encodeTableKey } from './table-key.js';

/** Partition of the state table holding watermarks, one row per source name. */
const WATERMARK_PARTITION = 'watermark';
/** Partition holding finished backfill windows, one row per window. */
const WINDOW_PARTITION = 'backfill';

/** A half-open time range [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** Row key of a window: both ends as fixed-width epoch milliseconds, so keys sort by time. */
export function windowKey(window: TimeWindow): string {
  const ms = (d: Date) => String(d.getTime()).padStart(15, '0');
  return `${ms(window.from)}-${ms(window.to)}`;
}

/** Reads the watermark of `source`: everything modified before it is stored. Undefined if none. */
export async function readWatermark(state: TableClient, source: string): Promise<Date | undefined> {
  try {
    const entity = await state.getEntity<{ watermark: string }>(WATERMARK_PARTITION, encodeTableKey(source));
    return new Date(entity.watermark);
  } catch (error) {
    if (restStatus(error) === HTTP_NOT_FOUND) return undefined;
    throw toStorageError(error, `reading the watermark of ${source}`);
  }
}

/**
 * Sets the watermark of `source`. Call it only once every record modified before `watermark`
 * (in the window read) is stored or quarantined. It never moves backwards.
 */
export async function writeWatermark(state: TableClient, source: string, watermark: Date): Promise<void> {
  const current = await readWatermark(state, source);
  if (current && current >= watermark) return;
  try {
    await state.upsertEntity(
      {
        partitionKey: WATERMARK_PARTITION,
        rowKey: encodeTableKey(source),
        watermark: watermark.toISOString(),
        updatedAt: new Date().toISOString(),
      },
      'Replace',
    );
  } catch (error) {
    throw toStorageError(error, `writing the watermark of ${source}`);
  }
}

/** Records that a backfill window is finished (every record stored or quarantined). */
export async function markWindowDone(
  state: TableClient,
  window: TimeWindow,
  stats: { records: number },
): Promise<void> {
  try {
    await state.upsertEntity(
      {
        partitionKey: WINDOW_PARTITION,
        rowKey: windowKey(window),
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        records: stats.records,
        finishedAt: new Date().toISOString(),
      },
      'Replace',
    );
  } catch (error) {
    throw toStorageError(error, `recording backfill window ${window.from.toISOString()}`);
  }
}

/** The keys ({@link windowKey}) of every finished backfill window. */
export async function listDoneWindows(state: TableClient): Promise<Set<string>> {
  const done = new Set<string>();
  try {
    const entities = state.listEntities({
      queryOptions: { filter: `PartitionKey eq '${WINDOW_PARTITION}'`, select: ['RowKey'] },
    });
    for await (const entity of entities) done.add(String(entity.rowKey));
  } catch (error) {
    throw toStorageError(error, 'listing finished backfill windows');
  }
  return done;
}
