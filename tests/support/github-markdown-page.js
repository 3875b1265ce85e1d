// Runs inside headless Chromium (see github-markdown.ts): turns each document's Markdown-made
// HTML into what GitHub shows (sanitized, alerts, Mermaid charts), then records what a test checks
// as base64 JSON on #opp-facts, which `chromium --dump-dom` prints.
/* global mermaid */

// GitHub's sanitizer allowlist, after html-pipeline's SanitizationFilter (gjtorikian/html-pipeline,
// lib/html/pipeline/sanitization_filter.rb): other elements are unwrapped (their text kept), except
// those whose contents go too; other attributes (class, style, id, on*) are dropped.
const ALLOWED_ELEMENTS = new Set(
  `h1 h2 h3 h4 h5 h6 h7 h8 br b i strong em a pre code img tt div ins del sup sub p ol ul table thead
  tbody tfoot blockquote dl dt dd kbd q samp var hr ruby rt rp li tr td th s strike summary details`.split(
    /\s+/,
  ),
);
const DROPPED_WITH_CONTENTS = new Set(
  'script style iframe object embed noscript noembed noframes xmp plaintext template math svg title textarea select'.split(
    ' ',
  ),
);
const ELEMENT_ATTRIBUTES = {
  a: ['href'],
  img: ['src', 'longdesc'],
  div: ['itemscope', 'itemtype'],
  blockquote: ['cite'],
  del: ['cite'],
  ins: ['cite'],
  q: ['cite'],
};
const ANY_ELEMENT_ATTRIBUTES = new Set(
  `abbr accept accept-charset accesskey action align alt axis border cellpadding cellspacing char charoff
  charset checked clear cols colspan color compact coords datetime dir disabled enctype for frame headers
  height hreflang hspace ismap label lang maxlength media method multiple name nohref noshade nowrap open
  prompt readonly rel rev rows rowspan rules scope selected shape size span start summary tabindex target
  title type usemap valign value vspace width itemprop`.split(/\s+/),
);
const URL_PROTOCOLS = {
  href: ['http:', 'https:', 'mailto:'],
  src: ['http:', 'https:'],
  cite: ['http:', 'https:'],
};
const RELATIVE_BASE = 'https://relative.invalid/';
const ALERTS = { NOTE: 'Note', TIP: 'Tip', IMPORTANT: 'Important', WARNING: 'Warning', CAUTION: 'Caution' };

function allowedUrl(attribute, value) {
  const protocols = URL_PROTOCOLS[attribute];
  if (!protocols) return true;
  // The browser's own URL parser, which also skips the tabs and control characters that hide a scheme.
  try {
    const url = new URL(value, RELATIVE_BASE);
    return url.href.startsWith(RELATIVE_BASE) || protocols.includes(url.protocol);
  } catch {
    return false;
  }
}

function sanitize(root) {
  for (const node of [...root.querySelectorAll('*')]) {
    if (!root.contains(node)) continue; // inside an element dropped with its contents
    const name = node.localName;
    const inTable = name === 'tr' || name === 'td' || name === 'th' || /^t(head|body|foot)$/.test(name);
    const stray =
      (inTable && !node.parentElement?.closest('table')) || (name === 'li' && !node.closest('ul, ol'));
    if (DROPPED_WITH_CONTENTS.has(name)) node.remove();
    else if (!ALLOWED_ELEMENTS.has(name) || stray) node.replaceWith(...node.childNodes);
    else {
      for (const { name: attribute, value } of [...node.attributes]) {
        const allowed =
          ANY_ELEMENT_ATTRIBUTES.has(attribute) || ELEMENT_ATTRIBUTES[name]?.includes(attribute);
        if (!allowed || !allowedUrl(attribute, value)) node.removeAttribute(attribute);
      }
    }
  }
  // Comments (the hidden marker) are not shown.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_COMMENT);
  const comments = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  for (const comment of comments) comment.remove();
}

// cmark-gfm writes a fence's language as <pre lang>; micromark as a class, which the sanitizer drops.
function keepCodeLanguages(root) {
  for (const code of root.querySelectorAll('pre > code[class^="language-"]')) {
    code.parentElement.setAttribute('lang', code.className.slice('language-'.length));
    code.removeAttribute('class');
  }
}

// GitHub turns `> [!NOTE]` blockquotes into alerts with a title line.
function renderAlerts(root) {
  for (const quote of root.querySelectorAll('blockquote')) {
    const first = quote.firstElementChild;
    const match = first?.localName === 'p' && /^\[!(\w+)\]\s*/.exec(first.textContent);
    const title = match && ALERTS[match[1].toUpperCase()];
    if (!title) continue;
    const marker = first.firstChild;
    marker.textContent = marker.textContent.replace(/^\[!\w+\]\s*/, '');
    if (first.firstChild?.localName === 'br') first.firstChild.remove();
    const alert = document.createElement('div');
    alert.className = `markdown-alert markdown-alert-${match[1].toLowerCase()}`;
    const heading = document.createElement('p');
    heading.className = 'markdown-alert-title';
    heading.textContent = title;
    alert.append(heading, ...quote.childNodes);
    quote.replaceWith(alert);
  }
}

// Mermaid's output for a source is the same every time: documents sharing charts draw each once.
const drawn = new Map();

async function drawChart(id, source, figure) {
  const done = drawn.get(source);
  if (done) return { svg: done.svg.replaceAll(done.id, id) };
  const { svg } = await mermaid.render(id, source, figure);
  drawn.set(source, { id, svg });
  return { svg };
}

async function renderCharts(root, prefix) {
  const charts = [];
  let index = 0;
  for (const pre of [...root.querySelectorAll('pre[lang="mermaid"]')]) {
    const id = `${prefix}-chart-${index++}`;
    const figure = document.createElement('div');
    figure.className = 'mermaid-figure';
    pre.replaceWith(figure);
    try {
      figure.innerHTML = (await drawChart(id, pre.textContent, figure)).svg;
      charts.push({ figure });
    } catch (error) {
      figure.textContent = `Mermaid error: ${error?.message ?? error}`;
      charts.push({ figure, error: String(error?.message ?? error) });
    }
  }
  return charts;
}

function chartFacts({ figure, error }) {
  const svg = figure.querySelector('svg');
  if (!svg) return { error: error ?? 'no SVG', plots: [] };
  const plots = [...svg.querySelectorAll('g.plot > g')].map((group) => {
    const kind = /^(line|bar)-plot/.exec(group.getAttribute('class') ?? '')?.[1] ?? 'unknown';
    if (kind === 'line') {
      const path = group.querySelector('path');
      const points = (path?.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0;
      return { kind, colour: path?.getAttribute('stroke') ?? '', points };
    }
    const bars = group.querySelectorAll('rect');
    return { kind, colour: bars[0]?.getAttribute('fill') ?? '', points: bars.length };
  });
  const viewBox = svg.viewBox.baseVal;
  // Axis labels drawn over one another cannot be read.
  let overlappingLabels = 0;
  for (const axis of svg.querySelectorAll('.bottom-axis .label, .left-axis .label')) {
    const boxes = [...axis.querySelectorAll('text')].map((t) => t.getBoundingClientRect());
    const across = axis.closest('.bottom-axis') !== null;
    for (let i = 1; i < boxes.length; i++) {
      const [a, b] = [boxes[i - 1], boxes[i]];
      const apart = across ? a.right <= b.left || b.right <= a.left : a.bottom <= b.top || b.bottom <= a.top;
      if (!apart && a.width > 0 && b.width > 0) overlappingLabels++;
    }
  }
  return {
    error: error ?? (svg.getAttribute('aria-roledescription') === 'error' ? 'error diagram' : undefined),
    role: svg.getAttribute('aria-roledescription'),
    title: svg.querySelector('.chart-title text')?.textContent ?? '',
    width: svg.getBoundingClientRect().width,
    bottom: svg.getBoundingClientRect().bottom + window.scrollY,
    naturalWidth: viewBox?.width ?? 0,
    overlappingLabels,
    plots,
  };
}

function isScrollContainer(element) {
  const overflow = getComputedStyle(element).overflowX;
  return overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden';
}

// Elements reaching past the column, other than those inside a scroll container (or an SVG).
function overflowingElements(column) {
  const rect = column.getBoundingClientRect();
  const style = getComputedStyle(column);
  const inset = (side) =>
    Number.parseFloat(style[`padding${side}`]) + Number.parseFloat(style[`border${side}Width`]);
  const box = { left: rect.left + inset('Left'), right: rect.right - inset('Right') };
  const found = [];
  const visit = (element) => {
    for (const child of element.children) {
      const rect = child.getBoundingClientRect();
      if (rect.width > 0 && (rect.right > box.right + 0.5 || rect.left < box.left - 0.5)) {
        found.push({
          tag: child.localName,
          text: child.textContent.replace(/\s+/g, ' ').slice(0, 80),
          width: Math.round(rect.width),
        });
      }
      if (child.localName !== 'svg' && !isScrollContainer(child)) visit(child);
    }
  };
  visit(column);
  return found;
}

// Text a reader sees, without code blocks (whose Markdown-looking text is meant).
function visibleText(column) {
  const copy = column.cloneNode(true);
  for (const element of copy.querySelectorAll('pre, code, svg, .mermaid-figure')) element.remove();
  return copy.textContent;
}

function outsideCharts(element) {
  return !element.closest('.mermaid-figure');
}

async function renderDocument(source, index) {
  const article = document.createElement('article');
  article.className = 'markdown-body';
  article.dataset.name = source.name;
  document.querySelector('main').append(article);
  const parsed = new DOMParser().parseFromString(`<body>${source.html}</body>`, 'text/html').body;
  keepCodeLanguages(parsed);
  sanitize(parsed);
  renderAlerts(parsed);
  article.append(...[...parsed.childNodes].map((node) => document.importNode(node, true)));
  // Charts are drawn in open sections (Mermaid measures its text); then the sections are set as asked.
  for (const details of article.querySelectorAll('details')) details.open = true;
  const charts = await renderCharts(article, `doc-${index}`);
  for (const details of article.querySelectorAll('details')) {
    const summary = details.querySelector('summary')?.textContent ?? '';
    details.open = source.openDetails === 'all' || summary.startsWith(source.openDetails.summaryStartsWith);
  }
  return {
    name: source.name,
    headings: [...article.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => ({
      level: Number(h.localName.slice(1)),
      text: h.textContent.trim(),
    })),
    text: visibleText(article),
    links: [...article.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    details: {
      count: article.querySelectorAll('details').length,
      open: article.querySelectorAll('details[open]').length,
    },
    tables: [...article.querySelectorAll('table')].map((table) => ({
      rows: table.querySelectorAll('tbody tr').length,
      text: table.textContent.replace(/\s+/g, ' '),
      width: Math.round(table.getBoundingClientRect().width),
      scrollWidth: table.scrollWidth,
      clientWidth: table.clientWidth,
    })),
    charts: charts.map(chartFacts),
    columnWidth: article.clientWidth - Number.parseFloat(getComputedStyle(article).paddingLeft) * 2,
    height: Math.ceil(article.getBoundingClientRect().height),
    overflow: overflowingElements(article),
    unsafe: {
      // Outside the charts: GitHub draws those in their own frame, and Mermaid's SVG has a <style>.
      scripts: [...article.querySelectorAll('script, style, iframe, object, embed')].filter(outsideCharts)
        .length,
      handlers: [...article.querySelectorAll('*')].filter(
        (e) => outsideCharts(e) && [...e.attributes].some((a) => /^on/i.test(a.name)),
      ).length,
      javascriptUrls: [...article.querySelectorAll('[href], [src]')].filter(
        (e) =>
          outsideCharts(e) &&
          ['href', 'src'].some((a) => e.hasAttribute(a) && !allowedUrl(a, e.getAttribute(a))),
      ).length,
    },
  };
}

async function main() {
  const sources = JSON.parse(document.getElementById('opp-documents').textContent);
  const facts = { documents: [], pageHeight: 0, pwned: false };
  try {
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'default' });
    for (const [index, source] of sources.entries())
      facts.documents.push(await renderDocument(source, index));
  } catch (error) {
    facts.error = String(error?.stack ?? error);
  }
  // Let queued events (an image's error, a section's toggle) run before asking whether a script ran.
  await new Promise((resolve) => setTimeout(resolve, 500));
  facts.pageHeight = document.documentElement.scrollHeight;
  // A script smuggled into a document would set this: the sanitizer and the CSP must stop it.
  facts.pwned = Boolean(window.oppPwned || document.body.dataset.pwned);
  const bytes = new TextEncoder().encode(JSON.stringify(facts));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const out = document.createElement('div');
  out.id = 'opp-facts';
  out.dataset.base64 = btoa(binary);
  document.body.append(out);
}

main();
