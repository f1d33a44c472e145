/**
 * WebAssembly SIMD variants of the matvec.ts kernels (same contract, bit-exact): int16 products summed pairwise by
 * `i32x4.dot_i16x8_s`; int8 weights are first widened with `i16x8.extend_{low,high}_i8x16_s`. The column tail
 * that does not fill a vector is done in scalar code. Only compiled when the module is built with
 * `--enable simd` (the dispatchers test ASC_FEATURE_SIMD).
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

export function mvAccI8A32Simd(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  const c16 = cols & ~15;
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + <usize>r * <usize>cols;
    let s4 = i32x4.splat(0);
    let k: i32 = 0;
    for (; k < c16; k += 16) {
      const w = v128.load(row + <usize>k);
      const x = v + (<usize>k << 1);
      s4 = i32x4.add(s4, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), v128.load(x)));
      s4 = i32x4.add(s4, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), v128.load(x, 16)));
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
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + ((<usize>r * <usize>cols) << 1);
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
