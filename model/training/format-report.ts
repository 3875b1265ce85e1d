import type { MetricsReport, ModelReport } from '../metrics-report.js';

/** The final metrics table of a training run, for people (one line per model). */
export function formatMetricsTable(report: MetricsReport): string {
  const header = [
    'div',
    'name',
    'status',
    'rows',
    'rebalance',
    'ep',
    'thresh',
    'CV AUC',
    'test AUC [95% CI]',
    'PR-AUC',
    'F1',
    'prec',
    'recall',
    'acc',
  ];
  const rows = report.models.map((m) => row(m));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = report.models
    .filter((m) => m.status === 'fallback')
    .map((m) => `  division ${m.division} (${m.name}): ${m.fallbackReason}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...notes].join('\n');
}

/** How a trained model was fitted, in a few words: its rebalancing, and `+ bins` if it kept any. */
export function recipeOf(m: ModelReport): string {
  return `${m.rebalancing.method}${m.inputEncoding?.columns.length ? ' + bins' : ''}`;
}

function row(m: ModelReport): string[] {
  const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const t = m.test;
  return [
    String(m.division),
    m.name,
    m.status,
    `${m.rows.train}+${m.rows.test}`,
    m.status === 'trained' ? recipeOf(m) : '(general)',
    String(m.epochs),
    m.threshold.toFixed(3),
    m.cv ? `${f(m.cv.mean.auc)}±${f(m.cv.std.auc)}` : '-',
    t ? `${f(t.auc)}${m.aucInterval ? ` [${f(m.aucInterval.low)}, ${f(m.aucInterval.high)}]` : ''}` : '-',
    f(t?.prAuc),
    f(t?.f1),
    f(t?.precision),
    f(t?.recall),
    f(t?.accuracy),
  ];
}
