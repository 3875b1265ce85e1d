import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { toStorageError } from './storage-errors.js';
import type { WriteGroup } from './WriteGroup.js';

/** Azure Table's limit of operations in one transaction (entity group). */
export const MAX_TRANSACTION_SIZE = 100;
/** Transactions in flight at once by default. */
export const DEFAULT_WRITE_CONCURRENCY = 8;
/** Entities buffered at most by default (~1 KB each) before the fullest partitions are sent. */
export const DEFAULT_MAX_BUFFERED = 100_000;
/** When over the cap, send the fullest partitions until this share of the cap is left. */
const DRAIN_TO = 0.75;

export type Entity = TableEntity<Record<string, unknown>>;

export interface BatchWriterOptions {
  /** Transactions in flight at once. Default 8. */
  concurrency?: number;
  /** Rows per transaction, 1…100. Default 100 (benchmarks use fewer to measure request cost). */
  maxBatch?: number;
  /**
   * Entities buffered at most: beyond it the fullest partitions are sent before they are full.
   * Bounds memory when rows spread over many partitions. Default 100,000.
   */
  maxBuffered?: number;
}

/** A buffered entity and the groups waiting for it (more than one when a row was re-added). */
interface Slot {
  entity: Entity;
  groups: WriteGroup[];
}

/**
 * Upserts (Replace) entities in transactions of ≤ 100, one partition each. Entities are
 * buffered per partition; a full partition is sent at once, the rest on {@link flush}. The
 * same RowKey twice in a buffer keeps the last (a transaction may not name a row twice).
 * Writing is idempotent: upserting the same entities again leaves the table unchanged.
 * One writer may be shared by several producers: each passes a {@link WriteGroup} to learn when
 * its own entities are stored without flushing everyone's half-full buffers.
 */
export class BatchWriter {
  private readonly buffers = new Map<string, Map<string, Slot>>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private bufferedCount = 0;
  private draining = false;
  /** Settles once the flush in progress has handed all it took to storage (adds wait for it). */
  private flushing: Promise<void> | undefined;
  /** Entities written so far (acknowledged by storage). */
  written = 0;
  /** Transactions acknowledged so far (`written / transactions` is the mean batch fill). */
  transactions = 0;

  constructor(
    private readonly table: TableClient,
    options: BatchWriterOptions = {},
  ) {
    this.concurrency = options.concurrency ?? DEFAULT_WRITE_CONCURRENCY;
    this.maxBatch = options.maxBatch ?? MAX_TRANSACTION_SIZE;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1 && this.maxBatch <= MAX_TRANSACTION_SIZE))
      throw new RangeError(`maxBatch must be 1…${MAX_TRANSACTION_SIZE}, but got ${this.maxBatch}`);
  }

  /** Entities buffered, not yet sent. */
  get buffered(): number {
    return this.bufferedCount;
  }

  /**
   * Buffers one entity; may wait for room when `concurrency` transactions are in flight, or
   * until a flush in progress is done (a checkpoint goes first instead of sharing the
   * transaction slots with every producer, which would delay it until they stop).
   * `group`, if given, is held until storage acknowledged the entity (or a later one that
   * replaced it in the buffer).
   */
  async add(entity: Entity, group?: WriteGroup): Promise<void> {
    while (this.flushing) await this.flushing;
    this.throwIfFailed();
    let buffer = this.buffers.get(entity.partitionKey);
    if (!buffer) {
      buffer = new Map();
      this.buffers.set(entity.partitionKey, buffer);
    }
    group?.hold();
    const slot = buffer.get(entity.rowKey);
    if (slot) {
      slot.entity = entity;
      if (group) slot.groups.push(group);
    } else {
      buffer.set(entity.rowKey, { entity, groups: group ? [group] : [] });
      this.bufferedCount += 1;
    }
    if (buffer.size >= this.maxBatch) {
      this.buffers.delete(entity.partitionKey);
      this.bufferedCount -= buffer.size;
      await this.send([...buffer.values()]);
    }
    if (this.bufferedCount > this.maxBuffered && !this.draining) await this.drain();
  }

  /** Sends the fullest partitions until the buffers are back under {@link DRAIN_TO} of the cap. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      const fullest = [...this.buffers].sort((a, b) => b[1].size - a[1].size);
      for (const [partition, buffer] of fullest) {
        if (this.bufferedCount <= this.maxBuffered * DRAIN_TO) break;
        // Sent meanwhile (full, or by a flush): the map holds a new buffer or none.
        if (this.buffers.get(partition) !== buffer) continue;
        this.buffers.delete(partition);
        this.bufferedCount -= buffer.size;
        await this.send([...buffer.values()]);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Sends everything buffered and waits until storage acknowledged all of it. Adds wait until
   * this flush's transactions are under way.
   */
  async flush(): Promise<void> {
    const pending = [...this.buffers.values()];
    this.buffers.clear();
    this.bufferedCount = 0;
    const sending = (async () => {
      for (const buffer of pending) await this.send([...buffer.values()]);
    })();
    const sent = sending.then(
      () => undefined,
      () => undefined,
    );
    this.flushing = sent;
    try {
      await sending;
    } finally {
      if (this.flushing === sent) this.flushing = undefined;
    }
    await Promise.allSettled([...this.inFlight]);
    this.throwIfFailed();
  }

  private async send(slots: Slot[]): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure !== undefined) {
      for (const slot of slots) for (const group of slot.groups) group.fail(this.failure);
      throw this.failure;
    }
    const actions: TransactionAction[] = slots.map((s) => ['upsert', s.entity, 'Replace']);
    const task = this.table
      .submitTransaction(actions)
      .then(() => {
        this.written += slots.length;
        this.transactions += 1;
        for (const slot of slots) for (const group of slot.groups) group.release();
      })
      .catch((error: unknown) => {
        this.failure ??= toStorageError(
          error,
          `writing ${slots.length} rows to table ${this.table.tableName}`,
        );
        for (const slot of slots) for (const group of slot.groups) group.fail(this.failure);
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
