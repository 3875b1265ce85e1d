import type { TableClient } from '@azure/data-tables';
import type { Entity } from './BatchWriter.js';
import { getStoredRecord, rawText } from './record-rows.js';
import { toStorageError } from './storage-errors.js';
import { decodeTableKey, encodeTableKey } from './table-key.js';

/** Why a record is in quarantine: its index id does not decode, its payload is invalid, or the record API did not return it. */
export type QuarantineKind = 'undecodable-id' | 'invalid-record' | 'missing-record';

/** One quarantined item: the latest failure of one index id (re-runs overwrite, never duplicate). */
export interface QuarantineEntry {
  kind: QuarantineKind;
  /** The id as the index lists it. */
  indexId: string;
  /** The decoded id, when it decoded. */
  recordId: string;
  /** Stable rule key (e.g. `project_size`, `id`). */
  rule: string;
  reason: string;
  /** The payload as received (JSON text, cut at 30,000 characters), or '' when there was none. */
  raw: string;
  rawTruncated: boolean;
  modified: string;
  quarantinedAt: string;
}

export function quarantineEntry(
  fields: Omit<QuarantineEntry, 'raw' | 'rawTruncated' | 'quarantinedAt'> & { payload?: unknown },
  now = new Date(),
): QuarantineEntry {
  const { payload, ...rest } = fields;
  const raw = payload === undefined ? { raw: '', rawTruncated: false } : rawText(payload);
  return { ...rest, ...raw, quarantinedAt: now.toISOString() };
}

/** PartitionKey = kind, RowKey = encoded index id. */
export function toQuarantineEntity(entry: QuarantineEntry): Entity {
  return { partitionKey: entry.kind, rowKey: encodeTableKey(entry.indexId), ...entry };
}

/** Streams the quarantine table. */
export async function* listQuarantine(table: TableClient): AsyncGenerator<QuarantineEntry> {
  try {
    for await (const e of table.listEntities()) {
      yield {
        kind: e.partitionKey as QuarantineKind,
        indexId: typeof e.indexId === 'string' ? e.indexId : decodeTableKey(String(e.rowKey)),
        recordId: String(e.recordId ?? ''),
        rule: String(e.rule ?? ''),
        reason: String(e.reason ?? ''),
        raw: String(e.raw ?? ''),
        rawTruncated: e.rawTruncated === true,
        modified: String(e.modified ?? ''),
        quarantinedAt: String(e.quarantinedAt ?? ''),
      };
    }
  } catch (error) {
    throw toStorageError(error, `listing table ${table.tableName}`);
  }
}

/** A quarantine entry and whether a later version of its record has since been stored. */
export interface QuarantineReview {
  entry: QuarantineEntry;
  /**
   * Set when the entry is out of date: the record table holds a kept or excluded version of
   * the record modified no earlier than the failure (the record was fixed at the source).
   */
  resolvedBy?: { status: 'kept' | 'excluded'; modified: string };
}

/**
 * Streams the quarantine with each entry checked against the record table, the authority on a
 * record's current state: ingestion overwrites a record's row, but leaves an older quarantine
 * entry behind when the record later becomes valid. Undecodable ids never resolve.
 */
export async function* reviewQuarantine(
  quarantine: TableClient,
  records: TableClient,
): AsyncGenerator<QuarantineReview> {
  for await (const entry of listQuarantine(quarantine)) {
    const stored = entry.recordId ? await getStoredRecord(records, entry.recordId) : undefined;
    yield stored && stored.status !== 'quarantined' && stored.modified >= entry.modified
      ? { entry, resolvedBy: { status: stored.status, modified: stored.modified } }
      : { entry };
  }
}

/** Deletes one quarantine entry (e.g. a resolved one); an entry already gone is fine. */
export async function deleteQuarantineEntry(quarantine: TableClient, entry: QuarantineEntry): Promise<void> {
  try {
    await quarantine.deleteEntity(entry.kind, encodeTableKey(entry.indexId));
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return;
    throw toStorageError(error, `deleting quarantine entry ${entry.indexId}`);
  }
}
