import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { toStorageError } from './storage-errors.js';

/** Azure Table's limit of operations in one transaction (entity group). */
export const MAX_TRANSACTION_SIZE = 100;
/** Transactions in flight at once by default. */
export const DEFAULT_WRITE_CONCURRENCY = 8;

export type Entity = TableEntity<Record<string, unknown>>;

export interface BatchWriterOptions {
  /** Transactions in flight at once. Default 8. */
  concurrency?: number;
}

/**
 * Upserts (Replace) entities in transactions of ≤ 100, one partition each. Entities are
 * buffered per partition; a full partition is sent at once, the rest on {@link flush}. The
 * same RowKey twice in a buffer keeps the last (a transaction may not name a row twice).
 * Writing is idempotent: upserting the same entities again leaves the table unchanged.
 */
export class BatchWriter {
  private readonly buffers = new Map<string, Map<string, Entity>>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly concurrency: number;
  /** Entities written so far (acknowledged by storage). */
  written = 0;

  constructor(
    private readonly table: TableClient,
    options: BatchWriterOptions = {},
  ) {
    this.concurrency = options.concurrency ?? DEFAULT_WRITE_CONCURRENCY;
  }

  /** Buffers one entity; may wait for room when `concurrency` transactions are in flight. */
  async add(entity: Entity): Promise<void> {
    this.throwIfFailed();
    let buffer = this.buffers.get(entity.partitionKey);
    if (!buffer) {
      buffer = new Map();
      this.buffers.set(entity.partitionKey, buffer);
    }
    buffer.set(entity.rowKey, entity);
    if (buffer.size >= MAX_TRANSACTION_SIZE) {
      this.buffers.delete(entity.partitionKey);
      await this.send([...buffer.values()]);
    }
  }

  /** Sends everything buffered and waits until storage acknowledged all of it. */
  async flush(): Promise<void> {
    const pending = [...this.buffers.values()];
    this.buffers.clear();
    for (const buffer of pending) await this.send([...buffer.values()]);
    await Promise.allSettled([...this.inFlight]);
    this.throwIfFailed();
  }

  private async send(entities: Entity[]): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const actions: TransactionAction[] = entities.map((e) => ['upsert', e, 'Replace']);
    const task = this.table
      .submitTransaction(actions)
      .then(() => {
        this.written += entities.length;
      })
      .catch((error: unknown) => {
        this.failure ??= toStorageError(
          error,
          `writing ${entities.length} rows to table ${this.table.tableName}`,
        );
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
