import type { Command } from 'commander';
import { openIngestContext } from '../../ingestion/open-ingest-context.js';
import {
  DEFAULT_BACKFILL_CHECKPOINT_MS,
  DEFAULT_BACKFILL_WINDOW_MS,
  runBackfill,
} from '../../ingestion/run-backfill.js';
import { addSourceOptions, type SourceCliOptions } from '../ingest-setup.js';
import { duration, isoDate, wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';
import { formatStats } from './ingest.js';

interface BackfillCliOptions extends SourceCliOptions {
  from: Date;
  to: Date;
  concurrency: number;
  window: number;
  leaseWait: number;
  checkpointInterval: number;
}

export function registerBackfill(program: Command): void {
  const command = program
    .command('backfill')
    .description('Ingest a past time range in parallel windows; re-run the same command to resume')
    .requiredOption('--from <date>', 'start of the range (ISO date or date-time, inclusive)', isoDate)
    .requiredOption('--to <date>', 'end of the range (exclusive)', isoDate)
    .option('--concurrency <n>', 'windows in flight at once', wholeNumber(1), 4)
    .option('--window <duration>', 'size of each window', duration, DEFAULT_BACKFILL_WINDOW_MS)
    .option('--lease-wait <duration>', 'wait this long for a backfill that holds the lease', duration, 0)
    .option(
      '--checkpoint-interval <duration>',
      'store windows read and mark them done at least this often (a kill loses about this much work; shorter sends more half-full transactions)',
      duration,
      DEFAULT_BACKFILL_CHECKPOINT_MS,
    );
  addSourceOptions(command).action(async (opts: BackfillCliOptions) => {
    const output = createOutput(Boolean(opts.json));
    const { context, close } = await openIngestContext(opts, output);
    let progress: ReturnType<typeof createProgress> | undefined;
    try {
      const result = await runBackfill(context, opts.from, opts.to, {
        windowMs: opts.window,
        concurrency: opts.concurrency,
        leaseWaitMs: opts.leaseWait,
        checkpointMs: opts.checkpointInterval,
        onWindow: (done, total) => {
          progress ??= createProgress('backfill', total, 'windows');
          progress.update(done);
        },
      });
      progress?.stop();
      const rate = Math.round(result.stats.listed / Math.max(result.seconds, 1e-9));
      output.result({ ...result, recordsPerSecond: rate }, () =>
        [
          `backfilled [${result.from}, ${result.to}): ${result.windows} windows (${result.skipped} already done) in ${result.seconds.toFixed(2)} s, ${rate.toLocaleString('en-US')} records/s`,
          ...formatStats(result.stats),
        ].join('\n'),
      );
    } finally {
      progress?.stop();
      await close();
    }
  });
}
