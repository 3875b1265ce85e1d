import type { Activation, MlpWeights } from '../network/mlp-weights.js';
import type { Dataset } from '../training/dataset.js';
import { instantiateKernel, type KernelExports } from './kernel-module.js';

/** Activation codes of the kernel (model/engine/assembly/mlp.ts). */
const ACTIVATION_CODE: Record<Activation, number> = {
  relu: 0,
  elu: 1,
  selu: 2,
  tanh: 3,
  sigmoid: 4,
  linear: 5,
};

/** Optimiser codes of the kernel. */
export const OPTIMIZER_CODE = { adam: 0, adamw: 1, sgd: 2 } as const;

const LANES = 4;
const FLOAT_BYTES = 4;
const ALIGN = 16;
const PAGE_BYTES = 65_536;
/** Linear memory cannot exceed 4 GiB (wasm32); stay well under it. */
export const MAX_KERNEL_BYTES = 2 ** 31;

/** One layer of the network the kernel runs: hidden layers, then the one-unit output layer. */
export interface FusedLayerShape {
  inputs: number;
  units: number;
  activation: Activation;
  /** Dropout after this layer in training (hidden layers only). */
  dropout: number;
}

/** Rows of data the network keeps resident in its memory. */
export interface FusedNetworkSizes {
  /** Most rows in one forward pass (the batch size, or a scoring chunk). */
  capacity: number;
  /** Training rows (and their batch order) to hold. @default 0 */
  trainRows?: number;
  /** Validation rows to hold. @default 0 */
  validationRows?: number;
  /** Rows of a host-written input area (scoring). @default 0 */
  inputRows?: number;
}

function pad(n: number): number {
  return Math.ceil(n / LANES) * LANES;
}

interface LayerSlots {
  shape: FusedLayerShape;
  inP: number;
  outP: number;
  w: number;
  b: number;
  /** Dropout mask buffer (0 without dropout). */
  m: number;
}

/** Bytes the kernel memory of a network needs (for support checks, before allocating). */
export function kernelBytes(layers: readonly FusedLayerShape[], sizes: FusedNetworkSizes): number {
  let floats = 0;
  const last = layers.length - 1;
  layers.forEach((l, i) => {
    const inP = pad(l.inputs);
    const outP = i === last ? 1 : pad(l.units);
    const params = i === last ? inP + LANES : inP * outP + outP;
    floats += 4 * params; // params, grads, two moments
    floats += pad(sizes.capacity * outP) * (l.dropout > 0 ? 4 : 2);
  });
  const in0 = pad(layers[0]?.inputs ?? 0);
  const rows = sizes.capacity + (sizes.trainRows ?? 0) + (sizes.validationRows ?? 0) + (sizes.inputRows ?? 0);
  floats += rows * (in0 + 3) + (sizes.trainRows ?? 0);
  return floats * FLOAT_BYTES + layers.length * 16 * ALIGN;
}

/**
 * An MLP laid out in the memory of its own kernel instance: parameters, gradients, Adam's
 * moments, per-layer activation buffers for `capacity` rows, and optionally the training and
 * validation rows, all allocated once. Layer widths are padded to multiples of 4 with zeros.
 */
export class FusedNetwork {
  readonly kernel: KernelExports;
  readonly layers: readonly FusedLayerShape[];
  readonly capacity: number;
  /** Input width of the first layer (the data's own, not padded). */
  readonly inputWidth: number;
  private readonly slots: LayerSlots[] = [];
  private top: number;
  private readonly paramBytes: number;
  private readonly params: number;
  private readonly grads: number;
  private readonly moment1: number;
  private readonly moment2: number;
  /** Batch inputs, labels and row weights (host-writable for gradient checks). */
  readonly batch: { x: number; y: number; w: number };
  /** Training rows, labels, row weights (0 if none) and the batch order, when sized for them. */
  readonly train: { x: number; y: number; w: number; order: number; rows: number };
  readonly validation: { x: number; y: number; rows: number };
  /** A host-written input area of `inputRows` rows and its logits. */
  readonly input: { x: number; out: number; rows: number };

  constructor(layers: readonly FusedLayerShape[], sizes: FusedNetworkSizes) {
    if (layers.length < 2 || layers.at(-1)!.units !== 1)
      throw new Error('need hidden layers and a one-unit output');
    this.kernel = instantiateKernel();
    this.layers = layers;
    this.capacity = sizes.capacity;
    this.top = align(this.kernel.heapBase());
    const last = layers.length - 1;
    // Parameters first, contiguous, so one loop updates all of them.
    let paramFloats = 0;
    const offsets = layers.map((shape, i) => {
      // The first layer reads the data rows as they are; the others read padded activations.
      const inP = i === 0 ? shape.inputs : pad(shape.inputs);
      const outP = i === last ? 1 : pad(shape.units);
      const w = paramFloats;
      paramFloats += i === last ? inP : inP * outP;
      const b = paramFloats;
      paramFloats += i === last ? LANES : outP;
      return { shape, inP, outP, w, b };
    });
    this.paramBytes = paramFloats * FLOAT_BYTES;
    this.params = this.alloc(this.paramBytes);
    this.grads = this.alloc(this.paramBytes);
    this.moment1 = this.alloc(this.paramBytes);
    this.moment2 = this.alloc(this.paramBytes);
    const cap = sizes.capacity;
    for (const [i, o] of offsets.entries()) {
      const rowsBytes = cap * o.outP * FLOAT_BYTES;
      const h = this.alloc(rowsBytes);
      const dropped = i < last && o.shape.dropout > 0;
      const m = dropped ? this.alloc(rowsBytes) : 0;
      const a = dropped ? this.alloc(rowsBytes) : h;
      const d = this.alloc(rowsBytes);
      const w = this.params + o.w * FLOAT_BYTES;
      const b = this.params + o.b * FLOAT_BYTES;
      this.kernel.setLayer(
        i,
        o.inP,
        o.outP,
        ACTIVATION_CODE[o.shape.activation],
        i < last ? o.shape.dropout : 0,
        w,
        b,
        this.grads + o.w * FLOAT_BYTES,
        this.grads + o.b * FLOAT_BYTES,
        h,
        m,
        a,
        d,
      );
      this.slots.push({ shape: o.shape, inP: o.inP, outP: o.outP, w, b, m });
    }
    this.inputWidth = offsets[0]!.inP;
    const rowBytes = this.inputWidth * FLOAT_BYTES;
    this.batch = {
      x: this.alloc(cap * rowBytes),
      y: this.alloc(cap * FLOAT_BYTES),
      w: this.alloc(cap * FLOAT_BYTES),
    };
    const trainRows = sizes.trainRows ?? 0;
    this.train = {
      x: this.alloc(trainRows * rowBytes),
      y: this.alloc(trainRows * FLOAT_BYTES),
      w: this.alloc(trainRows * FLOAT_BYTES),
      order: this.alloc(trainRows * FLOAT_BYTES),
      rows: trainRows,
    };
    const validationRows = sizes.validationRows ?? 0;
    this.validation = {
      x: this.alloc(validationRows * rowBytes),
      y: this.alloc(validationRows * FLOAT_BYTES),
      rows: validationRows,
    };
    const inputRows = sizes.inputRows ?? 0;
    this.input = {
      x: this.alloc(inputRows * rowBytes),
      out: this.alloc(inputRows * FLOAT_BYTES),
      rows: inputRows,
    };
    const needed = Math.ceil(this.top / PAGE_BYTES) - this.kernel.memory.buffer.byteLength / PAGE_BYTES;
    if (needed > 0) this.kernel.memory.grow(needed);
    this.kernel.configure(
      layers.length,
      cap,
      this.params,
      this.grads,
      this.moment1,
      this.moment2,
      paramFloats,
    );
    this.kernel.setData(this.train.x, this.train.y, 0, this.batch.x, this.batch.y, this.batch.w);
  }

  /** A Float32Array view of `floats` floats at byte `offset` (views die when memory grows; make them fresh). */
  f32(offset: number, floats: number): Float32Array {
    return new Float32Array(this.kernel.memory.buffer, offset, floats);
  }

  /** The batch order as an Int32Array view. */
  order(): Int32Array {
    return new Int32Array(this.kernel.memory.buffer, this.train.order, this.train.rows);
  }

  /** Writes `weights` (shapes as this network's) into the parameters and clears the optimiser state. */
  writeWeights(weights: MlpWeights): void {
    const all = this.f32(this.params, this.paramBytes / FLOAT_BYTES);
    all.fill(0);
    const offset = this.params / FLOAT_BYTES;
    weights.layers.forEach((layer, i) => {
      const slot = this.slots[i]!;
      const w = slot.w / FLOAT_BYTES - offset;
      for (let r = 0; r < layer.inputs; r++)
        all.set(layer.weights.subarray(r * layer.units, (r + 1) * layer.units), w + r * slot.outP);
      all.set(layer.bias, slot.b / FLOAT_BYTES - offset);
    });
    this.f32(this.moment1, this.paramBytes / FLOAT_BYTES).fill(0);
    this.f32(this.moment2, this.paramBytes / FLOAT_BYTES).fill(0);
  }

  /** A copy of the parameters as {@link MlpWeights} (new buffers). */
  readWeights(): MlpWeights {
    return { layers: this.slots.map((slot) => this.readLayer(slot, slot.w, slot.b)) };
  }

  /** The last computed gradients, shaped as {@link MlpWeights}. */
  readGradients(): MlpWeights {
    const shift = this.grads - this.params;
    return { layers: this.slots.map((slot) => this.readLayer(slot, slot.w + shift, slot.b + shift)) };
  }

  private readLayer(slot: LayerSlots, w: number, b: number): MlpWeights['layers'][number] {
    const { inputs, units, activation } = slot.shape;
    const weights = new Float32Array(inputs * units);
    const src = this.f32(w, slot.inP * slot.outP);
    for (let r = 0; r < inputs; r++)
      weights.set(src.subarray(r * slot.outP, r * slot.outP + units), r * units);
    return { inputs, units, activation, weights, bias: this.f32(b, units).slice() };
  }

  /** A copy of hidden layer `layer`'s last dropout mask for `rows` rows (padded width), or undefined without dropout. */
  readMask(layer: number, rows: number): Float32Array | undefined {
    const slot = this.slots[layer]!;
    return slot.m ? this.f32(slot.m, rows * slot.outP).slice() : undefined;
  }

  /** Copies `rows` rows of `x` (row-major, `features` wide) into the area at `offset` (rows `inputWidth` apart). */
  writeRows(offset: number, x: ArrayLike<number>, rows: number, features: number): void {
    const dst = this.f32(offset, rows * this.inputWidth);
    if (features === this.inputWidth && x instanceof Float32Array) {
      dst.set(x.subarray(0, rows * features));
      return;
    }
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < features; j++) dst[r * this.inputWidth + j] = x[r * features + j]!;
  }

  /** Puts the training rows (and optional per-row loss weights) in kernel memory, once. */
  loadTraining(data: Dataset, rowWeights?: Float32Array): void {
    this.writeRows(this.train.x, data.x, data.rows, data.features);
    this.f32(this.train.y, data.rows).set(data.y);
    if (rowWeights) this.f32(this.train.w, data.rows).set(rowWeights.subarray(0, data.rows));
    this.kernel.setData(
      this.train.x,
      this.train.y,
      rowWeights ? this.train.w : 0,
      this.batch.x,
      this.batch.y,
      this.batch.w,
    );
  }

  /** Puts the validation rows in kernel memory, once. */
  loadValidation(data: Dataset): void {
    this.writeRows(this.validation.x, data.x, data.rows, data.features);
    this.f32(this.validation.y, data.rows).set(data.y);
  }

  /** Mean binary cross-entropy of the validation rows (no dropout, unweighted). */
  validationLoss(): number {
    return (
      this.kernel.lossOfRows(this.validation.x, this.validation.y, this.validation.rows) /
      this.validation.rows
    );
  }

  private alloc(bytes: number): number {
    const at = this.top;
    this.top = align(this.top + bytes);
    if (this.top > MAX_KERNEL_BYTES)
      throw new Error(`the fused network needs more than ${MAX_KERNEL_BYTES} bytes`);
    return at;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
