import * as tf from '@tensorflow/tfjs';
import type { Activation, MlpWeights } from './mlp-weights.js';

/** The MLP as tfjs variables, for training. Build it from {@link MlpWeights}; read them back the same way. */
export class TfMlp {
  private readonly layers: { w: tf.Variable; b: tf.Variable; activation: Activation; dropout: number }[];

  /**
   * @param weights - starting weights (copied into variables).
   * @param dropout - dropout rate after each hidden layer, in order.
   */
  constructor(weights: MlpWeights, dropout: readonly number[]) {
    this.layers = weights.layers.map((layer, i) => ({
      w: tf.variable(tf.tensor2d(layer.weights, [layer.inputs, layer.units]), true),
      b: tf.variable(tf.tensor1d(layer.bias), true),
      activation: layer.activation,
      dropout: dropout[i] ?? 0,
    }));
  }

  /** Every trainable variable, in a fixed order (for the optimizer). */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  /**
   * Logits of a batch, shape [rows]. With `dropoutSeed`, applies dropout (training);
   * each layer's mask is drawn from that seed plus its index, so a run is reproducible.
   */
  logits(x: tf.Tensor2D, dropoutSeed?: number): tf.Tensor1D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      this.layers.forEach((layer, i) => {
        // One fused kernel (matMul + bias + activation) where tfjs has it: fewer kernel
        // launches per batch, which is what bounds the speed of a small MLP.
        h = (
          FUSED.has(layer.activation)
            ? tf.fused.matMul({
                a: h,
                b: layer.w,
                bias: layer.b,
                activation: layer.activation as tf.fused.Activation,
              })
            : applyActivation(tf.add(tf.matMul(h, layer.w), layer.b), layer.activation)
        ) as tf.Tensor2D;
        if (dropoutSeed !== undefined && layer.dropout > 0)
          h = tf.dropout(h, layer.dropout, undefined, dropoutSeed + i) as tf.Tensor2D;
      });
      return tf.reshape(h, [-1]) as tf.Tensor1D;
    });
  }

  /** A copy of the current weights as plain Float32Arrays (new buffers, not views). */
  read(): MlpWeights {
    return {
      layers: this.layers.map((l) => {
        const [inputs, units] = l.w.shape as [number, number];
        return {
          inputs,
          units,
          activation: l.activation,
          weights: Float32Array.from(l.w.dataSync() as Float32Array),
          bias: Float32Array.from(l.b.dataSync() as Float32Array),
        };
      }),
    };
  }

  /** Overwrites the variables with `weights` (same shapes). */
  write(weights: MlpWeights): void {
    weights.layers.forEach((layer, i) => {
      const target = this.layers[i]!;
      tf.tidy(() => {
        target.w.assign(tf.tensor2d(layer.weights, [layer.inputs, layer.units]));
        target.b.assign(tf.tensor1d(layer.bias));
      });
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** Activations tfjs fuses into matMul, with gradients. */
const FUSED = new Set<Activation>(['relu', 'linear']);

function applyActivation(h: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(h);
    case 'elu':
      return tf.elu(h);
    case 'selu':
      return tf.selu(h);
    case 'tanh':
      return tf.tanh(h);
    case 'sigmoid':
      return tf.sigmoid(h);
    case 'linear':
      return h;
  }
}
