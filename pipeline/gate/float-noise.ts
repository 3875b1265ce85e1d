/**
 * A gate margin with float noise rounded away, so that a value equal to its bound passes
 * (0.85 − 0.85 can be −1e-17) and a drop of exactly the margin is within it (0.7 − 0.71 + 0.01).
 */
export function withoutFloatNoise(margin: number): number {
  return Math.round(margin * 1e12) / 1e12;
}
