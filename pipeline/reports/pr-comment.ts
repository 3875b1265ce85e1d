import type { MetricName, MetricSet, MetricsReport, ModelReport } from '../../model/metrics-report.js';
import {
  type DivisionGateResult,
  describeFailure,
  type GateCheck,
  type GateResult,
} from '../gate/evaluate-gate.js';
import type { ComparisonReport, ComparisonSource, DivisionComparison } from './comparison-report.js';
import { cell, num, percent, short, signed, table } from './internal/format.js';
import { CHART_COLOURS, calibrationChart, type RocLine, rocChart } from './internal/mermaid-charts.js';
import { escapeHtml, escapeMarkdown, inlineCode } from './markdown-escape.js';

/** The hidden marker by which the metrics comment is found again and updated in place. */
export const METRICS_COMMENT_MARKER = '<!-- opp-metrics-report -->';
/** GitHub refuses issue comments longer than this many characters. */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;

/** The model the candidate is compared with, and where it came from. */
export interface ComparisonModel {
  source: ComparisonSource;
  /** Registry model name and version (`source: registry`). */
  modelVersion?: string;
  /** The base commit it was trained from (`source: base-commit`). */
  gitSha?: string;
}

export interface MetricsCommentInput {
  report: MetricsReport;
  gate: GateResult;
  /** Candidate vs comparison model on the same rows; gives deltas with bootstrap intervals. */
  comparison?: ComparisonReport;
  /** The comparison model's metrics report on the same rows; gives deltas (no intervals). */
  production?: MetricsReport;
  /** Defaults to the comparison report's, else `registry` when `production` is given, else `none`. */
  comparisonModel?: ComparisonModel;
  /** Link to the full report artifact. */
  artifactUrl?: string;
  /** Link to the workflow run. */
  runUrl?: string;
  /** The commit under test; defaults to the report's `gitSha`. */
  gitSha?: string;
  /**
   * The reports come from an artifact that a fork's code produced (a `workflow_run` job for a
   * pull request from another repository): the comment says its metrics are unverified.
   * @default false
   */
  unverified?: boolean;
  /**
   * Where the training data came from, as pr.yml's data step says it (`snapshot <id>` or
   * `sample records (…)`): the comment names it beside a base-commit comparison model. Free
   * text from the run (a fork's included): escaped and cut to {@link DATA_SOURCE_MAX_CHARS}.
   */
  dataSource?: string;
  /**
   * The models trained on sample records (no snapshot reachable, e.g. a fork's pull request)
   * and were gated with the sample-data gate: the headline says the verdict is advisory.
   */
  advisory?: { gateConfig: string };
}

/** The most characters of {@link MetricsCommentInput.dataSource} the comment shows. */
const DATA_SOURCE_MAX_CHARS = 120;

/** What the comment says under the headline when {@link MetricsCommentInput.advisory} is set. */
export function advisoryNote(advisory: { gateConfig: string }): string {
  return `> [!NOTE]\n> **Advisory: sample data.** No data snapshot was reachable (a fork's pull request gets no secrets), so the candidate and the base commit trained on sample records. They were gated with the sample-data gate ${inlineCode(advisory.gateConfig)}, not ${inlineCode('configs/gate.json')}, whose bounds are for real data and which sample data cannot meet: this verdict says whether the change regresses against the base commit on sample data, not whether the model is fit for production.`;
}

/** What the comment says when {@link MetricsCommentInput.unverified} is set. */
export const UNVERIFIED_NOTE =
  "> [!WARNING]\n> **Unverified metrics.** This pull request comes from a fork, and metrics from a fork's artifact are unverified: the pull request's own code trained the model and wrote this report, and nothing in this repository recomputed it.";

export interface RenderCommentOptions {
  /** Longest text to return; charts, then table rows, are dropped to fit. @default 65536 */
  maxChars?: number;
  /** Start with the hidden marker. @default true */
  marker?: boolean;
}

const TABLE_METRICS: readonly { key: MetricName; label: string }[] = [
  { key: 'accuracy', label: 'accuracy' },
  { key: 'precision', label: 'precision' },
  { key: 'recall', label: 'recall' },
  { key: 'f1', label: 'F1' },
  { key: 'prAuc', label: 'PR-AUC' },
  { key: 'brier', label: 'Brier' },
];
const OUTCOME_LABEL = { pass: '✅ pass', fail: '❌ fail', fallback: '↪️ fallback' } as const;
/** The gate's non-inferiority decision, as the AUC cell says it. */
const DECISION_LABEL = {
  'non-inferior': 'no worse',
  inconclusive: 'too small to tell',
  'possibly-worse': '⚠️ possibly worse',
  worse: 'worse beyond margin',
} as const;
const VERDICT_LABEL = { better: 'better', worse: 'worse', 'no-real-change': 'no real change' } as const;

/**
 * What the report's sections read: the comment's input with the gate optional (the train
 * action's summary reports models that nothing has gated yet).
 */
export type ReportView = Omit<MetricsCommentInput, 'gate'> & { gate?: GateResult };

/** Where {@link renderReport} puts the sections: after `head` lines and `header`, within `maxChars`. */
export interface ReportLayout {
  head?: readonly string[];
  header: string;
  maxChars: number;
}

/**
 * The PR metric report as GitHub Markdown: gate verdict, one compact table (AUC, its change
 * vs the comparison model with the bootstrap interval, the smallest detectable change, the
 * outcome), the gate's reasons, then collapsed: the other metrics, class balance, thresholds,
 * confusion matrices, ROC and calibration charts (Mermaid xychart-beta); provenance last.
 *
 * Never longer than `maxChars`: charts go first, then division rows (failing divisions are
 * kept longest), each with a note pointing to the full report.
 */
export function renderMetricsComment(input: MetricsCommentInput, options: RenderCommentOptions = {}): string {
  return renderReport(input, {
    head: options.marker === false ? [] : [METRICS_COMMENT_MARKER],
    header: renderHeader(input),
    maxChars: options.maxChars ?? GITHUB_COMMENT_MAX_CHARS,
  });
}

/**
 * The report's sections under `layout.header`, the one renderer of the comment and of the
 * train, metrics-gate and deploy job summaries: table, reasons (with a gate), collapsed details,
 * charts, provenance; charts, then rows, dropped to fit `layout.maxChars`.
 */
export function renderReport(view: ReportView, layout: ReportLayout): string {
  const { maxChars } = layout;
  const head = layout.head ?? [];
  const divisions = orderForTruncation(view);
  const charts = view.report.models.flatMap((model) => renderCharts(model, view));
  for (let rows = divisions.length; rows >= 0; rows--) {
    const kept = new Set(divisions.slice(0, rows));
    const omittedRows = divisions.length - rows;
    const models = view.report.models.filter((m) => kept.has(m.division));
    for (let chartCount = rows === divisions.length ? charts.length : 0; chartCount >= 0; chartCount--) {
      const text = [
        ...head,
        layout.header,
        `### Divisions\n\n${renderDivisionTable(view, kept, omittedRows)}`,
        view.gate ? renderGateReasons(view.gate, kept) : '',
        renderOtherMetrics(view, models),
        renderBalanceTable(models),
        renderChartSection(charts.slice(0, chartCount), charts.length - chartCount),
        renderProvenance(view),
      ]
        .filter((part) => part !== '')
        .join('\n\n');
      if (text.length <= maxChars) return `${text}\n`;
    }
  }
  const note = `\n\n_Report cut to fit ${maxChars} characters: see the full report._\n`;
  const bare = [...head, layout.header, renderProvenance(view)].join('\n\n');
  return `${bare.slice(0, Math.max(0, maxChars - note.length))}${note}`.slice(0, maxChars);
}

/**
 * Division ids, failing divisions first, then those possibly worse, then the others in report
 * order: the rows kept longest.
 */
function orderForTruncation(view: ReportView): number[] {
  const failing = new Set(view.gate?.divisions.filter((d) => d.outcome === 'fail').map((d) => d.division));
  const review = new Set(view.gate?.needsReview.filter((id) => !failing.has(id)));
  const ids = view.report.models.map((m) => m.division);
  const rest = ids.filter((id) => !failing.has(id) && !review.has(id));
  return [...ids.filter((id) => failing.has(id)), ...ids.filter((id) => review.has(id)), ...rest];
}

/**
 * Resolves where the comparison model came from: as given, else as the comparison report
 * records it. A source given without its version or commit (retrain.yml passes only
 * `comparison-source: registry`) keeps those the comparison report records for that source.
 */
export function resolveComparisonModel(input: ReportView): ComparisonModel {
  const given = input.comparisonModel;
  const recorded = input.comparison?.comparison;
  if (!given) return recorded ?? { source: input.production ? 'registry' : 'none' };
  if (recorded?.source !== given.source) return given;
  const modelVersion = given.modelVersion ?? recorded.modelVersion;
  const gitSha = given.gitSha ?? recorded.gitSha;
  return { source: given.source, ...(modelVersion ? { modelVersion } : {}), ...(gitSha ? { gitSha } : {}) };
}

function describeComparisonModel(model: ComparisonModel, view: ReportView): string {
  switch (model.source) {
    case 'registry':
      return `the **production model${model.modelVersion ? ` ${inlineCode(model.modelVersion)}` : ''} from the registry**`;
    case 'base-commit': {
      // Say what the data were: sample records are not a snapshot.
      const data = view.dataSource?.trim()
        ? `${escapeMarkdown(clip(view.dataSource.trim(), DATA_SOURCE_MAX_CHARS))}; `
        : view.report.snapshotId
          ? `snapshot ${inlineCode(view.report.snapshotId)}; `
          : '';
      return `a **model trained from the base commit** ${short(model.gitSha)} on the same data and seed (${data}no registry reachable)`;
    }
    case 'none':
      return '**no comparison model** (thresholds only)';
  }
}

/** `text` cut to `max` characters, an ellipsis marking the cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The verdict, then how many divisions are possibly worse: e.g. `✅ passed · ⚠️ 2 divisions possibly worse`. */
export function gateVerdict(gate: GateResult): string {
  const status = gate.passed ? '✅ passed' : '❌ failed';
  const review = gate.needsReview.length;
  return review === 0 ? status : `${status} · ⚠️ ${review} division${review === 1 ? '' : 's'} possibly worse`;
}

function renderHeader(input: MetricsCommentInput): string {
  const { gate, report } = input;
  const status = gateVerdict(gate);
  const trained = report.models.filter((m) => m.status === 'trained').length;
  const failing = gate.divisions.filter((d) => d.outcome === 'fail').length;
  const sha = input.gitSha ?? report.gitSha;
  const comparisonModel = resolveComparisonModel(input);
  return [
    `## opp metrics gate: ${status}${input.advisory ? ' (advisory: sample data)' : ''}`,
    '',
    ...(input.unverified ? [UNVERIFIED_NOTE, ''] : []),
    ...(input.advisory ? [advisoryNote(input.advisory), ''] : []),
    `Candidate ${short(sha)}: ${trained} trained division${trained === 1 ? '' : 's'}, ${failing} failing. ` +
      `Compared with ${describeComparisonModel(comparisonModel, input)}${comparisonModel.source === 'none' ? '' : ', scored on the same pinned hold-out rows'}.`,
  ].join('\n');
}

function productionSet(input: ReportView, division: number): MetricSet | undefined {
  return input.production?.models.find((m) => m.division === division)?.test;
}

function comparisonOf(input: ReportView, division: number): DivisionComparison | undefined {
  return input.comparison?.divisions.find((d) => d.division === division);
}

/**
 * The headline table, compact enough to read in 30 seconds (at most 6 columns): division,
 * candidate AUC, its change vs the comparison model (with the paired bootstrap's interval when
 * there is one), the smallest change the hold-out can detect, the AUC verdict, and the outcome. Columns no division has a value for are left
 * out; the other metrics are in a collapsed section ({@link renderOtherMetrics}).
 */
export function renderDivisionTable(view: ReportView, kept: ReadonlySet<number>, omitted = 0): string {
  const models = view.report.models.filter((model) => kept.has(model.division));
  const rows = models.map((model) => {
    const gate = view.gate?.divisions.find((d) => d.division === model.division);
    const compared = comparisonOf(view, model.division);
    const production = compared?.production ?? productionSet(view, model.division);
    const tested = gate?.checks.find((c) => c.kind === 'nonInferiority')?.nonInferiority;
    const test = model.test;
    return {
      division: cell(`${model.division} ${model.name}`),
      auc: test ? aucCell(test, compared || production ? undefined : model.aucInterval) : '—',
      delta: test ? deltaCell(test, compared, production) : undefined,
      mde: tested
        ? `${num(tested.minimumDetectable)}${tested.method === 'bootstrap' ? ' (bootstrap se)' : ''}`
        : undefined,
      decision: tested ? DECISION_LABEL[tested.decision] : compared && VERDICT_LABEL[compared.verdict],
      outcome: outcomeCell(model, gate),
    };
  });
  const withDelta = rows.some((r) => r.delta !== undefined);
  const withMde = rows.some((r) => r.mde !== undefined);
  const withDecision = rows.some((r) => r.decision !== undefined);
  const header = [
    'division',
    'AUC',
    ...(withDelta ? [view.comparison ? 'Δ AUC (95% CI)' : 'Δ AUC'] : []),
    ...(withMde ? ['MDE'] : []),
    ...(withDecision ? ['AUC verdict'] : []),
    view.gate ? 'gate' : 'status',
  ];
  const body = rows.map((r) => [
    r.division,
    r.auc,
    ...(withDelta ? [r.delta ?? '—'] : []),
    ...(withMde ? [r.mde ?? '—'] : []),
    ...(withDecision ? [r.decision ?? '—'] : []),
    r.outcome,
  ]);
  const note =
    omitted > 0
      ? `\n\n_${omitted} more division${omitted === 1 ? '' : 's'} in the full report (comment size limit)._`
      : '';
  const legend = withDelta ? '\n\nΔ = candidate − comparison model on the same rows.' : '';
  const rule = view.comparison && view.gate ? describeNonInferiority(view.gate) : '';
  return `${table(header, body)}${note}${legend}${rule ? `\n\n${collapsed('How the gate judges AUC', rule)}` : ''}`;
}

/** The gate's outcome, or without a gate the model's status. */
function outcomeCell(model: ModelReport, gate: DivisionGateResult | undefined): string {
  if (gate) return OUTCOME_LABEL[gate.outcome];
  return model.status === 'fallback' ? '↪️ fallback' : 'trained';
}

/** The non-regression rule the gate applied, in words (empty without one). */
export function describeNonInferiority(gate: GateResult): string {
  const rule = gate.nonInferiority;
  if (!rule) return '';
  const checks = gate.divisions.flatMap((d) =>
    d.checks.flatMap((c) => (c.nonInferiority ? [c.nonInferiority] : [])),
  );
  const methods = new Set(checks.map((c) => c.method));
  const method = [
    ...(methods.has('delong-paired') ? ['the paired DeLong test (DeLong et al. 1988)'] : []),
    ...(methods.has('bootstrap') ? ['the paired bootstrap standard error'] : []),
  ].join(' and ');
  const correction =
    rule.correction === 'holm'
      ? `Holm-corrected across ${rule.divisions} division${rule.divisions === 1 ? '' : 's'}`
      : 'no correction across divisions';
  return [
    `**AUC non-regression** (non-inferiority, margin ${rule.margin}): a division fails only when its AUC is lower than the comparison model's by more than ${rule.margin} beyond doubt, by a one-sided test at α = ${rule.alpha}, ${correction}${method ? `, using ${method}` : ''}.`,
    `_no worse_: the one-sided ${Math.round((1 - rule.alpha) * 100)}% lower bound of Δ is above −${rule.margin}; _possibly worse_: Δ is a drop beyond ${rule.margin} that the hold-out cannot prove (${rule.possiblyWorse === 'fail' ? 'fails the division' : 'flagged for review, not blocking'}); _too small to tell_: Δ is within the margin but the hold-out cannot exclude a drop of ${rule.margin} (not blocking); MDE: the smallest AUC change the division's hold-out detects with ${Math.round(rule.power * 100)}% power (two-sided α = ${rule.alpha}). The interval shown is the paired bootstrap's.`,
  ].join(' ');
}

/** The candidate's AUC; without a comparison, with the test AUC's own bootstrap interval when training computed one. */
function aucCell(test: MetricSet, interval: ModelReport['aucInterval']): string {
  return interval ? `${num(test.auc)} [${num(interval.low)}, ${num(interval.high)}]` : num(test.auc);
}

/** AUC change vs the comparison model: with the paired bootstrap's interval from a comparison report. */
function deltaCell(
  test: MetricSet,
  compared: DivisionComparison | undefined,
  production: MetricSet | undefined,
): string | undefined {
  if (compared) {
    const { estimate, interval } = compared.aucDifference;
    return `${signed(estimate)} [${signed(interval.low)}, ${signed(interval.high)}]`;
  }
  return production ? signed(test.auc - production.auc) : undefined;
}

/** The metrics beside AUC, with their change vs the comparison model: collapsed, below the reasons. */
function renderOtherMetrics(view: ReportView, models: readonly ModelReport[]): string {
  const rows = models.flatMap((model) => {
    const test = model.test;
    if (!test) return [];
    const production = comparisonOf(view, model.division)?.production ?? productionSet(view, model.division);
    const metricCell = (key: MetricName) =>
      production ? `${num(test[key])} (${signed(test[key] - production[key])})` : num(test[key]);
    return [[cell(`${model.division} ${model.name}`), ...TABLE_METRICS.map((m) => metricCell(m.key))]];
  });
  if (rows.length === 0) return '';
  const compared = view.comparison !== undefined || view.production !== undefined;
  return collapsed(
    'Accuracy, precision, recall, F1, PR-AUC and Brier',
    `${table(['division', ...TABLE_METRICS.map((m) => m.label)], rows)}\n\nOn the hold-out rows${compared ? ', in brackets Δ vs the comparison model on the same rows' : ''}; accuracy, precision, recall and F1 at each division's threshold; for Brier, lower is better.`,
  );
}

/** How the gate's note on a fallback division starts (its reason follows). */
const FALLBACK_NOTE = 'served by the general model';

/** A metric's name as the comment writes it. */
function metricLabel(metric: MetricName): string {
  if (metric === 'auc') return 'AUC';
  if (metric === 'logLoss') return 'log loss';
  return TABLE_METRICS.find((m) => m.key === metric)?.label ?? metric;
}

/** Why a division is possibly worse, as its reason line says it. */
const POSSIBLY_WORSE_CAUSE = (check: GateCheck) =>
  `possibly worse: Δ beyond the ${num(Math.abs(check.bound))} margin, not provable with this hold-out`;

/** One failing check's cause (shared by every division it failed the same way) and its value there. */
function checkCause(check: GateCheck): { cause: string; value: string } {
  const metric = metricLabel(check.metric);
  switch (check.kind) {
    case 'minimum':
      return { cause: `${metric} below the minimum ${num(check.bound)}`, value: num(check.actual) };
    case 'maximum':
      return { cause: `${metric} above the maximum ${num(check.bound)}`, value: num(check.actual) };
    case 'maxDrop':
      return {
        cause: `${metric} dropped more than ${num(check.allowedDrop ?? 0)} below the comparison model`,
        value: `${num(check.actual)} vs ${num(check.production ?? 0)}`,
      };
    case 'nonInferiority':
      if (check.nonInferiority?.decision === 'possibly-worse')
        return {
          cause: `${metric} ${POSSIBLY_WORSE_CAUSE(check)} (possiblyWorse: fail)`,
          value: `Δ ${signed(check.actual)}, MDE ${num(check.nonInferiority.minimumDetectable)}`,
        };
      return {
        cause: `${metric} lower than the comparison model's by more than ${num(Math.abs(check.bound))} beyond doubt`,
        value: `Δ ${signed(check.actual)}`,
      };
  }
}

/**
 * The gate's reasons grouped by cause, one line each ("recall below the minimum 0.700:
 * divisions 1 (0.600), 3 (0.650)"): failing checks first, then other reasons, then divisions
 * possibly worse (for review), then notes (which do not fail a division), each in the order the
 * divisions first show them.
 */
export function renderGateReasons(gate: GateResult, kept: ReadonlySet<number>): string {
  const failing = new Map<string, string[]>();
  const review = new Map<string, string[]>();
  const notes = new Map<string, string[]>();
  const add = (groups: Map<string, string[]>, cause: string, where: string) => {
    const list = groups.get(cause);
    if (list) list.push(where);
    else groups.set(cause, [where]);
  };
  for (const division of gate.divisions.filter((d) => kept.has(d.division))) {
    const id = String(division.division);
    const failed = division.checks.filter((c) => !c.passed);
    const described = new Set(failed.map(describeFailure));
    for (const check of failed) {
      const { cause, value } = checkCause(check);
      add(failing, cause, `${id} (${value})`);
    }
    for (const reason of division.reasons) {
      if (!described.has(reason)) add(failing, escapeMarkdown(reason), id);
    }
    // The gate's own notes on these two say the same with 4 decimals: the grouped line replaces them.
    const unproven = division.checks.find(
      (c) =>
        c.passed &&
        (c.nonInferiority?.decision === 'inconclusive' || c.nonInferiority?.decision === 'possibly-worse'),
    );
    const test = unproven?.nonInferiority;
    if (unproven && test) {
      const where = `${id} (Δ ${signed(test.estimate)}, MDE ${num(test.minimumDetectable)})`;
      if (test.decision === 'possibly-worse')
        add(review, `AUC ${POSSIBLY_WORSE_CAUSE(unproven)} — review`, where);
      else
        add(
          notes,
          `AUC change too small to tell from a drop of ${num(Math.abs(unproven.bound))} (not blocking)`,
          where,
        );
    }
    for (const note of division.notes) {
      if (test && (note.startsWith('too small to tell:') || note.startsWith('possibly worse:'))) continue;
      // Fallback divisions share the cause; each has its own reason (its row count).
      if (division.outcome === 'fallback' && note.startsWith(FALLBACK_NOTE)) {
        const why = note.slice(FALLBACK_NOTE.length).replace(/^: /, '');
        add(notes, FALLBACK_NOTE, why ? `${id} (${escapeMarkdown(why)})` : id);
      } else add(notes, escapeMarkdown(note), id);
    }
  }
  const line =
    (mark: string) =>
    ([cause, where]: [string, string[]]) =>
      `- ${mark} ${cause}: division${where.length === 1 ? '' : 's'} ${where.join(', ')}`;
  const lines = [
    ...[...failing].map(line('❌')),
    ...[...review].map(line('⚠️')),
    ...[...notes].map(line('ℹ️')),
  ];
  return lines.length === 0 ? '' : `### Gate reasons\n\n${lines.join('\n')}`;
}

/** The binned columns (`training.inputEncoding`), with the CV AUCs that chose them under `auto`. */
function binsNote(model: ModelReport): string {
  const encoding = model.inputEncoding;
  if (!encoding) return '';
  const cv = encoding.candidates
    ? ` (CV AUC ${encoding.candidates.map((c) => `${c.encoding === 'none' ? 'without' : 'with'} ${num(c.cvAuc)}`).join(', ')})`
    : '';
  const columns = encoding.columns.length > 0 ? `bins: ${encoding.columns.join(', ')}` : 'no bins';
  return `<br>${cell(columns)}${cv}`;
}

function renderBalanceTable(models: readonly ModelReport[]): string {
  if (models.length === 0) return '';
  const rows = models.map((model) => [
    cell(`${model.division} ${model.name}`),
    `${model.rows.test} (${percent(model.rows.testPositives, model.rows.test)} positive)`,
    `${model.rows.train} (${percent(model.rows.trainPositives, model.rows.train)} positive)`,
    `${model.rebalancing.method}: ${Math.round(model.rebalancing.before.positives)}:${Math.round(model.rebalancing.before.negatives)} → ${Math.round(model.rebalancing.after.positives)}:${Math.round(model.rebalancing.after.negatives)}${binsNote(model)}`,
    num(model.threshold),
    model.cv ? `${num(model.cv.mean.auc)} ± ${num(model.cv.std.auc)} (${model.cv.folds.length} folds)` : '—',
  ]);
  const header = ['division', 'test rows', 'train rows', 'rebalancing (pos:neg)', 'threshold', 'CV AUC'];
  return collapsed(
    'Class balance, thresholds, confusion matrices and cross-validation',
    `${table(header, rows)}\n\n${renderConfusionTable(models)}`,
  );
}

/** Each division's hold-out confusion matrix at its decision threshold, one row per division. */
function renderConfusionTable(models: readonly ModelReport[]): string {
  const rows = models.flatMap((model) => {
    const test = model.test;
    if (!test) return [];
    const { tp, fp, tn, fn } = test.confusion;
    return [
      [cell(`${model.division} ${model.name}`), num(test.threshold), `${tp}`, `${fn}`, `${fp}`, `${tn}`],
    ];
  });
  if (rows.length === 0) return '';
  const header = ['division', 'threshold', 'TP', 'FN', 'FP', 'TN'];
  return `Confusion matrices on the hold-out rows at each division's threshold (TP/FN: positives predicted positive/negative; FP/TN: negatives predicted positive/negative):\n\n${table(header, rows)}`;
}

/** A section GitHub shows collapsed, opened by its summary line. */
function collapsed(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

function renderCharts(model: ModelReport, input: ReportView): string[] {
  if (!model.curves) return [];
  // The comparison report's curves are both models' on the same rows: preferred.
  const compared = comparisonOf(input, model.division)?.roc;
  const production =
    compared?.production ?? input.production?.models.find((m) => m.division === model.division)?.curves?.roc;
  const lines: RocLine[] = [{ label: 'candidate', roc: compared?.candidate ?? model.curves.roc }];
  if (production) lines.push({ label: 'comparison model', roc: production });
  const legend = [...lines.map((l) => l.label), 'chance']
    .map((label, i) => `${CHART_COLOURS[i]?.name ?? 'line'}: ${label}`)
    .join(', ');
  const title = `division ${model.division} (${model.name})`;
  return [
    [
      `<details><summary>Charts: ${escapeHtml(title)}</summary>`,
      '',
      rocChart(`ROC, ${title}`, lines),
      '',
      `ROC lines: ${legend}.`,
      '',
      calibrationChart(`Calibration, ${title}`, model.curves.calibration),
      '',
      'Bars: observed positive rate per bin; line: perfect calibration.',
      '',
      '</details>',
    ].join('\n'),
  ];
}

function renderChartSection(charts: readonly string[], omitted: number): string {
  if (charts.length === 0 && omitted === 0) return '';
  const note =
    omitted > 0
      ? `\n\n_${omitted} chart${omitted === 1 ? '' : 's'} left out to fit the comment size limit: see the full report._`
      : '';
  return `### ROC and calibration\n\n${charts.join('\n\n')}${note}`;
}

function renderProvenance(input: ReportView): string {
  const { report } = input;
  const lines = [
    `- data snapshot: ${report.snapshotId ? inlineCode(report.snapshotId) : 'n/a'}`,
    `- config hash: ${short(report.configHash, 12)}, feature spec hash: ${short(report.specHash, 12)}, seed ${report.seed}, backend ${escapeMarkdown(report.backend)}`,
    `- commit: ${short(input.gitSha ?? report.gitSha)}; report created ${escapeMarkdown(report.createdAt)}`,
  ];
  if (input.artifactUrl) lines.push(`- full report: [artifact](${input.artifactUrl})`);
  if (input.runUrl) lines.push(`- workflow run: [logs](${input.runUrl})`);
  return `### Provenance\n\n${lines.join('\n')}`;
}
