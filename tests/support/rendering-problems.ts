import { type DocumentFacts, markdownToHtml } from './github-markdown.js';

/** A Mermaid xychart as its Markdown declares it. */
export interface DeclaredChart {
  title: string;
  /** Each `line [...]`/`bar [...]` in order: points (values) and the palette colour it gets. */
  plots: { kind: 'line' | 'bar'; points: number; colour?: string }[];
}

/** What the Markdown itself says the page must show, read from its source. */
export interface DeclaredContent {
  headings: { level: number; text: string }[];
  /** Body rows of each table, in order. */
  tableRows: number[];
  details: number;
  charts: DeclaredChart[];
}

/** Text between code fences is left out of headings and tables (a fence inside one is not Markdown). */
function splitFences(markdown: string): { prose: string[]; fences: { lang: string; body: string[] }[] } {
  const prose: string[] = [];
  const fences: { lang: string; body: string[] }[] = [];
  let open: { lang: string; body: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open) {
      if (fence && !fence[2]) {
        fences.push(open);
        open = undefined;
      } else open.body.push(line);
    } else if (fence) open = { lang: fence[2] ?? '', body: [] };
    else prose.push(line);
  }
  return { prose, fences };
}

/** Text of a line of inline Markdown, as a browser shows it. */
function inlineText(markdown: string): string {
  return markdownToHtml(markdown)
    .replace(/<[^>]*>/g, '')
    .replace(
      /&(lt|gt|quot|amp|#39);/g,
      (_, e: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'" })[e]!,
    )
    .trim();
}

/** Reads headings, tables, `<details>` and Mermaid xycharts out of GitHub Markdown. */
export function declaredContent(markdown: string): DeclaredContent {
  const { prose, fences } = splitFences(markdown);
  const headings = prose.flatMap((line) => {
    const match = /^(#{1,6})\s+(.*)$/.exec(line);
    return match ? [{ level: match[1]!.length, text: inlineText(match[2]!) }] : [];
  });
  const tableRows: number[] = [];
  let lines = 0;
  for (const line of [...prose, '']) {
    if (line.startsWith('|')) lines++;
    else if (lines > 0) {
      tableRows.push(lines - 2);
      lines = 0;
    }
  }
  const details = prose.join('\n').match(/<details[\s>]/g)?.length ?? 0;
  const charts = fences.filter((f) => f.lang === 'mermaid').map((f) => declaredChart(f.body));
  return { headings, tableRows, details, charts };
}

function declaredChart(body: readonly string[]): DeclaredChart {
  const text = body.join('\n');
  const palette = /"plotColorPalette":\s*"([^"]*)"/
    .exec(text)?.[1]
    ?.split(',')
    .map((c) => c.trim());
  const title = /^\s*title\s+"([^"]*)"/m.exec(text)?.[1] ?? '';
  const plots = body.flatMap((line) => {
    const match = /^\s*(line|bar)\s*\[(.*)\]\s*$/.exec(line);
    return match ? [{ kind: match[1] as 'line' | 'bar', points: match[2]!.split(',').length }] : [];
  });
  return {
    title,
    plots: plots.map((plot, i) => (palette ? { ...plot, colour: palette[i % palette.length] } : plot)),
  };
}

/** A chart shown smaller than this share of the width Mermaid laid it out for has text too small to read. */
const MIN_CHART_SCALE = 0.9;

/** Markdown syntax that shows as text when GitHub did not read it as Markdown (e.g. no blank line after `<summary>`). */
const LEAKED_MARKDOWN: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\*\*/, what: '`**`' },
  { pattern: /```/, what: 'a code fence' },
  { pattern: /\|\s*:?-{3,}/, what: 'a table delimiter row' },
  { pattern: /<\/?(details|summary|br|sub)\b/i, what: 'an HTML tag' },
  { pattern: /\[![A-Z]+\]/, what: 'an alert marker' },
];

/**
 * Where the page does not show what the Markdown declares: every Mermaid block drawn as an SVG
 * with its declared series (kind, points, colour), at full size, its axis labels apart, the headings and tables, all `<details>`, no
 * Markdown left as text, nothing wider than the column outside a scroll container, nothing
 * executable left. One line per problem; none when the document renders as written.
 */
export function findRenderingProblems(markdown: string, facts: DocumentFacts): string[] {
  const declared = declaredContent(markdown);
  const problems: string[] = [];
  if (facts.charts.length !== declared.charts.length) {
    problems.push(`${declared.charts.length} Mermaid blocks, ${facts.charts.length} charts drawn`);
  }
  declared.charts.forEach((chart, i) => {
    const drawn = facts.charts[i];
    const name = `chart ${i + 1} (${chart.title})`;
    if (!drawn) return;
    if (drawn.error) problems.push(`${name}: Mermaid error: ${drawn.error.split('\n')[0]}`);
    else if (drawn.title !== chart.title) problems.push(`${name}: drawn with the title "${drawn.title}"`);
    const want = JSON.stringify(chart.plots.map((p) => [p.kind, p.points, p.colour ?? '*']));
    const got = JSON.stringify(
      drawn.plots.map((p, j) => [p.kind, p.points, chart.plots[j]?.colour ? p.colour : '*']),
    );
    if (!drawn.error && want !== got) problems.push(`${name}: declares series ${want}, the SVG has ${got}`);
    if (drawn.overlappingLabels) {
      problems.push(`${name}: ${drawn.overlappingLabels} pairs of axis labels drawn over one another`);
    }
    const scale = (drawn.width ?? 0) / (drawn.naturalWidth || 1);
    if (!drawn.error && scale < MIN_CHART_SCALE) {
      problems.push(
        `${name}: laid out ${drawn.naturalWidth}px wide, shown at ${Math.round(100 * scale)}% in the ${facts.columnWidth}px column`,
      );
    }
  });
  if (JSON.stringify(facts.headings) !== JSON.stringify(declared.headings)) {
    problems.push(`headings ${JSON.stringify(declared.headings)} shown as ${JSON.stringify(facts.headings)}`);
  }
  const rows = facts.tables.map((t) => t.rows);
  if (JSON.stringify(rows) !== JSON.stringify(declared.tableRows)) {
    problems.push(`tables with ${declared.tableRows.join(', ')} rows shown with ${rows.join(', ')}`);
  }
  if (facts.details.count !== declared.details) {
    problems.push(`${declared.details} <details> sections, ${facts.details.count} shown`);
  }
  for (const { pattern, what } of LEAKED_MARKDOWN) {
    const at = pattern.exec(facts.text);
    if (at)
      problems.push(
        `${what} shown as text: "${facts.text.slice(Math.max(0, at.index - 30), at.index + 30)}"`,
      );
  }
  for (const element of facts.overflow) {
    problems.push(
      `<${element.tag}> "${element.text}" is ${element.width}px wide, past the ${facts.columnWidth}px column`,
    );
  }
  const { scripts, handlers, javascriptUrls } = facts.unsafe;
  if (scripts + handlers + javascriptUrls > 0) {
    problems.push(
      `left after filtering: ${scripts} script/style elements, ${handlers} on* handlers, ${javascriptUrls} javascript: URLs`,
    );
  }
  return problems;
}
