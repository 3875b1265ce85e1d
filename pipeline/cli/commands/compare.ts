import { type Command, Option } from 'commander';
import { readHoldout } from '../../../model/bundle/holdout.js';
import { DEFAULT_RESAMPLES } from '../../../model/metrics/bootstrap.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { compareTrainingOutputs } from '../../reports/compare-outputs.js';
import type { ComparisonReport } from '../../reports/comparison-report.js';
import { resolveBaseline } from '../../reports/registry-baseline.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

/** Where the comparison report goes unless `--out` says otherwise. */
export const DEFAULT_COMPARISON_FILE = 'comparison.json';

interface CompareOptions {
  candidate: string;
  baseline: string;
  data: string;
  out: string;
  source: 'registry' | 'base-commit';
  modelVersion?: string;
  registry?: 'local' | 'azureml';
  resamples: number;
  seed: number;
  json?: boolean;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      "Score a candidate and a baseline (production) training output on the candidate's pinned hold-out rows; write a comparison report for `opp gate --comparison`",
    )
    .requiredOption('--candidate <dir>', 'training output of the candidate (`opp train --out`)')
    .requiredOption(
      '--baseline <dir|name:version>',
      'training output of the base-commit model, or a registry reference (name:version, name:production) downloaded from the registry',
    )
    .requiredOption(
      '--data <file>',
      'the snapshot the candidate was trained on: features CSV or records (.jsonl/.ndjson/.csv)',
    )
    .option('--out <file>', 'comparison report to write', DEFAULT_COMPARISON_FILE)
    .addOption(
      new Option('--source <source>', 'where the baseline came from (shown in the report)')
        .choices(['registry', 'base-commit'])
        .default('base-commit'),
    )
    .option(
      '--model-version <name:version>',
      'registry model version of the baseline (with --source registry)',
    )
    .option('--resamples <n>', 'bootstrap resamples of the AUC difference', wholeNumber(1), DEFAULT_RESAMPLES)
    .option('--seed <n>', 'seed of the bootstrap', wholeNumber(0), 0)
    .addOption(
      new Option(
        '--registry <kind>',
        'registry of a name:version baseline (default: configs/deployment.json)',
      ).choices(['local', 'azureml']),
    )
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: CompareOptions) => {
      const output = createOutput(Boolean(opts.json));
      const baseline = await resolveBaseline(opts.baseline, opts.registry);
      if (baseline.source === 'registry')
        output.note(`baseline: ${baseline.modelVersion} from the registry (${baseline.dir})`);
      const total = (await readHoldout(opts.candidate)).divisions.length;
      const progress = createProgress('compare', total, 'divisions');
      let done = 0;
      let result: Awaited<ReturnType<typeof compareTrainingOutputs>>;
      try {
        result = await compareTrainingOutputs(opts.candidate, baseline.dir, opts.data, {
          source: baseline.source === 'registry' ? 'registry' : opts.source,
          ...((opts.modelVersion ?? baseline.modelVersion)
            ? { modelVersion: opts.modelVersion ?? baseline.modelVersion }
            : {}),
          resamples: opts.resamples,
          seed: opts.seed,
          onDivision: () => progress.update(++done),
        });
      } finally {
        progress.stop();
      }
      if (!result.snapshotMatches)
        output.note(`warning: ${opts.data} is not the file the candidate was trained on (its hash differs)`);
      for (const s of result.skipped) output.note(`skipped division ${s.division} (${s.name}): ${s.reason}`);
      await AtomicFile.write(opts.out, `${JSON.stringify(result.report, null, 2)}\n`);
      output.result({ out: opts.out, ...result }, () =>
        [formatComparison(result.report), `wrote ${opts.out}`].join('\n'),
      );
    });
}

/** One line per division: AUC of both models, the difference with its interval, the verdict. */
function formatComparison(report: ComparisonReport): string {
  const lines = ['division                 n   cand AUC  base AUC   ΔAUC [95% interval]          verdict'];
  for (const d of report.divisions) {
    const { estimate, interval } = d.aucDifference;
    lines.push(
      [
        `${d.division} ${d.name}`.padEnd(20),
        String(d.candidate.n).padStart(6),
        d.candidate.auc.toFixed(4).padStart(10),
        d.production.auc.toFixed(4).padStart(9),
        `${signed(estimate)} [${signed(interval.low)}, ${signed(interval.high)}]`.padStart(31),
        `  ${d.verdict}`,
      ].join(''),
    );
  }
  return lines.join('\n');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}
