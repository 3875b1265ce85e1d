/**
 * Small, dependency-free SVG charts for reports that must render without a browser or a
 * canvas: line charts (ROC, calibration) and grouped bar charts.
 */

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: readonly Point[];
  /** Draw markers at the points (for sparse series such as calibration bins). */
  markers?: boolean;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

/** Colours that stay apart for people with the common colour-vision deficiencies (Okabe-Ito). */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
];

const MARGIN = { top: 34, right: 120, bottom: 44, left: 52 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function frame(options: ChartOptions, body: string, width: number, height: number): string {
  const title = escapeXml(options.title);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${title}</title>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${title}</text>`,
    body,
    `<text x="${MARGIN.left + (width - MARGIN.left - MARGIN.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    '</svg>',
  ].join('\n');
}

function axes(x0: number, y0: number, w: number, h: number, yMax = 1, xTicks = true): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`];
  for (const t of ticks) {
    const x = x0 + t * w;
    const y = y0 + h - t * h;
    if (xTicks) {
      parts.push(
        `<line x1="${x}" y1="${y0 + h}" x2="${x}" y2="${y0 + h + 4}" stroke="#999"/><text x="${x}" y="${y0 + h + 15}" text-anchor="middle">${t}</text>`,
      );
    }
    const label = +(t * yMax).toPrecision(3);
    parts.push(
      `<line x1="${x0 - 4}" y1="${y}" x2="${x0}" y2="${y}" stroke="#999"/><text x="${x0 - 7}" y="${y + 4}" text-anchor="end">${label}</text>`,
    );
    if (t > 0 && t < 1) parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#eee"/>`);
  }
  return parts.join('\n');
}

/** A line chart on the unit square (both axes 0..1), with a legend on the right. */
export function lineChart(series: readonly LineSeries[], options: ChartOptions): string {
  const width = options.width ?? 420;
  const height = options.height ?? 320;
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => (MARGIN.left + Math.min(Math.max(x, 0), 1) * w).toFixed(1);
  const sy = (y: number) => (MARGIN.top + h - Math.min(Math.max(y, 0), 1) * h).toFixed(1);
  const parts = [axes(MARGIN.left, MARGIN.top, w, h)];
  series.forEach((s, i) => {
    const colour = s.dashed ? '#888' : PALETTE[i % PALETTE.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x)},${sy(p.y)}`).join('');
    parts.push(
      `<path class="series" data-name="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${colour}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    if (s.markers)
      for (const p of s.points)
        parts.push(`<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="2.5" fill="${colour}"/>`);
    const ly = MARGIN.top + 8 + i * 16;
    parts.push(
      `<line x1="${width - MARGIN.right + 10}" y1="${ly}" x2="${width - MARGIN.right + 26}" y2="${ly}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${width - MARGIN.right + 30}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  return frame(options, parts.join('\n'), width, height);
}

export interface BarGroup {
  label: string;
  values: readonly number[];
}

/** Grouped vertical bars on 0..max (default 1), one colour per entry of `legend`. */
export function barChart(
  groups: readonly BarGroup[],
  legend: readonly string[],
  options: ChartOptions & { max?: number },
): string {
  const width = options.width ?? Math.max(420, 90 + groups.length * (legend.length * 14 + 16) + MARGIN.right);
  const height = options.height ?? 300;
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  const max = options.max ?? 1;
  const parts = [axes(MARGIN.left, MARGIN.top, w, h, max, false)];
  const slot = w / Math.max(groups.length, 1);
  const bar = Math.min(14, (slot - 10) / Math.max(legend.length, 1));
  groups.forEach((group, g) => {
    const start = MARGIN.left + g * slot + (slot - bar * legend.length) / 2;
    group.values.forEach((value, i) => {
      const bh = Math.max(0, Math.min(value / max, 1)) * h;
      parts.push(
        `<rect class="bar" x="${(start + i * bar).toFixed(1)}" y="${(MARGIN.top + h - bh).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${group.label} ${legend[i]}: ${+value.toPrecision(4)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(MARGIN.left + (g + 0.5) * slot).toFixed(1)}" y="${MARGIN.top + h + 16}" text-anchor="middle">${escapeXml(group.label)}</text>`,
    );
  });
  legend.forEach((name, i) => {
    const ly = MARGIN.top + 8 + i * 16;
    parts.push(
      `<rect x="${width - MARGIN.right + 10}" y="${ly - 6}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${width - MARGIN.right + 26}" y="${ly + 4}">${escapeXml(name)}</text>`,
    );
  });
  return frame(options, parts.join('\n'), width, height);
}
