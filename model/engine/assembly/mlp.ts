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

const ACT_RELU: i32 = 0;
const ACT_ELU: i32 = 1;
const ACT_SELU: i32 = 2;
const ACT_TANH: i32 = 3;
const ACT_SIGMOID: i32 = 4;

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

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

// ---------------------------------------------------------------------------------------------
// Matrix products. C[r, u] = init[r, u] + Σ_k P[r, k] · Q[k, u] with byte strides (init's row
// stride `irs` is 0 for a bias, or C's own to accumulate into C), so that the
// forward pass (P = inputs, Q = weights) and the weight gradient (P = inputsᵀ, Q = dZ) share
// one register-blocked loop: 4 rows × 12 columns of accumulators, then narrower tails.

function acc(c: v128, x: v128, w: v128): v128 {
  return f32x4.add(c, f32x4.mul(x, w));
}

function gemm(
  P: usize,
  prs: usize,
  pks: usize,
  Q: usize,
  qs: usize,
  K: i32,
  C: usize,
  cs: usize,
  R: i32,
  U: i32,
  init: usize,
  irs: usize,
  relu: bool,
): void {
  const zero = f32x4.splat(0);
  // ReLU fused into the stores: max(x, floor) with floor 0, or −∞ to leave values as they are.
  const floor = f32x4.splat(relu ? 0 : -Infinity);
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    const p0 = P + <usize>r * prs;
    const c0 = C + <usize>r * cs;
    let u = 0;
    for (; u + 12 <= U; u += 12) {
      const ub = (<usize>u) << 2;
      let a0 = zero;
      let a1 = zero;
      let a2 = zero;
      let b0 = zero;
      let b1 = zero;
      let b2 = zero;
      let d0 = zero;
      let d1 = zero;
      let d2 = zero;
      let e0 = zero;
      let e1 = zero;
      let e2 = zero;
      if (init) {
        const i0 = init + <usize>r * irs + ub;
        a0 = v128.load(i0);
        a1 = v128.load(i0, 16);
        a2 = v128.load(i0, 32);
        b0 = v128.load(i0 + irs);
        b1 = v128.load(i0 + irs, 16);
        b2 = v128.load(i0 + irs, 32);
        d0 = v128.load(i0 + 2 * irs);
        d1 = v128.load(i0 + 2 * irs, 16);
        d2 = v128.load(i0 + 2 * irs, 32);
        e0 = v128.load(i0 + 3 * irs);
        e1 = v128.load(i0 + 3 * irs, 16);
        e2 = v128.load(i0 + 3 * irs, 32);
      }
      let pk = p0;
      let q = Q + ub;
      for (let k = 0; k < K; k++) {
        const w0 = v128.load(q);
        const w1 = v128.load(q, 16);
        const w2 = v128.load(q, 32);
        let x = f32x4.splat(load<f32>(pk));
        a0 = acc(a0, x, w0);
        a1 = acc(a1, x, w1);
        a2 = acc(a2, x, w2);
        x = f32x4.splat(load<f32>(pk + prs));
        b0 = acc(b0, x, w0);
        b1 = acc(b1, x, w1);
        b2 = acc(b2, x, w2);
        x = f32x4.splat(load<f32>(pk + 2 * prs));
        d0 = acc(d0, x, w0);
        d1 = acc(d1, x, w1);
        d2 = acc(d2, x, w2);
        x = f32x4.splat(load<f32>(pk + 3 * prs));
        e0 = acc(e0, x, w0);
        e1 = acc(e1, x, w1);
        e2 = acc(e2, x, w2);
        pk += pks;
        q += qs;
      }
      let c = c0 + ub;
      v128.store(c, f32x4.max(a0, floor));
      v128.store(c, f32x4.max(a1, floor), 16);
      v128.store(c, f32x4.max(a2, floor), 32);
      c += cs;
      v128.store(c, f32x4.max(b0, floor));
      v128.store(c, f32x4.max(b1, floor), 16);
      v128.store(c, f32x4.max(b2, floor), 32);
      c += cs;
      v128.store(c, f32x4.max(d0, floor));
      v128.store(c, f32x4.max(d1, floor), 16);
      v128.store(c, f32x4.max(d2, floor), 32);
      c += cs;
      v128.store(c, f32x4.max(e0, floor));
      v128.store(c, f32x4.max(e1, floor), 16);
      v128.store(c, f32x4.max(e2, floor), 32);
    }
    for (; u < U; u += 4) {
      const ub = (<usize>u) << 2;
      const i0 = init + <usize>r * irs + ub;
      let a0 = init ? v128.load(i0) : zero;
      let b0 = init ? v128.load(i0 + irs) : zero;
      let d0 = init ? v128.load(i0 + 2 * irs) : zero;
      let e0 = init ? v128.load(i0 + 3 * irs) : zero;
      let pk = p0;
      let q = Q + ub;
      for (let k = 0; k < K; k++) {
        const w0 = v128.load(q);
        a0 = acc(a0, f32x4.splat(load<f32>(pk)), w0);
        b0 = acc(b0, f32x4.splat(load<f32>(pk + prs)), w0);
        d0 = acc(d0, f32x4.splat(load<f32>(pk + 2 * prs)), w0);
        e0 = acc(e0, f32x4.splat(load<f32>(pk + 3 * prs)), w0);
        pk += pks;
        q += qs;
      }
      const c = c0 + ub;
      v128.store(c, f32x4.max(a0, floor));
      v128.store(c + cs, f32x4.max(b0, floor));
      v128.store(c + 2 * cs, f32x4.max(d0, floor));
      v128.store(c + 3 * cs, f32x4.max(e0, floor));
    }
  }
  for (; r < R; r++) {
    const p0 = P + <usize>r * prs;
    const c0 = C + <usize>r * cs;
    let u = 0;
    for (; u + 16 <= U; u += 16) {
      const ub = (<usize>u) << 2;
      let a0 = zero;
      let a1 = zero;
      let a2 = zero;
      let a3 = zero;
      if (init) {
        const i0 = init + <usize>r * irs + ub;
        a0 = v128.load(i0);
        a1 = v128.load(i0, 16);
        a2 = v128.load(i0, 32);
        a3 = v128.load(i0, 48);
      }
      let pk = p0;
      let q = Q + ub;
      for (let k = 0; k < K; k++) {
        const x = f32x4.splat(load<f32>(pk));
        a0 = acc(a0, x, v128.load(q));
        a1 = acc(a1, x, v128.load(q, 16));
        a2 = acc(a2, x, v128.load(q, 32));
        a3 = acc(a3, x, v128.load(q, 48));
        pk += pks;
        q += qs;
      }
      const c = c0 + ub;
      v128.store(c, f32x4.max(a0, floor));
      v128.store(c, f32x4.max(a1, floor), 16);
      v128.store(c, f32x4.max(a2, floor), 32);
      v128.store(c, f32x4.max(a3, floor), 48);
    }
    for (; u < U; u += 4) {
      const ub = (<usize>u) << 2;
      let a0 = init ? v128.load(init + <usize>r * irs + ub) : zero;
      let pk = p0;
      let q = Q + ub;
      for (let k = 0; k < K; k++) {
        a0 = acc(a0, f32x4.splat(load<f32>(pk)), v128.load(q));
        pk += pks;
        q += qs;
      }
      v128.store(c0 + ub, f32x4.max(a0, floor));
    }
  }
}

function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

/** D[b, i] = Σ_u G[b, u] · W[i, u]: the gradient flowing into a layer's inputs (I, U padded). */
function gemmTransposed(G: usize, W: usize, D: usize, rows: i32, I: i32, U: i32): void {
  const gs = (<usize>U) << 2;
  const ds = (<usize>I) << 2;
  for (let b = 0; b < rows; b++) {
    const g = G + <usize>b * gs;
    const d = D + <usize>b * ds;
    for (let i = 0; i < I; i += 4) {
      const w0 = W + <usize>i * gs;
      let s0 = f32x4.splat(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let u: usize = 0; u < gs; u += 16) {
        const gv = v128.load(g + u);
        s0 = acc(s0, gv, v128.load(w0 + u));
        s1 = acc(s1, gv, v128.load(w0 + gs + u));
        s2 = acc(s2, gv, v128.load(w0 + 2 * gs + u));
        s3 = acc(s3, gv, v128.load(w0 + 3 * gs + u));
      }
      store<f32>(d + ((<usize>i) << 2), hsum(s0));
      store<f32>(d + ((<usize>i) << 2) + 4, hsum(s1));
      store<f32>(d + ((<usize>i) << 2) + 8, hsum(s2));
      store<f32>(d + ((<usize>i) << 2) + 12, hsum(s3));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Activations, dropout, loss.

function activate(h: usize, count: i32, activation: i32): void {
  const end = h + ((<usize>count) << 2);
  if (activation === ACT_RELU) {
    const zero = f32x4.splat(0);
    for (let p = h; p < end; p += 16) v128.store(p, f32x4.max(v128.load(p), zero));
    return;
  }
  if (activation > ACT_SIGMOID) return; // linear
  for (let p = h; p < end; p += 4) {
    const z = load<f32>(p);
    let y: f32 = z;
    if (activation === ACT_ELU) y = z > 0 ? z : Mathf.expm1(z);
    else if (activation === ACT_SELU) y = SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Mathf.expm1(z));
    else if (activation === ACT_TANH) y = Mathf.tanh(z);
    else y = z >= 0 ? 1 / (1 + Mathf.exp(-z)) : Mathf.exp(z) / (1 + Mathf.exp(z));
    store<f32>(p, y);
  }
}

/**
 * D ← D · M · f′ in one pass: the dropout mask M (when `m` ≠ 0) and the activation's
 * derivative f′, written in terms of the activation's output H.
 */
function activationBackward(d: usize, h: usize, m: usize, count: i32, activation: i32): void {
  const bytes = (<usize>count) << 2;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (activation > ACT_SIGMOID && !m) return; // linear, no dropout
  for (let o: usize = 0; o < bytes; o += 16) {
    const hv = v128.load(h + o);
    let dv = v128.load(d + o);
    if (m) dv = f32x4.mul(dv, v128.load(m + o));
    let r: v128;
    if (activation === ACT_RELU) r = v128.and(dv, f32x4.gt(hv, zero));
    else if (activation === ACT_ELU)
      r = v128.bitselect(dv, f32x4.mul(dv, f32x4.add(hv, one)), f32x4.gt(hv, zero));
    else if (activation === ACT_SELU)
      r = v128.bitselect(
        f32x4.mul(dv, f32x4.splat(SELU_SCALE)),
        f32x4.mul(dv, f32x4.add(hv, f32x4.splat(SELU_SCALE * SELU_ALPHA))),
        f32x4.gt(hv, zero),
      );
    else if (activation === ACT_TANH) r = f32x4.mul(dv, f32x4.sub(one, f32x4.mul(hv, hv)));
    else if (activation === ACT_SIGMOID) r = f32x4.mul(dv, f32x4.mul(hv, f32x4.sub(one, hv)));
    else r = dv;
    v128.store(d + o, r);
  }
}

function mix32(value: u32): u32 {
  let z = value + 0x9e3779b9;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return (z ^ (z >>> 16)) | 1; // xorshift needs a non-zero state
}

/**
 * Inverted dropout: M = keep ? 1/(1 − rate) : 0, A = H · M. The bits come from 4 xorshift32
 * lanes seeded by (seed, layer); each 32-bit draw gives two 16-bit uniforms, so the keep
 * probability is resolved to 1/65536.
 */
function dropout(h: usize, m: usize, a: usize, count: i32, rate: f32, seed: u32, layer: i32): void {
  const base = seed ^ mix32(<u32>layer * 0x632be5ab);
  let s = i32x4(mix32(base), mix32(base + 1), mix32(base + 2), mix32(base + 3));
  const keep: f32 = 1 - rate;
  const threshold = i32x4.splat(<i32>(keep * 65536));
  const low = i32x4.splat(0xffff);
  const scale = f32x4.splat(1 / keep);
  const bytes = (<usize>count) << 2;
  let o: usize = 0;
  for (; o < bytes; o += 32) {
    s = v128.xor(s, i32x4.shl(s, 13));
    s = v128.xor(s, i32x4.shr_u(s, 17));
    s = v128.xor(s, i32x4.shl(s, 5));
    const m0 = v128.and(i32x4.lt_s(v128.and(s, low), threshold), scale);
    v128.store(m + o, m0);
    v128.store(a + o, f32x4.mul(v128.load(h + o), m0));
    if (o + 16 < bytes) {
      const m1 = v128.and(i32x4.lt_s(i32x4.shr_u(s, 16), threshold), scale);
      v128.store(m + o, m1, 16);
      v128.store(a + o, f32x4.mul(v128.load(h + o, 16), m1), 16);
    }
  }
}

/** max(z, 0) − z·y + log(1 + e^−|z|), in f64. */
function bce(z: f64, y: f64): f64 {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
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

/** A register-resident f32x4 multiply-add loop: 64 FLOP per iteration, to measure the core's SIMD peak. */
export function peakLoop(iterations: i32): f32 {
  let a0 = f32x4.splat(1);
  let a1 = f32x4.splat(1.1);
  let a2 = f32x4.splat(1.2);
  let a3 = f32x4.splat(1.3);
  let a4 = f32x4.splat(1.4);
  let a5 = f32x4.splat(1.5);
  let a6 = f32x4.splat(1.6);
  let a7 = f32x4.splat(1.7);
  const m = f32x4.splat(0.999999);
  const c = f32x4.splat(0.000001);
  for (let i = 0; i < iterations; i++) {
    a0 = f32x4.add(f32x4.mul(a0, m), c);
    a1 = f32x4.add(f32x4.mul(a1, m), c);
    a2 = f32x4.add(f32x4.mul(a2, m), c);
    a3 = f32x4.add(f32x4.mul(a3, m), c);
    a4 = f32x4.add(f32x4.mul(a4, m), c);
    a5 = f32x4.add(f32x4.mul(a5, m), c);
    a6 = f32x4.add(f32x4.mul(a6, m), c);
    a7 = f32x4.add(f32x4.mul(a7, m), c);
  }
  return hsum(
    f32x4.add(
      f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
      f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
    ),
  );
}
