import type { Command } from 'commander';
import { compareRuns, headlineMetrics, type RunComparison } from '../../tracking/compare-runs.js';
import { DEFAULT_EXPERIMENT_NAME, TRACKING_ENV } from '../../tracking/create-tracker.js';
import type { RunRecord } from '../../tracking/run-record.js';
import { createRunSource } from '../../tracking/run-source.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { formatTable } from '../table.js';

/** Characters of a run id shown in tables (enough to pass back to `--compare`). */
const SHORT_ID = 8;
const DIGITS = 4;

const number = (value: number | null | undefined) =>
  value === null || value === undefined
    ? ''
    : Number.isInteger(value)
      ? String(value)
      : value.toFixed(DIGITS);

function duration(run: RunRecord): string {
  if (run.endTime === null) return '';
  const seconds = Math.round((run.endTime - run.startTime) / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

function listText(runs: RunRecord[], experiment: string, destination: string): string {
  if (runs.length === 0) return `no runs in experiment "${experiment}" at ${destination}`;
  const metrics = headlineMetrics(runs);
  const rows = runs.map((run) => [
    run.runId.slice(0, SHORT_ID),
    run.runName,
    run.status,
    new Date(run.startTime).toISOString().slice(0, 16).replace('T', ' '),
    duration(run),
    run.parentRunId?.slice(0, SHORT_ID) ?? '',
    ...metrics.map((key) => number(run.metrics[key])),
  ]);
  return `${runs.length} runs in experiment "${experiment}" (${destination})\n${formatTable(
    ['run', 'name', 'status', 'started (UTC)', 'took', 'parent', ...metrics],
    rows,
  )}`;
}

function compareText(c: RunComparison): string {
  const head = `comparing ${c.a.runId.slice(0, SHORT_ID)} (${c.a.runName}) with ${c.b.runId.slice(0, SHORT_ID)} (${c.b.runName})`;
  const params =
    c.params.length === 0
      ? 'params: identical'
      : `params that differ:\n${formatTable(
          ['param', 'a', 'b'],
          c.params.map((p) => [p.key, p.a ?? '(none)', p.b ?? '(none)']),
        )}`;
  const metrics =
    c.metrics.length === 0
      ? 'metrics: none'
      : `metrics:\n${formatTable(
          ['metric', 'a', 'b', 'b - a'],
          c.metrics.map((m) => [
            m.key,
            number(m.a),
            number(m.b),
            m.delta === null ? '' : `${m.delta >= 0 ? '+' : ''}${m.delta.toFixed(DIGITS)}`,
          ]),
        )}`;
  return [head, '', params, '', metrics].join('\n');
}

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description(
      `List tracked runs of an experiment, or compare two (reads ${TRACKING_ENV.uri}: the local MLflow store $OPP_HOME/mlruns when unset)`,
    )
    .option(
      '--experiment <name>',
      `experiment name (default: $${TRACKING_ENV.experimentName} or "${DEFAULT_EXPERIMENT_NAME}")`,
    )
    .option('--limit <n>', 'most runs to list', wholeNumber(1), 50)
    .option('--compare <ids...>', 'two run ids (or unique prefixes) to diff: params and summary metrics')
    .option('--json', 'print one JSON result on stdout')
    .action(
      async (
        opts: { experiment?: string; limit: number; compare?: string[]; json?: boolean },
        command: Command,
      ) => {
        const output = createOutput(Boolean(opts.json));
        const source = createRunSource(process.env);
        const experiment =
          opts.experiment ?? process.env[TRACKING_ENV.experimentName] ?? DEFAULT_EXPERIMENT_NAME;
        if (opts.compare) {
          if (opts.compare.length !== 2)
            command.error(`error: --compare takes two run ids, got ${opts.compare.length}`, { exitCode: 2 });
          // One after the other, so a missing run is always reported for the first id that is missing.
          const a = await source.getRun(opts.compare[0]!);
          const b = await source.getRun(opts.compare[1]!);
          const comparison = compareRuns(a!, b!);
          output.result(comparison, () => compareText(comparison));
          return;
        }
        const runs = await source.listRuns(experiment, opts.limit);
        output.result(
          {
            experiment,
            destination: source.destination,
            runs: runs.map(({ history: _history, ...run }) => run),
          },
          () => listText(runs, experiment, source.destination),
        );
      },
    );
}
