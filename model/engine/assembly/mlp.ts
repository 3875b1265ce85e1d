// The fused MLP kernel (AssemblyScript → WebAssembly with SIMD). Built by `npm run build:wasm`.
//
// One call per mini-batch (`trainBatch`) gathers the batch rows from the training set resident
// in this memory, runs the forward pass (dropout masks from an in-kernel RNG), the weighted
// binary cross-entropy on logits, the backward pass and the optimiser update. Nothing is
// allocated here: the host lays out every buffer in linear memory once and describes the
// layers with `setLayer`. Layer widths are padded to multiples of 4 (padding holds zeros,
// which stay zero through training), so every inner loop is f32x4; input rows keep their own
// width (the first layer's products take one input value at a time).
//
// Layouts (all f32, row-major): a hidden layer's weights are [inputs × units], the output
// layer (one unit) stores its weights as a vector of `inputs` and its bias in a 4-float slot.

import { ACT_RELU, activate, activationBackward, bce, dropout } from './elementwise';
import { acc, gemm, gemmTransposed, hsum } from './gemm';

export { peakLoop } from './gemm';

const MAX_LAYERS: i32 = 17;
const FIELDS: i32 = 16;
const PLAN: usize = memory.data(MAX_LAYERS * FIELDS * 4, 16);

// Fields of a layer in PLAN.
const F_IN: i32 = 0; // input width (padded to 4, except the first layer's: the data's own)
const F_OUT: i32 = 1; // padded unit count (1 for the output layer)
const F_ACT: i32 = 2; // activation code (ACT_*)
const F_DROP: i32 = 3; // dropout rate (f32 bits)
const F_W: i32 = 4; // weights
const F_B: i32 = 5; // bias
const F_GW: i32 = 6; // weight gradient
const F_GB: i32 = 7; // bias gradient
const F_H: i32 = 8; // activations before dropout [rows × units] (the logits for the output layer)
const F_M: i32 = 9; // dropout mask: 0 or 1/(1 − rate)
const F_A: i32 = 10; // activations after dropout (= H when the layer has none)
const F_D: i32 = 11; // gradient w.r.t. the layer's output, then its pre-activation

const OPT_ADAM: i32 = 0;
const OPT_ADAMW: i32 = 1;

let layers: i32 = 0;
let capacity: i32 = 0;
// Training set: rows padded to the first layer's width, labels and optional row weights (f32).
let trainX: usize = 0;
let trainY: usize = 0;
let trainW: usize = 0;
// The gathered batch: inputs, labels, row weights.
let batchX: usize = 0;
let batchY: usize = 0;
let batchW: usize = 0;
// Every parameter, its gradient and Adam's two moments, each one contiguous block.
let params: usize = 0;
let grads: usize = 0;
let moment1: usize = 0;
let moment2: usize = 0;
let paramCount: i32 = 0;
let optimizer: i32 = OPT_ADAM;
let learningRate: f32 = 0;
let weightDecay: f32 = 0;
let beta1: f32 = 0.9;
let beta2: f32 = 0.999;
let epsilon: f32 = 1e-8;
// β^t, kept as tfjs keeps them: multiplied once per step in float32.
let beta1Power: f32 = 0.9;
let beta2Power: f32 = 0.999;

function field(layer: i32, f: i32): i32 {
  return load<i32>(PLAN + ((<usize>(layer * FIELDS + f)) << 2));
}

function ptr(layer: i32, f: i32): usize {
  return <usize>field(layer, f);
}

function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + ((<usize>index) << 2));
}

/** First free byte after the kernel's own static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Describes layer `l` (hidden layers first, then the one-unit output layer). */
export function setLayer(
  l: i32,
  inputs: i32,
  units: i32,
  activation: i32,
  dropout: f32,
  w: usize,
  b: usize,
  gw: usize,
  gb: usize,
  h: usize,
  m: usize,
  a: usize,
  d: usize,
): void {
  const p = PLAN + ((<usize>(l * FIELDS)) << 2);
  store<i32>(p + ((<usize>F_IN) << 2), inputs);
  store<i32>(p + ((<usize>F_OUT) << 2), units);
  store<i32>(p + ((<usize>F_ACT) << 2), activation);
  store<f32>(p + ((<usize>F_DROP) << 2), dropout);
  store<i32>(p + ((<usize>F_W) << 2), <i32>w);
  store<i32>(p + ((<usize>F_B) << 2), <i32>b);
  store<i32>(p + ((<usize>F_GW) << 2), <i32>gw);
  store<i32>(p + ((<usize>F_GB) << 2), <i32>gb);
  store<i32>(p + ((<usize>F_H) << 2), <i32>h);
  store<i32>(p + ((<usize>F_M) << 2), <i32>m);
  store<i32>(p + ((<usize>F_A) << 2), <i32>a);
  store<i32>(p + ((<usize>F_D) << 2), <i32>d);
}

/** Network size, rows per pass and the parameter blocks. */
export function configure(
  layerCount: i32,
  rowsPerPass: i32,
  p: usize,
  g: usize,
  m1: usize,
  m2: usize,
  count: i32,
): void {
  layers = layerCount;
  capacity = rowsPerPass;
  params = p;
  grads = g;
  moment1 = m1;
  moment2 = m2;
  paramCount = count;
}

/** Where the training set and the batch buffers live (`w` = 0: every row weighs 1). */
export function setData(x: usize, y: usize, w: usize, bx: usize, by: usize, bw: usize): void {
  trainX = x;
  trainY = y;
  trainW = w;
  batchX = bx;
  batchY = by;
  batchW = bw;
}

/** Optimiser settings; resets the step count. */
export function setOptimizer(kind: i32, lr: f32, decay: f32, b1: f32, b2: f32, eps: f32): void {
  optimizer = kind;
  learningRate = lr;
  weightDecay = decay;
  beta1 = b1;
  beta2 = b2;
  epsilon = eps;
  beta1Power = b1;
  beta2Power = b2;
}

/** A new learning rate mid-fit (a schedule), keeping the optimiser's moments and step count. */
export function setLearningRate(lr: f32): void {
  learningRate = lr;
}

// ---------------------------------------------------------------------------------------------
// Passes.

/** Forward pass of `rows` rows at `x` (padded width); the logits end in the output layer's H. */
function forward(x: usize, rows: i32, training: bool, seed: u32): void {
  let input = x;
  const last = layers - 1;
  for (let l = 0; l < last; l++) {
    const I = field(l, F_IN);
    const U = field(l, F_OUT);
    const h = ptr(l, F_H);
    gemm(
      input,
      (<usize>I) << 2,
      4,
      ptr(l, F_W),
      (<usize>U) << 2,
      I,
      h,
      (<usize>U) << 2,
      rows,
      U,
      ptr(l, F_B),
      0,
      field(l, F_ACT) === ACT_RELU,
    );
    if (field(l, F_ACT) !== ACT_RELU) activate(h, rows * U, field(l, F_ACT));
    const rate = load<f32>(PLAN + ((<usize>(l * FIELDS + F_DROP)) << 2));
    if (training && rate > 0) {
      dropout(h, ptr(l, F_M), ptr(l, F_A), rows * U, rate, seed, l);
      input = ptr(l, F_A);
    } else input = h;
  }
  // Output layer: one unit, a dot product per row.
  const I = field(last, F_IN);
  const w = ptr(last, F_W);
  const bias = load<f32>(ptr(last, F_B));
  const z = ptr(last, F_H);
  const rs = (<usize>I) << 2;
  for (let b = 0; b < rows; b++) {
    const row = input + <usize>b * rs;
    let s0 = f32x4.splat(0);
    let s1 = s0;
    for (let o: usize = 0; o < rs; o += 8 << 2) {
      s0 = acc(s0, v128.load(row + o), v128.load(w + o));
      if (o + 16 < rs) s1 = acc(s1, v128.load(row + o, 16), v128.load(w + o, 16));
    }
    store<f32>(z + ((<usize>b) << 2), bias + hsum(f32x4.add(s0, s1)));
  }
}

/**
 * Backward pass after `forward(…, training)`: every gradient, given dLoss/dlogit in the output
 * layer's D; with `accumulate`, added to the gradients already there (row chunks of one batch).
 */
function backward(x: usize, rows: i32, training: bool, accumulate: bool): void {
  const last = layers - 1;
  // Output layer: gw = Σ_b dz_b · a_b, gb = Σ_b dz_b, and dA of the layer below = dz_b · w.
  const I = field(last, F_IN);
  const dz = ptr(last, F_D);
  const below = last - 1;
  let input = x;
  if (below >= 0) {
    const rate = load<f32>(PLAN + ((<usize>(below * FIELDS + F_DROP)) << 2));
    input = training && rate > 0 ? ptr(below, F_A) : ptr(below, F_H);
  }
  const rs = (<usize>I) << 2;
  const gw = ptr(last, F_GW);
  for (let o: usize = 0; o < rs; o += 16) {
    let s = accumulate ? v128.load(gw + o) : f32x4.splat(0);
    for (let b = 0; b < rows; b++)
      s = acc(s, f32x4.splat(f32At(dz, b)), v128.load(input + <usize>b * rs + o));
    v128.store(gw + o, s);
  }
  let gb: f32 = accumulate ? load<f32>(ptr(last, F_GB)) : 0;
  for (let b = 0; b < rows; b++) gb += f32At(dz, b);
  store<f32>(ptr(last, F_GB), gb);
  if (below < 0) return;
  const w = ptr(last, F_W);
  const dBelow = ptr(below, F_D);
  for (let b = 0; b < rows; b++) {
    const g = f32x4.splat(f32At(dz, b));
    const d = dBelow + <usize>b * rs;
    for (let o: usize = 0; o < rs; o += 16) v128.store(d + o, f32x4.mul(g, v128.load(w + o)));
  }
  // Hidden layers, top down: D (w.r.t. output) → dZ, then gradients, then D of the layer below.
  for (let l = below; l >= 0; l--) {
    const Il = field(l, F_IN);
    const U = field(l, F_OUT);
    const d = ptr(l, F_D);
    const count = rows * U;
    const rate = load<f32>(PLAN + ((<usize>(l * FIELDS + F_DROP)) << 2));
    activationBackward(d, ptr(l, F_H), training && rate > 0 ? ptr(l, F_M) : 0, count, field(l, F_ACT));
    let lin = x;
    if (l > 0) {
      const r = load<f32>(PLAN + ((<usize>((l - 1) * FIELDS + F_DROP)) << 2));
      lin = training && r > 0 ? ptr(l - 1, F_A) : ptr(l - 1, F_H);
    }
    // gW[i, u] = Σ_b in[b, i] · dZ[b, u]
    const gwl = ptr(l, F_GW);
    const us = (<usize>U) << 2;
    gemm(lin, 4, (<usize>Il) << 2, d, us, rows, gwl, us, Il, U, accumulate ? gwl : 0, us, false);
    const gbl = ptr(l, F_GB);
    for (let o: usize = 0; o < us; o += 16) {
      let s = accumulate ? v128.load(gbl + o) : f32x4.splat(0);
      for (let b = 0; b < rows; b++) s = f32x4.add(s, v128.load(d + <usize>b * us + o));
      v128.store(gbl + o, s);
    }
    if (l > 0) gemmTransposed(d, ptr(l, F_W), ptr(l - 1, F_D), rows, Il, U);
  }
}

/** One optimiser step over every parameter (PyTorch-style L2 in the gradient, or decoupled for AdamW). */
function update(): void {
  const bytes = (<usize>paramCount) << 2;
  const lr = f32x4.splat(learningRate);
  const decay = f32x4.splat(weightDecay);
  const l2 = weightDecay > 0 && optimizer !== OPT_ADAMW;
  if (optimizer !== OPT_ADAM && optimizer !== OPT_ADAMW) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const p = v128.load(params + o);
      let g = v128.load(grads + o);
      if (l2) g = f32x4.add(g, f32x4.mul(p, decay));
      v128.store(params + o, f32x4.sub(p, f32x4.mul(g, lr)));
    }
    return;
  }
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(1 - beta1);
  const c2 = f32x4.splat(1 - beta2);
  // Bias corrections as reciprocals: a multiplication per vector instead of a division.
  const bc1 = f32x4.splat(1 / (1 - beta1Power));
  const bc2 = f32x4.splat(1 / (1 - beta2Power));
  const eps = f32x4.splat(epsilon);
  const shrink = f32x4.splat(1 - learningRate * weightDecay);
  const decoupled = optimizer === OPT_ADAMW && weightDecay > 0;
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = v128.load(params + o);
    let g = v128.load(grads + o);
    if (l2) g = f32x4.add(g, f32x4.mul(p, decay));
    const m = f32x4.add(f32x4.mul(v128.load(moment1 + o), b1), f32x4.mul(g, c1));
    const v = f32x4.add(f32x4.mul(v128.load(moment2 + o), b2), f32x4.mul(f32x4.mul(g, g), c2));
    v128.store(moment1 + o, m);
    v128.store(moment2 + o, v);
    const step = f32x4.div(f32x4.mul(m, bc1), f32x4.add(f32x4.sqrt(f32x4.mul(v, bc2)), eps));
    let next = f32x4.sub(p, f32x4.mul(step, lr));
    if (decoupled) next = f32x4.mul(next, shrink);
    v128.store(params + o, next);
  }
  beta1Power *= beta1;
  beta2Power *= beta2;
}

/** Copies the rows named by `order[from … from+rows)` (i32 indices) into the batch buffers. */
function gather(order: usize, rows: i32): void {
  const rs = (<usize>field(0, F_IN)) << 2;
  for (let k = 0; k < rows; k++) {
    const row = load<i32>(order + ((<usize>k) << 2));
    const src = trainX + <usize>row * rs;
    const dst = batchX + <usize>k * rs;
    // Input rows are not padded (any width): whole vectors, then the last floats one by one.
    let o: usize = 0;
    for (; o + 16 <= rs; o += 16) v128.store(dst + o, v128.load(src + o));
    for (; o < rs; o += 4) store<f32>(dst + o, load<f32>(src + o));
    store<f32>(batchY + ((<usize>k) << 2), f32At(trainY, row));
    store<f32>(batchW + ((<usize>k) << 2), trainW ? f32At(trainW, row) : 1);
  }
}

/** dLoss/dlogit of mean(w · BCE) over `total` batch rows, for the `rows` gathered ones, into the output layer's D; returns their Σ w · BCE. */
function lossGradient(rows: i32, total: i32): f64 {
  const last = layers - 1;
  const z = ptr(last, F_H);
  const d = ptr(last, F_D);
  const inv: f64 = 1.0 / <f64>total;
  let sum: f64 = 0;
  for (let b = 0; b < rows; b++) {
    const zb: f64 = f32At(z, b);
    const y: f64 = f32At(batchY, b);
    const w: f64 = f32At(batchW, b);
    // One exponential serves the loss and the logistic: e = exp(−|z|).
    const e = Math.exp(-Math.abs(zb));
    sum += w * (Math.max(zb, 0) - zb * y + Math.log1p(e));
    const p = zb >= 0 ? 1 / (1 + e) : e / (1 + e);
    store<f32>(d + ((<usize>b) << 2), <f32>(w * (p - y) * inv));
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Entry points.

/**
 * One training step on the `rows` training rows whose indices are at `order`: forward with
 * dropout seeded by `seed`, loss, backward, update. Rows go through in chunks of `capacity`
 * (cache-sized buffers) whose gradients add up; one update per batch. Returns Σ rowWeight · BCE.
 */
export function trainBatch(order: usize, rows: i32, seed: u32): f64 {
  let loss: f64 = 0;
  for (let from = 0; from < rows; from += capacity) {
    const n = min(capacity, rows - from);
    gather(order + ((<usize>from) << 2), n);
    forward(batchX, n, true, seed + <u32>from * 0x9e3779b9);
    loss += lossGradient(n, rows);
    backward(batchX, n, true, from > 0);
  }
  update();
  return loss;
}

/**
 * The phases of `trainBatch`, separately, for profiling: 0 gather, 1 forward, 2 loss,
 * 3 backward, 4 update; 5 is the forward pass without dropout (its cost minus 1's = dropout's).
 */
export function phase(which: i32, order: usize, rows: i32, seed: u32): f64 {
  if (which === 0) gather(order, rows);
  else if (which === 1) forward(batchX, rows, true, seed);
  else if (which === 2) return lossGradient(rows, rows);
  else if (which === 3) backward(batchX, rows, true, false);
  else if (which === 4) update();
  else forward(batchX, rows, false, seed);
  return 0;
}

/** Gradients (no update) of the batch at `x`/`y`/`w` (host-written batch buffers), without dropout. Returns Σ w · BCE. */
export function gradientsOfBatch(rows: i32): f64 {
  forward(batchX, rows, false, 0);
  const loss = lossGradient(rows, rows);
  backward(batchX, rows, false, false);
  return loss;
}

/** Σ BCE (unweighted, no dropout) of `rows` rows at `x` with f32 labels at `y`. */
export function lossOfRows(x: usize, y: usize, rows: i32): f64 {
  const last = layers - 1;
  const z = ptr(last, F_H);
  const rs = (<usize>field(0, F_IN)) << 2;
  let sum: f64 = 0;
  for (let from = 0; from < rows; from += capacity) {
    const n = min(capacity, rows - from);
    forward(x + <usize>from * rs, n, false, 0);
    for (let b = 0; b < n; b++) sum += bce(<f64>f32At(z, b), <f64>f32At(y, from + b));
  }
  return sum;
}

/** Logits (no dropout) of `rows` rows at `x` into `out` (f32). */
export function logitsOfRows(x: usize, rows: i32, out: usize): void {
  const last = layers - 1;
  const z = ptr(last, F_H);
  const rs = (<usize>field(0, F_IN)) << 2;
  for (let from = 0; from < rows; from += capacity) {
    const n = min(capacity, rows - from);
    forward(x + <usize>from * rs, n, false, 0);
    memory.copy(out + ((<usize>from) << 2), z, (<usize>n) << 2);
  }
}
