import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { CHROMIUM, chromiumArgs } from './chromium.js';
import { cropTop, readPng, writePng } from './png.js';

/** Width of a PR comment's body on github.com (the Markdown column), in CSS pixels. */
export const COMMENT_COLUMN_PX = 850;

/** The page's width: the column, the comment's padding and border, the body's padding (GITHUB_CSS). */
const PAGE_WIDTH_PX = COMMENT_COLUMN_PX + 2 * (16 + 1 + 16);
/** More than the window height headless Chromium keeps from the page's viewport. */
const WINDOW_CHROME_PX = 200;
const PAGE_SCRIPT = new URL('./github-markdown-page.js', import.meta.url);
const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

/** One Markdown document to show, as a comment body. */
export interface MarkdownDocument {
  name: string;
  markdown: string;
  /**
   * `<details>` to open: all (as a test reads them), or those whose summary starts with this text
   * (the rest collapsed, as GitHub first shows them). @default 'all'
   */
  openDetails?: 'all' | { summaryStartsWith: string };
}

/** A Mermaid chart as the page drew it. */
export interface ChartFacts {
  error?: string;
  /** The SVG's `aria-roledescription` (`xychart`, `error`…). */
  role?: string;
  title?: string;
  /** Drawn width, and the width Mermaid laid it out for (px). */
  width?: number;
  /** Pairs of neighbouring axis labels drawn over one another. */
  overlappingLabels?: number;
  /** Where its bottom edge is on the page (px from the top; 0 in a closed section). */
  bottom?: number;
  naturalWidth?: number;
  /** The plots in drawing order: kind, colour, points (line vertices or bars). */
  plots: { kind: string; colour: string; points: number }[];
}

/** What the page shows for one document. */
export interface DocumentFacts {
  name: string;
  headings: { level: number; text: string }[];
  /** Visible text, code blocks and charts left out. */
  text: string;
  /** Every link's href, as kept. */
  links: string[];
  details: { count: number; open: number };
  tables: { rows: number; text: string; width: number; scrollWidth: number; clientWidth: number }[];
  charts: ChartFacts[];
  columnWidth: number;
  height: number;
  /** Elements wider than the column outside a scroll container. */
  overflow: { tag: string; text: string; width: number }[];
  /** Left over after GitHub's filtering: script-like elements, on* attributes, URLs of other schemes than GitHub allows. */
  unsafe: { scripts: number; handlers: number; javascriptUrls: number };
}

/** What the page read back. */
export interface PageFacts {
  documents: DocumentFacts[];
  /** The page's height in px. */
  pageHeight: number;
  /** Whether a script from a document ran. */
  pwned: boolean;
  error?: string;
}

/**
 * Markdown to HTML as GitHub's cmark-gfm does (CommonMark + tables, strikethrough, autolinks, task
 * lists, footnotes), raw HTML kept: the page filters it as GitHub does.
 */
export function markdownToHtml(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}

/**
 * A page that shows each document as GitHub shows a comment: sanitized HTML, alerts and Mermaid
 * charts in a {@link COMMENT_COLUMN_PX}-wide column with GitHub's Markdown CSS. Only the page's
 * own scripts may run (a nonce'd Content-Security-Policy).
 */
export function buildCommentPage(documents: readonly MarkdownDocument[]): string {
  const nonce = randomBytes(16).toString('base64');
  const sources = documents.map((d) => ({
    name: d.name,
    html: markdownToHtml(d.markdown),
    openDetails: d.openDetails ?? 'all',
  }));
  // `<` as \u003c keeps a document's `</script>` inside the JSON.
  const json = JSON.stringify(sources).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src data:">
<title>comment</title>
<style>${GITHUB_CSS}</style></head>
<body><main></main>
<script type="application/json" id="opp-documents">${json}</script>
<script nonce="${nonce}" src="file://${MERMAID}"></script>
<script nonce="${nonce}">${readFileSync(PAGE_SCRIPT, 'utf8')}</script>
</body></html>`;
}

export interface RenderOptions {
  /** Write a PNG of the page here, as wide as the column and its frame, its top `height` px (from the page's facts). */
  screenshot?: { file: string; height: (facts: PageFacts) => number };
  /** Virtual time Chromium gives the page's scripts, in ms. @default 30000 */
  budgetMs?: number;
}

/**
 * Shows `documents` in headless Chromium and reads back what the page drew.
 * @throws Error when Chromium is missing or the page wrote no facts.
 */
export function renderInChromium(
  documents: readonly MarkdownDocument[],
  options: RenderOptions = {},
): PageFacts {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: .ci/install-system-packages installs it`);
  const dir = mkdtempSync(join(tmpdir(), 'opp-comment-'));
  try {
    const page = join(dir, 'comment.html');
    writeFileSync(page, buildCommentPage(documents));
    const budget = `--virtual-time-budget=${options.budgetMs ?? 30_000}`;
    const run = (extra: string[]) =>
      spawnSync(CHROMIUM, [...chromiumArgs(join(dir, 'profile')), budget, ...extra, `file://${page}`], {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 120_000,
      });
    const shot = options.screenshot;
    const dump = run(['--window-size=1000,1000', '--dump-dom']);
    const encoded = /id="opp-facts" data-base64="([A-Za-z0-9+/=]*)"/.exec(dump.stdout ?? '')?.[1];
    if (!encoded)
      throw new Error(`the page wrote no facts (status ${dump.status}): ${dump.stderr?.slice(-2000)}`);
    const facts = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as PageFacts;
    if (shot) {
      // Headless Chromium's viewport is shorter than its window: shoot taller, then cut.
      const height = Math.ceil(shot.height(facts));
      const raw = join(dir, 'screenshot.png');
      run([`--window-size=${PAGE_WIDTH_PX},${height + WINDOW_CHROME_PX}`, `--screenshot=${raw}`]);
      if (!existsSync(raw)) throw new Error(`chromium wrote no screenshot`);
      writePng(shot.file, cropTop(readPng(raw), height));
    }
    return facts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// GitHub's Markdown CSS, the parts that decide widths and scrolling (github-markdown-css, light theme).
const GITHUB_CSS = `
body { margin: 0; padding: 16px; background: #fff; }
main { display: flex; flex-direction: column; gap: 32px; align-items: flex-start; }
.markdown-body { box-sizing: content-box; width: ${COMMENT_COLUMN_PX}px; padding: 16px; border: 1px solid #d1d9e0; border-radius: 6px;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji";
  font-size: 14px; line-height: 1.5; word-wrap: break-word; color: #1f2328; }
.markdown-body > *:first-child { margin-top: 0 !important; }
.markdown-body > *:last-child { margin-bottom: 0 !important; }
.markdown-body p, .markdown-body blockquote, .markdown-body ul, .markdown-body ol, .markdown-body dl,
.markdown-body table, .markdown-body pre, .markdown-body details, .markdown-body .mermaid-figure,
.markdown-body .markdown-alert { margin-top: 0; margin-bottom: 16px; }
.markdown-body h1, .markdown-body h2, .markdown-body h3, .markdown-body h4 { margin-top: 24px; margin-bottom: 16px; font-weight: 600; line-height: 1.25; }
.markdown-body h2 { padding-bottom: .3em; font-size: 1.5em; border-bottom: 1px solid #d1d9e0b3; }
.markdown-body h3 { font-size: 1.25em; }
.markdown-body ul, .markdown-body ol { padding-left: 2em; }
.markdown-body blockquote { margin-left: 0; padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
.markdown-body code, .markdown-body tt { padding: .2em .4em; margin: 0; font-size: 85%; white-space: break-spaces;
  background-color: #818b981f; border-radius: 6px; font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; }
.markdown-body pre { padding: 16px; overflow: auto; font-size: 85%; line-height: 1.45; background-color: #f6f8fa; border-radius: 6px; word-wrap: normal; }
.markdown-body pre code { display: inline; padding: 0; margin: 0; overflow: visible; line-height: inherit; word-wrap: normal; white-space: pre; background-color: transparent; border: 0; font-size: 100%; }
.markdown-body table { border-spacing: 0; border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
.markdown-body table th { font-weight: 600; }
.markdown-body table th, .markdown-body table td { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body table tr { background-color: #fff; border-top: 1px solid #d1d9e0b3; }
.markdown-body table tr:nth-child(2n) { background-color: #f6f8fa; }
.markdown-body img { max-width: 100%; box-sizing: content-box; }
.markdown-body hr { box-sizing: content-box; overflow: hidden; height: .25em; padding: 0; margin: 24px 0; background-color: #d1d9e0; border: 0; }
.markdown-body details summary { cursor: pointer; display: list-item; }
.markdown-body .markdown-alert { padding: .5rem 1rem; border-left: .25em solid #d1d9e0; }
.markdown-body .markdown-alert > :last-child { margin-bottom: 0; }
.markdown-body .markdown-alert-title { font-weight: 500; line-height: 1; }
.markdown-body .markdown-alert-note { border-left-color: #0969da; } .markdown-body .markdown-alert-note .markdown-alert-title { color: #0969da; }
.markdown-body .markdown-alert-warning { border-left-color: #9a6700; } .markdown-body .markdown-alert-warning .markdown-alert-title { color: #9a6700; }
`;
