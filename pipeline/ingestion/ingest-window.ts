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
import { WriteGroup } from '../storage/WriteGroup.js';
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
  /** Rows a writer buffers at most before sending half-full transactions. Default 100,000. */
  maxBufferedRows?: number;
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

/** Index pages after which buffered rows are sent even if their transactions are not full. */
export const DEFAULT_CHECKPOINT_PAGES = 100;

/** Record and quarantine writers shared by several windows (a backfill). */
export interface SharedWriters {
  records: BatchWriter;
  quarantine: BatchWriter;
}

export interface IngestWindowOptions {
  /**
   * Flush after this many index pages (then call `onCheckpoint`). Between flushes, checkpoints
   * come as soon as the writers happen to have stored every record of the pages so far.
   * Default {@link DEFAULT_CHECKPOINT_PAGES}.
   */
  checkpointPages?: number;
  /**
   * Called once every record listed so far is stored or quarantined, with the last-modified
   * time of the last entry: every record modified before it is safely stored.
   */
  onCheckpoint?: (storedBefore: Date, stats: IngestStats) => Promise<void>;
  /** Called after each index page is handed to the writers. */
  onProgress?: (stats: IngestStats) => void;
  /**
   * Writers shared with other windows, so their per-partition buffers fill across windows. Then
   * the window does not flush them: it resolves once every record is handed over, and `group`
   * (required with `writers`) settles once they are all stored.
   */
  writers?: SharedWriters;
  group?: WriteGroup;
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
  if (options.writers && !options.group) throw new Error('ingestWindow: shared writers need a group');
  const writeOptions = { concurrency: context.writeConcurrency, maxBuffered: context.maxBufferedRows };
  const records = options.writers?.records ?? new BatchWriter(context.storage.records, writeOptions);
  const quarantine = options.writers?.quarantine ?? new BatchWriter(context.storage.quarantine, writeOptions);
  const limit = createLimit(context.fetchConcurrency ?? 8);
  const checkpointPages = options.checkpointPages ?? DEFAULT_CHECKPOINT_PAGES;
  let pages = 0;
  // Each page's writes form a group (or all go to the caller's window group); the checkpoint
  // moves past a page once its group and every earlier one are stored.
  let group = options.group ?? new WriteGroup();
  const unsettled: { group: WriteGroup; lastModified: Date }[] = [];

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
      group,
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
        await records.add(toRecordEntity(keptRecord(result.row, { ...meta, payload })), group);
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
      await records.add(toRecordEntity(row), group);
    }
  };

  const flush = async () => {
    await Promise.all([records.flush(), quarantine.flush()]);
  };
  const checkpoint = async () => {
    let storedBefore: Date | undefined;
    while (unsettled[0]?.group.isSettled) storedBefore = unsettled.shift()!.lastModified;
    if (storedBefore) await options.onCheckpoint?.(storedBefore, stats);
  };

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
    const lastModified = page.at(-1)!.modified;
    options.onProgress?.(stats);
    if (!options.group) {
      unsettled.push({ group, lastModified });
      void group.close();
      group = new WriteGroup();
    }
    if (++pages % checkpointPages === 0 && !options.writers) await flush();
    if (!options.group) await checkpoint();
  }
  if (!options.writers) await flush();
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
