import type { GateCheck, GateResult } from './evaluate-gate.js';

const KIND_SYMBOL: Record<GateCheck['kind'], string> = {
  minimum: '≥',
  maximum: '≤',
  maxDrop: '≥',
  nonInferiority: '≥',
};

/** The gate result as plain text for a terminal: one block per division, one line per check. */
export function formatGateText(result: GateResult): string {
  const review = result.needsReview;
  const lines = [
    `metrics gate: ${result.passed ? 'PASSED' : 'FAILED'} (baseline: ${result.baseline})${review.length > 0 ? `; AUC possibly worse, review: division${review.length === 1 ? '' : 's'} ${review.join(', ')}` : ''}`,
  ];
  for (const division of result.divisions) {
    lines.push(`  division ${division.division} (${division.name}): ${division.outcome.toUpperCase()}`);
    for (const check of division.checks) {
      const bound = `${KIND_SYMBOL[check.kind]} ${check.bound.toFixed(4)}`;
      const what =
        check.kind === 'maxDrop'
          ? `${check.metric} vs production`
          : check.kind === 'nonInferiority'
            ? `${check.metric} Δ (${check.nonInferiority?.decision ?? 'tested'})`
            : check.metric;
      const margin = `${check.margin >= 0 ? '+' : ''}${check.margin.toFixed(4)}`;
      lines.push(
        `    ${check.passed ? 'ok  ' : 'FAIL'} ${what.padEnd(22)} ${check.actual.toFixed(4)} ${bound.padEnd(9)} margin ${margin}`,
      );
    }
    for (const note of division.notes) lines.push(`    note: ${note}`);
  }
  return lines.join('\n');
}
