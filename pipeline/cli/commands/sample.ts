import type { Command } from 'commander';
import { AtomicFile } from '../../io/AtomicFile.js';
import { generateSampleRecords } from '../../sources/sample-records.js';
import { wholeNumber } from '../options.js';
import { createOutput, formatCounts } from '../output.js';
import { createProgress } from '../progress.js';

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description(
      'Write deterministic sample records (record-API form, JSONL) with their true probabilities under _sample',
    )
    .requiredOption('--out <file>', 'JSONL file to write')
    .option('--n <count>', 'number of records', wholeNumber(1), 50_000)
    .option('--seed <n>', 'random seed', wholeNumber(0), 1)
    .option('--from <date>', 'first receive date (ISO)', '2021-01-01')
    .option('--to <date>', 'last receive date (ISO)', '2025-12-31')
    .option('--json', 'print one JSON result on stdout')
    .action(
      async (opts: { out: string; n: number; seed: number; from: string; to: string; json?: boolean }) => {
        const output = createOutput(Boolean(opts.json));
        const started = performance.now();
        const progress = createProgress('sample', opts.n);
        const states: Record<string, number> = {};
        const file = await AtomicFile.create(opts.out);
        try {
          let i = 0;
          for (const record of generateSampleRecords(opts)) {
            const state = String(record.PartitionKey ?? record.partitionKey ?? record.Table ?? record.table);
            states[state] = (states[state] ?? 0) + 1;
            await file.write(`${JSON.stringify(record)}\n`);
            if (++i % 5000 === 0) progress.update(i);
          }
          await file.commit();
        } catch (error) {
          await file.abort();
          throw error;
        } finally {
          progress.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const byState = Object.fromEntries(Object.entries(states).sort((a, b) => b[1] - a[1]));
        output.result({ out: opts.out, records: opts.n, seed: opts.seed, states: byState, seconds }, () =>
          [
            `wrote ${opts.n} records to ${opts.out} in ${seconds.toFixed(2)} s (seed ${opts.seed})`,
            '  by state:',
            formatCounts(byState),
          ].join('\n'),
        );
      },
    );
}
