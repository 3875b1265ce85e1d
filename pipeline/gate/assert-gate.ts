import { MetricsGateError } from '../errors/MetricsGateError.js';
import type { GateResult } from './evaluate-gate.js';

/**
 * Throws when the gate failed.
 *
 * @throws MetricsGateError listing every failing check; its `metric`, `threshold` and
 *   `actual` name the first failing metric check (NaN when a division failed for want of
 *   data rather than on a metric).
 */
export function assertGatePassed(result: GateResult): void {
  if (result.passed) return;
  const first = result.divisions.flatMap((d) => d.checks).find((c) => !c.passed);
  const failing = result.divisions.filter((d) => d.outcome === 'fail').length;
  const message = [
    `metrics gate failed for ${failing} division${failing === 1 ? '' : 's'}:`,
    ...result.reasons.map((r) => `  ${r}`),
  ].join('\n');
  throw new MetricsGateError(
    message,
    first?.metric ?? 'data',
    first?.bound ?? Number.NaN,
    first?.actual ?? Number.NaN,
  );
}
