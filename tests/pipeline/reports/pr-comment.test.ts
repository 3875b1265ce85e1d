import { describe, expect, it } from 'vitest';
import { GateConfigSchema } from '../../../pipeline/config/gate-config.js';
import { evaluateGate } from '../../../pipeline/gate/evaluate-gate.js';
import type { ComparisonReport } from '../../../pipeline/reports/comparison-report.js';
import { calibrationChart, rocChart, tprAt } from '../../../pipeline/reports/internal/mermaid-charts.js';
import { renderMetricsSummary } from '../../../pipeline/reports/job-summary.js';
import {
  GITHUB_COMMENT_MAX_CHARS,
  METRICS_COMMENT_MARKER,
  renderMetricsComment,
} from '../../../pipeline/reports/pr-comment.js';
import { fallbackReport, metricSet, metricsReport, modelReport } from '../../support/metrics-fixtures.js';
import { commentInputs, REPO_GATE_CONFIG } from '../../support/pr-comment-fixture.js';

const config = GateConfigSchema.parse({ minimum: { auc: 0.65, recall: 0.7 }, maxDrop: { auc: 0.01 } });

function comparisonFor(divisions: number[], candidateAuc: number, productionAuc: number): ComparisonReport {
  return {
    version: 1,
    createdAt: '2026-11-25T09:00:00.000Z',
    candidate: {},
    comparison: { source: 'base-commit', gitSha: '0123456789abcdef' },
    divisions: divisions.map((division) => ({
      division,
      name: division === 0 ? 'general' : `division-${division}`,
      candidate: metricSet({ auc: candidateAuc }),
      production: metricSet({ auc: productionAuc, recall: 0.7 }),
      deltas: {
        accuracy: 0,
        precision: 0,
        recall: 0.04,
        f1: 0,
        auc: candidateAuc - productionAuc,
        prAuc: 0,
        brier: 0,
        logLoss: 0,
      },
      aucDifference: {
        estimate: candidateAuc - productionAuc,
        interval: { low: -0.004, high: 0.027, level: 0.95 },
        resamples: 1000,
        seed: 0,
      },
      verdict: 'no-real-change',
    })),
  };
}

describe('renderMetricsComment', () => {
  const report = metricsReport([modelReport(0), modelReport(1, { recall: 0.6 }), fallbackReport(6)]);

  it('starts with the hidden marker and shows the verdict, table, deltas with intervals and pass/fail', () => {
    const comparison = comparisonFor([0, 1], 0.75, 0.74);
    const gate = evaluateGate(report, config, { comparison });
    const text = renderMetricsComment({ report, gate, comparison, artifactUrl: 'https://example.test/a/1' });
    expect(text.startsWith(`${METRICS_COMMENT_MARKER}\n`)).toBe(true);
    expect(text).toContain('## opp metrics gate: ❌ failed');
    // The headline table: AUC, its change with the bootstrap interval, the verdict, the outcome.
    expect(text).toContain('\n| division | AUC | Δ AUC (95% CI) | AUC verdict | gate |\n');
    expect(text).toContain('| 0 general | 0.750 | +0.010 [−0.004, +0.027] | no real change | ✅ pass |');
    expect(text).toContain('| 1 division-1 | 0.750 | +0.010 [−0.004, +0.027] | no real change | ❌ fail |');
    expect(text).toContain('| 6 division-6 | — | — | — | ↪️ fallback |');
    // The other metrics, with their deltas, are in a collapsed section: recall is division 1's failure.
    const start = text.indexOf('<details><summary>Accuracy, precision, recall');
    const others = text.slice(start, text.indexOf('</details>', start));
    expect(others).toMatch(/\n\| 1 division-1 \| [^|]+ \| [^|]+ \| 0\.600 \(−0\.100\) \|/);
    // The fallback division has no hold-out metrics of its own: no row there.
    expect(others).toContain('| 0 general |');
    expect(others).not.toContain('6 division-6');
    // Gate reasons, one line per cause; report text in them (fallback reasons) is escaped.
    expect(text).toContain('- ❌ recall below the minimum 0.700: division 1 (0.600)\n');
    expect(text).toContain('- ℹ️ served by the general model: division 6 (only 120 rows \\(needs 500\\))\n');
    expect(text).toContain(
      'a **model trained from the base commit** `0123456` on the same data and seed (snapshot `snap-2026-11-24T00-00Z`; no registry reachable)',
    );
    expect(text).toContain(
      '| 0 general | 4000 (13.0% positive) | 16000 (13.0% positive) | class-weight: 2080:13920 → 8000:8000 | 0.420 |',
    );
    expect(text).toContain('- data snapshot: `snap-2026-11-24T00-00Z`');
    expect(text).toContain('config hash: `cccccccccccc`');
    expect(text).toContain('- full report: [artifact](https://example.test/a/1)');
  });

  it('names the registry model version the comparison report records, also when only the source is given', () => {
    const report = metricsReport([modelReport(0)]);
    const comparison = comparisonFor([0], 0.75, 0.74);
    comparison.comparison = { source: 'registry', modelVersion: 'opp:3' };
    const gate = evaluateGate(report, config, { comparison });
    const named = 'Compared with the **production model `opp:3` from the registry**, scored';
    expect(renderMetricsComment({ report, gate, comparison })).toContain(named);
    // retrain.yml's metrics-gate step gives `comparison-source: registry` and no version.
    expect(
      renderMetricsComment({
        report,
        gate,
        comparison,
        comparisonModel: { source: 'registry', modelVersion: undefined },
      }),
    ).toContain(named);
    // A version given explicitly wins; another source given keeps nothing of the report's.
    expect(
      renderMetricsComment({
        report,
        gate,
        comparison,
        comparisonModel: { source: 'registry', modelVersion: 'opp:4' },
      }),
    ).toContain('**production model `opp:4` from the registry**');
    const other = renderMetricsComment({
      report,
      gate,
      comparison,
      comparisonModel: { source: 'base-commit' },
    });
    expect(other).toContain('a **model trained from the base commit** n/a');
    expect(other).not.toContain('opp:3');
    // Without any version: said without one.
    comparison.comparison = { source: 'registry' };
    expect(renderMetricsComment({ report, gate, comparison })).toContain(
      'Compared with the **production model from the registry**, scored',
    );
  });

  it('says what data a base-commit comparison model trained on, escaped and cut short', () => {
    const comparison = comparisonFor([0], 0.75, 0.74);
    const sampled = metricsReport([modelReport(0)], { snapshotId: undefined });
    const gate = evaluateGate(sampled, config, { comparison });
    const said = (dataSource?: string) =>
      renderMetricsComment({ report: sampled, gate, comparison, ...(dataSource ? { dataSource } : {}) });
    expect(said('sample records (20000, seed 1)')).toContain(
      '`0123456` on the same data and seed (sample records \\(20000, seed 1\\); no registry reachable)',
    );
    expect(said('sample records (20000, seed 1)')).not.toContain('snapshot and seed');
    // Nothing known about the data: nothing claimed.
    expect(said()).toContain('`0123456` on the same data and seed (no registry reachable)');
    // From a fork's pr.json: hostile text is escaped and cut to 120 characters.
    const hostile = said(`<img src=x> [a](http://evil) @org ${'x'.repeat(300)}`);
    expect(hostile).toContain('&lt;img src=x&gt; \\[a\\]\\(http:\u200b//evil\\) @\u200borg x');
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain(`${'x'.repeat(80)}…; no registry reachable)`);
    expect(hostile).not.toContain('x'.repeat(120));
  });

  it('says when the comparison model is the registry production model, and draws both ROC lines', () => {
    const production = metricsReport([modelReport(0, { auc: 0.74 })]);
    const single = metricsReport([modelReport(0)]);
    const gate = evaluateGate(single, config, { production });
    const text = renderMetricsComment({
      report: single,
      gate,
      production,
      comparisonModel: { source: 'registry', modelVersion: 'opp-general:12' },
    });
    expect(text).toContain(
      'Compared with the **production model `opp-general:12` from the registry**, scored',
    );
    // A metrics report gives a delta but no interval: the header does not promise one.
    expect(text).toContain('\n| division | AUC | Δ AUC | gate |\n');
    expect(text).toContain('| 0 general | 0.750 | +0.010 | ✅ pass |');
    const roc = text.slice(text.indexOf('```mermaid'), text.indexOf('```', text.indexOf('```mermaid') + 3));
    expect(roc.match(/^ {4}line \[/gm)).toHaveLength(3);
    expect(text).toContain('ROC lines: blue: candidate, orange: comparison model, grey: chance.');
  });

  it('says when there is no comparison model, and shows the test AUC interval and the CV AUC instead', () => {
    const withCv = metricsReport([
      modelReport(
        0,
        {},
        {
          cv: {
            folds: [metricSet(), metricSet(), metricSet()],
            mean: {
              accuracy: 0.87,
              precision: 0.8,
              recall: 0.7,
              f1: 0.75,
              auc: 0.741,
              prAuc: 0.5,
              brier: 0.1,
              logLoss: 0.3,
            },
            std: {
              accuracy: 0.01,
              precision: 0.01,
              recall: 0.01,
              f1: 0.01,
              auc: 0.012,
              prAuc: 0.01,
              brier: 0.01,
              logLoss: 0.01,
            },
          },
        },
      ),
    ]);
    const text = renderMetricsComment({ report: withCv, gate: evaluateGate(withCv, config) });
    expect(text).toContain('**no comparison model** (thresholds only).');
    expect(text).not.toContain('scored on the same pinned hold-out rows');
    expect(text).toContain('\n| division | AUC | gate |\n');
    expect(text).toContain('| 0 general | 0.750 [0.730, 0.770] | ✅ pass |');
    expect(text).toContain('| 0.420 | 0.741 ± 0.012 (3 folds) |');
  });

  it('names the binned columns and, under inputEncoding auto, the CV AUCs that chose them', () => {
    const report = metricsReport([
      modelReport(
        0,
        {},
        {
          inputEncoding: {
            columns: ['engage_days'],
            candidates: [
              { encoding: 'none', cvAuc: 0.54, cvAucStd: 0.01 },
              { encoding: 'piecewise-linear', cvAuc: 0.571, cvAucStd: 0.02 },
            ],
          },
        },
      ),
      modelReport(1, {}, { inputEncoding: { columns: [] } }),
      modelReport(2),
    ]);
    const text = renderMetricsComment({ report, gate: evaluateGate(report, config) });
    expect(text).toContain('<br>bins: engage\\_days (CV AUC without 0.540, with 0.571) |');
    expect(text).toContain('<br>no bins |');
    expect(text.match(/bins/g)).toHaveLength(2);
  });

  it('stays within the size limit by dropping charts, then rows, keeping failing divisions', () => {
    const models = Array.from({ length: 8 }, (_, i) => modelReport(i, i === 7 ? { auc: 0.6 } : {}));
    const big = metricsReport(models);
    const gate = evaluateGate(big, config);
    const full = renderMetricsComment({ report: big, gate });
    expect(full.length).toBeLessThan(GITHUB_COMMENT_MAX_CHARS);
    expect(full.match(/```mermaid/g)).toHaveLength(16);

    const fewerCharts = renderMetricsComment({ report: big, gate }, { maxChars: full.length - 100 });
    expect(fewerCharts.length).toBeLessThanOrEqual(full.length - 100);
    expect(fewerCharts.match(/```mermaid/g)).toHaveLength(14);
    expect(fewerCharts).toContain('_1 chart left out to fit the comment size limit');

    const noCharts = full.slice(0, full.indexOf('### ROC and calibration'));
    const fewerRows = renderMetricsComment({ report: big, gate }, { maxChars: noCharts.length - 200 });
    expect(fewerRows.length).toBeLessThanOrEqual(noCharts.length - 200);
    expect(fewerRows).not.toContain('```mermaid');
    expect(fewerRows).toMatch(/_\d more divisions? in the full report/);
    expect(fewerRows).toContain('| 7 division-7 |');
    expect(fewerRows.startsWith(METRICS_COMMENT_MARKER)).toBe(true);

    const tiny = renderMetricsComment({ report: big, gate }, { maxChars: 300 });
    expect(tiny.length).toBeLessThanOrEqual(300);
    expect(tiny).toContain('Report cut to fit 300 characters');
  });

  it('renders the job summary without the marker', () => {
    const gate = evaluateGate(report, config);
    const summary = renderMetricsSummary({ report, gate });
    expect(summary.startsWith('## opp metrics gate')).toBe(true);
    expect(summary).not.toContain(METRICS_COMMENT_MARKER);
  });
});

describe('Mermaid charts', () => {
  it('resamples ROC to an even FPR grid, interpolating and taking the top of vertical steps', () => {
    const roc = [
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.4 },
      { fpr: 0.5, tpr: 0.8 },
      { fpr: 1, tpr: 1 },
    ];
    expect(tprAt(roc, 0)).toBe(0.4);
    expect(tprAt(roc, 0.25)).toBeCloseTo(0.6, 12);
    expect(tprAt(roc, 0.5)).toBe(0.8);
    expect(tprAt(roc, 1)).toBe(1);
  });

  it('writes xychart-beta blocks with a title, axes and one value per grid point', () => {
    const chart = rocChart('ROC "x"', [
      {
        label: 'candidate',
        roc: [
          { fpr: 0, tpr: 0 },
          { fpr: 1, tpr: 1 },
        ],
      },
    ]);
    const lines = chart.split('\n');
    expect(lines[0]).toBe('```mermaid');
    expect(lines[2]).toBe('xychart-beta');
    expect(lines[3]).toBe(`    title "ROC 'x'"`);
    expect(lines[5]).toBe('    y-axis "true positive rate" 0 --> 1');
    expect(lines[6]!.split(',')).toHaveLength(21);
    expect(lines.at(-1)).toBe('```');
    const calibration = calibrationChart('c', [
      { predicted: 0.05, observed: 0.04, count: 10 },
      { predicted: 0.15, observed: 0, count: 0 },
      { predicted: 0.95, observed: 0.9, count: 3 },
    ]);
    expect(calibration).toContain('    x-axis "mean predicted probability" ["0.05", "0.95"]');
    expect(calibration).toContain('    bar [0.04, 0.9]');
  });
});

describe('renderMetricsComment with the non-inferiority rule', () => {
  it("shows one verdict: the issue's division 6 is possibly worse, not failed, flagged in the headline, and the rule is stated", () => {
    const ruled = GateConfigSchema.parse({
      minimum: { auc: 0.65 },
      maxDrop: { auc: 0.01 },
      nonInferiority: { auc: { margin: 0.01 } },
    });
    const report = metricsReport([modelReport(0, { auc: 0.75 }), modelReport(6, { auc: 0.7171 })]);
    const comparison = comparisonFor([0, 6], 0.75, 0.74);
    const six = comparison.divisions[1]!;
    six.candidate = metricSet({ auc: 0.7171 });
    six.production = metricSet({ auc: 0.7351 });
    six.deltas.auc = -0.018;
    six.aucDifference = {
      estimate: -0.018,
      interval: { low: -0.04, high: 0.003, level: 0.95 },
      resamples: 1000,
      seed: 0,
    };
    six.aucDelong = { method: 'delong-paired', estimate: -0.018, se: 0.011, pValue: 0.1 };
    const gate = evaluateGate(report, ruled, { comparison });
    const text = renderMetricsComment({ report, gate, comparison });
    // The reviewer's eye goes to the one division whose drop is beyond the margin, unproven.
    expect(text).toContain('\n## opp metrics gate: ✅ passed · ⚠️ 1 division possibly worse\n');
    // MDE = (1.959964 + 0.841621) × 0.011 = 0.0308.
    expect(text).toContain(
      '| 6 division-6 | 0.717 | −0.018 [−0.040, +0.003] | 0.031 | ⚠️ possibly worse | ✅ pass |',
    );
    // Division 0 has no DeLong se: the bootstrap's, (0.027 + 0.004) / 3.92 = 0.0079, is named.
    expect(text).toContain(
      '| 0 general | 0.750 | +0.010 [−0.004, +0.027] | 0.022 (bootstrap se) | no worse | ✅ pass |',
    );
    expect(text).toContain('Holm-corrected across 2 divisions');
    expect(text).toContain(
      'the paired DeLong test (DeLong et al. 1988) and the paired bootstrap standard error',
    );
    expect(text).not.toContain('dropped 0.0180 below production');
    expect(text).toContain(
      '\n- ⚠️ AUC possibly worse: Δ beyond the 0.010 margin, not provable with this hold-out — review: division 6 (Δ −0.018, MDE 0.031)\n',
    );
    // The gate's own 4-decimal note is replaced by that line, not repeated.
    expect(text).not.toContain('not blocking, review');
    expect(text).toContain(
      '_possibly worse_: Δ is a drop beyond 0.01 that the hold-out cannot prove (flagged for review, not blocking)',
    );
  });

  it('fails a division possibly worse under possiblyWorse "fail", and says why on its ❌ line', () => {
    const failing = GateConfigSchema.parse({
      minimum: { auc: 0.65 },
      nonInferiority: { auc: { margin: 0.01, possiblyWorse: 'fail' } },
    });
    const report = metricsReport([modelReport(6, { auc: 0.7171 })]);
    const comparison = comparisonFor([6], 0.7171, 0.7351);
    comparison.divisions[0]!.aucDelong = {
      method: 'delong-paired',
      estimate: -0.018,
      se: 0.011,
      pValue: 0.1,
    };
    const gate = evaluateGate(report, failing, { comparison });
    const text = renderMetricsComment({ report, gate, comparison });
    expect(text).toContain('\n## opp metrics gate: ❌ failed · ⚠️ 1 division possibly worse\n');
    expect(text).toContain('| ⚠️ possibly worse | ❌ fail |');
    expect(text).toContain(
      '\n- ❌ AUC possibly worse: Δ beyond the 0.010 margin, not provable with this hold-out (possiblyWorse: fail): division 6 (Δ −0.018, MDE 0.031)\n',
    );
    expect(text).not.toContain('— review');
    expect(text).toContain('cannot prove (fails the division)');
  });

  it('keeps a division possibly worse longer than the others when rows must go to fit', () => {
    const ruled = GateConfigSchema.parse({ nonInferiority: { auc: { margin: 0.01 } } });
    const ids = [0, 1, 2, 3, 4, 5, 6, 7];
    const report = metricsReport(ids.map((i) => modelReport(i)));
    const comparison = comparisonFor(ids, 0.75, 0.75);
    for (const d of comparison.divisions)
      d.aucDelong = {
        method: 'delong-paired',
        estimate: d.division === 7 ? -0.02 : 0,
        se: 0.011,
        pValue: 0.5,
      };
    const gate = evaluateGate(report, ruled, { comparison });
    expect(gate.needsReview).toEqual([7]);
    const full = renderMetricsComment({ report, gate, comparison });
    const noCharts = full.slice(0, full.indexOf('### ROC and calibration'));
    const cut = renderMetricsComment({ report, gate, comparison }, { maxChars: noCharts.length - 400 });
    expect(cut).toMatch(/_\d more divisions? in the full report/);
    expect(cut).toContain('| 7 division-7 |');
    expect(cut).not.toContain('| 6 division-6 |');
  });

  it('says a division within the margin is too small to tell, without a warning sign or a headline count', () => {
    const report = metricsReport([modelReport(6, { auc: 0.7171 })]);
    const comparison = comparisonFor([6], 0.7171, 0.7221);
    comparison.divisions[0]!.aucDelong = {
      method: 'delong-paired',
      estimate: -0.005,
      se: 0.011,
      pValue: 0.6,
    };
    const ruled = GateConfigSchema.parse({ nonInferiority: { auc: { margin: 0.01 } } });
    const text = renderMetricsComment({
      report,
      gate: evaluateGate(report, ruled, { comparison }),
      comparison,
    });
    expect(text).toContain('\n## opp metrics gate: ✅ passed\n');
    expect(text).toContain('| too small to tell | ✅ pass |');
    expect(text).not.toContain('⚠️');
    expect(text).toContain(
      '\n- ℹ️ AUC change too small to tell from a drop of 0.010 (not blocking): division 6 (Δ −0.005, MDE 0.031)',
    );
  });
});

describe('renderMetricsComment deltas', () => {
  it('writes a zero delta as 0.000, not ±0.000 (which reads like a spread)', () => {
    const report = metricsReport([modelReport(0)]);
    const comparison = comparisonFor([0], 0.75, 0.75);
    comparison.divisions[0]!.production = metricSet({ auc: 0.75 });
    const gate = evaluateGate(report, config, { comparison });
    const text = renderMetricsComment({ report, gate, comparison });
    expect(text).not.toContain('±');
    expect(text).toContain('| 0 general | 0.750 | 0.000 [−0.004, +0.027] | no real change | ✅ pass |');
    expect(text).toMatch(/\| 0\.\d{3} \(0\.000\) \|/);
  });
});

describe('renderMetricsComment gate reasons', () => {
  it('groups the reasons by cause, one line each, naming the divisions and their values', () => {
    const input = commentInputs(8);
    // The gate gives one reason per division and failing metric: far more than causes.
    expect(input.gate.reasons.length).toBeGreaterThanOrEqual(20);
    const text = renderMetricsComment(input);
    const reasons = text.slice(text.indexOf('### Gate reasons')).split('\n\n')[1]!.split('\n');
    expect(reasons).toEqual([
      '- ❌ accuracy below the minimum 0.850: divisions 0 (0.800), 3 (0.830), 4 (0.810), 7 (0.840)',
      '- ❌ precision below the minimum 0.800: divisions 0 (0.700), 2 (0.790), 3 (0.770), 4 (0.750), 5 (0.730), 6 (0.710)',
      '- ❌ recall below the minimum 0.700: divisions 0 (0.620), 1 (0.670), 3 (0.660), 5 (0.650), 7 (0.640)',
      '- ❌ F1 below the minimum 0.700: divisions 0 (0.660), 1 (0.690), 3 (0.680), 5 (0.670), 7 (0.660)',
      '- ❌ AUC below the minimum 0.650: divisions 0 (0.620), 6 (0.630)',
      '- ⚠️ AUC possibly worse: Δ beyond the 0.010 margin, not provable with this hold-out — review: divisions 1 (Δ −0.020, MDE 0.028), 2 (Δ −0.020, MDE 0.028), 4 (Δ −0.020, MDE 0.028), 5 (Δ −0.020, MDE 0.028), 7 (Δ −0.020, MDE 0.028)',
      '- ℹ️ AUC change too small to tell from a drop of 0.010 (not blocking): divisions 0 (Δ 0.000, MDE 0.028), 3 (Δ 0.000, MDE 0.028), 6 (Δ 0.000, MDE 0.028)',
    ]);
    // The headline counts the divisions for review, as the gate lists them.
    expect(input.gate.needsReview).toEqual([1, 2, 4, 5, 7]);
    expect(text).toContain('## opp metrics gate: ❌ failed · ⚠️ 5 divisions possibly worse\n');
    // Every failing check is on a line: the counts agree with the gate's reasons.
    const listed = reasons.filter((r) => r.startsWith('- ❌')).map((r) => r.split('), ').length);
    expect(listed.reduce((a, b) => a + b, 0)).toBe(input.gate.reasons.length);
  });
});

describe('renderMetricsComment reading order and size', () => {
  it('puts the verdict, the table and the reasons first; details collapsed; provenance last', () => {
    const text = renderMetricsComment(commentInputs(8));
    const at = (needle: string) => {
      const index = text.indexOf(needle);
      expect(index, needle).toBeGreaterThan(-1);
      return index;
    };
    const order = [
      '## opp metrics gate: ❌ failed · ⚠️ 5 divisions possibly worse',
      '### Divisions',
      '<details><summary>How the gate judges AUC</summary>',
      '### Gate reasons',
      '<details><summary>Accuracy, precision, recall, F1, PR-AUC and Brier</summary>',
      '<details><summary>Class balance, thresholds, confusion matrices and cross-validation</summary>',
      '| division | threshold | TP | FN | FP | TN |',
      '### ROC and calibration',
      '<details><summary>Charts: division 0 (general)</summary>',
      '### Provenance',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // One compact table (at most 6 columns, read in 30 seconds); the other metrics are collapsed.
    const headline = text.slice(text.indexOf('### Divisions')).split('\n')[2]!;
    expect(headline).toBe('| division | AUC | Δ AUC (95% CI) | MDE | AUC verdict | gate |');
    expect(headline.split(' | ')).toHaveLength(6);
    expect(text).toContain(
      '| 3 division-3 | 0.710 | 0.000 [−0.020, +0.020] | 0.028 | too small to tell | ❌ fail |',
    );
    expect(text).toContain(
      '| 3 division-3 | 0.830 (−0.050) | 0.770 (−0.060) | 0.660 (−0.080) | 0.680 (−0.100) |',
    );
    // Every section but the headline, the table and the reasons is collapsed.
    expect(text).not.toContain('<details open');
    expect(text.match(/<details>/g)).toHaveLength(3 + 8);
    expect(text.match(/<\/details>/g)).toHaveLength(3 + 8);
    // The confusion matrix is the metrics report's, at the division's threshold.
    expect(text).toContain('| 3 division-3 | 0.420 | 383 | 143 | 83 | 3394 |');
    // Candidate and comparison model on one ROC chart per division.
    expect(text.match(/ROC lines: blue: candidate, orange: comparison model, grey: chance\./g)).toHaveLength(
      8,
    );
  });

  it('fits GitHub’s limit whole, with every row and chart, at 8 and at 30 divisions', () => {
    for (const count of [8, 30]) {
      const text = renderMetricsComment(commentInputs(count));
      expect(text.length, `${count} divisions`).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
      expect(text).not.toContain('left out to fit');
      expect(text).not.toMatch(/more divisions? in the full report/);
      expect(text.match(/```mermaid/g)).toHaveLength(2 * count);
      expect(text).toMatch(
        new RegExp(`\\n\\| ${count - 1} division-${count - 1} \\| 0\\.\\d{3} \\| [^\\n]+ \\| ❌ fail \\|\\n`),
      );
      expect(text.match(/<details><summary>Accuracy, precision, recall/g)).toHaveLength(1);
    }
  });

  it('is byte-identical when the same reports are rendered again, and carries no current time', () => {
    const render = () => {
      const input = commentInputs(30);
      // Freshly parsed, as the gate command reads them from files.
      const reparsed = JSON.parse(JSON.stringify(input)) as typeof input;
      return renderMetricsComment(reparsed);
    };
    const first = render();
    expect(render()).toBe(first);
    const today = new Date().toISOString().slice(0, 10);
    expect(first).not.toContain(today);
    expect(first).toContain('report created 2026-11-25T09:00:00.000Z');
  });
});

describe('renderMetricsComment ROC with a comparison report', () => {
  it("draws the comparison model's line from the comparison report, without its metrics report", () => {
    const report = metricsReport([modelReport(0)]);
    const comparison = comparisonFor([0], 0.75, 0.74);
    const diagonalish = [
      { fpr: 0, tpr: 0 },
      { fpr: 0.5, tpr: 0.6 },
      { fpr: 1, tpr: 1 },
    ];
    comparison.divisions[0]!.roc = { candidate: modelReport(0).curves!.roc, production: diagonalish };
    const gate = evaluateGate(report, config, { comparison });
    const text = renderMetricsComment({ report, gate, comparison });
    const start = text.indexOf('```mermaid');
    const roc = text.slice(start, text.indexOf('```', start + 3));
    const lines = roc.match(/^ {4}line \[.*\]$/gm)!;
    expect(lines).toHaveLength(3);
    // The comparison model's TPR at FPR 0.25 is interpolated from its own points: 0.3.
    expect(lines[1]!.split(', ')[5]).toBe('0.3');
    expect(text).toContain('ROC lines: blue: candidate, orange: comparison model, grey: chance.');
  });
});

describe('renderMetricsComment fallback divisions', () => {
  it('lists every fallback division on one line, each with its own reason', () => {
    const report = metricsReport([
      modelReport(0),
      fallbackReport(4),
      { ...fallbackReport(9), fallbackReason: 'only 80 rows (needs 500)' },
      { ...fallbackReport(11), fallbackReason: undefined },
    ]);
    const text = renderMetricsComment({ report, gate: evaluateGate(report, config) });
    expect(text).toContain(
      '- ℹ️ served by the general model: divisions 4 (only 120 rows \\(needs 500\\)), 9 (only 80 rows \\(needs 500\\)), 11\n',
    );
    expect(text.match(/served by the general model/g)).toHaveLength(1);
  });
});

describe('renderMetricsComment AUC worse beyond the margin', () => {
  it('puts the divisions whose AUC is worse beyond doubt on one line with their Δ', () => {
    const input = commentInputs(4);
    for (const division of [1, 2]) {
      const compared = input.comparison.divisions[division]!;
      compared.aucDifference.estimate = -0.05;
      compared.aucDelong = { method: 'delong-paired', estimate: -0.05, se: 0.005, pValue: 0.0001 };
    }
    const gate = evaluateGate(input.report, REPO_GATE_CONFIG, { comparison: input.comparison });
    const text = renderMetricsComment({ ...input, gate });
    expect(text).toContain(
      "- ❌ AUC lower than the comparison model's by more than 0.010 beyond doubt: divisions 1 (Δ −0.050), 2 (Δ −0.050)\n",
    );
    expect(text.match(/beyond doubt: /g)).toHaveLength(1);
  });
});
