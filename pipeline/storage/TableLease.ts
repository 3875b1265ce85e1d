import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableClient } from '@azure/data-tables';
import { LeaseHeldError } from '../errors/LeaseHeldError.js';
import { StorageError } from '../errors/StorageError.js';
import {
  HTTP_CONFLICT,
  HTTP_NOT_FOUND,
  HTTP_PRECONDITION_FAILED,
  restStatus,
  toStorageError,
} from './storage-errors.js';
import { encodeTableKey } from './table-key.js';

const LEASE_PARTITION = 'lease';
/** Default lease time; a holder renews it every third of this. */
export const DEFAULT_LEASE_MS = 60_000;

interface LeaseRow {
  holder: string;
  expiresAt: string;
}

export interface AcquireLeaseOptions {
  /** How long the lease lasts without renewal. Default 60 s. */
  durationMs?: number;
  /** Wait up to this long for a held lease (polling); 0 fails at once. Default 0. */
  waitMs?: number;
}

/**
 * A lease held as one row of the state table, taken and renewed with ETag-conditional writes,
 * so of two runs racing for it exactly one wins. A lease whose time ran out, or whose holder
 * is a dead process on this host, may be taken over.
 */
export class TableLease {
  private etag: string;
  private timer: NodeJS.Timeout | undefined;
  private lostError: StorageError | undefined;
  private renewing: Promise<void> | undefined;

  private constructor(
    private readonly table: TableClient,
    readonly name: string,
    readonly holder: string,
    etag: string,
    private readonly durationMs: number,
  ) {
    this.etag = etag;
  }

  /**
   * Takes the lease `name`, renewing it in the background until {@link release}.
   * @throws LeaseHeldError when another live run holds it (after `waitMs`).
   */
  static async acquire(
    table: TableClient,
    name: string,
    options: AcquireLeaseOptions = {},
  ): Promise<TableLease> {
    const durationMs = options.durationMs ?? DEFAULT_LEASE_MS;
    const holder = `${hostname()}|${process.pid}|${randomBytes(4).toString('hex')}`;
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      const attempt = await tryAcquire(table, name, holder, durationMs);
      if ('etag' in attempt) {
        const lease = new TableLease(table, name, holder, attempt.etag, durationMs);
        lease.startRenewing();
        return lease;
      }
      if (Date.now() >= deadline) {
        throw new LeaseHeldError(
          `another run (${attempt.holder}) holds the "${name}" lease until ${attempt.expiresAt.toISOString()}`,
          attempt.holder,
          attempt.expiresAt,
        );
      }
      await sleep(Math.min(1000, durationMs / 4));
    }
  }

  /** Throws if a renewal found the lease taken by someone else (the run must stop). */
  check(): void {
    if (this.lostError) throw this.lostError;
  }

  /**
   * Extends the lease now (conditional on our last ETag). Calls made while one is in flight
   * share it: two renewals with one ETag would fail each other.
   */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    this.check();
    const rowKey = encodeTableKey(this.name);
    try {
      const response = await this.table.updateEntity(
        { partitionKey: LEASE_PARTITION, rowKey, ...this.row() },
        'Replace',
        { etag: this.etag },
      );
      this.etag = response.etag ?? this.etag;
    } catch (error) {
      const status = restStatus(error);
      if (status !== HTTP_PRECONDITION_FAILED && status !== HTTP_NOT_FOUND) {
        throw toStorageError(error, `renewing the "${this.name}" lease`);
      }
      // A write of ours may have landed after all (e.g. an SDK retry): still ours if it names us.
      const current = await this.table.getEntity<LeaseRow>(LEASE_PARTITION, rowKey).catch(() => undefined);
      if (current?.holder === this.holder) {
        this.etag = current.etag;
        return;
      }
      this.lostError = new StorageError(
        `lost the "${this.name}" lease to ${current?.holder ?? 'nobody (it was deleted)'}`,
        status,
        { cause: error },
      );
      throw this.lostError;
    }
  }

  /** Stops renewing and deletes the lease row (if still ours). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.table.deleteEntity(LEASE_PARTITION, encodeTableKey(this.name), { etag: this.etag });
    } catch (error) {
      const status = restStatus(error);
      if (status !== HTTP_NOT_FOUND && status !== HTTP_PRECONDITION_FAILED) {
        throw toStorageError(error, `releasing the "${this.name}" lease`);
      }
    }
  }

  private row(): LeaseRow {
    return { holder: this.holder, expiresAt: new Date(Date.now() + this.durationMs).toISOString() };
  }

  private startRenewing(): void {
    this.timer = setInterval(() => {
      this.renew().catch(() => undefined);
    }, this.durationMs / 3);
    this.timer.unref();
  }
}

type Attempt = { etag: string } | { holder: string; expiresAt: Date };

async function tryAcquire(
  table: TableClient,
  name: string,
  holder: string,
  durationMs: number,
): Promise<Attempt> {
  const rowKey = encodeTableKey(name);
  const row = {
    partitionKey: LEASE_PARTITION,
    rowKey,
    holder,
    expiresAt: new Date(Date.now() + durationMs).toISOString(),
  };
  let current: (LeaseRow & { etag: string }) | undefined;
  try {
    const entity = await table.getEntity<LeaseRow>(LEASE_PARTITION, rowKey);
    current = { holder: entity.holder, expiresAt: entity.expiresAt, etag: entity.etag };
  } catch (error) {
    if (restStatus(error) !== HTTP_NOT_FOUND) throw toStorageError(error, `reading the "${name}" lease`);
  }
  try {
    if (!current) {
      const response = await table.createEntity(row);
      return { etag: response.etag! };
    }
    const expiresAt = new Date(current.expiresAt);
    if (expiresAt.getTime() > Date.now() && !isDeadLocalHolder(current.holder)) {
      return { holder: current.holder, expiresAt };
    }
    const response = await table.updateEntity(row, 'Replace', { etag: current.etag });
    return { etag: response.etag! };
  } catch (error) {
    const status = restStatus(error);
    // Someone else created or took it between our read and write.
    if (status === HTTP_CONFLICT || status === HTTP_PRECONDITION_FAILED) {
      return { holder: current?.holder ?? 'another run', expiresAt: new Date(Date.now() + durationMs) };
    }
    throw toStorageError(error, `taking the "${name}" lease`);
  }
}

/** True when `holder` is a process on this host that no longer exists (it crashed). */
export function isDeadLocalHolder(holder: string): boolean {
  const [host, pidText] = holder.split('|');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
