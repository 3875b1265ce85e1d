import type { Command } from 'commander';
import { loadGateConfig } from '../../config/gate-config.js';
import { isMetricsGateError } from '../../errors/MetricsGateError.js';
import { assertGatePassed } from '../../gate/assert-gate.js';
import { evaluateGate } from '../../gate/evaluate-gate.js';
import { formatGateText } from '../../gate/format-gate.js';
import { loadComparisonReport, loadMetricsReport } from '../../reports/load-reports.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { createOutput } from '../output.js';

interface GateOptions {
  report: string;
  production?: string;
  comparison?: string;
  gate: string;
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
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: GateOptions) => {
      const output = createOutput(Boolean(opts.json));
      const report = loadMetricsReport(opts.report);
      const result = evaluateGate(report, loadGateConfig(opts.gate), {
        ...(opts.production ? { production: loadMetricsReport(opts.production) } : {}),
        ...(opts.comparison ? { comparison: loadComparisonReport(opts.comparison) } : {}),
      });
      output.result({ ...result, report: opts.report, gate: opts.gate }, () => formatGateText(result));
      try {
        assertGatePassed(result);
      } catch (error) {
        // The result above already shows every failure: the top-level handler only sets the exit code.
        if (isMetricsGateError(error)) error.reported = true;
        throw error;
      }
    });
}
