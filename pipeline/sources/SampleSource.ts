import { decodeRecordId } from '../records/record-id.js';
import { Random } from '../util/random.js';
import { generateSampleRecords, type SampleOptions } from './sample-records.js';

/** One document of the sample source: what the index lists and what the record API returns. */
export interface SourceDocument {
  /** The id as the index lists it (encoded; a few do not decode). */
  indexId: string;
  /** The decoded id the record API knows the record by (undefined when the index id is malformed). */
  recordId: string | undefined;
  /** Last-modified time, ms since the epoch. */
  modified: number;
  /** The record as the record API returns it (no `_sample`). */
  record: Record<string, unknown>;
}

const REVIEWERS = ['amartin', 'bchen', 'cdiaz'];

/**
 * The data behind the local sample source server: sample records indexed by last-modified
 * time and by id. Records can change over time ({@link applyUpdates}), as real ones do.
 */
export class SampleSource {
  private readonly byIndexId = new Map<string, SourceDocument>();
  private readonly byRecordId = new Map<string, SourceDocument>();
  /** Documents in (modified, indexId) order; rebuilt after changes. */
  private docs: SourceDocument[] = [];
  private sorted = true;

  /** Builds the source from {@link generateSampleRecords}; `_sample` metadata is stripped. */
  static fromSample(options: SampleOptions): SampleSource {
    const source = new SampleSource();
    for (const sample of generateSampleRecords(options)) {
      const { _sample, ...record } = sample;
      const decoded = decodeRecordId(_sample.indexId);
      source.add({
        indexId: _sample.indexId,
        recordId: decoded.ok ? decoded.id : undefined,
        modified: Date.parse(_sample.modified),
        record,
      });
    }
    return source;
  }

  /** Adds (or replaces, by index id) a document. */
  add(doc: SourceDocument): void {
    this.byIndexId.set(doc.indexId, doc);
    if (doc.recordId !== undefined) this.byRecordId.set(doc.recordId, doc);
    this.sorted = false;
  }

  /** Every document, by (modified, indexId). */
  all(): readonly SourceDocument[] {
    this.sort();
    return this.docs;
  }

  get size(): number {
    return this.byIndexId.size;
  }

  /** The record the record API returns for a decoded id, if any. */
  get(recordId: string): SourceDocument | undefined {
    return this.byRecordId.get(recordId);
  }

  /**
   * Documents with from ≤ modified < to (either bound optional; `inclusiveTo` makes the upper
   * bound ≤), in (modified, indexId) order.
   */
  range(from: number, to: number, fromInclusive = true, toInclusive = false): SourceDocument[] {
    this.sort();
    const lo = lowerBound(this.docs, from, fromInclusive);
    const hi = lowerBound(this.docs, to, !toInclusive);
    return this.docs.slice(lo, Math.max(lo, hi));
  }

  /**
   * Moves a fraction of the `preprocessing` records to `processed` (with a reviewer), each with
   * last-modified `modified`: what incremental ingest must pick up. Returns the changed ids.
   */
  applyUpdates(options: { fraction: number; modified: Date; seed?: number }): string[] {
    const random = new Random(options.seed ?? 7);
    const changed: string[] = [];
    for (const doc of [...this.byIndexId.values()]) {
      const stateKey = ['PartitionKey', 'partitionKey', 'Table', 'table'].find((k) => k in doc.record);
      if (!stateKey || doc.record[stateKey] !== 'preprocessing' || doc.recordId === undefined) continue;
      if (!random.chance(options.fraction)) continue;
      const record = { ...doc.record, [stateKey]: 'processed', userName: random.pick(REVIEWERS) };
      delete record.UserName;
      this.add({ ...doc, record, modified: options.modified.getTime() });
      changed.push(doc.recordId);
    }
    return changed;
  }

  private sort(): void {
    if (this.sorted) return;
    this.docs = [...this.byIndexId.values()];
    this.docs.sort(
      (a, b) => a.modified - b.modified || (a.indexId < b.indexId ? -1 : a.indexId > b.indexId ? 1 : 0),
    );
    this.sorted = true;
  }
}

/** First index whose modified is ≥ t (inclusive) or > t (exclusive). */
function lowerBound(docs: SourceDocument[], t: number, inclusive: boolean): number {
  let lo = 0;
  let hi = docs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = docs[mid]!.modified;
    if (inclusive ? m < t : m <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
