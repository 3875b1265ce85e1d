import type { MetricsReport } from '../../model/metrics-report.js';
import type { GateResult } from '../gate/evaluate-gate.js';
import { inlineCode } from './markdown-escape.js';
import {
  gateVerdict,
  type MetricsCommentInput,
  renderDivisionTable,
  renderGateReasons,
  renderMetricsComment,
  renderReport,
} from './pr-comment.js';

/** GitHub's limit on one step's job summary (1 MiB). */
export const JOB_SUMMARY_MAX_CHARS = 1024 * 1024;

/**
 * The metrics report for a job summary (`$GITHUB_STEP_SUMMARY`): the PR comment's content
 * without the hidden marker, with the larger job-summary size limit.
 */
export function renderMetricsSummary(input: MetricsCommentInput): string {
  return renderMetricsComment(input, { marker: false, maxChars: JOB_SUMMARY_MAX_CHARS });
}

/** What the train summary says instead of a verdict. */
const NOT_GATED_NOTE =
  '> [!NOTE]\n> **Not gated yet.** These are the hold-out metrics of the models just trained. The metrics gate (the metrics-gate action, on the pull request or before registering) judges them against the gate config and the comparison model; nothing here passes or fails them.';

/**
 * The train action's job summary: the same sections as the gate's report (compact table, other
 * metrics, class balance, thresholds, confusion matrices, ROC and calibration charts,
 * provenance), without a verdict. `facts` is the run's own table (data, backend, time), Markdown.
 */
export function renderTrainingSummary(
  report: MetricsReport,
  facts: string,
  options: { runUrl?: string } = {},
): string {
  const trained = report.models.filter((m) => m.status === 'trained').length;
  const header = [
    `## opp train: ${trained} division${trained === 1 ? '' : 's'} trained, not gated yet`,
    NOT_GATED_NOTE,
    facts,
  ].join('\n\n');
  return renderReport(
    { report, ...(options.runUrl ? { runUrl: options.runUrl } : {}) },
    { header, maxChars: JOB_SUMMARY_MAX_CHARS },
  );
}

/**
 * The deploy action's gate section: the verdict of the gate re-checked on a registered
 * version's metrics.json, the same compact table as the comment's, and the reasons by cause.
 */
export function renderGateRecheck(model: string, report: MetricsReport, gate: GateResult): string {
  const kept = new Set(report.models.map((m) => m.division));
  return [
    `### Gate re-checked on ${inlineCode(model)}: ${gateVerdict(gate)}`,
    "The gate's bounds on the metrics.json registered with this version, checked before any traffic moved. Non-regression is not re-checked here: the production version's registered metrics come from other hold-out rows, so comparing them would not be like for like.",
    renderDivisionTable({ report, gate }, kept),
    renderGateReasons(gate, kept),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}
