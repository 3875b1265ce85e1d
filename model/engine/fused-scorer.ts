import { type MlpWeights, mlpLogits, sigmoid } from '../network/mlp-weights.js';
import { FusedNetwork } from './FusedNetwork.js';
import { kernelAvailable } from './kernel-module.js';

/**
 * Rows scored per kernel call; larger inputs go through in chunks of this many. Small enough
 * that a chunk's hidden activations stay in the L2 cache (256 × 384 floats = 384 KiB).
 */
export const SCORER_CHUNK_ROWS = 256;

/** Inference (no dropout) on the fused kernel, for one row or many. */
export interface FusedScorer {
  /** Features per row. */
  readonly inputs: number;
  /** The logit of one row of standardised features: no allocation. */
  logit(row: ArrayLike<number>): number;
  /** Logits of `rows` rows stored row-major in `x`, as `mlpLogits` returns them. */
  logits(x: ArrayLike<number>, rows: number): Float64Array;
  /** Probabilities (the logistic of the logits) of `rows` rows. */
  probabilities(x: ArrayLike<number>, rows: number): Float64Array;
}

/**
 * A scorer for `weights` on its own kernel instance (weights copied in once). Agrees with
 * `mlpLogits` to float32 rounding; reads only {@link MlpWeights}, so any engine's bundle works.
 */
export function createFusedScorer(weights: MlpWeights): FusedScorer {
  const net = new FusedNetwork(
    weights.layers.map((l) => ({ inputs: l.inputs, units: l.units, activation: l.activation, dropout: 0 })),
    { capacity: SCORER_CHUNK_ROWS, inputRows: SCORER_CHUNK_ROWS },
  );
  net.writeWeights(weights);
  const inputs = weights.layers[0]!.inputs;
  const width = net.inputWidth;
  const inputView = net.f32(net.input.x, SCORER_CHUNK_ROWS * width);
  const outView = net.f32(net.input.out, SCORER_CHUNK_ROWS);
  const { kernel } = net;
  const score = (x: ArrayLike<number>, rows: number): Float64Array => {
    const out = new Float64Array(rows);
    for (let from = 0; from < rows; from += SCORER_CHUNK_ROWS) {
      const n = Math.min(SCORER_CHUNK_ROWS, rows - from);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < inputs; j++) inputView[r * width + j] = x[(from + r) * inputs + j]!;
      kernel.logitsOfRows(net.input.x, n, net.input.out);
      for (let r = 0; r < n; r++) out[from + r] = outView[r]!;
    }
    return out;
  };
  return {
    inputs,
    logit(row) {
      for (let j = 0; j < inputs; j++) inputView[j] = row[j]!;
      kernel.logitsOfRows(net.input.x, 1, net.input.out);
      return outView[0]!;
    },
    logits: score,
    probabilities(x, rows) {
      const out = score(x, rows);
      for (let i = 0; i < rows; i++) out[i] = sigmoid(out[i]!);
      return out;
    },
  };
}

/**
 * The fastest logits function for `weights`: the fused scorer where the kernel is built, else
 * plain-JS `mlpLogits` (same results to 1e-5). For the Predictor and the scoring server.
 */
export function createLogits(weights: MlpWeights): (x: ArrayLike<number>, rows: number) => Float64Array {
  if (!kernelAvailable()) return (x, rows) => mlpLogits(weights, x, rows);
  const scorer = createFusedScorer(weights);
  return (x, rows) => scorer.logits(x, rows);
}
