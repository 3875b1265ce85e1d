import type { CompiledFeatureSpec } from '../features/compile-spec.js';
import { RAW_RECORD_ALIASES } from '../records/raw-record.js';
import { decodeRecordId } from '../records/record-id.js';
import type { IndexClient, IndexEntry } from '../sources/IndexClient.js';
import { RECORD_API_BATCH_LIMIT, type RecordApiClient } from '../sources/RecordApiClient.js';
import { BatchWriter } from '../storage/BatchWriter.js';
import { type QuarantineKind, quarantineEntry, toQuarantineEntity } from '../storage/quarantine.js';
import { keptRecord, rawText, type StoredRecord, toRecordEntity } from '../storage/record-rows.js';
import type { TimeWindow } from '../storage/run-state.js';
import type { StorageClients } from '../storage/storage-clients.js';
import { createLimit } from '../util/limit.js';

/** What one ingest needs: the source clients, the storage and the feature spec. */
export interface IngestContext {
  index: IndexClient;
  recordApi: RecordApiClient;
  storage: StorageClients;
  spec: CompiledFeatureSpec;
  /** Record API calls in flight at once. Default 8. */
  fetchConcurrency?: number;
  /** Table transactions in flight at once. Default 8. */
  writeConcurrency?: number;
}

/** Counts of what became of the records of a window. */
export interface IngestStats {
  /** Entries the index listed. */
  listed: number;
  kept: number;
  excluded: number;
  quarantined: number;
  excludedBy: Record<string, number>;
  quarantinedBy: Record<string, number>;
}

export function emptyStats(): IngestStats {
  return { listed: 0, kept: 0, excluded: 0, quarantined: 0, excludedBy: {}, quarantinedBy: {} };
}

export function addStats(into: IngestStats, more: IngestStats): void {
  into.listed += more.listed;
  into.kept += more.kept;
  into.excluded += more.excluded;
  into.quarantined += more.quarantined;
  for (const [k, v] of Object.entries(more.excludedBy)) into.excludedBy[k] = (into.excludedBy[k] ?? 0) + v;
  for (const [k, v] of Object.entries(more.quarantinedBy))
    into.quarantinedBy[k] = (into.quarantinedBy[k] ?? 0) + v;
}

export interface IngestWindowOptions {
  /** Flush and call `onCheckpoint` after this many index pages. Default 10. */
  checkpointPages?: number;
  /**
   * Called once every record listed so far is stored or quarantined, with the last-modified
   * time of the last entry: every record modified before it is safely stored.
   */
  onCheckpoint?: (storedBefore: Date, stats: IngestStats) => Promise<void>;
  /** Called after each index page is handed to the writers. */
  onProgress?: (stats: IngestStats) => void;
}

const ID_ALIASES: readonly string[] = RAW_RECORD_ALIASES.id;

/**
 * Ingests every record the index lists in `window`: decodes ids (undecodable ⇒ quarantine),
 * fetches records in batches of ≤ 100, validates and extracts features, and upserts one row
 * per record (kept, excluded or quarantined) plus a quarantine entry for each failure.
 * Resolves only when storage acknowledged every write.
 */
export async function ingestWindow(
  context: IngestContext,
  window: TimeWindow,
  options: IngestWindowOptions = {},
): Promise<IngestStats> {
  const stats = emptyStats();
  const records = new BatchWriter(context.storage.records, { concurrency: context.writeConcurrency });
  const quarantine = new BatchWriter(context.storage.quarantine, { concurrency: context.writeConcurrency });
  const limit = createLimit(context.fetchConcurrency ?? 8);
  const checkpointPages = options.checkpointPages ?? 10;
  let pages = 0;

  const quarantineIt = async (
    kind: QuarantineKind,
    entry: IndexEntry,
    fields: { recordId?: string; rule: string; reason: string; payload?: unknown },
  ) => {
    stats.quarantined += 1;
    const key = `${kind}:${fields.rule}`;
    stats.quarantinedBy[key] = (stats.quarantinedBy[key] ?? 0) + 1;
    await quarantine.add(
      toQuarantineEntity(
        quarantineEntry({
          kind,
          indexId: entry.indexId,
          recordId: fields.recordId ?? '',
          rule: fields.rule,
          reason: fields.reason,
          modified: entry.modified.toISOString(),
          payload: fields.payload,
        }),
      ),
    );
  };

  const storeBatch = async (batch: { entry: IndexEntry; recordId: string }[]) => {
    const payloads = await limit(() => context.recordApi.getBatch(batch.map((b) => b.recordId)));
    const byId = new Map<string, unknown>();
    for (const payload of payloads) {
      const id = idOf(payload);
      if (id !== undefined) byId.set(id, payload);
    }
    for (const { entry, recordId } of batch) {
      const payload = byId.get(recordId);
      if (payload === undefined) {
        await quarantineIt('missing-record', entry, {
          recordId,
          rule: 'missing',
          reason: `the record API did not return ${recordId}`,
        });
        continue;
      }
      const meta = {
        specHash: context.spec.hash,
        modified: entry.modified.toISOString(),
        indexId: entry.indexId,
      };
      const result = context.spec.extract(payload);
      if (result.status === 'kept') {
        stats.kept += 1;
        await records.add(toRecordEntity(keptRecord(result.row, { ...meta, payload })));
        continue;
      }
      const row: StoredRecord = {
        recordId,
        status: result.status === 'excluded' ? 'excluded' : 'quarantined',
        rule: result.rule,
        reason: result.reason,
        ...meta,
        ...rawText(payload),
      };
      if (result.status === 'excluded') {
        stats.excluded += 1;
        stats.excludedBy[result.rule] = (stats.excludedBy[result.rule] ?? 0) + 1;
      } else {
        await quarantineIt('invalid-record', entry, {
          recordId,
          rule: result.rule,
          reason: result.reason,
          payload,
        });
      }
      await records.add(toRecordEntity(row));
    }
  };

  const flush = async () => {
    await Promise.all([records.flush(), quarantine.flush()]);
  };

  let lastModified: Date | undefined;
  for await (const page of context.index.listChanged(window)) {
    stats.listed += page.length;
    const fetchable: { entry: IndexEntry; recordId: string }[] = [];
    for (const entry of page) {
      const decoded = decodeRecordId(entry.indexId);
      if (decoded.ok) fetchable.push({ entry, recordId: decoded.id });
      else await quarantineIt('undecodable-id', entry, { rule: 'id', reason: decoded.reason });
    }
    const batches: Promise<void>[] = [];
    for (let i = 0; i < fetchable.length; i += RECORD_API_BATCH_LIMIT) {
      batches.push(storeBatch(fetchable.slice(i, i + RECORD_API_BATCH_LIMIT)));
    }
    await Promise.all(batches);
    lastModified = page.at(-1)!.modified;
    options.onProgress?.(stats);
    if (++pages % checkpointPages === 0) {
      await flush();
      await options.onCheckpoint?.(lastModified, stats);
    }
  }
  await flush();
  return stats;
}

/** The record's id as text, read through the id aliases, or undefined. */
function idOf(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  for (const alias of ID_ALIASES) {
    const value = (payload as Record<string, unknown>)[alias];
    if (typeof value === 'string' || typeof value === 'number') return String(value).trim();
  }
  return undefined;
}
