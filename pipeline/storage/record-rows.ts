import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { MlRow } from '../features/compile-spec.js';
import type { Entity } from './BatchWriter.js';
import { toStorageError } from './storage-errors.js';
import { decodeTableKey, encodeTableKey } from './table-key.js';

/**
 * Partitions of the record table: ids hash into 1,024. Azurite (LokiJS) finds a row by scanning
 * its whole partition, so every upsert costs O(rows per partition): with the former 16
 * partitions a 1M-row table made each upsert scan ~60k rows. Fewer rows per partition keep it
 * flat; writers buffer across windows so transactions still fill (see BatchWriter, runBackfill).
 */
export const RECORD_PARTITIONS = 1024;
/** Name of the partition layout, recorded in the state table (see record-layout.ts). */
export const RECORD_LAYOUT = `sha1-mod-${RECORD_PARTITIONS}`;
/** Longest string property kept (Azure Table strings are ≤ 64 KiB of UTF-16). */
export const MAX_RAW_CHARS = 30_000;

/** What ingestion made of a record: a training row, excluded by a rule, or quarantined. */
export type RecordStatus = 'kept' | 'excluded' | 'quarantined';

/**
 * One row of the record table, keyed by record id. Every record the index lists is stored,
 * kept or not, so a record whose state changes (e.g. `processed` → `pastdue`) replaces its
 * old row instead of leaving a stale training row behind.
 */
export interface StoredRecord {
  recordId: string;
  status: RecordStatus;
  /** Why excluded or quarantined (a stable rule key), empty for kept rows. */
  rule: string;
  reason: string;
  /** Kept rows only. */
  division?: number;
  label?: 0 | 1;
  features?: number[];
  /** Hash of the feature spec the features were computed with. */
  specHash: string;
  /** The index's last-modified time of the version stored (ISO). */
  modified: string;
  /** The id as the index lists it (encoded). */
  indexId: string;
  /** The record API's payload as JSON text (cut at 30,000 characters, see `rawTruncated`). */
  raw: string;
  rawTruncated: boolean;
}

/**
 * The record table's PartitionKey for a record id: `r000`…`r3ff` (the first two bytes of the id's
 * SHA-1, mod {@link RECORD_PARTITIONS}). Deterministic, so a record's later versions replace its row.
 * The old layout's keys were `p0`…`pf`; the two never collide.
 */
export function recordPartition(recordId: string): string {
  const digest = createHash('sha1').update(recordId).digest();
  const bucket = ((digest[0]! << 8) | digest[1]!) % RECORD_PARTITIONS;
  return `r${bucket.toString(16).padStart(3, '0')}`;
}

/** Cuts a payload's JSON to what a table property holds. */
export function rawText(payload: unknown): { raw: string; rawTruncated: boolean } {
  const text = JSON.stringify(payload) ?? String(payload);
  return text.length > MAX_RAW_CHARS
    ? { raw: text.slice(0, MAX_RAW_CHARS), rawTruncated: true }
    : { raw: text, rawTruncated: false };
}

/** A kept ML row as a stored record. */
export function keptRecord(
  row: MlRow,
  meta: { specHash: string; modified: string; indexId: string; payload: unknown },
): StoredRecord {
  return {
    recordId: row.recordId,
    status: 'kept',
    rule: '',
    reason: '',
    division: row.division,
    label: row.label,
    features: [...row.features],
    specHash: meta.specHash,
    modified: meta.modified,
    indexId: meta.indexId,
    ...rawText(meta.payload),
  };
}

export function toRecordEntity(record: StoredRecord): Entity {
  const { features, division, label, ...rest } = record;
  return {
    partitionKey: recordPartition(record.recordId),
    rowKey: encodeTableKey(record.recordId),
    ...rest,
    ...(division === undefined ? {} : { division }),
    ...(label === undefined ? {} : { label }),
    ...(features === undefined ? {} : { features: JSON.stringify(features) }),
  };
}

export function fromRecordEntity(entity: Record<string, unknown>): StoredRecord {
  const record: StoredRecord = {
    recordId: typeof entity.recordId === 'string' ? entity.recordId : decodeTableKey(String(entity.rowKey)),
    status: entity.status as RecordStatus,
    rule: String(entity.rule ?? ''),
    reason: String(entity.reason ?? ''),
    specHash: String(entity.specHash ?? ''),
    modified: String(entity.modified ?? ''),
    indexId: String(entity.indexId ?? ''),
    raw: String(entity.raw ?? ''),
    rawTruncated: entity.rawTruncated === true,
  };
  if (typeof entity.division === 'number') record.division = entity.division;
  if (entity.label === 0 || entity.label === 1) record.label = entity.label;
  if (typeof entity.features === 'string') record.features = JSON.parse(entity.features) as number[];
  return record;
}

/** Reads one stored record by id, or undefined. */
export async function getStoredRecord(
  table: TableClient,
  recordId: string,
): Promise<StoredRecord | undefined> {
  try {
    const entity = await table.getEntity(recordPartition(recordId), encodeTableKey(recordId));
    return fromRecordEntity(entity);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw toStorageError(error, `reading record ${recordId}`);
  }
}

/** Streams every stored record (all partitions), optionally only one status. */
export async function* listStoredRecords(
  table: TableClient,
  options: { status?: RecordStatus } = {},
): AsyncGenerator<StoredRecord> {
  const filter = options.status ? `status eq '${options.status}'` : undefined;
  try {
    for await (const entity of table.listEntities(filter ? { queryOptions: { filter } } : {})) {
      yield fromRecordEntity(entity);
    }
  } catch (error) {
    throw toStorageError(error, `listing table ${table.tableName}`);
  }
}
