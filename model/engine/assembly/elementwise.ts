// Element-wise steps of the fused MLP kernel: activations, their derivatives, dropout, loss.

export const ACT_RELU: i32 = 0;
export const ACT_ELU: i32 = 1;
export const ACT_SELU: i32 = 2;
export const ACT_TANH: i32 = 3;
export const ACT_SIGMOID: i32 = 4;
export const SELU_ALPHA: f32 = 1.6732632423543772;
export const SELU_SCALE: f32 = 1.0507009873554805;

// Activations, dropout, loss.

export function activate(h: usize, count: i32, activation: i32): void {
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
export function activationBackward(d: usize, h: usize, m: usize, count: i32, activation: i32): void {
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
export function dropout(h: usize, m: usize, a: usize, count: i32, rate: f32, seed: u32, layer: i32): void {
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
export function bce(z: f64, y: f64): f64 {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}
