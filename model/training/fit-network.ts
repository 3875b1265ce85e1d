import * as tf from '@tensorflow/tfjs';
import { Random } from '../../pipeline/util/random.js';
import { type Activation, initMlpWeights, type MlpWeights } from '../network/mlp-weights.js';
import { TfMlp } from '../network/TfMlp.js';
import type { Dataset } from './dataset.js';
import { runEpochs } from './epoch-loop.js';
import type { PlateauSettings } from './lr-schedule.js';

/** The network and optimiser settings of one fit (from configs/production.json). */
export interface NetworkSettings {
  hidden: readonly { units: number; activation: Activation; dropout: number }[];
  optimizer: 'adam' | 'adamw' | 'sgd';
  learningRate: number;
  /** `adam`/`sgd`: L2 penalty added to the gradient, as PyTorch's `weight_decay`; `adamw`: decoupled. */
  weightDecay: number;
  batchSize: number;
  /** Cut the learning rate on plateaus of the validation loss; absent: constant. */
  plateau?: PlateauSettings;
}

/** One epoch's losses (binary cross-entropy, without the weight-decay term). */
export interface EpochLog {
  epoch: number;
  trainLoss: number;
  /** Loss on the validation rows, when there are any. */
  valLoss?: number;
  /** The learning rate the epoch trained with. */
  learningRate?: number;
}

export interface FitOptions {
  /** Rows (already standardised) for early stopping; without them, exactly `epochs` are run. */
  validation?: Dataset;
  /** Per-row loss weights of the training rows (class-weight rebalancing). */
  weights?: Float32Array;
  /** Upper bound on epochs (with validation) or the exact count (without). */
  epochs: number;
  /** Epochs without a lower validation loss before stopping. @default 5 */
  patience?: number;
  /** The learning rate of each epoch (a final fit replaying its CV's schedule); wins over `settings.plateau`. */
  learningRates?: readonly number[];
  /** Seed of the initial weights, the batch order and the dropout masks. */
  seed: number;
  /** Called after each epoch. */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Called after each epoch (after `onEpoch`, before the patience check) with the network's
   * logits of the validation rows, in their order: what a per-epoch validation metric needs
   * (e.g. AUC for HPO pruning) at the cost of one read of values already computed. Awaited; a
   * rejection stops the fit and is rethrown (e.g. a pruned trial). Only with validation rows.
   */
  onValidationLogits?: (epoch: number, logits: Float32Array) => void | Promise<void>;
}

export interface FitResult {
  /** The best epoch's weights with validation, else the last epoch's. */
  weights: MlpWeights;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  history: EpochLog[];
  /** Training rows processed per second (forward + backward + update). */
  samplesPerSecond: number;
}

/** Validation rows scored per tensor, to bound memory on large sets. */
const EVAL_CHUNK = 16_384;

/**
 * Trains the MLP on standardised rows with mini-batch Adam (or SGD) and binary cross-entropy
 * on logits. With validation rows it stops after `patience` epochs without improvement and
 * returns a copy of the best epoch's weights. Deterministic for a seed on a given backend.
 */
export async function fitNetwork(
  train: Dataset,
  settings: NetworkSettings,
  options: FitOptions,
): Promise<FitResult> {
  const random = new Random(options.seed);
  const start = initMlpWeights(
    {
      inputs: train.features,
      hidden: settings.hidden.map(({ units, activation }) => ({ units, activation })),
    },
    random,
  );
  const net = new TfMlp(
    start,
    settings.hidden.map((h) => h.dropout),
  );
  const optimizer = createOptimizer(settings);
  let lr = settings.learningRate;
  const decay = settings.weightDecay;
  const l2InGradient = decay > 0 && settings.optimizer !== 'adamw';
  const order = Array.from({ length: train.rows }, (_, i) => i);
  const d = train.features;
  const batchSize = Math.min(settings.batchSize, Math.max(train.rows, 1));
  const xb = new Float32Array(batchSize * d);
  const yb = new Float32Array(batchSize);
  const wb = new Float32Array(batchSize);

  const trainEpoch = async (): Promise<number> => {
    random.shuffle(order);
    let runningLoss: tf.Tensor = tf.scalar(0);
    for (let from = 0; from < train.rows; from += batchSize) {
      const size = Math.min(batchSize, train.rows - from);
      for (let k = 0; k < size; k++) {
        const row = order[from + k]!;
        xb.set(train.x.subarray(row * d, row * d + d), k * d);
        yb[k] = train.y[row]!;
        wb[k] = options.weights ? options.weights[row]! : 1;
      }
      const dropoutSeed = random.uint32();
      const previous = runningLoss;
      runningLoss = tf.tidy(() => {
        const x = tf.tensor2d(xb.subarray(0, size * d), [size, d]);
        const y = tf.tensor1d(yb.subarray(0, size));
        const w = options.weights ? tf.tensor1d(wb.subarray(0, size)) : undefined;
        const { value, grads } = tf.variableGrads(
          () => weightedBce(net.logits(x, dropoutSeed), y, w),
          net.variables,
        );
        if (l2InGradient) {
          // PyTorch's Adam weight_decay: g ← g + λ·θ before the moment updates.
          for (const v of net.variables) grads[v.name] = tf.add(grads[v.name]!, tf.mul(v, decay));
        }
        optimizer.applyGradients(grads);
        if (settings.optimizer === 'adamw' && decay > 0) {
          // Decoupled decay (Loshchilov & Hutter): θ ← θ − lr·λ·θ after the Adam step.
          for (const v of net.variables) v.assign(tf.mul(v, 1 - lr * decay));
        }
        // Summed on the device; read once per epoch, since a read per batch stalls the loop.
        return tf.add(previous, tf.mul(value, size));
      });
      previous.dispose();
    }
    const lossSum = (await runningLoss.data())[0]!;
    runningLoss.dispose();
    return lossSum;
  };

  try {
    return await runEpochs(
      {
        trainEpoch,
        setLearningRate: (rate) => {
          lr = rate;
          setLearningRate(optimizer, rate);
        },
        validate: async (withLogits) => {
          const validation = options.validation!;
          const logits = withLogits ? new Float32Array(validation.rows) : undefined;
          const loss = await validationLoss(net, validation, logits);
          return logits ? { loss, logits } : { loss };
        },
        readWeights: () => net.read(),
      },
      train.rows,
      settings,
      options,
    );
  } finally {
    net.dispose();
    // model disposal does not free Adam's moment slots: dispose the optimiser too.
    optimizer.dispose();
  }
}

/** tfjs's SGD keeps −lr as a tensor (its setter remakes it); Adam reads its field at each step. */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (optimizer.getClassName() === 'SGD') (optimizer as tf.SGDOptimizer).setLearningRate(lr);
  else (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

function createOptimizer(settings: NetworkSettings): tf.Optimizer {
  return settings.optimizer === 'sgd'
    ? tf.train.sgd(settings.learningRate)
    : tf.train.adam(settings.learningRate, 0.9, 0.999, 1e-8);
}

/** mean(w · BCE(σ(z), y)), computed stably from logits: max(z,0) − z·y + log(1 + e^−|z|). */
function weightedBce(z: tf.Tensor1D, y: tf.Tensor1D, w?: tf.Tensor1D): tf.Scalar {
  const perRow = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  return tf.mean(w ? tf.mul(perRow, w) : perRow) as tf.Scalar;
}

/** Mean validation loss; with `logitsOut`, the rows' logits are written into it too. */
async function validationLoss(net: TfMlp, data: Dataset, logitsOut?: Float32Array): Promise<number> {
  let sum = 0;
  for (let from = 0; from < data.rows; from += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, data.rows - from);
    const [loss, logits] = tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(from * data.features, (from + size) * data.features), [
        size,
        data.features,
      ]);
      const y = tf.tensor1d(Float32Array.from(data.y.subarray(from, from + size)));
      const z = net.logits(x);
      return [tf.mul(weightedBce(z, y), size), logitsOut ? z : undefined] as const;
    });
    sum += (await loss.data())[0]!;
    loss.dispose();
    if (logits) {
      logitsOut!.set((await logits.data()) as Float32Array, from);
      logits.dispose();
    }
  }
  return sum / data.rows;
}
