import type { DeploymentTarget } from './deployment-target.js';

/** Parses `10,100` into ascending traffic steps ending at 100, or throws a TypeError. */
export function parseTrafficSteps(value: string): number[] {
  const steps = value.split(',').map((s) => Number(s.trim()));
  const ok =
    steps.length > 0 &&
    steps.every((s, i) => Number.isInteger(s) && s >= 1 && s <= 100 && (i === 0 || s > steps[i - 1]!)) &&
    steps.at(-1) === 100;
  if (!ok) throw new TypeError(`expected ascending percents ending at 100 (e.g. 10,100), got "${value}"`);
  return steps;
}

/**
 * Traffic with `percent` on `name` and the rest spread over the previous deployments in
 * proportion to their shares (whole percents, summing to 100).
 */
export function splitTraffic(
  previous: Record<string, number>,
  name: string,
  percent: number,
): Record<string, number> {
  const others = Object.entries(previous).filter(([d, p]) => d !== name && p > 0);
  const total = others.reduce((a, [, p]) => a + p, 0);
  const rest = 100 - percent;
  const out: Record<string, number> = Object.fromEntries(Object.keys(previous).map((d) => [d, 0]));
  out[name] = total === 0 ? 100 : percent;
  if (total === 0) return out;
  const shares = others.map(([d, p]) => ({ d, exact: (rest * p) / total }));
  for (const s of shares) out[s.d] = Math.floor(s.exact);
  let left = rest - shares.reduce((a, s) => a + Math.floor(s.exact), 0);
  for (const s of [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1))) {
    if (left-- <= 0) break;
    out[s.d]! += 1;
  }
  return out;
}

/** Deletes the oldest idle deployments so that at most `keep` remain. */
export async function cleanUp(
  target: DeploymentTarget,
  endpoint: string,
  current: string,
  traffic: Record<string, number>,
  keep: number,
): Promise<{ deleted: string[]; warnings: string[] }> {
  const deleted: string[] = [];
  const warnings: string[] = [];
  const all = await target.listDeployments(endpoint);
  const newestFirst = [...all].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  const kept = new Set([
    current,
    ...Object.entries(traffic)
      .filter(([, p]) => p > 0)
      .map(([d]) => d),
  ]);
  for (const d of newestFirst) {
    if (kept.size < keep) kept.add(d.name);
  }
  for (const d of newestFirst) {
    if (kept.has(d.name)) continue;
    try {
      await target.deleteDeployment(endpoint, d.name);
      deleted.push(d.name);
    } catch (error) {
      warnings.push(`could not delete old deployment ${d.name}: ${(error as Error).message}`);
    }
  }
  return { deleted, warnings };
}
