import type { Random } from '../../pipeline/util/random.js';

/** ln(2π)/2, the normal density's constant. */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Below this width (in standard deviations) Φ(b) − Φ(a) is computed as φ(mid)·(b − a), avoiding cancellation. */
const NARROW_INTERVAL = 1e-5;
/** Draws tried before a truncated-normal sample falls back to clamping (never reached in practice). */
const MAX_REJECTIONS = 1000;

/**
 * ln erfc(z) for z ≥ 0, accurate to ~1.2e-7 relative everywhere, including far tails where
 * erfc itself underflows. Uses the Chebyshev fit of erfc given in Press et al., *Numerical
 * Recipes* (2nd ed., §6.2, `erfcc`), kept in log form.
 */
function logErfcNonNegative(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) + poly;
}

/** The complementary error function erfc(z) = 1 − erf(z), relative error below ~1.2e-7. */
export function erfc(z: number): number {
  return z >= 0 ? Math.exp(logErfcNonNegative(z)) : 2 - Math.exp(logErfcNonNegative(-z));
}

/** The error function erf(z). */
export function erf(z: number): number {
  return 1 - erfc(z);
}

/** ln Φ(x), the log of the standard normal CDF, accurate in the far left tail. */
export function logNormalCdf(x: number): number {
  const z = -x / Math.SQRT2;
  if (z >= 0) return Math.log(0.5) + logErfcNonNegative(z);
  return Math.log1p(-0.5 * Math.exp(logErfcNonNegative(-z)));
}

/** ln φ(x), the log of the standard normal density. */
export function logNormalPdf(x: number): number {
  return -0.5 * x * x - HALF_LOG_2PI;
}

/** ln(Φ(b) − Φ(a)) for a < b, computed without cancellation in either tail or for tiny intervals. */
export function logNormalMass(a: number, b: number): number {
  if (!(b > a)) return Number.NEGATIVE_INFINITY;
  if (b - a < NARROW_INTERVAL) return logNormalPdf(0.5 * (a + b)) + Math.log(b - a);
  // Use the symmetry Φ(b) − Φ(a) = Φ(−a) − Φ(−b) to stay in the left tail, where ln Φ is precise.
  if (a > 0) return logNormalMass(-b, -a);
  if (b <= 0) {
    const logB = logNormalCdf(b);
    return logB + Math.log1p(-Math.exp(logNormalCdf(a) - logB));
  }
  return Math.log1p(-Math.exp(logNormalCdf(a)) - Math.exp(logNormalCdf(-b)));
}

/** ln Σ exp(xᵢ), stable for large or very negative terms; −∞ for an empty list. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max === Number.NEGATIVE_INFINITY || !Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/**
 * ln of the density at `x` of a normal(`mu`, `sigma`) truncated to `[low, high]`.
 *
 * @returns −∞ outside the interval.
 */
export function logTruncatedNormalPdf(
  x: number,
  mu: number,
  sigma: number,
  low: number,
  high: number,
): number {
  if (x < low || x > high) return Number.NEGATIVE_INFINITY;
  return (
    logNormalPdf((x - mu) / sigma) - Math.log(sigma) - logNormalMass((low - mu) / sigma, (high - mu) / sigma)
  );
}

/**
 * ln of the probability that a normal(`mu`, `sigma`) truncated to `[low, high]` falls in
 * `[x − step/2, x + step/2]`: the mass of one grid point of a quantised parameter.
 */
export function logTruncatedNormalBinMass(
  x: number,
  step: number,
  mu: number,
  sigma: number,
  low: number,
  high: number,
): number {
  const a = Math.max(low, x - step / 2);
  const b = Math.min(high, x + step / 2);
  return (
    logNormalMass((a - mu) / sigma, (b - mu) / sigma) - logNormalMass((low - mu) / sigma, (high - mu) / sigma)
  );
}

/**
 * A draw from normal(`mu`, `sigma`) truncated to `[low, high]`, by rejection. The Parzen
 * estimators only build kernels centred inside the box with σ ≤ its width, so at least ~34%
 * of draws are accepted.
 */
export function sampleTruncatedNormal(
  random: Random,
  mu: number,
  sigma: number,
  low: number,
  high: number,
): number {
  for (let i = 0; i < MAX_REJECTIONS; i++) {
    const x = mu + sigma * random.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, mu));
}
