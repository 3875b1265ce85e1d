import type { Activation, MlpWeights } from '../../../model/network/mlp-weights.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function activate(z: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return Math.max(z, 0);
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
    case 'selu':
      return SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'linear':
      return z;
  }
}

/** The network's parameters as one float64 vector per layer (weights then bias), for finite differences. */
export function toFloat64(w: MlpWeights): Float64Array[] {
  return w.layers.map((l) => Float64Array.from([...l.weights, ...l.bias]));
}

/**
 * mean_b(rowWeight_b · BCE(σ(z_b), y_b)) of the network in float64, no dropout: an independent
 * reference written for the tests (straightforward loops, no shared code with the kernel).
 */
export function referenceLoss(
  shape: MlpWeights,
  params: Float64Array[],
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rowWeights: ArrayLike<number>,
  rows: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let h = Array.from({ length: shape.layers[0]!.inputs }, (_, j) => x[r * shape.layers[0]!.inputs + j]!);
    shape.layers.forEach((layer, li) => {
      const p = params[li]!;
      const next: number[] = [];
      for (let u = 0; u < layer.units; u++) {
        let z = p[layer.inputs * layer.units + u]!;
        for (let i = 0; i < layer.inputs; i++) z += h[i]! * p[i * layer.units + u]!;
        next.push(activate(z, layer.activation));
      }
      h = next;
    });
    const z = h[0]!;
    const bce = Math.max(z, 0) - z * y[r]! + Math.log1p(Math.exp(-Math.abs(z)));
    total += rowWeights[r]! * bce;
  }
  return total / rows;
}
