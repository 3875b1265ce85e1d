/**
 * Derives an independent 32-bit seed from a base seed and a path of integers (division,
 * method, fold, ...), so every task's randomness depends only on what it is, not on the
 * order tasks run in: a parallel run equals a serial one.
 */
export function deriveSeed(base: number, ...path: number[]): number {
  let h = base >>> 0;
  for (const part of path) {
    h = (h ^ (part >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16) ^ 0x9e3779b9) >>> 0;
  }
  return h >>> 0;
}
