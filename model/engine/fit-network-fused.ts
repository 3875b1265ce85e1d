import { Random } from '../../pipeline/util/random.js';
import { initMlpWeights } from '../network/mlp-weights.js';
import type { Dataset } from '../training/dataset.js';
import { runEpochs } from '../training/epoch-loop.js';
import type { FitOptions, FitResult, NetworkSettings } from '../training/fit-network.js';
import { type FusedLayerShape, FusedNetwork, OPTIMIZER_CODE } from './FusedNetwork.js';
import { createFusedScorer } from './fused-scorer.js';

/**
 * Rows per pass inside a batch: larger batches go through the kernel in chunks of this many
 * (gradients added up, one update), so the 384-wide activation buffers stay in a 2 MiB L2.
 */
export const TRAIN_CHUNK_ROWS = 128;
/** Adam's constants, as fit-network.ts passes them to tfjs. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** The layers the kernel runs for `settings` on `features` inputs (hidden layers + the output unit). */
export function fusedLayers(features: number, settings: NetworkSettings): FusedLayerShape[] {
  const layers: FusedLayerShape[] = [];
  let inputs = features;
  for (const h of settings.hidden) {
    layers.push({ inputs, units: h.units, activation: h.activation, dropout: h.dropout });
    inputs = h.units;
  }
  layers.push({ inputs, units: 1, activation: 'linear', dropout: 0 });
  return layers;
}

/**
 * {@link fitNetwork}'s contract on the fused WebAssembly engine: the same initial weights and
 * batch order for a seed (both drawn from the same `Random` stream), mini-batch Adam/AdamW/SGD
 * with the same weight decay, dropout, weighted BCE on logits, and early stopping on the
 * validation loss that returns a copy of the best epoch's weights. One kernel call per batch;
 * the rows stay in kernel memory across epochs. Dropout masks come from the kernel's own RNG
 * (seeded per batch from the stream), so runs are bit-identical for a seed but not equal to tfjs's.
 */
export async function fitNetworkFused(
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
  const batchSize = Math.min(settings.batchSize, Math.max(train.rows, 1));
  const validation = options.validation && options.validation.rows > 0 ? options.validation : undefined;
  const net = new FusedNetwork(fusedLayers(train.features, settings), {
    capacity: Math.min(batchSize, TRAIN_CHUNK_ROWS),
    trainRows: train.rows,
    validationRows: validation?.rows ?? 0,
  });
  net.writeWeights(start);
  net.loadTraining(train, options.weights);
  if (validation) net.loadValidation(validation);
  net.kernel.setOptimizer(
    OPTIMIZER_CODE[settings.optimizer],
    settings.learningRate,
    settings.weightDecay,
    BETA1,
    BETA2,
    EPSILON,
  );
  const order = net.order();
  for (let i = 0; i < train.rows; i++) order[i] = i;
  return runEpochs(
    {
      trainEpoch: () => {
        shuffleInPlace(order, random);
        let lossSum = 0;
        for (let from = 0; from < train.rows; from += batchSize) {
          const size = Math.min(batchSize, train.rows - from);
          lossSum += net.kernel.trainBatch(
            net.train.order + from * Int32Array.BYTES_PER_ELEMENT,
            size,
            random.uint32(),
          );
        }
        return lossSum;
      },
      setLearningRate: (lr) => net.kernel.setLearningRate(lr),
      validate: async (withLogits) => {
        const loss = net.validationLoss();
        if (!withLogits) return { loss };
        // HPO pruning reads the epoch's validation scores; the weights are small, so a scorer per epoch is cheap.
        const logits = createFusedScorer(net.readWeights()).logits(validation!.x, validation!.rows);
        return { loss, logits: Float32Array.from(logits) };
      },
      readWeights: () => net.readWeights(),
    },
    train.rows,
    settings,
    options,
  );
}

/** Fisher-Yates exactly as `Random.shuffle` does it, on the kernel's index array. */
function shuffleInPlace(items: Int32Array, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
}
