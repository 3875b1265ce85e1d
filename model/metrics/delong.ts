import { erfc } from '../hpo/numerics.js';
import { checkLengths, type Labels, type Scores } from './types.js';

/**
 * Paired DeLong test of two correlated ROC AUCs (DeLong, DeLong & Clarke-Pearson 1988,
 * Biometrics 44:837–845), computed from placement values in O(n log n) as in Sun & Xu 2014
 * (IEEE Signal Processing Letters 21:1389–1393).
 *
 * For model r, the placement value of positive i is V10ʳ(i) = P(negative scores below it),
 * of negative j is V01ʳ(j) = P(positive scores above it), ties counting one half; the AUC is
 * the mean of either. With S10 (S01) the 2×2 sample covariance of the positives' (negatives')
 * placement values over the two models, m positives and n negatives,
 *   Var(AUC₁ − AUC₂) = (S10₁₁ + S10₂₂ − 2 S10₁₂)/m + (S01₁₁ + S01₂₂ − 2 S01₁₂)/n.
 */
export interface PairedDelong {
  /** AUC of the first model (the candidate). */
  auc1: number;
  /** AUC of the second model (the comparison model). */
  auc2: number;
  /** auc1 − auc2. */
  difference: number;
  /** DeLong standard error of the difference (0 when the two models rank alike). */
  se: number;
  /** difference / se (NaN when se is 0). */
  z: number;
  /** Two-sided p-value of H0: the AUCs are equal (1 when se is 0 and the difference is 0). */
  pValue: number;
  positives: number;
  negatives: number;
}

/**
 * The paired DeLong test of AUC(`scores1`) − AUC(`scores2`) on the same rows.
 *
 * @throws RangeError when the arrays differ in length or a class is missing.
 */
export function pairedDelong(labels: Labels, scores1: Scores, scores2: Scores): PairedDelong {
  checkLengths(labels, scores1);
  checkLengths(labels, scores2);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(i);
  const m = pos.length;
  const n = neg.length;
  if (m < 2 || n < 2)
    throw new RangeError(`DeLong needs at least 2 rows of each class: got ${m} positive and ${n} negative`);
  const [v10a, v01a] = placements(scores1, pos, neg);
  const [v10b, v01b] = placements(scores2, pos, neg);
  const auc1 = mean(v10a);
  const auc2 = mean(v10b);
  const difference = auc1 - auc2;
  const variance =
    (variance2(v10a, v10a) + variance2(v10b, v10b) - 2 * variance2(v10a, v10b)) / m +
    (variance2(v01a, v01a) + variance2(v01b, v01b) - 2 * variance2(v01a, v01b)) / n;
  const se = Math.sqrt(Math.max(0, variance));
  const z = se > 0 ? difference / se : Number.NaN;
  // Capped: Φ(0) is 0.5 only to erfc's 1.2e-7, so equal AUCs with se > 0 gave p = 1.00000003.
  const pValue = se > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(z))) : difference === 0 ? 1 : 0;
  return { auc1, auc2, difference, se, z, pValue, positives: m, negatives: n };
}

/** Placement values of the positives (V10) and the negatives (V01), by mid-ranks. */
function placements(
  scores: Scores,
  pos: readonly number[],
  neg: readonly number[],
): [Float64Array, Float64Array] {
  const all = midranks([...pos, ...neg].map((i) => scores[i]!));
  const withinPos = midranks(pos.map((i) => scores[i]!));
  const withinNeg = midranks(neg.map((i) => scores[i]!));
  const m = pos.length;
  const n = neg.length;
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  // Rank among all minus rank among its own class = how many of the other class lie below
  // (ties one half); Sun & Xu's eq. (8).
  for (let i = 0; i < m; i++) v10[i] = (all[i]! - withinPos[i]!) / n;
  for (let j = 0; j < n; j++) v01[j] = 1 - (all[m + j]! - withinNeg[j]!) / m;
  return [v10, v01];
}

/** 1-based mid-ranks (ties share the mean of their ranks). */
function midranks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

function mean(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample covariance (n − 1 denominator). */
function variance2(a: Float64Array, b: Float64Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (a.length - 1);
}

/** Standard normal CDF Φ(x), by the TPE sampler's erfc (fractional error < 1.2e-7). */
export function normalCdf(x: number): number {
  return Math.min(1, Math.max(0, 0.5 * erfc(-x / Math.SQRT2)));
}

/** Standard normal quantile Φ⁻¹(p) (Wichura's AS 241, PPND16; relative error ~1e-16). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301227 + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) *
          r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((r * 5226.495278852546 + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) *
        r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value =
      (((((((r * 0.0007745450142783414 + 0.022723844989269184) * r + 0.2417807251774506) * r +
        1.2704582524523684) *
        r +
        3.6478483247632045) *
        r +
        5.769497221460691) *
        r +
        4.630337846156546) *
        r +
        1.4234371107496835) /
      (((((((r * 1.0507500716444169e-9 + 0.0005475938084995345) * r + 0.015198666563616457) * r +
        0.14810397642748008) *
        r +
        0.6897673349851) *
        r +
        1.6763848301838038) *
        r +
        2.053191626637759) *
        r +
        1);
  } else {
    r -= 5;
    value =
      (((((((r * 2.0103343992922881e-7 + 0.000027115555687434876) * r + 0.0012426609473880784) * r +
        0.026532189526576124) *
        r +
        0.29656057182850487) *
        r +
        1.7848265399172913) *
        r +
        5.463784911164114) *
        r +
        6.657904643501103) /
      (((((((r * 2.0442631033899397e-15 + 1.421511758316446e-7) * r + 0.000018463183175100548) * r +
        0.0007868691311456133) *
        r +
        0.014875361290850615) *
        r +
        0.1369298809227358) *
        r +
        0.599832206555888) *
        r +
        1);
  }
  return q < 0 ? -value : value;
}
