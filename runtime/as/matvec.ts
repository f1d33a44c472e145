/**
 * §2 Requantized matrix-vector products, accumulated into a per-row i64 sum:
 *
 *   acc[r] += rq(Σ_k q[r,k] · v[k], pre, mult[r], shift[r])        r = 0 .. rows-1
 *
 * `q` is row-major int8 or int16 [rows, cols], `v` int16 [cols], `mult` i32 [rows], `shift` u8 [rows], `acc` i64
 * [rows]. A gate's pre-activation is bias + y(W, x) + y(R, h) summed exactly in `acc`, then saturated once (§4).
 *
 * Name suffix: weight type (I8/I16) and accumulator width (A32/A64, the matrix's `accBits`, §6). With A32 every
 * partial sum of any subset of the products is bounded by accBound < 2^31, so the i32 sum never wraps in any
 * order. The dispatchers pick the SIMD variant (matvec_simd.ts) when the module is built with `--enable simd`;
 * both variants are bit-exact because they compute the same exact integer sums.
 */
import { accAddRow } from "./fixed";
import { dot4I16Simd, mvAccI16A32Simd, mvAccI16A64Simd, mvAccI8A32Simd, mvAccI8A64Simd } from "./matvec_simd";

/** acc[r] = bias[r] (i32 → i64), r < rows. */
export function accInit(acc: usize, bias: usize, rows: i32): void {
  for (let r: i32 = 0; r < rows; r++) {
    store<i64>(acc + (<usize>r << 3), <i64>load<i32>(bias + (<usize>r << 2)));
  }
}

export function mvAccI8A32Scalar(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + <usize>r * <usize>cols;
    let s: i32 = 0;
    for (let k: i32 = 0; k < cols; k++) {
      s += <i32>load<i8>(row + <usize>k) * <i32>load<i16>(v + (<usize>k << 1));
    }
    accAddRow(acc, r, <i64>s, pre, mult, shift);
  }
}

export function mvAccI8A64Scalar(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + <usize>r * <usize>cols;
    let s: i64 = 0;
    for (let k: i32 = 0; k < cols; k++) {
      s += <i64>(<i32>load<i8>(row + <usize>k) * <i32>load<i16>(v + (<usize>k << 1)));
    }
    accAddRow(acc, r, s, pre, mult, shift);
  }
}

export function mvAccI16A32Scalar(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + ((<usize>r * <usize>cols) << 1);
    let s: i32 = 0;
    for (let k: i32 = 0; k < cols; k++) {
      s += <i32>load<i16>(row + (<usize>k << 1)) * <i32>load<i16>(v + (<usize>k << 1));
    }
    accAddRow(acc, r, <i64>s, pre, mult, shift);
  }
}

export function mvAccI16A64Scalar(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  for (let r: i32 = 0; r < rows; r++) {
    const row = q + ((<usize>r * <usize>cols) << 1);
    let s: i64 = 0;
    for (let k: i32 = 0; k < cols; k++) {
      // |q · v| ≤ 2^30: the product is exact in i32.
      s += <i64>(<i32>load<i16>(row + (<usize>k << 1)) * <i32>load<i16>(v + (<usize>k << 1)));
    }
    accAddRow(acc, r, s, pre, mult, shift);
  }
}

export function mvAccI8A32(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  if (ASC_FEATURE_SIMD) mvAccI8A32Simd(acc, q, mult, shift, pre, rows, cols, v);
  else mvAccI8A32Scalar(acc, q, mult, shift, pre, rows, cols, v);
}

export function mvAccI8A64(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  if (ASC_FEATURE_SIMD) mvAccI8A64Simd(acc, q, mult, shift, pre, rows, cols, v);
  else mvAccI8A64Scalar(acc, q, mult, shift, pre, rows, cols, v);
}

export function mvAccI16A32(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  if (ASC_FEATURE_SIMD) mvAccI16A32Simd(acc, q, mult, shift, pre, rows, cols, v);
  else mvAccI16A32Scalar(acc, q, mult, shift, pre, rows, cols, v);
}

/**
 * The SIMD variant forms each pair q[k]·v[k] + q[k+1]·v[k+1] in an i32 lane, exact only while |q| ≤ 32767;
 * the emitter calls mvAccI16A64Scalar directly for a matrix holding -32768.
 */
export function mvAccI16A64(acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  if (ASC_FEATURE_SIMD) mvAccI16A64Simd(acc, q, mult, shift, pre, rows, cols, v);
  else mvAccI16A64Scalar(acc, q, mult, shift, pre, rows, cols, v);
}

/** The scalar variant of dot4I16Simd (matvec_simd.ts): dst[g] := Σ_k w[g, k] · v[k], g < 4, k < n8 · 8. */
export function dot4I16Scalar(dst: usize, w: usize, v: usize, n8: i32, stride: usize): void {
  const n = n8 << 3;
  for (let g: i32 = 0; g < 4; g++) {
    const row = w + <usize>g * stride;
    let s: i32 = 0;
    for (let k: i32 = 0; k < n; k++) s += <i32>load<i16>(row + (<usize>k << 1)) * <i32>load<i16>(v + (<usize>k << 1));
    store<i32>(dst + (<usize>g << 2), s);
  }
}

/** Four gate rows of one unit against v (fused step, A32 only): the SIMD or the scalar variant. */
// @ts-ignore: decorator
@inline export function dot4I16(dst: usize, w: usize, v: usize, n8: i32, stride: usize): void {
  if (ASC_FEATURE_SIMD) dot4I16Simd(dst, w, v, n8, stride);
  else dot4I16Scalar(dst, w, v, n8, stride);
}
