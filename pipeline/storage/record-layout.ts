import type { TableClient } from '@azure/data-tables';
import { RecordLayoutError } from '../errors/RecordLayoutError.js';
import { RECORD_LAYOUT } from './record-rows.js';
import { HTTP_CONFLICT, HTTP_NOT_FOUND, restStatus, toStorageError } from './storage-errors.js';

/** State-table row that names the record table's partition layout. */
const LAYOUT_PARTITION = 'layout';
const LAYOUT_ROW = 'records';
/** What a record table with rows but no recorded layout was written with (opp before the marker). */
export const LEGACY_RECORD_LAYOUT = 'sha1-mod-16';

/**
 * Makes sure the record table uses {@link RECORD_LAYOUT}: records it in the state table when the
 * record table is new (empty), accepts it when recorded, and refuses anything else: a table
 * written by an older opp (rows, no recorded layout: 16 partitions `p0`…`pf`) or another layout.
 * Writing the new layout into such a table would store each record twice.
 *
 * @throws RecordLayoutError when the table holds another layout.
 */
export async function checkRecordLayout(records: TableClient, state: TableClient): Promise<void> {
  let found = await readRecordLayout(state);
  if (found === undefined) {
    if (await hasRows(records)) {
      found = LEGACY_RECORD_LAYOUT;
    } else {
      found = await recordLayout(state);
    }
  }
  if (found !== RECORD_LAYOUT) {
    throw new RecordLayoutError(
      `table ${records.tableName} was written with record layout ${found}, but this opp reads and writes ${RECORD_LAYOUT}: ` +
        'rewriting it would store records twice. Backfill into fresh tables (delete the table, or set another OPP_STORAGE_PREFIX), then delete the old one.',
      found,
      RECORD_LAYOUT,
    );
  }
}

/** The layout recorded in the state table, or undefined. */
export async function readRecordLayout(state: TableClient): Promise<string | undefined> {
  try {
    const entity = await state.getEntity<{ layout: string }>(LAYOUT_PARTITION, LAYOUT_ROW);
    return entity.layout;
  } catch (error) {
    if (restStatus(error) === HTTP_NOT_FOUND) return undefined;
    throw toStorageError(error, 'reading the record layout');
  }
}

/** Records {@link RECORD_LAYOUT} (insert-if-absent) and returns what is recorded afterwards. */
async function recordLayout(state: TableClient): Promise<string> {
  try {
    await state.createEntity({
      partitionKey: LAYOUT_PARTITION,
      rowKey: LAYOUT_ROW,
      layout: RECORD_LAYOUT,
      recordedAt: new Date().toISOString(),
    });
    return RECORD_LAYOUT;
  } catch (error) {
    // Another run recorded a layout first: go by what it wrote.
    if (restStatus(error) === HTTP_CONFLICT) return (await readRecordLayout(state)) ?? RECORD_LAYOUT;
    throw toStorageError(error, 'recording the record layout');
  }
}

async function hasRows(table: TableClient): Promise<boolean> {
  try {
    const pages = table
      .listEntities({ queryOptions: { select: ['PartitionKey'] } })
      .byPage({ maxPageSize: 1 });
    const first = await pages.next();
    return !first.done && first.value.length > 0;
  } catch (error) {
    throw toStorageError(error, `reading table ${table.tableName}`);
  }
}
