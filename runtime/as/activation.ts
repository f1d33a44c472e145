/**
 * Activation units of docs/fixed-point.md §3 and the softmax of §7.2. Each maps a pre-activation z in Q15.16
 * (i32) to an int16 value (returned in an i32). Table arguments point at the 513-entry int16 tables of §3.1/§7.2
 * (`QTables`), which the generated module holds as static data.
 */
import { conv64, rshr32, rshr64, sat16w } from "./fixed";

/**
 * §3.1 sigmoid: symmetric table over [0, 16] with segments of 1/32, linear interpolation; Q0.15 in [1, 32767].
 * Branch-free: the table is read at min(|z|, 16 · 2^16 - 1) and the saturated value chosen afterwards (selects, not
 * branches: the signs and ranges of z are data-dependent and mispredict).
 */
// @ts-ignore: decorator
@inline export function sigmoidQ15(z: i32, tab: usize): i32 {
  const a: i32 = select<i32>(z, select<i32>(i32.MAX_VALUE, -z, z == i32.MIN_VALUE), z >= 0);
  const ac = min<i32>(a, (16 << 16) - 1);
  const p = tab + (<usize>(ac >> 11) << 1);
  const t0 = <i32>load<i16>(p);
  const t1 = <i32>load<i16>(p, 2);
  const y = select<i32>(t0 + rshr32((t1 - t0) * (ac & 2047), 11), 32767, a < 16 << 16);
  return select<i32>(y, 32768 - y, z >= 0);
}

/** §3.1 tanh: odd table over [0, 8] with segments of 1/64, linear interpolation; Q0.15 in [-32767, 32767]. Branch-free like sigmoidQ15. */
// @ts-ignore: decorator
@inline export function tanhQ15(z: i32, tab: usize): i32 {
  const a: i32 = select<i32>(z, select<i32>(i32.MAX_VALUE, -z, z == i32.MIN_VALUE), z >= 0);
  const ac = min<i32>(a, (8 << 16) - 1);
  const p = tab + (<usize>(ac >> 10) << 1);
  const t0 = <i32>load<i16>(p);
  const t1 = <i32>load<i16>(p, 2);
  const y = select<i32>(t0 + rshr32((t1 - t0) * (ac & 1023), 10), 32767, a < 8 << 16);
  return select<i32>(y, -y, z >= 0);
}

/** §7.2 expNeg(d) for d in [0, 16 · 2^16] (Q15.16): table exp(-k/32), interpolated; 0 at d = 16 · 2^16. */
// @ts-ignore: decorator
@inline export function expNegQ15(d: i32, tab: usize): i32 {
  if (d >= 16 << 16) return 0;
  const p = tab + (<usize>(d >> 11) << 1);
  const t0 = <i32>load<i16>(p);
  const t1 = <i32>load<i16>(p, 2);
  return t0 + rshr32((t1 - t0) * (d & 2047), 11);
}

/** §3.2 hard sigmoid: min(32767, max(0, rshr(alpha · z, 16) + beta)), alpha and beta in Q0.15. */
// @ts-ignore: decorator
@inline export function hardSigmoidQ15(z: i32, alpha: i32, beta: i32): i32 {
  const y = rshr64(<i64>alpha * <i64>z, 16) + <i64>beta;
  return <i32>min<i64>(32767, max<i64>(0, y));
}

/** §3.3 relu: sat16(conv(max(0, z), 16 → frac)). */
// @ts-ignore: decorator
@inline export function reluQ(z: i32, frac: i32): i32 {
  return sat16w(conv64(<i64>max<i32>(0, z), 16, frac));
}

/** §3.3 linear: sat16(conv(z, 16 → frac)). */
// @ts-ignore: decorator
@inline export function linearQ(z: i32, frac: i32): i32 {
  return sat16w(conv64(<i64>z, 16, frac));
}

/**
 * §7.2 softmax of n pre-activations z (i32, Q15.16) at `z` into n int16 probabilities (Q0.15) at `out`.
 * expNeg is evaluated twice per element instead of keeping a scratch vector.
 */
export function softmaxQ15(z: usize, n: i32, out: usize, ex: usize): void {
  let m: i32 = i32.MIN_VALUE;
  for (let k: i32 = 0; k < n; k++) m = max<i32>(m, load<i32>(z + (<usize>k << 2)));
  let sum: i64 = 0;
  for (let k: i32 = 0; k < n; k++) {
    const d = <i32>min<i64>(16 << 16, <i64>m - <i64>load<i32>(z + (<usize>k << 2)));
    sum += <i64>expNegQ15(d, ex);
  }
  const half = sum >> 1;
  for (let k: i32 = 0; k < n; k++) {
    const d = <i32>min<i64>(16 << 16, <i64>m - <i64>load<i32>(z + (<usize>k << 2)));
    const e = <i64>expNegQ15(d, ex);
    store<i16>(out + (<usize>k << 1), <i16>min<i64>(32767, (e * 32768 + half) / sum));
  }
}
