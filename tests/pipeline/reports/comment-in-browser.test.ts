import { beforeAll, describe, expect, it } from 'vitest';
import { renderMetricsSummary } from '../../../pipeline/reports/job-summary.js';
import { renderMetricsComment } from '../../../pipeline/reports/pr-comment.js';
import { COMMENT_COLUMN_PX, type PageFacts, renderInChromium } from '../../support/github-markdown.js';
import { commentInputs } from '../../support/pr-comment-fixture.js';
import { declaredContent, findRenderingProblems } from '../../support/rendering-problems.js';

// GitHub shows the comment and the job summary as GitHub Markdown with Mermaid charts: both are
// rendered so in headless Chromium, then read back. The defect cases prove the same checks fail.
const inputs8 = commentInputs(8);
const inputs30 = commentInputs(30);
// A fork's pull request: unverified metrics, sample data, the sample-data gate (GitHub alerts head it).
const fork8 = {
  ...inputs8,
  unverified: true,
  dataSource: 'sample records (20000, seed 1)',
  advisory: { gateConfig: 'configs/examples/gate-sample-data.json' },
};
const small = renderMetricsComment(commentInputs(2));
const documents = {
  comment8: renderMetricsComment(inputs8),
  comment30: renderMetricsComment(inputs30),
  summary30: renderMetricsSummary(inputs30),
  fork8: renderMetricsComment(fork8),
  // A series line that Mermaid cannot parse.
  brokenChart: small.replace(/^( {4}line \[)/m, '$1oops, '),
  // A chart laid out wider than the column: the browser shrinks it, and its text with it.
  wideChart: small.replace('%%{init: {', '%%{init: {"xyChart": {"width": 1200}, '),
  // 21 category labels on a 700 px axis (the ROC charts' axis before it became numeric).
  crowdedAxis: small.replace(
    'x-axis "false positive rate" 0 --> 1',
    `x-axis "false positive rate" [${Array.from({ length: 21 }, (_, i) => `"${(i / 20).toFixed(2)}"`).join(', ')}]`,
  ),
  // An element GitHub keeps with a width no style of its caps.
  wideElement: small.replace('### Provenance', '<hr width="1200">\n\n### Provenance'),
  // No blank line after <summary>: GitHub shows the section's Markdown as text.
  rawMarkdown: small.replace(/(<summary>[^\n]*<\/summary>)\n\n/, '$1\n'),
  hostile: [
    '## hostile',
    '',
    '<img src="x" onerror="document.body.dataset.pwned = 1">',
    '',
    '<details open ontoggle="window.oppPwned = 1"><summary>s</summary>',
    '',
    'text',
    '',
    '</details>',
    '',
    '[link](javascript:window.oppPwned=1) <a href="javascript:window.oppPwned=1">raw</a>',
    '<a href=" java&#9;script:window.oppPwned=1">hidden scheme</a> <a href="/relative">kept</a>',
    '',
    '<script>window.oppPwned = 1</script>',
    '',
    '<style>body { display: none }</style>',
    '',
  ].join('\n'),
};
type Name = keyof typeof documents;
let page: PageFacts;
const facts = (name: Name) => page.documents.find((d) => d.name === name)!;
const problems = (name: Name) => findRenderingProblems(documents[name], facts(name));

beforeAll(() => {
  page = renderInChromium(Object.entries(documents).map(([name, markdown]) => ({ name, markdown })));
}, 120_000);

describe('the PR comment and the job summary in headless Chromium, as GitHub renders them', () => {
  it('renders every document in the page', () => {
    expect(page.error).toBeUndefined();
    expect(page.documents.map((d) => d.name)).toEqual(Object.keys(documents));
  });

  it.each([
    ['comment8', inputs8],
    ['comment30', inputs30],
    ['summary30', inputs30],
    ['fork8', fork8],
  ] as const)(
    '%s: every chart draws its series, nothing overflows the column, nothing is left as Markdown',
    (name, input) => {
      const declared = declaredContent(documents[name]);
      const shown = facts(name);
      expect(shown.columnWidth).toBe(COMMENT_COLUMN_PX);
      // Two charts per division (ROC with both models and chance, calibration), all in the comment.
      expect(declared.charts).toHaveLength(2 * input.report.models.length);
      expect(declared.charts.filter((c) => c.title.startsWith('ROC')).map((c) => c.plots.length)).toEqual(
        input.report.models.map(() => 3),
      );
      expect(shown.details.open).toBe(shown.details.count);
      expect(problems(name)).toEqual([]);
    },
  );

  it.each([
    ['comment8', inputs8],
    ['comment30', inputs30],
    ['summary30', inputs30],
    ['fork8', fork8],
  ] as const)('%s: the verdict heads it and the first table lists every division', (name, input) => {
    const shown = facts(name);
    expect(shown.headings[0]).toMatchObject({ level: 2 });
    expect(shown.headings[0]!.text).toContain(input.gate.passed ? 'passed' : 'failed');
    for (const model of input.report.models) expect(shown.tables[0]!.text).toContain(model.name);
    expect(shown.text).not.toContain('opp-metrics-report');
  });

  it("a fork's comment opens with its warning and advisory note as GitHub alerts", () => {
    const text = facts('fork8').text.replace(/\s+/g, ' ');
    expect(text).toContain('Warning Unverified metrics.');
    expect(text).toContain('Note Advisory: sample data.');
  });
});

describe('the checks fail on a defective document', () => {
  it('a Mermaid block that does not parse', () => {
    expect(problems('brokenChart')).toEqual([
      expect.stringMatching(/^chart 1 \(ROC, division 0 \(general\)\): Mermaid error: /),
    ]);
  });

  it('a chart shrunk to fit the column', () => {
    expect(problems('wideChart')).toEqual([
      'chart 1 (ROC, division 0 (general)): laid out 1200px wide, shown at 71% in the 850px column',
    ]);
  });

  it('a chart whose axis labels run into one another', () => {
    expect(problems('crowdedAxis')).toEqual([
      'chart 1 (ROC, division 0 (general)): 20 pairs of axis labels drawn over one another',
    ]);
  });

  it('an element wider than the column', () => {
    expect(problems('wideElement')).toEqual(['<hr> "" is 1200px wide, past the 850px column']);
  });

  it('Markdown that GitHub would show as text', () => {
    expect(problems('rawMarkdown')).toContainEqual(expect.stringMatching(/shown as text/));
  });

  it('scripts, handlers and javascript: links are filtered out and never run', () => {
    expect(page.pwned).toBe(false);
    expect(facts('hostile').unsafe).toEqual({ scripts: 0, handlers: 0, javascriptUrls: 0 });
    expect(facts('hostile').details).toEqual({ count: 1, open: 1 });
    // The Markdown link's javascript: URL is emptied by the Markdown step, the raw ones by the filter.
    expect(facts('hostile').links).toEqual(['', '/relative']);
    expect(problems('hostile')).toEqual([]);
  });
});
