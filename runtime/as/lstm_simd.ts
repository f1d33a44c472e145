/**
 * The SIMD LSTM step of docs/fixed-point.md §4–§5 for the common cell (sigmoid gates, tanh cell and hidden
 * activations, int16 cell, gFrac 15, cFrac ≤ 15, no peepholes, clip or coupled gates; every matrix A32), four units
 * per pass. Bit-exact with the scalar step (cell.ts, activation.ts) because every operation below is the same exact
 * integer operation, applied lane by lane; the emitter only selects it after proving, per row, the bounds each
 * shortcut needs (targets/wasm/emit.ts, `fusedData`):
 *
 *  - Requantization with one shift per gate and block of four units: y = rshr(s · M, n) = rshr(s · 2^d · M, N)
 *    with N = max n over the block's four units and d = N - n (numerator and denominator scaled by 2^d), where
 *    |s| · 2^d < 2^31 so the i32 lane product s · 2^d is exact; s · 2^d · M is then an exact i64 (extmul) and N is
 *    the same for all lanes.
 *  - No saturation of y(W, x), y(R, h) or z = bias + y(W, x) + y(R, h): their bounds over every int16 input are below
 *    2^31, so sat32 is the identity and the i32 lane sums do not wrap.
 *  - Activations (§3.1) read the two table entries of each lane with one 32-bit load (t0 in the low half, t1 in the
 *    high half) at min(|z|, limit - 1) (unsigned, so |−2^31| = 2^31 also saturates). No select of 32767 at or beyond
 *    the limit is needed: the last two entries of both tables are 32767 (the emitter checks it), so the clamped
 *    index interpolates to exactly 32767 there.
 *  - Cell (§5): f · c + conv(i · g, 30 → 15 + cFrac) < 2^31 (int16 cell, cFrac ≤ gFrac), h: o · a < 2^30; sat16 is the
 *    saturating narrow i16x8.narrow_i32x4_s.
 */
import { sigmoidQ15, tanhQ15 } from "./activation";
import { cellNext16, cellToZ, hiddenNext } from "./cell";

/**
 * §3.1 table activation of four lanes: `shift` = 11 (sigmoid, limit 16 · 2^16) or 10 (tanh, limit 8 · 2^16); `neg`
 * is 32768 (sigmoid: y → 32768 - y for z < 0) or 0 (tanh: y → -y).
 */
// @ts-ignore: decorator
@inline export function tableAct4(z: v128, tab: usize, shift: i32, limit: i32, neg: i32): v128 {
  const ac = i32x4.min_u(i32x4.abs(z), i32x4.splat(limit - 1));
  const idx = i32x4.shl(i32x4.shr_u(ac, shift), 1);
  const fr = v128.and(ac, i32x4.splat((1 << shift) - 1));
  let t = v128.load32_zero(tab + <usize>i32x4.extract_lane(idx, 0));
  t = v128.load32_lane(tab + <usize>i32x4.extract_lane(idx, 1), t, 1);
  t = v128.load32_lane(tab + <usize>i32x4.extract_lane(idx, 2), t, 2);
  t = v128.load32_lane(tab + <usize>i32x4.extract_lane(idx, 3), t, 3);
  // t0 + rshr((t1 - t0) · fr, shift) = (t0 · (2^shift - fr) + t1 · fr + 2^(shift-1)) >> shift: one dot product of
  // the (t0, t1) pair with (2^shift - fr, fr), all int16 (t ≤ 32767, fr < 2^shift ≤ 2048).
  const wv = v128.or(i32x4.sub(i32x4.splat(1 << shift), fr), i32x4.shl(fr, 16));
  const y = i32x4.shr_s(i32x4.add(i32x4.dot_i16x8_s(t, wv), i32x4.splat(1 << (shift - 1))), shift);
  // z < 0: y → -y (tanh) or 32768 - y (sigmoid), with sg = -1: (y ^ sg) - sg = -y.
  const sg = i32x4.shr_s(z, 31);
  const r = i32x4.sub(v128.xor(y, sg), sg);
  return neg ? i32x4.add(r, v128.and(sg, i32x4.splat(neg))) : r;
}

/** §2 four gates of one unit: rshr(s · 2^d · M, n) per lane (see the file comment), as i32 lanes. */
// @ts-ignore: decorator
@inline export function rq4(s: v128, p2: v128, m: v128, n: i32): v128 {
  const t = i32x4.mul(s, p2);
  const rnd = i64x2.splat(<i64>1 << <i64>(n - 1));
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(t, m), rnd);
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(t, m), rnd);
  // n ≥ 32 (the usual case): the high halves are floor(p / 2^32), and floor(floor(p / 2^32) / 2^(n-32)) = floor(p / 2^n),
  // so a 32-bit shift replaces the 64-bit one, which SSE lacks (engines emulate i64x2.shr_s).
  if (n >= 32) return i32x4.shr_s(v128.shuffle<i32>(lo, hi, 1, 3, 5, 7), n - 32);
  return v128.shuffle<i32>(i64x2.shr_s(lo, n), i64x2.shr_s(hi, n), 0, 2, 4, 6);
}

/**
 * Weights of the SIMD step are int16, per block of four units and column pair k: for each gate, [unit 0: w[k],
 * w[k+1], unit 1: …, unit 3: …] (64 bytes per pair), so one `i32x4.dot_i16x8_s` against the splatted pair
 * (v[k], v[k+1]) adds two products to each unit's lane: the gate vectors need no horizontal sums.
 */
/**
 * One LSTM step of H units (H a multiple of 4), four units per pass: reads x and hb (the previous h), zero-padded to
 * 2 · xPairs and 2 · hPairs int16, updates the int16 cell c [H] and writes h [H]. Tables per block of four units:
 * bias, M and 2^d as [gate][unit] i32, N as [gate] i32.
 */
export function lstmStepSimd(
  h: usize, c: usize, hb: usize, x: usize, H: i32, cFrac: i32, sig: usize, tnh: usize,
  wx: usize, xPairs: i32, wh: usize, hPairs: i32, b: usize, mx: usize, px: usize, nx: usize, mh: usize, ph: usize, nh: usize,
): void {
  for (let r: i32 = 0; r < H; r += 4) {
    const o = <usize>r << 4;
    // W·x of the four gates, requantized and added to the biases.
    let aI = i32x4.splat(0);
    let aF = i32x4.splat(0);
    let aG = i32x4.splat(0);
    let aO = i32x4.splat(0);
    let p = wx + <usize>r * (<usize>xPairs << 4);
    const xEnd = x + (<usize>xPairs << 2);
    for (let v = x; v < xEnd; v += 4) {
      const xs = v128.load32_splat(v);
      aI = i32x4.add(aI, i32x4.dot_i16x8_s(v128.load(p), xs));
      aF = i32x4.add(aF, i32x4.dot_i16x8_s(v128.load(p, 16), xs));
      aG = i32x4.add(aG, i32x4.dot_i16x8_s(v128.load(p, 32), xs));
      aO = i32x4.add(aO, i32x4.dot_i16x8_s(v128.load(p, 48), xs));
      p += 64;
    }
    const n = nx + (<usize>r << 2);
    const bI = i32x4.add(v128.load(b + o), rq4(aI, v128.load(px + o), v128.load(mx + o), load<i32>(n)));
    const bF = i32x4.add(v128.load(b + o, 16), rq4(aF, v128.load(px + o, 16), v128.load(mx + o, 16), load<i32>(n, 4)));
    const bG = i32x4.add(v128.load(b + o, 32), rq4(aG, v128.load(px + o, 32), v128.load(mx + o, 32), load<i32>(n, 8)));
    const bO = i32x4.add(v128.load(b + o, 48), rq4(aO, v128.load(px + o, 48), v128.load(mx + o, 48), load<i32>(n, 12)));
    // R·h, requantized: z = bias + y(W, x) + y(R, h).
    aI = i32x4.splat(0);
    aF = i32x4.splat(0);
    aG = i32x4.splat(0);
    aO = i32x4.splat(0);
    p = wh + <usize>r * (<usize>hPairs << 4);
    const hEnd = hb + (<usize>hPairs << 2);
    for (let v = hb; v < hEnd; v += 4) {
      const hs = v128.load32_splat(v);
      aI = i32x4.add(aI, i32x4.dot_i16x8_s(v128.load(p), hs));
      aF = i32x4.add(aF, i32x4.dot_i16x8_s(v128.load(p, 16), hs));
      aG = i32x4.add(aG, i32x4.dot_i16x8_s(v128.load(p, 32), hs));
      aO = i32x4.add(aO, i32x4.dot_i16x8_s(v128.load(p, 48), hs));
      p += 64;
    }
    const m = nh + (<usize>r << 2);
    const i = tableAct4(i32x4.add(bI, rq4(aI, v128.load(ph + o), v128.load(mh + o), load<i32>(m))), sig, 11, 16 << 16, 32768);
    const f = tableAct4(i32x4.add(bF, rq4(aF, v128.load(ph + o, 16), v128.load(mh + o, 16), load<i32>(m, 4))), sig, 11, 16 << 16, 32768);
    const g = tableAct4(i32x4.add(bG, rq4(aG, v128.load(ph + o, 32), v128.load(mh + o, 32), load<i32>(m, 8))), tnh, 10, 8 << 16, 0);
    const o4 = tableAct4(i32x4.add(bO, rq4(aO, v128.load(ph + o, 48), v128.load(mh + o, 48), load<i32>(m, 12))), sig, 11, 16 << 16, 32768);
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
    const hv = i32x4.shr_s(i32x4.add(i32x4.mul(o4, a), i32x4.splat(1 << 14)), 15);
    v128.store64_lane(h + (<usize>r << 1), i16x8.narrow_i32x4_s(hv, hv), 0);
  }
}

/** §2 one gate of one unit, scalar, in the SIMD step's layout and requantization (see the file comment). */
// @ts-ignore: decorator
@inline function blkGateY(w: usize, v: usize, pairs: i32, t: usize, p2: usize, m: usize, n: i32): i64 {
  let s: i32 = 0;
  for (let k: i32 = 0; k < pairs; k++) {
    const p = w + (<usize>k << 6);
    const q = v + (<usize>k << 2);
    s += <i32>load<i16>(p) * <i32>load<i16>(q) + <i32>load<i16>(p, 2) * <i32>load<i16>(q, 2);
  }
  return (<i64>(s * load<i32>(p2 + t)) * <i64>load<i32>(m + t) + (<i64>1 << <i64>(n - 1))) >> <i64>n;
}

/**
 * The scalar build's form of lstmStepSimd: the same data, the same exact rewrites (proven by the emitter for every
 * int16 input), one unit at a time with the scalar kernels of activation.ts and cell.ts.
 */
export function lstmStepBlkScalar(
  h: usize, c: usize, hb: usize, x: usize, H: i32, cFrac: i32, sig: usize, tnh: usize,
  wx: usize, xPairs: i32, wh: usize, hPairs: i32, b: usize, mx: usize, px: usize, nx: usize, mh: usize, ph: usize, nh: usize,
): void {
  for (let r: i32 = 0; r < H; r++) {
    const blk = <usize>(r >> 2);
    const uo = <usize>(r & 3) << 2;
    const o = (blk << 6) + uo;
    const wxb = wx + blk * (<usize>xPairs << 6) + uo;
    const whb = wh + blk * (<usize>hPairs << 6) + uo;
    const nxb = nx + (blk << 4);
    const nhb = nh + (blk << 4);
    const zi = <i32>(<i64>load<i32>(b + o) + blkGateY(wxb, x, xPairs, o, px, mx, load<i32>(nxb)) + blkGateY(whb, hb, hPairs, o, ph, mh, load<i32>(nhb)));
    const zf = <i32>(<i64>load<i32>(b + o, 16) + blkGateY(wxb + 16, x, xPairs, o + 16, px, mx, load<i32>(nxb, 4)) + blkGateY(whb + 16, hb, hPairs, o + 16, ph, mh, load<i32>(nhb, 4)));
    const zg = <i32>(<i64>load<i32>(b + o, 32) + blkGateY(wxb + 32, x, xPairs, o + 32, px, mx, load<i32>(nxb, 8)) + blkGateY(whb + 32, hb, hPairs, o + 32, ph, mh, load<i32>(nhb, 8)));
    const zo = <i32>(<i64>load<i32>(b + o, 48) + blkGateY(wxb + 48, x, xPairs, o + 48, px, mx, load<i32>(nxb, 12)) + blkGateY(whb + 48, hb, hPairs, o + 48, ph, mh, load<i32>(nhb, 12)));
    const cp = c + (<usize>r << 1);
    const cNew = cellNext16(sigmoidQ15(zf, sig), <i32>load<i16>(cp), sigmoidQ15(zi, sig), tanhQ15(zg, tnh), 15, cFrac);
    store<i16>(cp, <i16>cNew);
    store<i16>(h + (<usize>r << 1), <i16>hiddenNext(sigmoidQ15(zo, sig), tanhQ15(cellToZ(cNew, cFrac), tnh)));
  }
}

/** The four-unit block step: lstmStepSimd in SIMD builds, lstmStepBlkScalar otherwise (same arguments). */
// @ts-ignore: decorator
@inline export function lstmStep4(
  h: usize, c: usize, hb: usize, x: usize, H: i32, cFrac: i32, sig: usize, tnh: usize,
  wx: usize, xPairs: i32, wh: usize, hPairs: i32, b: usize, mx: usize, px: usize, nx: usize, mh: usize, ph: usize, nh: usize,
): void {
  if (ASC_FEATURE_SIMD) lstmStepSimd(h, c, hb, x, H, cFrac, sig, tnh, wx, xPairs, wh, hPairs, b, mx, px, nx, mh, ph, nh);
  else lstmStepBlkScalar(h, c, hb, x, H, cFrac, sig, tnh, wx, xPairs, wh, hPairs, b, mx, px, nx, mh, ph, nh);
}
