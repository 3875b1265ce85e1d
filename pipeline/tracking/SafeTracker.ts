import { newRunId } from './internal/keys.js';
import type { SyncReport } from './RemoteTracker.js';
import type {
  LogArtifactOptions,
  LogMetricsOptions,
  ParamValue,
  RunEndStatus,
  RunRef,
  StartRunOptions,
  Tracker,
  TrackerReport,
} from './tracker.js';

/** A tracker that can upload runs kept from earlier processes. */
export interface SyncingTracker extends Tracker {
  syncPending(): Promise<SyncReport>;
}

/** Prints a tracking warning on stderr (the default of {@link SafeTracker}). */
export function warnOnStderr(message: string): void {
  process.stderr.write(`opp: warning: tracking: ${message}\n`);
}

/**
 * Wraps a tracker so that tracking never breaks training: every failure becomes a warning
 * (each distinct message once) and the call returns normally. A run that could not be started
 * still gets an id, so the caller's later calls need no special case.
 */
export class SafeTracker implements SyncingTracker {
  readonly destination: string;
  private readonly warnings: string[] = [];

  constructor(
    readonly inner: Tracker & Partial<Pick<SyncingTracker, 'syncPending'>>,
    private readonly onWarning: (message: string) => void = warnOnStderr,
  ) {
    this.destination = inner.destination;
  }

  async startRun(options?: StartRunOptions): Promise<RunRef> {
    return (
      (await this.guard('startRun', () => this.inner.startRun(options))) ?? {
        runId: newRunId(),
        experimentId: '',
      }
    );
  }

  async logParams(runId: string, params: Record<string, ParamValue>): Promise<void> {
    await this.guard('logParams', () => this.inner.logParams(runId, params));
  }

  async logMetrics(
    runId: string,
    metrics: Record<string, number>,
    options?: LogMetricsOptions,
  ): Promise<void> {
    await this.guard('logMetrics', () => this.inner.logMetrics(runId, metrics, options));
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    await this.guard('setTags', () => this.inner.setTags(runId, tags));
  }

  async logArtifact(runId: string, localPath: string, options?: LogArtifactOptions): Promise<void> {
    await this.guard('logArtifact', () => this.inner.logArtifact(runId, localPath, options));
  }

  async endRun(runId: string, status?: RunEndStatus, endTime?: number): Promise<void> {
    await this.guard('endRun', () => this.inner.endRun(runId, status, endTime));
  }

  async syncPending(): Promise<SyncReport> {
    if (!this.inner.syncPending) return { uploaded: 0, pending: 0 };
    return (await this.guard('syncPending', () => this.inner.syncPending!())) ?? { uploaded: 0, pending: 0 };
  }

  async close(): Promise<TrackerReport> {
    const report = (await this.guard('close', () => this.inner.close())) ?? {
      destination: this.destination,
      warnings: [],
      pendingRuns: 0,
    };
    return { ...report, warnings: [...new Set([...this.warnings, ...report.warnings])] };
  }

  private async guard<T>(call: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      const message = `${call} failed: ${error instanceof Error ? error.message : String(error)}`;
      if (!this.warnings.includes(message)) {
        this.warnings.push(message);
        this.onWarning(message);
      }
      return undefined;
    }
  }
}
