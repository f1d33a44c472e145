/**
 * The per-unit parts of one LSTM step, docs/fixed-point.md §4.1 and §5. The generated step function calls them
 * once per hidden unit with the layer's formats as constants.
 */
import { conv64, rshr32, rshr64, sat16, sat16w, sat32 } from "./fixed";

/** §4.1 Peephole term added to a pre-activation: sat32(z + conv(p · c, pcFrac → 16)), pcFrac = peepholeFrac + cFrac. */
// @ts-ignore: decorator
@inline export function peepholeAdd(z: i32, p: i32, c: i32, pcFrac: i32): i32 {
  return sat32(<i64>z + conv64(<i64>p * <i64>c, pcFrac, 16));
}

/** §4.1 Clip of a pre-activation to [-clip, clip] (clip in Q15.16, ≥ 0). */
// @ts-ignore: decorator
@inline export function clipZ(z: i32, clip: i32): i32 {
  return min<i32>(clip, max<i32>(-clip, z));
}

/** §4.2 Coupled input-forget gate: f = min(32767, 32768 - i). */
// @ts-ignore: decorator
@inline export function coupledForget(i: i32): i32 {
  return min<i32>(32767, 32768 - i);
}

/**
 * §5 New int16 cell: sat16(rshr(f · c + conv(i · g, 15 + gFrac → 15 + cFrac), 15)).
 * f · c and i · g are below 2^30 (f, i ≤ 32767); the sum is formed in i64, which equals the i32 sum of §6
 * whenever cFrac ≤ gFrac.
 */
// @ts-ignore: decorator
@inline export function cellNext16(f: i32, c: i32, i: i32, g: i32, gFrac: i32, cFrac: i32): i32 {
  const ig = conv64(<i64>(i * g), 15 + gFrac, 15 + cFrac);
  return sat16w(rshr64(<i64>(f * c) + ig, 15));
}

/** §5 New int32 cell: sat32(rshr(f · c + conv(i · g, 15 + gFrac → 15 + cFrac), 15)), all in i64 (< 2^48). */
// @ts-ignore: decorator
@inline export function cellNext32(f: i32, c: i32, i: i32, g: i32, gFrac: i32, cFrac: i32): i32 {
  const ig = conv64(<i64>(i * g), 15 + gFrac, 15 + cFrac);
  return sat32(rshr64(<i64>f * <i64>c + ig, 15));
}

/** §5 The cell in Q15.16 for the hidden activation: sat32(conv(c', cFrac → 16)). */
// @ts-ignore: decorator
@inline export function cellToZ(c: i32, cFrac: i32): i32 {
  return sat32(conv64(<i64>c, cFrac, 16));
}

/** §5 h' = sat16(rshr(o · a, 15)); o in [0, 32767], |a| ≤ 32768, so o · a < 2^30. */
// @ts-ignore: decorator
@inline export function hiddenNext(o: i32, a: i32): i32 {
  return sat16(rshr32(o * a, 15));
}
