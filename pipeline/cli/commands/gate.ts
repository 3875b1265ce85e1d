import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadGateConfig } from '../../config/gate-config.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { isMetricsGateError } from '../../errors/MetricsGateError.js';
import { assertGatePassed } from '../../gate/assert-gate.js';
import { evaluateGate } from '../../gate/evaluate-gate.js';
import { formatGateText } from '../../gate/format-gate.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { type ComparisonSource, ComparisonSources } from '../../reports/comparison-report.js';
import {
  createGitHubClient,
  type IssueRef,
  parseIssueRef,
  resolveTokenLogin,
  type UpsertCommentResult,
  upsertMarkedComment,
} from '../../reports/github-comment.js';
import { loadComparisonReport, loadMetricsReport } from '../../reports/load-reports.js';
import { renderMetricsComment } from '../../reports/pr-comment.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { createOutput } from '../output.js';

/** Environment variable holding the token `--comment` posts with. */
export const GITHUB_TOKEN_ENV = 'GITHUB_TOKEN';

interface GateOptions {
  report: string;
  production?: string;
  comparison?: string;
  gate: string;
  markdown?: string;
  comment?: IssueRef;
  comparisonSource?: ComparisonSource;
  artifactUrl?: string;
  json?: boolean;
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description(
      'Check a metrics report against the gate thresholds and the production model (exit 1 when it fails)',
    )
    .requiredOption('--report <file>', 'metrics report of the candidate (metrics.json)')
    .option('--production <file>', "production model's metrics report, scored on the same hold-out rows")
    .option('--comparison <file>', 'candidate-vs-production comparison report (preferred over --production)')
    .option('--gate <file>', 'gate config', defaultConfigPath('gate.json'))
    .option('--markdown <file>', 'also write the PR metric report (Markdown) to this file')
    .option(
      '--comment <owner/repo#number>',
      `post or update the PR metric report comment (token from $${GITHUB_TOKEN_ENV}, API from $GITHUB_API_URL)`,
      (value: string) => {
        try {
          return parseIssueRef(value);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      },
    )
    .addOption(
      new Option(
        '--comparison-source <source>',
        'where the comparison model came from (shown in the report)',
      ).choices(ComparisonSources),
    )
    .option('--artifact-url <url>', 'link to the full report artifact (shown in the report)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: GateOptions) => {
      const output = createOutput(Boolean(opts.json));
      const report = loadMetricsReport(opts.report);
      const production = opts.production ? loadMetricsReport(opts.production) : undefined;
      const comparison = opts.comparison ? loadComparisonReport(opts.comparison) : undefined;
      const result = evaluateGate(report, loadGateConfig(opts.gate), { production, comparison });
      const markdown = renderMetricsComment({
        report,
        gate: result,
        production,
        comparison,
        comparisonModel: opts.comparisonSource ? { source: opts.comparisonSource } : undefined,
        artifactUrl: opts.artifactUrl,
      });
      if (opts.markdown) await AtomicFile.write(opts.markdown, markdown);
      let comment: UpsertCommentResult | undefined;
      if (opts.comment) {
        const token = process.env[GITHUB_TOKEN_ENV];
        if (!token) throw new ConfigError(`--comment needs a token in $${GITHUB_TOKEN_ENV}`);
        const client = createGitHubClient(token);
        comment = await upsertMarkedComment(client, opts.comment, markdown, {
          author: await resolveTokenLogin(client),
        });
      }
      output.result(
        { ...result, report: opts.report, gate: opts.gate, markdown: opts.markdown, comment },
        () =>
          [formatGateText(result), comment ? `comment ${comment.action}: ${comment.url}` : '']
            .filter((line) => line !== '')
            .join('\n'),
      );
      try {
        assertGatePassed(result);
      } catch (error) {
        // The result above already shows every failure: the top-level handler only sets the exit code.
        if (isMetricsGateError(error)) error.reported = true;
        throw error;
      }
    });
}
