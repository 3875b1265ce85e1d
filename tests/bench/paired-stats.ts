/**
 * Paired two-sample tests for benchmarks that compare two methods seed by seed: exact
 * two-sided sign test and exact two-sided Wilcoxon signed-rank test. Zero differences are
 * dropped (the usual convention); with no non-zero difference both return 1.
 */

/** C(n, k) as a float (exact for the n ≤ ~60 benches use). */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** Exact two-sided sign test p-value of paired differences (zeros dropped). */
export function signTestP(diffs: readonly number[]): number {
  const nonZero = diffs.filter((d) => d !== 0);
  const n = nonZero.length;
  if (n === 0) return 1;
  const k = Math.min(nonZero.filter((d) => d > 0).length, nonZero.filter((d) => d < 0).length);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += choose(n, i);
  return Math.min(1, (2 * tail) / 2 ** n);
}

/**
 * Exact two-sided Wilcoxon signed-rank p-value of paired differences (zeros dropped; tied
 * |differences| get their mean rank). The null distribution of W+ is enumerated by dynamic
 * programming over doubled ranks (integers even with mid-ranks), so it is exact with ties too.
 */
export function wilcoxonSignedRankP(diffs: readonly number[]): number {
  const nonZero = diffs.filter((d) => d !== 0);
  const n = nonZero.length;
  if (n === 0) return 1;
  const order = nonZero.map((d, i) => ({ a: Math.abs(d), i })).sort((x, y) => x.a - y.a);
  const doubled = new Array<number>(n);
  for (let lo = 0; lo < n; ) {
    let hi = lo;
    while (hi + 1 < n && order[hi + 1]!.a === order[lo]!.a) hi++;
    // Mean rank of positions lo..hi (1-based), doubled: lo + hi + 2.
    for (let j = lo; j <= hi; j++) doubled[order[j]!.i] = lo + hi + 2;
    lo = hi + 1;
  }
  const total = doubled.reduce((s, r) => s + r, 0);
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  for (const r of doubled) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= total; s++) {
      const c = counts[s]!;
      if (c === 0) continue;
      next[s] = next[s]! + c;
      next[s + r] = next[s + r]! + c;
    }
    counts = next;
  }
  const observed = nonZero.reduce((s, d, i) => s + (d > 0 ? doubled[i]! : 0), 0);
  // Two-sided: the probability of a W+ at least as far from its mean (total / 2) as observed.
  const distance = Math.abs(observed - total / 2);
  let extreme = 0;
  for (let s = 0; s <= total; s++) if (Math.abs(s - total / 2) >= distance - 1e-9) extreme += counts[s]!;
  return Math.min(1, extreme / 2 ** n);
}
