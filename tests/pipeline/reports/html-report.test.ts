import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsReportSchema } from '../../../model/metrics-report.js';
import { renderHtmlReport, writeHtmlReport } from '../../../pipeline/reports/html-report.js';
import { PALETTE } from '../../../pipeline/reports/svg-charts.js';
import { CHROMIUM, chromiumArgs } from '../../support/chromium.js';
import { metricsReportFixture } from '../../support/metrics-report-fixture.js';
import { countColour, readPng } from '../../support/png.js';

const report = MetricsReportSchema.parse(metricsReportFixture());

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(report);

  it('shows a row per model, with test and CV AUC and the fallback reason', () => {
    const rows = html.match(/<tr class="(trained|fallback)">/g) ?? [];
    expect(rows).toHaveLength(4);
    expect(html).toContain('0.760 <small>[0.740, 0.780]</small>');
    expect(html).toContain('0.790 ± 0.008');
    expect(html).toContain('only 120 labelled rows (minimum 500): the general model serves it');
  });

  it('draws the ROC, calibration, per-division and class-balance charts as inline SVG', () => {
    const charts = html.match(/<svg [^>]*class="chart"[^>]*aria-label="([^"]+)"/g) ?? [];
    expect(charts.map((c) => /aria-label="([^"]+)"/.exec(c)![1])).toEqual([
      'ROC curve (test set)',
      'Calibration (test set)',
      'Test metrics by division',
      'Share of positives in training rows (rebalancing)',
    ]);
    // One ROC and one calibration line per trained model, plus the reference diagonal each.
    expect(html.match(/<path class="series"/g)).toHaveLength(8);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(3 * 5 + 4 * 2);
  });

  it('escapes names so a division name cannot inject markup', () => {
    expect(html).toContain('division-7 &lt;&quot;big&quot;&gt;');
    expect(html).not.toContain('<"big">');
  });

  it('has no scripts and loads nothing from the network', () => {
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});

describe('the report in a browser', () => {
  it('renders its charts in headless Chromium (screenshot checked pixel by pixel)', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'opp-report-'));
    const file = await writeHtmlReport(report, dir);
    expect(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'))).toEqual(report);
    const screenshot = join(dir, 'screenshot.png');
    const run = spawnSync(
      CHROMIUM,
      [
        ...chromiumArgs(join(dir, 'profile')),
        '--window-size=1300,1500',
        `--screenshot=${screenshot}`,
        `file://${file}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(existsSync(screenshot), `chromium wrote no screenshot: ${run.stderr}`).toBe(true);
    const image = readPng(screenshot);
    expect([image.width, image.height]).toEqual([1300, 1500]);
    // The first three palette colours draw the three trained models' lines and bars.
    for (const colour of PALETTE.slice(0, 3)) expect(countColour(image, colour, 30)).toBeGreaterThan(300);
  }, 90_000);
});
