import type { TableClient } from '@azure/data-tables';
import type { Entity } from './BatchWriter.js';
import { rawText } from './record-rows.js';
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
