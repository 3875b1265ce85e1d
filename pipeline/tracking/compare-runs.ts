import type { RunRecord } from './run-record.js';

/** One param that two runs have (or one of them lacks). */
export interface ParamDifference {
  key: string;
  a: string | null;
  b: string | null;
}

/** One summary metric of two runs. */
export interface MetricComparison {
  key: string;
  a: number | null;
  b: number | null;
  /** b − a, when both have it. */
  delta: number | null;
}

export interface RunComparison {
  a: { runId: string; runName: string };
  b: { runId: string; runName: string };
  /** Params whose values differ (or that only one run has), sorted by key. */
  params: ParamDifference[];
  /** Summary metrics (keys without `/`, e.g. `final_auc`; per-fold curves are left out), sorted. */
  metrics: MetricComparison[];
}

/** Is `key` a summary metric (not a per-fold, per-epoch curve such as `fold_2/val_loss`)? */
export function isSummaryMetric(key: string): boolean {
  return !key.includes('/');
}

/** Diffs the params and summary metrics of two runs. */
export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const paramKeys = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  const params = paramKeys
    .map((key) => ({ key, a: a.params[key] ?? null, b: b.params[key] ?? null }))
    .filter((p) => p.a !== p.b);
  const metricKeys = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])]
    .filter(isSummaryMetric)
    .sort();
  const metrics = metricKeys.map((key) => {
    const x = a.metrics[key] ?? null;
    const y = b.metrics[key] ?? null;
    return { key, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
  });
  return {
    a: { runId: a.runId, runName: a.runName },
    b: { runId: b.runId, runName: b.runName },
    params,
    metrics,
  };
}

/** The summary metric keys most runs have, `final_*` first: the columns of a run list. */
export function headlineMetrics(runs: readonly RunRecord[], max = 4): string[] {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const key of Object.keys(run.metrics))
      if (isSummaryMetric(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts]
    .sort(
      (x, y) =>
        Number(y[0].startsWith('final_')) - Number(x[0].startsWith('final_')) ||
        y[1] - x[1] ||
        x[0].localeCompare(y[0]),
    )
    .slice(0, max)
    .map(([key]) => key);
}
