import { type Command, InvalidArgumentError } from 'commander';
import { SOURCE_ENV } from '../../ingestion/open-ingest-context.js';
import { SampleSource } from '../../sources/SampleSource.js';
import { startSampleSourceServer } from '../../sources/sample-source-server.js';
import { duration, wholeNumber } from '../options.js';
import { createOutput } from '../output.js';

interface SourceServeOptions {
  n: number;
  seed: number;
  errorRate: number;
  throttleRate: number;
  timeoutRate: number;
  dropRate: number;
  malformedRate: number;
  latency: number;
  updateEvery?: number;
  json?: boolean;
}

const rate = (value: string): number => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a probability in 0..1, got "${value}"`);
  return n;
};

export function registerSource(program: Command): void {
  program
    .command('source')
    .description('Serve the sample records as a search index + record API on 127.0.0.1 until stopped')
    .option('--n <count>', 'number of records', wholeNumber(0), 10_000)
    .option('--seed <n>', 'random seed', wholeNumber(0), 1)
    .option('--error-rate <p>', 'share of requests answered 500/503', rate, 0)
    .option('--throttle-rate <p>', 'share answered 429 with Retry-After', rate, 0)
    .option('--timeout-rate <p>', 'share never answered', rate, 0)
    .option('--drop-rate <p>', 'share whose connection is dropped', rate, 0)
    .option('--malformed-rate <p>', 'share of records served malformed', rate, 0)
    .option('--latency <duration>', 'delay before each answer', duration, 0)
    .option('--update-every <duration>', 'move 1% of preprocessing records to processed this often')
    .option('--json', 'print the endpoints as one JSON result on stdout')
    .action(async (opts: SourceServeOptions) => {
      const output = createOutput(Boolean(opts.json));
      const source = SampleSource.fromSample({ n: opts.n, seed: opts.seed });
      const server = await startSampleSourceServer(source, {
        faults: {
          errorRate: opts.errorRate,
          throttleRate: opts.throttleRate,
          timeoutRate: opts.timeoutRate,
          dropRate: opts.dropRate,
          malformedRate: opts.malformedRate,
          latencyMs: opts.latency,
        },
      });
      const env = {
        [SOURCE_ENV.indexEndpoint]: server.url,
        [SOURCE_ENV.indexName]: 'records',
        [SOURCE_ENV.indexApiKey]: server.apiKey,
        [SOURCE_ENV.recordApiUrl]: server.recordApiUrl,
        [SOURCE_ENV.recordApiKey]: server.functionsKey,
      };
      output.result({ records: opts.n, env }, () =>
        [
          `serving ${opts.n} sample records; for opp ingest:`,
          ...Object.entries(env).map(([k, v]) => `export ${k}=${v}`),
        ].join('\n'),
      );
      const updateMs = opts.updateEvery === undefined ? undefined : duration(String(opts.updateEvery));
      let seed = opts.seed;
      const timer =
        updateMs === undefined
          ? undefined
          : setInterval(() => {
              const changed = source.applyUpdates({ fraction: 0.01, modified: new Date(), seed: ++seed });
              output.note(`updated ${changed.length} records`);
            }, updateMs);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (timer) clearInterval(timer);
      await server.stop();
    });
}
