/**
 * Fixed-point primitives of docs/fixed-point.md §1–§2, in AssemblyScript.
 *
 * Every function is exact integer arithmetic at the width §6 proves sufficient (wider where that is simpler and
 * equally exact). Values narrower than 32 bits are always widened to i32 before arithmetic: AssemblyScript
 * computes `i16 * i16` in the i16 type and would wrap.
 *
 * The target emitter (targets/wasm/emit.ts) copies these functions into every generated module; `@inline` lets
 * Binaryen fold the constant arguments (shifts, formats) of each call site.
 */

/** §1 rshr(v, n) = floor((v + 2^(n-1)) / 2^n) for n ≥ 1; rshr(v, 0) = v. Exact for |v| < 2^62, n ≤ 62. */
// @ts-ignore: decorator
@inline export function rshr64(v: i64, n: i32): i64 {
  return n <= 0 ? v : (v + (<i64>1 << <i64>(n - 1))) >> <i64>n;
}

/** §1 rshr on i32, for the operands §6 bounds below 2^30 (table interpolation, o · a). */
// @ts-ignore: decorator
@inline export function rshr32(v: i32, n: i32): i32 {
  return n <= 0 ? v : (v + (1 << (n - 1))) >> n;
}

/** §1 sat16 of an i32. */
// @ts-ignore: decorator
@inline export function sat16(v: i32): i32 {
  return min<i32>(32767, max<i32>(-32768, v));
}

/** §1 sat16 of an i64. */
// @ts-ignore: decorator
@inline export function sat16w(v: i64): i32 {
  return <i32>min<i64>(32767, max<i64>(-32768, v));
}

/** §1 sat32 of an i64. */
// @ts-ignore: decorator
@inline export function sat32(v: i64): i32 {
  return <i32>min<i64>(2147483647, max<i64>(-2147483648, v));
}

/**
 * §1 conv(v, from → to): v · 2^(to - from) when to ≥ from (exact: callers keep the result below 2^63),
 * rshr(v, from - to) otherwise.
 */
// @ts-ignore: decorator
@inline export function conv64(v: i64, from: i32, to: i32): i64 {
  return to >= from ? v << <i64>(to - from) : rshr64(v, from - to);
}

/**
 * §2 Requantization of one accumulator to Q15.16: sat32(rshr(rshr(acc, pre) · mult, shift)).
 * |rshr(acc, pre)| < 2^31 and mult < 2^31 (§6), so the product fits i64.
 */
// @ts-ignore: decorator
@inline export function rq(acc: i64, pre: i32, mult: i32, shift: i32): i32 {
  return sat32(rshr64(rshr64(acc, pre) * <i64>mult, shift));
}

/** §2 acc[r] += rq(s, pre, mult[r], shift[r]): one row of a requantized product added to its i64 sum. */
// @ts-ignore: decorator
@inline export function accAddRow(acc: usize, r: i32, s: i64, pre: i32, mult: usize, shift: usize): void {
  const p = acc + (<usize>r << 3);
  store<i64>(p, load<i64>(p) + <i64>rq(s, pre, load<i32>(mult + (<usize>r << 2)), <i32>load<u8>(shift + <usize>r)));
}

/**
 * §2 Requantization of a 32-bit accumulator (pre-shift 0, §6 A32) to Q15.16: sat32(rshr(s · mult, shift)) with
 * shift ≥ 1 (the quantizer guarantees n_r ∈ [1, 62]), so the rounding needs no test of the shift.
 */
// @ts-ignore: decorator
@inline export function rqA32(s: i32, mult: i32, shift: i32): i64 {
  return <i64>sat32((<i64>s * <i64>mult + (<i64>1 << <i64>(shift - 1))) >> <i64>shift);
}

/**
 * §4 z of one gate of one unit for the fused LSTM step (targets/wasm/emit.ts): sat32(bias + y(W, x) + y(R, h)). `unitOff + gateOff` is the
 * byte offset of (unit, gate) in the [H, 4] i32 tables `bias`, `mx`/`nx` (W's M_r, n_r) and `mh`/`nh` (R's); `sx`/`sh`
 * hold the gate's W·x and R·h sums at byte offset `gateOff`.
 */
// @ts-ignore: decorator
@inline export function gateZ(unitOff: usize, gateOff: usize, bias: usize, mx: usize, nx: usize, sx: usize, mh: usize, nh: usize, sh: usize): i32 {
  const p = unitOff + gateOff;
  return sat32(
    <i64>load<i32>(bias + p) +
      rqA32(load<i32>(sx + gateOff), load<i32>(mx + p), load<i32>(nx + p)) +
      rqA32(load<i32>(sh + gateOff), load<i32>(mh + p), load<i32>(nh + p)),
  );
}
