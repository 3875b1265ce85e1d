// Matrix products of the fused MLP kernel (f32x4, register-blocked), imported by mlp.ts.
// (asconfig disables warning 112: v128 values cross only between these modules, never to the host.)

// Matrix products. C[r, u] = init[r, u] + Σ_k P[r, k] · Q[k, u] with byte strides (init's row
// stride `irs` is 0 for a bias, or C's own to accumulate into C), so that the
// forward pass (P = inputs, Q = weights) and the weight gradient (P = inputsᵀ, Q = dZ) share
// one register-blocked loop: 4 rows × 12 columns of accumulators, then narrower tails.

export function acc(c: v128, x: v128, w: v128): v128 {
  return f32x4.add(c, f32x4.mul(x, w));
}

export function gemm(
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

export function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

/** D[b, i] = Σ_u G[b, u] · W[i, u]: the gradient flowing into a layer's inputs (I, U padded). */
export function gemmTransposed(G: usize, W: usize, D: usize, rows: i32, I: i32, U: i32): void {
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
