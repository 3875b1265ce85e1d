import { appendFile, cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AtomicFile } from '../io/AtomicFile.js';
import { acquireProcessLock, releaseProcessLock } from '../io/process-lock.js';
import type { KeyValue, MetricEntry } from './internal/batch-limits.js';
import type { RunEndStatus } from './tracker.js';

/** What a run was started with: enough to create it on the server later. */
export interface OutboxRun {
  localRunId: string;
  experimentName: string;
  runName: string;
  startTime: number;
  parentLocalRunId?: string;
  tags: KeyValue[];
  userId: string;
  /** The process that records the run; a run whose process is gone and that never ended is KILLED. */
  pid: number;
}

/** One logged call, in order. Metrics keep their own timestamps, so a late upload is faithful. */
export type OutboxOp =
  | { seq: number; op: 'data'; params: KeyValue[]; tags: KeyValue[]; metrics: MetricEntry[] }
  | { seq: number; op: 'artifact'; file: string; artifactPath: string }
  | { seq: number; op: 'end'; status: RunEndStatus; endTime: number };

/** Upload progress, saved after every step so a crash resumes where it stopped. */
export interface OutboxState {
  remoteRunId?: string;
  experimentId?: string;
  artifactUri?: string;
  /** Ops up to this seq are on the server. */
  ackedSeq: number;
  /** Ops sent but not acknowledged: they may be on the server (dedupe before resending). */
  inflight?: { from: number; to: number };
  done?: boolean;
}

/** An op without its sequence number, as a tracker appends it. */
export type NewOutboxOp =
  | Omit<Extract<OutboxOp, { op: 'data' }>, 'seq'>
  | Omit<Extract<OutboxOp, { op: 'artifact' }>, 'seq'>
  | Omit<Extract<OutboxOp, { op: 'end' }>, 'seq'>;

const RUN_FILE = 'run.json';
const JOURNAL_FILE = 'journal.jsonl';
const STATE_FILE = 'state.json';
const LOCK_FILE = 'upload.lock';
const ARTIFACTS_DIR = 'artifacts';

/**
 * Runs kept on disk until a tracking server has them: `<root>/<local run id>/` holds
 * `run.json`, an append-only `journal.jsonl` of logged calls, copied artifacts and the upload
 * `state.json`. A finished upload keeps only `run.json` and `state.json` (children find their
 * parent's server id there).
 */
export class Outbox {
  private readonly seqs = new Map<string, number>();

  /** @param root - e.g. `$OPP_HOME/tracking/outbox`. */
  constructor(readonly root: string) {}

  async createRun(run: OutboxRun): Promise<void> {
    const dir = join(this.root, run.localRunId);
    await mkdir(dir, { recursive: true });
    await AtomicFile.write(join(dir, RUN_FILE), JSON.stringify(run));
    await AtomicFile.write(join(dir, STATE_FILE), JSON.stringify({ ackedSeq: 0 } satisfies OutboxState));
    this.seqs.set(run.localRunId, 0);
  }

  /** Appends one op (one JSON line; a torn last line from a crash is ignored on read). */
  async append(localRunId: string, op: NewOutboxOp): Promise<number> {
    let seq = this.seqs.get(localRunId);
    if (seq === undefined) seq = (await this.readJournal(localRunId)).at(-1)?.seq ?? 0;
    seq += 1;
    this.seqs.set(localRunId, seq);
    await appendFile(join(this.root, localRunId, JOURNAL_FILE), `${JSON.stringify({ seq, ...op })}\n`);
    return seq;
  }

  /** Copies a file or folder into the run's outbox and journals each file. */
  async appendArtifact(localRunId: string, localPath: string, artifactPath: string): Promise<void> {
    const info = await stat(localPath);
    const stored = `${Date.now()}-${this.seqs.get(localRunId) ?? 0}-${basename(localPath)}`;
    const target = join(this.root, localRunId, ARTIFACTS_DIR, stored);
    await mkdir(join(this.root, localRunId, ARTIFACTS_DIR), { recursive: true });
    await cp(localPath, target, { recursive: true });
    if (!info.isDirectory()) {
      await this.append(localRunId, {
        op: 'artifact',
        file: stored,
        artifactPath: join(artifactPath, basename(localPath)),
      });
      return;
    }
    const files = await readdir(target, { recursive: true, withFileTypes: true });
    for (const entry of files.filter((f) => f.isFile())) {
      const relative = join(entry.parentPath, entry.name).slice(target.length + 1);
      await this.append(localRunId, {
        op: 'artifact',
        file: join(stored, relative),
        artifactPath: join(artifactPath, relative),
      });
    }
  }

  artifactFile(localRunId: string, file: string): string {
    return join(this.root, localRunId, ARTIFACTS_DIR, file);
  }

  async readRun(localRunId: string): Promise<OutboxRun | undefined> {
    const text = await readFile(join(this.root, localRunId, RUN_FILE), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as OutboxRun);
  }

  async readJournal(localRunId: string): Promise<OutboxOp[]> {
    const text = await readFile(join(this.root, localRunId, JOURNAL_FILE), 'utf8').catch(() => '');
    const ops: OutboxOp[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        ops.push(JSON.parse(line) as OutboxOp);
      } catch {
        break; // a torn write at a crash: everything before it is whole
      }
    }
    return ops;
  }

  async readState(localRunId: string): Promise<OutboxState> {
    const text = await readFile(join(this.root, localRunId, STATE_FILE), 'utf8').catch(() => undefined);
    return text === undefined ? { ackedSeq: 0 } : (JSON.parse(text) as OutboxState);
  }

  async writeState(localRunId: string, state: OutboxState): Promise<void> {
    await AtomicFile.write(join(this.root, localRunId, STATE_FILE), JSON.stringify(state));
  }

  /** Drops the journal and artifacts of an uploaded run, keeping its ids. */
  async complete(localRunId: string, state: OutboxState): Promise<void> {
    await this.writeState(localRunId, { ...state, done: true, inflight: undefined });
    await rm(join(this.root, localRunId, JOURNAL_FILE), { force: true });
    await rm(join(this.root, localRunId, ARTIFACTS_DIR), { recursive: true, force: true });
  }

  /** Runs not yet fully uploaded, oldest first (so parents come before their children). */
  async pendingRuns(): Promise<OutboxRun[]> {
    const ids = await readdir(this.root).catch(() => [] as string[]);
    const runs: OutboxRun[] = [];
    for (const id of ids) {
      const run = await this.readRun(id).catch(() => undefined);
      if (run && !(await this.readState(id)).done) runs.push(run);
    }
    return runs.sort((a, b) => a.startTime - b.startTime || a.localRunId.localeCompare(b.localRunId));
  }

  /**
   * Takes the run's upload lock, so two processes never upload one run at once.
   *
   * @returns a release function, or undefined when a live process holds the lock.
   */
  async lock(localRunId: string): Promise<(() => Promise<void>) | undefined> {
    const file = join(this.root, localRunId, LOCK_FILE);
    try {
      // Not reentrant: this process uploading the run already is a reason to skip it too.
      acquireProcessLock(file, () => new Error('held'), { reenter: false });
    } catch {
      return undefined;
    }
    return async () => releaseProcessLock(file);
  }
}
