/**
 * The SIMD LSTM step of docs/fixed-point.md §4–§5 for the common cell (sigmoid gates, tanh cell and hidden
 * activations, int16 cell, gFrac 15, cFrac ≤ 15, no peepholes, clip or coupled gates; every matrix A32), four units
 * per pass. Bit-exact with the scalar step (cell.ts, activation.ts) because every operation below is the same exact
 * integer operation, applied lane by lane; the emitter only selects it after proving, per row, the bounds each
 * shortcut needs (targets/wasm/emit.ts, `fusedData`):
 *
 *  - Requantization with one shift per unit: y = rshr(s · M, n) = rshr(s · 2^d · M, N) with N = max n over the
 *    unit's four gates and d = N - n (numerator and denominator scaled by 2^d), where |s| · 2^d < 2^31 so the i32
 *    lane product s · 2^d is exact; s · 2^d · M is then an exact i64 (extmul) and N is the same for all lanes.
 *  - No saturation of y(W, x), y(R, h) or z = bias + y(W, x) + y(R, h): their bounds over every int16 input are below
 *    2^31, so sat32 is the identity and the i32 lane sums do not wrap.
 *  - Activations (§3.1) read the two table entries of each lane with one unaligned 32-bit load (t0 in the low half,
 *    t1 in the high half) at min(|z|, limit - 1) (unsigned, so |−2^31| = 2^31 also saturates) and select 32767 at or
 *    beyond the limit, as the scalar kernels do.
 *  - Cell (§5): f · c + conv(i · g, 30 → 15 + cFrac) < 2^31 (int16 cell, cFrac ≤ gFrac), h: o · a < 2^30; sat16 is the
 *    saturating narrow i16x8.narrow_i32x4_s.
 */
import { hsum4x32 } from "./matvec_simd";

/**
 * §3.1 table activation of four lanes: `shift` = 11 (sigmoid, limit 16 · 2^16) or 10 (tanh, limit 8 · 2^16); `neg`
 * is 32768 (sigmoid: y → 32768 - y for z < 0) or 0 (tanh: y → -y).
 */
// @ts-ignore: decorator
@inline function tableAct4(z: v128, tab: usize, shift: i32, limit: i32, neg: i32): v128 {
  const a = i32x4.abs(z);
  const ac = i32x4.min_u(a, i32x4.splat(limit - 1));
  const idx = i32x4.shl(i32x4.shr_u(ac, shift), 1);
  const fr = v128.and(ac, i32x4.splat((1 << shift) - 1));
  let t = i32x4.splat(load<i32>(tab + <usize>i32x4.extract_lane(idx, 0)));
  t = i32x4.replace_lane(t, 1, load<i32>(tab + <usize>i32x4.extract_lane(idx, 1)));
  t = i32x4.replace_lane(t, 2, load<i32>(tab + <usize>i32x4.extract_lane(idx, 2)));
  t = i32x4.replace_lane(t, 3, load<i32>(tab + <usize>i32x4.extract_lane(idx, 3)));
  const t0 = i32x4.shr_s(i32x4.shl(t, 16), 16);
  const t1 = i32x4.shr_s(t, 16);
  const interp = i32x4.add(t0, i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.sub(t1, t0), fr), i32x4.splat(1 << (shift - 1))), shift));
  const y = v128.bitselect(interp, i32x4.splat(32767), i32x4.lt_u(a, i32x4.splat(limit)));
  return v128.bitselect(y, i32x4.sub(i32x4.splat(neg), y), i32x4.ge_s(z, i32x4.splat(0)));
}

/** §2 four gates of one unit: rshr(s · 2^d · M, n) per lane (see the file comment), as i32 lanes. */
// @ts-ignore: decorator
@inline function rq4(s: v128, p2: v128, m: v128, n: i32): v128 {
  const t = i32x4.mul(s, p2);
  const rnd = i64x2.splat(<i64>1 << <i64>(n - 1));
  const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(t, m), rnd), n);
  const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(t, m), rnd), n);
  return v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
}

/** Σ_k w[g, k] · v[k] of the four gate rows of one unit (int16, n8 · 8 columns, `stride` bytes apart). */
// @ts-ignore: decorator
@inline function dot4(w: usize, v: usize, n8: i32, stride: usize): v128 {
  let a0 = i32x4.splat(0);
  let a1 = i32x4.splat(0);
  let a2 = i32x4.splat(0);
  let a3 = i32x4.splat(0);
  const end = w + (<usize>n8 << 4);
  let x = v;
  for (let p = w; p < end; p += 16) {
    const xv = v128.load(x);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(p), xv));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(p + stride), xv));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load(p + 2 * stride), xv));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load(p + 3 * stride), xv));
    x += 16;
  }
  return hsum4x32(a0, a1, a2, a3);
}

/**
 * z = bias + y(W, x) + y(R, h) of the four gates [input, forget, cell, output] of unit r, as i32 lanes. Tables are
 * [H, 4] i32 (bias, M, 2^d) and [H] i32 (N) for W (x) and R (h).
 */
// @ts-ignore: decorator
@inline function unitZ4(r: i32, x: usize, wx: usize, nx8: i32, h: usize, wh: usize, nh8: i32, b4: usize, mx: usize, px: usize, nx: usize, mh: usize, ph: usize, nh: usize): v128 {
  const o = <usize>r << 4;
  const sx = dot4(wx + <usize>r * (<usize>nx8 << 6), x, nx8, <usize>nx8 << 4);
  const sh = dot4(wh + <usize>r * (<usize>nh8 << 6), h, nh8, <usize>nh8 << 4);
  const yx = rq4(sx, v128.load(px + o), v128.load(mx + o), load<i32>(nx + (<usize>r << 2)));
  const yh = rq4(sh, v128.load(ph + o), v128.load(mh + o), load<i32>(nh + (<usize>r << 2)));
  return i32x4.add(v128.load(b4 + o), i32x4.add(yx, yh));
}

/**
 * One LSTM step of H units (H a multiple of 4), four units per pass: reads x (nx8 · 8 int16, zero-padded) and hb
 * (the previous h, nh8 · 8 int16, zero-padded), updates the int16 cell c [H] and writes h [H].
 */
export function lstmStepSimd(
  h: usize, c: usize, hb: usize, x: usize, H: i32, cFrac: i32, sig: usize, tnh: usize,
  wx: usize, nx8: i32, wh: usize, nh8: i32, b4: usize, mx: usize, px: usize, nx: usize, mh: usize, ph: usize, nh: usize,
): void {
  for (let r: i32 = 0; r < H; r += 4) {
    const z0 = unitZ4(r, x, wx, nx8, hb, wh, nh8, b4, mx, px, nx, mh, ph, nh);
    const z1 = unitZ4(r + 1, x, wx, nx8, hb, wh, nh8, b4, mx, px, nx, mh, ph, nh);
    const z2 = unitZ4(r + 2, x, wx, nx8, hb, wh, nh8, b4, mx, px, nx, mh, ph, nh);
    const z3 = unitZ4(r + 3, x, wx, nx8, hb, wh, nh8, b4, mx, px, nx, mh, ph, nh);
    // Transpose [unit][gate] → [gate][unit].
    const a01 = v128.shuffle<i32>(z0, z1, 0, 4, 1, 5);
    const a23 = v128.shuffle<i32>(z2, z3, 0, 4, 1, 5);
    const b01 = v128.shuffle<i32>(z0, z1, 2, 6, 3, 7);
    const b23 = v128.shuffle<i32>(z2, z3, 2, 6, 3, 7);
    const zi = v128.shuffle<i32>(a01, a23, 0, 1, 4, 5);
    const zf = v128.shuffle<i32>(a01, a23, 2, 3, 6, 7);
    const zg = v128.shuffle<i32>(b01, b23, 0, 1, 4, 5);
    const zo = v128.shuffle<i32>(b01, b23, 2, 3, 6, 7);
    const i = tableAct4(zi, sig, 11, 16 << 16, 32768);
    const f = tableAct4(zf, sig, 11, 16 << 16, 32768);
    const g = tableAct4(zg, tnh, 10, 8 << 16, 0);
    const o = tableAct4(zo, sig, 11, 16 << 16, 32768);
    const cp = c + (<usize>r << 1);
    const cOld = i32x4.extend_low_i16x8_s(v128.load64_zero(cp));
    // ig = conv(i · g, 30 → 15 + cFrac): a rounding right shift by 15 - cFrac (none when cFrac = 15).
    let ig = i32x4.mul(i, g);
    const k = 15 - cFrac;
    if (k > 0) ig = i32x4.shr_s(i32x4.add(ig, i32x4.splat(1 << (k - 1))), k);
    const sum = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(f, cOld), ig), i32x4.splat(1 << 14)), 15);
    const c16 = i16x8.narrow_i32x4_s(sum, sum);
    v128.store64_lane(cp, c16, 0);
    const cNew = i32x4.extend_low_i16x8_s(c16);
    const a = tableAct4(i32x4.shl(cNew, 16 - cFrac), tnh, 10, 8 << 16, 0);
    const hv = i32x4.shr_s(i32x4.add(i32x4.mul(o, a), i32x4.splat(1 << 14)), 15);
    v128.store64_lane(h + (<usize>r << 1), i16x8.narrow_i32x4_s(hv, hv), 0);
  }
}
