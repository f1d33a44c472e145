/**
 * WebAssembly SIMD variants of the matvec.ts kernels (same contract, bit-exact): int16 products summed pairwise by
 * `i32x4.dot_i16x8_s`; int8 weights are first widened with `i16x8.extend_{low,high}_i8x16_s`. The column tail
 * that does not fill a vector is done in scalar code. Only compiled when the module is built with
 * `--enable simd` (the dispatchers test ASC_FEATURE_SIMD).
 *
 * The A32 kernels take rows four at a time (four independent accumulators sharing the loads of x, reduced together
 * at the end of the rows); the reference order of the scalar kernels is not kept, and need not be.
 *
 * Overflow: with A32, each lane holds a partial sum of a subset of the products, bounded by accBound < 2^31.
 * With A64, each dot lane holds at most 4 int8 products (< 2^24) or 2 int16 products (≤ 2 · 32767 · 32768 < 2^31)
 * and is widened to i64 before it is accumulated.
 */
import { accAddRow } from "./fixed";

// @ts-ignore: decorator
@inline function hsum32(s: v128): i32 {
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

// @ts-ignore: decorator
@inline function hsum64(s: v128): i64 {
  return i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1);
}

// @ts-ignore: decorator
@inline function widenAdd(s: v128, d: v128): v128 {
  return i64x2.add(s, i64x2.add(i64x2.extend_low_i32x4_s(d), i64x2.extend_high_i32x4_s(d)));
}

/** [Σ a0, Σ a1, Σ a2, Σ a3]: the lane sums of four i32x4 accumulators, as one vector. */
// @ts-ignore: decorator
@inline export function hsum4x32(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const p0 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 1, 4, 5), v128.shuffle<i32>(a0, a1, 2, 3, 6, 7));
  const p1 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 1, 4, 5), v128.shuffle<i32>(a2, a3, 2, 3, 6, 7));
  return i32x4.add(v128.shuffle<i32>(p0, p1, 0, 2, 4, 6), v128.shuffle<i32>(p0, p1, 1, 3, 5, 7));
}

/** One 16-column block of an int8 row against x[k .. k+16): the two dot products added to `a`. */
// @ts-ignore: decorator
@inline function dotI8x16(a: v128, w: v128, x0: v128, x1: v128): v128 {
  return i32x4.add(i32x4.add(a, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), x0)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), x1));
}

/** Rows are taken four at a time (four independent accumulators sharing the x loads), then one at a time. */
export function mvAccI8A32Simd(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  const c16 = cols & ~15;
  const stride = <usize>cols;
  let r: i32 = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = q + <usize>r * stride;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    let k: i32 = 0;
    for (; k < c16; k += 16) {
      const x = v + (<usize>k << 1);
      const x0 = v128.load(x);
      const x1 = v128.load(x, 16);
      const w = w0 + <usize>k;
      a0 = dotI8x16(a0, v128.load(w), x0, x1);
      a1 = dotI8x16(a1, v128.load(w + stride), x0, x1);
      a2 = dotI8x16(a2, v128.load(w + 2 * stride), x0, x1);
      a3 = dotI8x16(a3, v128.load(w + 3 * stride), x0, x1);
    }
    const s = hsum4x32(a0, a1, a2, a3);
    let s0 = i32x4.extract_lane(s, 0);
    let s1 = i32x4.extract_lane(s, 1);
    let s2 = i32x4.extract_lane(s, 2);
    let s3 = i32x4.extract_lane(s, 3);
    for (; k < cols; k++) {
      const xk = <i32>load<i16>(v + (<usize>k << 1));
      const w = w0 + <usize>k;
      s0 += <i32>load<i8>(w) * xk;
      s1 += <i32>load<i8>(w + stride) * xk;
      s2 += <i32>load<i8>(w + 2 * stride) * xk;
      s3 += <i32>load<i8>(w + 3 * stride) * xk;
    }
    accAddRow(acc, r, <i64>s0, pre, mult, shift);
    accAddRow(acc, r + 1, <i64>s1, pre, mult, shift);
    accAddRow(acc, r + 2, <i64>s2, pre, mult, shift);
    accAddRow(acc, r + 3, <i64>s3, pre, mult, shift);
  }
  for (; r < rows; r++) {
    const row = q + <usize>r * stride;
    let s4 = i32x4.splat(0);
    let k: i32 = 0;
    for (; k < c16; k += 16) {
      const x = v + (<usize>k << 1);
      s4 = dotI8x16(s4, v128.load(row + <usize>k), v128.load(x), v128.load(x, 16));
    }
    if (k + 8 <= cols) {
      const w = v128.load64_zero(row + <usize>k);
      s4 = i32x4.add(s4, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), v128.load(v + (<usize>k << 1))));
      k += 8;
    }
    let s = hsum32(s4);
    for (; k < cols; k++) s += <i32>load<i8>(row + <usize>k) * <i32>load<i16>(v + (<usize>k << 1));
    accAddRow(acc, r, <i64>s, pre, mult, shift);
  }
}

export function mvAccI8A64Simd(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  const c16 = cols & ~15;
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + <usize>r * <usize>cols;
    let s2 = i64x2.splat(0);
    let k: i32 = 0;
    for (; k < c16; k += 16) {
      const w = v128.load(row + <usize>k);
      const x = v + (<usize>k << 1);
      const d = i32x4.add(
        i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), v128.load(x)),
        i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), v128.load(x, 16)),
      );
      s2 = widenAdd(s2, d);
    }
    let s = hsum64(s2);
    for (; k < cols; k++) s += <i64>(<i32>load<i8>(row + <usize>k) * <i32>load<i16>(v + (<usize>k << 1)));
    accAddRow(acc, r, s, pre, mult, shift);
  }
}

export function mvAccI16A32Simd(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  const c8 = cols & ~7;
  const stride = <usize>cols << 1;
  let r: i32 = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = q + <usize>r * stride;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    let k: i32 = 0;
    for (; k < c8; k += 8) {
      const off = <usize>k << 1;
      const x = v128.load(v + off);
      const w = w0 + off;
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(w), x));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(w + stride), x));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load(w + 2 * stride), x));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load(w + 3 * stride), x));
    }
    const s = hsum4x32(a0, a1, a2, a3);
    let s0 = i32x4.extract_lane(s, 0);
    let s1 = i32x4.extract_lane(s, 1);
    let s2 = i32x4.extract_lane(s, 2);
    let s3 = i32x4.extract_lane(s, 3);
    for (; k < cols; k++) {
      const off = <usize>k << 1;
      const xk = <i32>load<i16>(v + off);
      const w = w0 + off;
      s0 += <i32>load<i16>(w) * xk;
      s1 += <i32>load<i16>(w + stride) * xk;
      s2 += <i32>load<i16>(w + 2 * stride) * xk;
      s3 += <i32>load<i16>(w + 3 * stride) * xk;
    }
    accAddRow(acc, r, <i64>s0, pre, mult, shift);
    accAddRow(acc, r + 1, <i64>s1, pre, mult, shift);
    accAddRow(acc, r + 2, <i64>s2, pre, mult, shift);
    accAddRow(acc, r + 3, <i64>s3, pre, mult, shift);
  }
  for (; r < rows; r++) {
    const row = q + <usize>r * stride;
    let s4 = i32x4.splat(0);
    let k: i32 = 0;
    for (; k < c8; k += 8) {
      s4 = i32x4.add(s4, i32x4.dot_i16x8_s(v128.load(row + (<usize>k << 1)), v128.load(v + (<usize>k << 1))));
    }
    let s = hsum32(s4);
    for (; k < cols; k++) s += <i32>load<i16>(row + (<usize>k << 1)) * <i32>load<i16>(v + (<usize>k << 1));
    accAddRow(acc, r, <i64>s, pre, mult, shift);
  }
}

export function mvAccI16A64Simd(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  const c8 = cols & ~7;
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + ((<usize>r * <usize>cols) << 1);
    let s2 = i64x2.splat(0);
    let k: i32 = 0;
    for (; k < c8; k += 8) {
      s2 = widenAdd(s2, i32x4.dot_i16x8_s(v128.load(row + (<usize>k << 1)), v128.load(v + (<usize>k << 1))));
    }
    let s = hsum64(s2);
    for (; k < cols; k++) s += <i64>(<i32>load<i16>(row + (<usize>k << 1)) * <i32>load<i16>(v + (<usize>k << 1)));
    accAddRow(acc, r, s, pre, mult, shift);
  }
}

/**
 * The four gate rows of one unit against v, for the fused step: rows are int16 (int8 weights widened at compile
 * time), zero-padded to n8 · 8 columns, `stride` bytes apart; v holds n8 · 8 int16 (zero-padded). dst[g] := the i32
 * sum of row g. Only for A32 matrices (§6: every partial sum is below 2^31; the padding adds exact zeros).
 */
export function dot4I16Simd(dst: usize, w: usize, v: usize, n8: i32, stride: usize): void {
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
  v128.store(dst, hsum4x32(a0, a1, a2, a3));
}
