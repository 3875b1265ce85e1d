import type { Command } from 'commander';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { loadConfig } from '../../config/load-config.js';
import { writeHtmlReport } from '../../reports/html-report.js';
import { oppPath } from '../../util/opp-home.js';
import { createOutput } from '../output.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Render a metrics report (metrics.json) as an HTML page with charts')
    .requiredOption('--metrics <file>', 'metrics report written by opp train')
    .option('--out <dir>', 'folder for index.html', oppPath('report'))
    .option('--title <text>', 'page title', 'opp model report')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: { metrics: string; out: string; title: string; json?: boolean }) => {
      const output = createOutput(Boolean(opts.json));
      const report = loadConfig(opts.metrics, MetricsReportSchema);
      const file = await writeHtmlReport(report, opts.out, opts.title);
      output.result({ report: file }, () => `wrote ${file}`);
    });
}
