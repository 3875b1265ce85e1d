import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { isLeaseHeldError } from '../../errors/LeaseHeldError.js';
import { DEFAULT_CHECKPOINT_PAGES, type IngestStats } from '../../ingestion/ingest-window.js';
import { openIngestContext } from '../../ingestion/open-ingest-context.js';
import {
  DEFAULT_LAG_MS,
  DEFAULT_OVERLAP_MS,
  type RunIngestResult,
  runIngest,
} from '../../ingestion/run-ingest.js';
import { addSourceOptions, type SourceCliOptions } from '../ingest-setup.js';
import { duration, isoDate, wholeNumber } from '../options.js';
import { createOutput, formatCounts, type Output } from '../output.js';
import { createProgress } from '../progress.js';

interface IngestCliOptions extends SourceCliOptions {
  once?: boolean;
  watch?: boolean;
  interval: number;
  overlap: number;
  lag: number;
  since: Date;
  leaseWait: number;
  checkpointPages: number;
}

export function registerIngest(program: Command): void {
  const command = program
    .command('ingest')
    .description('Incremental ingest: read records changed since the watermark into the record table')
    .option('--once', 'run once and exit (the default)')
    .option('--watch', 'run again every --interval until stopped (SIGINT/SIGTERM)')
    .option('--interval <duration>', 'time between runs with --watch', duration, 5 * 60_000)
    .option('--overlap <duration>', 're-read this long before the watermark', duration, DEFAULT_OVERLAP_MS)
    .option('--lag <duration>', 'stay this far behind now', duration, DEFAULT_LAG_MS)
    .option(
      '--since <date>',
      'where the first run starts when there is no watermark',
      isoDate,
      new Date('2000-01-01T00:00:00Z'),
    )
    .option(
      '--lease-wait <duration>',
      'wait this long for a run that holds the lease (0: exit at once)',
      duration,
      0,
    )
    .option(
      '--checkpoint-pages <n>',
      'index pages after which buffered rows are sent and the watermark checkpointed',
      wholeNumber(1),
      DEFAULT_CHECKPOINT_PAGES,
    );
  addSourceOptions(command).action(async (opts: IngestCliOptions) => {
    const output = createOutput(Boolean(opts.json));
    const { context, close } = await openIngestContext(opts, output);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      do {
        const progress = createProgress('ingest', 0);
        try {
          const result = await runIngest(context, {
            overlapMs: opts.overlap,
            lagMs: opts.lag,
            initialWatermark: opts.since,
            leaseWaitMs: opts.leaseWait,
            checkpointPages: opts.checkpointPages,
            onProgress: (stats) => progress.update(stats.listed),
          });
          progress.stop();
          report(output, result);
        } catch (error) {
          progress.stop();
          if (!isLeaseHeldError(error)) {
            if (!opts.watch) throw error;
            output.note(`ingest failed, will retry in the next run: ${(error as Error).message}`);
          } else {
            output.result(
              { skipped: true, reason: error.message, holder: error.holder },
              () => `skipped: ${error.message}`,
            );
          }
        }
        // A stop ends the wait early; the loop condition then ends the watch.
        if (opts.watch) await sleep(opts.interval, undefined, { signal: stop.signal }).catch(() => undefined);
      } while (opts.watch && !stop.signal.aborted);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await close();
    }
  });
}

function report(output: Output, result: RunIngestResult): void {
  output.result(result, () =>
    [
      `ingested [${result.window.from}, ${result.window.to}) in ${result.seconds.toFixed(2)} s; watermark ${result.watermark}`,
      ...formatStats(result.stats),
    ].join('\n'),
  );
}

/** Human lines for ingest counts. */
export function formatStats(stats: IngestStats): string[] {
  return [
    `  listed      ${String(stats.listed).padStart(8)}`,
    `  kept        ${String(stats.kept).padStart(8)}`,
    `  excluded    ${String(stats.excluded).padStart(8)}`,
    formatCounts(stats.excludedBy),
    `  quarantined ${String(stats.quarantined).padStart(8)}`,
    formatCounts(stats.quarantinedBy),
  ].filter((line) => line !== '');
}
