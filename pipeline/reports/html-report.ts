import { join } from 'node:path';
import type { MetricSet, MetricsReport, ModelReport } from '../../model/metrics-report.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { barChart, escapeXml, lineChart } from './svg-charts.js';

/**
 * The report a person would rather look at than read: one self-contained HTML page (inline
 * SVG, no scripts, no network) with the metrics tables and charts of a training run.
 */
export function renderHtmlReport(report: MetricsReport, title = 'opp model report'): string {
  const trained = report.models.filter((m) => m.status === 'trained' && m.test);
  const label = (m: ModelReport) => `${m.division} ${m.name}`;
  const roc = lineChart(
    [
      ...trained.map((m) => ({
        name: label(m),
        points: (m.curves?.roc ?? []).map((p) => ({ x: p.fpr, y: p.tpr })),
      })),
      {
        name: 'chance',
        points: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
        dashed: true,
      },
    ],
    { title: 'ROC curve (test set)', xLabel: 'false positive rate', yLabel: 'true positive rate' },
  );
  const calibration = lineChart(
    [
      ...trained.map((m) => ({
        name: label(m),
        points: (m.curves?.calibration ?? []).map((b) => ({ x: b.predicted, y: b.observed })),
        markers: true,
      })),
      {
        name: 'perfect',
        points: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
        dashed: true,
      },
    ],
    {
      title: 'Calibration (test set)',
      xLabel: 'mean predicted probability',
      yLabel: 'observed positive rate',
    },
  );
  const metricBars = barChart(
    trained.map((m) => ({
      label: String(m.division),
      values: [m.test!.auc, m.test!.prAuc, m.test!.precision, m.test!.recall, m.test!.f1],
    })),
    ['AUC', 'PR-AUC', 'precision', 'recall', 'F1'],
    { title: 'Test metrics by division', xLabel: 'division', yLabel: 'value' },
  );
  const share = (c: { positives: number; negatives: number }) =>
    c.positives / Math.max(c.positives + c.negatives, 1e-12);
  const balance = barChart(
    report.models.map((m) => ({
      label: String(m.division),
      values: [share(m.rebalancing.before), share(m.rebalancing.after)],
    })),
    ['before', 'after'],
    {
      title: 'Share of positives in training rows (rebalancing)',
      xLabel: 'division',
      yLabel: 'positive share',
    },
  );

  const rows = report.models.map((m) => {
    const t = m.test;
    const cell = (v: number | undefined) => `<td>${v === undefined ? '–' : v.toFixed(3)}</td>`;
    const interval = m.aucInterval
      ? ` <small>[${m.aucInterval.low.toFixed(3)}, ${m.aucInterval.high.toFixed(3)}]</small>`
      : '';
    const cv = m.cv ? `${m.cv.mean.auc.toFixed(3)} ± ${m.cv.std.auc.toFixed(3)}` : '–';
    return `<tr class="${m.status}"><td>${m.division}</td><td>${escapeXml(m.name)}</td><td>${m.status}${m.fallbackReason ? `<br><small>${escapeXml(m.fallbackReason)}</small>` : ''}</td><td>${m.rows.train} / ${m.rows.test}</td><td>${m.rows.trainPositives + m.rows.testPositives}</td><td>${m.rebalancing.method}</td><td>${m.threshold.toFixed(3)}</td><td>${t ? t.auc.toFixed(3) : '–'}${interval}</td><td>${cv}</td>${cell(t?.prAuc)}${cell(t?.accuracy)}${cell(t?.precision)}${cell(t?.recall)}${cell(t?.f1)}${cell(t?.brier)}</tr>`;
  });
  const confusions = trained.map((m) => confusionTable(label(m), m.test!)).join('\n');
  const facts = [
    ['created', report.createdAt],
    ['git sha', report.gitSha ?? '–'],
    ['data snapshot', report.snapshotId ?? '–'],
    ['feature spec', report.specHash.slice(0, 12)],
    ['config', report.configHash.slice(0, 12)],
    ['seed', String(report.seed)],
    ['backend', report.backend],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 4px 8px; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; } td:nth-child(2), td:nth-child(3), th:nth-child(2), th:nth-child(3) { text-align: left; }
tr.fallback { color: #777; } .facts td, .facts th { text-align: left; } small { color: #666; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; } .charts svg { border: 1px solid #eee; background: #fff; }
.confusion { display: inline-block; margin: 0 16px 16px 0; vertical-align: top; } .confusion caption { font-weight: 600; text-align: left; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${k}</th><td>${escapeXml(v!)}</td></tr>`).join('')}</tbody></table>
<h2>Models</h2>
<table class="models">
<thead><tr><th>div.</th><th>name</th><th>status</th><th>rows train / test</th><th>positives</th><th>rebalancing</th><th>threshold</th><th>test AUC [95%]</th><th>CV AUC</th><th>PR-AUC</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th><th>Brier</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<h2>Charts</h2>
<div class="charts">
${roc}
${calibration}
${metricBars}
${balance}
</div>
<h2>Confusion matrices at each model's threshold (test set)</h2>
${confusions}
</body>
</html>
`;
}

function confusionTable(name: string, m: MetricSet): string {
  const { tp, fp, tn, fn } = m.confusion;
  return `<table class="confusion"><caption>${escapeXml(name)} (threshold ${m.threshold.toFixed(3)})</caption>
<thead><tr><th></th><th>predicted pursue</th><th>predicted decline</th></tr></thead>
<tbody><tr><th>pursued</th><td>${tp}</td><td>${fn}</td></tr><tr><th>declined</th><td>${fp}</td><td>${tn}</td></tr></tbody></table>`;
}

/** Writes `index.html` (and the report it shows, as `metrics.json`) into `dir`. */
export async function writeHtmlReport(report: MetricsReport, dir: string, title?: string): Promise<string> {
  const file = join(dir, 'index.html');
  await AtomicFile.write(file, renderHtmlReport(report, title));
  await AtomicFile.write(join(dir, 'metrics.json'), `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
