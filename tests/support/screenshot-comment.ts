import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderMetricsComment } from '../../pipeline/reports/pr-comment.js';
import { renderInChromium } from './github-markdown.js';
import { commentInputs } from './pr-comment-fixture.js';

/**
 * `npm run screenshot:comment [out.png]`: a PNG of the 8-division PR comment
 * (tests/support/pr-comment-fixture.ts) as GitHub shows it (github-markdown.ts), for the README:
 * its sections collapsed but the first division's charts, cut below the first (ROC) chart, at
 * most {@link MAX_HEIGHT_PX} high.
 */
const OUT = process.argv[2] ?? '.github/readme/pr-comment.png';
const MAX_HEIGHT_PX = 2400;
const MARGIN_PX = 16;

mkdirSync(dirname(OUT), { recursive: true });
let height = 0;
renderInChromium(
  [
    {
      name: 'comment',
      markdown: renderMetricsComment(commentInputs(8)),
      openDetails: { summaryStartsWith: 'Charts: division 0' },
    },
  ],
  {
    screenshot: {
      file: OUT,
      height: (facts) => {
        const firstChart = facts.documents[0]?.charts[0]?.bottom ?? facts.pageHeight;
        height = Math.min(MAX_HEIGHT_PX, firstChart + MARGIN_PX, facts.pageHeight);
        return height;
      },
    },
  },
);
console.log(`${OUT}: ${Math.ceil(height)} px high, ${Math.round(statSync(OUT).size / 1024)} KiB`);
