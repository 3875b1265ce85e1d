import type { Random } from '../../pipeline/util/random.js';

/** Activation functions of hidden layers (configs/production.json). */
export type Activation = 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'linear';

/** One dense layer as plain arrays: `weights` is row-major [inputs × units]. */
export interface DenseLayer {
  inputs: number;
  units: number;
  activation: Activation;
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * The network as plain Float32Arrays: hidden layers, then a linear layer of one unit whose
 * output is the logit. This is what a bundle stores and what scoring reads.
 */
export interface MlpWeights {
  layers: DenseLayer[];
}

/** Shape of a network: input width and hidden layers. */
export interface MlpShape {
  inputs: number;
  hidden: readonly { units: number; activation: Activation }[];
}

/**
 * Fresh weights initialised as PyTorch's `nn.Linear` does (weights and biases uniform in
 * ±1/√fan_in), drawn from `random` so the start is the same on every backend.
 */
export function initMlpWeights(shape: MlpShape, random: Random): MlpWeights {
  const sizes = [...shape.hidden, { units: 1, activation: 'linear' as const }];
  let inputs = shape.inputs;
  const layers = sizes.map(({ units, activation }) => {
    const bound = 1 / Math.sqrt(inputs);
    const weights = new Float32Array(inputs * units);
    for (let i = 0; i < weights.length; i++) weights[i] = random.uniform(-bound, bound);
    const bias = new Float32Array(units);
    for (let i = 0; i < units; i++) bias[i] = random.uniform(-bound, bound);
    const layer: DenseLayer = { inputs, units, activation, weights, bias };
    inputs = units;
    return layer;
  });
  return { layers };
}

/** A deep copy (new buffers), e.g. to keep the best epoch's weights. */
export function cloneMlpWeights(w: MlpWeights): MlpWeights {
  return { layers: w.layers.map((l) => ({ ...l, weights: l.weights.slice(), bias: l.bias.slice() })) };
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function activate(x: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return Math.max(x, 0);
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'selu':
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'linear':
      return x;
  }
}

/**
 * Logits of `rows` standardised feature vectors stored row-major in `x` (inference: no
 * dropout), in plain JavaScript. Cheap for a small MLP: no tensors, one scratch buffer per layer.
 */
export function mlpLogits(w: MlpWeights, x: ArrayLike<number>, rows: number): Float64Array {
  const out = new Float64Array(rows);
  const inputs = w.layers[0]!.inputs;
  const width = Math.max(inputs, ...w.layers.map((l) => l.units));
  // Two scratch buffers, used in turn as a layer's input and output.
  let current = new Float64Array(width);
  let next = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inputs; i++) current[i] = x[r * inputs + i]!;
    for (const layer of w.layers) {
      next.set(layer.bias);
      for (let i = 0; i < layer.inputs; i++) {
        const v = current[i]!;
        if (v === 0) continue; // ReLU outputs and one-hot inputs are often 0
        const offset = i * layer.units;
        for (let u = 0; u < layer.units; u++) next[u]! += v * layer.weights[offset + u]!;
      }
      if (layer.activation !== 'linear')
        for (let u = 0; u < layer.units; u++) next[u] = activate(next[u]!, layer.activation);
      [current, next] = [next, current];
    }
    out[r] = current[0]!;
  }
  return out;
}

/** The logistic function, stable for large |z|. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
