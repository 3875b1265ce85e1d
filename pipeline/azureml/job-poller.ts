import { setTimeout as sleep } from 'node:timers/promises';
import { AzureMlError } from '../errors/AzureMlError.js';
import { type AzureMlClient, FINAL_JOB_STATES, type JobResource } from './azureml-client.js';

/** Default pause between job status reads. */
export const DEFAULT_JOB_POLL_MS = 15_000;

/** What the poller knows about the job; `toString()` of the poller serializes it for `resumeFrom`. */
export interface JobPollerState {
  jobName: string;
  status: string;
  isDone: boolean;
  job?: JobResource;
}

/** Options of a job poller. */
export interface JobPollerOptions {
  /** Pause between status reads. Default 15 000 ms. */
  updateIntervalInMs?: number;
}

/**
 * A resumable poller over an Azure ML job (the shape of `@azure/core-lro`'s SimplePollerLike):
 * `poll()` reads the status once, `pollUntilDone()` waits for a final state, `toString()`
 * gives a token that `resumeFrom` accepts in another process.
 */
export class JobPoller {
  private state: JobPollerState;
  private readonly listeners = new Set<(state: JobPollerState) => void>();
  private stopped = false;

  constructor(
    private readonly client: AzureMlClient,
    state: JobPollerState,
    private readonly options: JobPollerOptions = {},
  ) {
    this.state = { ...state };
  }

  /** Rebuilds a poller from a {@link JobPoller.toString} token. */
  static resume(client: AzureMlClient, token: string, options: JobPollerOptions = {}): JobPoller {
    let parsed: { jobName?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { jobName?: unknown };
    } catch (error) {
      throw new AzureMlError('resumeFrom: not a job poller token', {}, { cause: error });
    }
    if (typeof parsed.jobName !== 'string') throw new AzureMlError('resumeFrom: token names no job');
    return new JobPoller(client, { jobName: parsed.jobName, status: 'Unknown', isDone: false }, options);
  }

  getOperationState(): JobPollerState {
    return { ...this.state };
  }

  isDone(): boolean {
    return this.state.isDone;
  }

  /** Registers a progress callback, called after each status read; returns an unsubscribe function. */
  onProgress(callback: (state: JobPollerState) => void): () => void {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }

  /** Reads the job's status once. */
  async poll(): Promise<void> {
    const job = await this.client.getJob(this.state.jobName);
    const isDone = (FINAL_JOB_STATES as readonly string[]).includes(job.status);
    this.state = { jobName: job.name || this.state.jobName, status: job.status, isDone, job };
    for (const listener of this.listeners) listener(this.getOperationState());
  }

  /**
   * Polls until the job reaches a final state.
   * @returns the job as last read.
   * @throws AzureMlError when the job ends in any state but `Completed`.
   */
  async pollUntilDone(options: { abortSignal?: AbortSignal } = {}): Promise<JobResource> {
    this.stopped = false;
    while (!this.state.isDone) {
      if (this.stopped) throw new AzureMlError(`stopped polling job ${this.state.jobName}`);
      await this.poll();
      if (this.state.isDone) break;
      await sleep(this.options.updateIntervalInMs ?? DEFAULT_JOB_POLL_MS, undefined, {
        signal: options.abortSignal,
      });
    }
    const job = this.state.job!;
    if (job.status !== 'Completed') {
      throw new AzureMlError(
        `Azure ML job ${job.name} ended ${job.status}${job.studioUrl ? ` (see ${job.studioUrl})` : ''}`,
        { code: job.status },
      );
    }
    return job;
  }

  /** Makes a running `pollUntilDone` stop at its next turn. */
  stopPolling(): void {
    this.stopped = true;
  }

  /** A token for `resumeFrom`. */
  toString(): string {
    return Buffer.from(JSON.stringify({ jobName: this.state.jobName })).toString('base64url');
  }
}
