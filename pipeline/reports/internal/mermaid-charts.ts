import type { Curves } from '../../../model/metrics-report.js';

/** Points on the false-positive-rate axis the ROC lines are resampled to (xychart-beta spaces points evenly). */
export const ROC_GRID_POINTS = 21;

/** One ROC curve to draw. */
export interface RocLine {
  label: string;
  roc: Curves['roc'];
}

/** Line colours in drawing order, and their names for the legend xychart-beta does not draw. */
export const CHART_COLOURS = [
  { hex: '#2563eb', name: 'blue' },
  { hex: '#f97316', name: 'orange' },
  { hex: '#9ca3af', name: 'grey' },
] as const;

/**
 * A Mermaid `xychart-beta` block of ROC curves (plus the chance diagonal), which GitHub
 * renders in comments and job summaries. xychart-beta places line values evenly along the
 * x axis, so each curve is first resampled to an even FPR grid.
 */
export function rocChart(title: string, lines: readonly RocLine[]): string {
  const grid = Array.from({ length: ROC_GRID_POINTS }, (_, i) => i / (ROC_GRID_POINTS - 1));
  const series = lines.map((line) => `    line [${grid.map((x) => fmt(tprAt(line.roc, x))).join(', ')}]`);
  series.push(`    line [${grid.map(fmt).join(', ')}]`);
  return fence([
    palette(series.length),
    'xychart-beta',
    `    title "${quote(title)}"`,
    // A numeric axis (ticks every 0.1): 21 category labels drawn at 700 px run into one another.
    '    x-axis "false positive rate" 0 --> 1',
    '    y-axis "true positive rate" 0 --> 1',
    ...series,
  ]);
}

/** A Mermaid `xychart-beta` reliability chart: observed positive rate (bars) vs perfect calibration (line). */
export function calibrationChart(title: string, calibration: Curves['calibration']): string {
  const bins = calibration.filter((bin) => bin.count > 0);
  return fence([
    palette(2),
    'xychart-beta',
    `    title "${quote(title)}"`,
    `    x-axis "mean predicted probability" [${bins.map((b) => `"${b.predicted.toFixed(2)}"`).join(', ')}]`,
    '    y-axis "observed positive rate" 0 --> 1',
    `    bar [${bins.map((b) => fmt(b.observed)).join(', ')}]`,
    `    line [${bins.map((b) => fmt(b.predicted)).join(', ')}]`,
  ]);
}

/** TPR at false positive rate `x`, interpolated linearly; at a vertical step, the highest TPR. */
export function tprAt(roc: Curves['roc'], x: number): number {
  const points = [...roc].sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr);
  let before = { fpr: 0, tpr: 0 };
  for (const point of points) {
    if (point.fpr <= x) {
      before = point;
      continue;
    }
    return before.tpr + ((point.tpr - before.tpr) * (x - before.fpr)) / (point.fpr - before.fpr);
  }
  return before.tpr;
}

function palette(lines: number): string {
  const colours = CHART_COLOURS.slice(0, Math.max(1, Math.min(lines, CHART_COLOURS.length))).map(
    (c) => c.hex,
  );
  return `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${colours.join(', ')}"}}}}%%`;
}

function fence(lines: string[]): string {
  return ['```mermaid', ...lines, '```'].join('\n');
}

function fmt(value: number): string {
  return (Math.round(value * 1000) / 1000).toString();
}

/**
 * A chart title for a Mermaid string: `"` becomes `'`, and anything but letters, digits, spaces
 * and `. , ( ) ' _ -` becomes `?` (titles carry division names from the report, and a line
 * break or backtick could otherwise end the block and continue as Markdown).
 */
function quote(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\p{L}\p{N} .,()'_-]/gu, '?');
}
