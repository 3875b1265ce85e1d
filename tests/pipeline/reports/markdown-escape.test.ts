import { describe, expect, it } from 'vitest';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { GateConfigSchema } from '../../../pipeline/config/gate-config.js';
import { evaluateGate } from '../../../pipeline/gate/evaluate-gate.js';
import { ComparisonReportSchema } from '../../../pipeline/reports/comparison-report.js';
import { renderMetricsSummary } from '../../../pipeline/reports/job-summary.js';
import {
  codeBlock,
  escapeHtml,
  escapeMarkdown,
  inlineCode,
} from '../../../pipeline/reports/markdown-escape.js';
import { renderMetricsComment, UNVERIFIED_NOTE } from '../../../pipeline/reports/pr-comment.js';
import { fallbackReport, metricsReport, modelReport } from '../../support/metrics-fixtures.js';

const ZWSP = '\u200b';
const IMG = '<img src=x onerror=alert(1)>';
const LINK = '[link](http://evil.example/x)';
const MENTION = '@org/team';
const BREAKOUT = 'x\n```\n# heading\n<script>alert(1)</script>';

/** Markup that would render as something other than its own characters on GitHub. */
function expectNothingActive(text: string): void {
  expect(text).not.toMatch(/<(img|script|a|iframe)\b/i);
  expect(text).not.toContain('](');
  expect(text).not.toMatch(/https?:\/\/evil/);
  expect(text).not.toMatch(/www\.evil/i);
  expect(text).not.toMatch(/@[A-Za-z]/);
  // Issue references (#1); HTML entities (&#39;) and the charts' colours (#2563eb) are not ones.
  expect(text).not.toMatch(/(?<!&)#[0-9](?![0-9a-f]{5})/);
  expect(text).not.toMatch(/^#+ heading/m);
  // The only fences are the charts' own, each alone on its line.
  for (const line of text.split('\n').filter((l) => l.includes('```')))
    expect(line).toMatch(/^```(mermaid)?$/);
}

describe('escapeMarkdown', () => {
  it('turns tags, links, images, emphasis, mentions, references and bare URLs into plain text', () => {
    expect(escapeMarkdown(IMG)).toBe('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(escapeMarkdown(LINK)).toBe(`\\[link\\]\\(http:${ZWSP}//evil.example/x\\)`);
    expect(escapeMarkdown(MENTION)).toBe(`@${ZWSP}org/team`);
    expect(escapeMarkdown('![i](x) **b** _i_ ~s~ `c` a|b #12 www.evil.com a&b')).toBe(
      `\\!\\[i\\]\\(x\\) \\*\\*b\\*\\* \\_i\\_ \\~s\\~ \\\`c\\\` a\\|b \\#${ZWSP}12 www${ZWSP}.evil.com a&amp;b`,
    );
    expect(escapeMarkdown('a\nb\r\nc\u2028d')).toBe('a b  c d');
    expect(escapeMarkdown('name\u202egpj.exe\u2066x\u2069')).toBe('name gpj.exe x ');
    expect(escapeMarkdown('back\\slash')).toBe('back\\\\slash');
  });

  it('leaves plain names as they are', () => {
    expect(escapeMarkdown('division-2 general 0.75')).toBe('division-2 general 0.75');
  });
});

describe('escapeHtml, inlineCode, codeBlock', () => {
  it('escapes HTML content without backslashes (they would show inside <summary>)', () => {
    expect(escapeHtml(`${IMG} "q" 'a' @x`)).toBe(
      `&lt;img src=x onerror=alert(1)&gt; &quot;q&quot; &#39;a&#39; @${ZWSP}x`,
    );
  });

  it('puts only plain tokens in a code span', () => {
    expect(inlineCode('opp-general:12')).toBe('`opp-general:12`');
    expect(inlineCode('a`b <i>')).toBe('a\\`b &lt;i&gt;');
  });

  it('fences a body with a fence longer than any backtick run in it', () => {
    expect(codeBlock('plain', 'text')).toBe('```text\nplain\n```');
    expect(codeBlock('a\n```\nb', 'text')).toBe('````text\na\n```\nb\n````');
  });
});

describe('a hostile metrics report', () => {
  const config = GateConfigSchema.parse({ minimum: { auc: 0.65, recall: 0.7 } });
  const report = metricsReport([
    modelReport(0, {}, { name: IMG, inputEncoding: { columns: ['<script>x</script>', '@ghost'] } }),
    modelReport(1, { recall: 0.5 }, { name: LINK }),
    {
      ...fallbackReport(2),
      name: MENTION,
      fallbackReason: `${BREAKOUT} #1 www.evil.com ![p](https://evil/p.png)`,
    },
  ]);
  const input = {
    report,
    gate: evaluateGate(report, config),
    comparisonModel: { source: 'registry' as const, modelVersion: 'x` <img src=y>' },
  };

  it('renders in the PR comment and the job summary with none of its markup active', () => {
    for (const text of [renderMetricsComment(input), renderMetricsSummary(input)]) {
      expectNothingActive(text);
      expect(text).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
      expect(text).toContain(`@${ZWSP}org/team`);
      expect(text).toContain(`\\#${ZWSP}1`);
    }
  });

  it('says the metrics are unverified when they come from a fork, and only then', () => {
    expect(renderMetricsComment({ ...input, unverified: true })).toContain(UNVERIFIED_NOTE);
    expect(renderMetricsComment({ ...input, unverified: true })).toContain(
      "metrics from a fork's artifact are unverified",
    );
    expect(renderMetricsComment(input)).not.toContain('Unverified');
  });
});

describe('report schemas', () => {
  const valid = metricsReport([modelReport(0)]);

  it('refuse a git SHA that is not 40 hex digits, and ids with markup', () => {
    expect(MetricsReportSchema.safeParse(valid).success).toBe(true);
    for (const bad of [
      { gitSha: 'a1b2c3d' },
      { gitSha: `${'a'.repeat(39)}<` },
      { gitSha: 'A'.repeat(40) },
      { snapshotId: '<img src=x>' },
      { snapshotId: 'snap\n# heading' },
      { specHash: '[x](http://evil)' },
      { backend: '@org/team' },
    ]) {
      const result = MetricsReportSchema.safeParse({ ...valid, ...bad });
      expect(result.success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('refuse a comparison report whose commit or model version is not in its format', () => {
    const comparison = {
      version: 1,
      createdAt: '2026-11-25T09:00:00.000Z',
      candidate: {},
      comparison: { source: 'base-commit', gitSha: 'f'.repeat(40) },
      divisions: [],
    };
    expect(ComparisonReportSchema.safeParse(comparison).success).toBe(true);
    for (const bad of [
      { source: 'base-commit', gitSha: 'abc' },
      { source: 'registry', modelVersion: 'opp`<img src=x>' },
    ]) {
      expect(ComparisonReportSchema.safeParse({ ...comparison, comparison: bad }).success).toBe(false);
    }
    expect(ComparisonReportSchema.safeParse({ ...comparison, holdoutId: 'a b' }).success).toBe(false);
  });
});
