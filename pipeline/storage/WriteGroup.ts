/**
 * Writes awaited together, e.g. one index page's or one backfill window's rows, possibly spread
 * over several {@link BatchWriter}s that share their buffers with other groups. A writer holds the
 * group for each entity added under it and releases it once storage acknowledged that entity;
 * {@link close} says no more entities will come. The group never sends anything itself: whoever
 * awaits it must make sure the writers are flushed eventually.
 */
export class WriteGroup {
  private pending = 0;
  private closed = false;
  private failure: unknown;
  private done = false;
  private resolveSettled!: () => void;
  private rejectSettled!: (error: unknown) => void;
  private readonly settled = new Promise<void>((resolve, reject) => {
    this.resolveSettled = resolve;
    this.rejectSettled = reject;
  });

  constructor() {
    // Nobody may be awaiting yet when a write fails: keep that from being an unhandled rejection.
    this.settled.catch(() => undefined);
  }

  /** Whether every entity is acknowledged and the group is closed (false once failed). */
  get isSettled(): boolean {
    return this.done && this.failure === undefined;
  }

  /** A writer buffered one entity of this group. */
  hold(): void {
    if (this.closed) throw new Error('WriteGroup: entity added after close()');
    this.pending += 1;
  }

  /** Storage acknowledged `count` entities of this group. */
  release(count = 1): void {
    this.pending -= count;
    this.settleIfDone();
  }

  /** A transaction holding entities of this group failed. */
  fail(error: unknown): void {
    if (this.done) return;
    this.failure = error;
    this.done = true;
    this.rejectSettled(error);
  }

  /** No more entities; resolves once all are acknowledged, rejects if any failed. */
  close(): Promise<void> {
    this.closed = true;
    this.settleIfDone();
    return this.settled;
  }

  private settleIfDone(): void {
    if (this.closed && this.pending === 0 && !this.done) {
      this.done = true;
      this.resolveSettled();
    }
  }
}
