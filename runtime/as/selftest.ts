/**
 * Test entry for the runtime kernels (built by asconfig.json, targets "scalar" and "simd"): exports each
 * primitive un-inlined so test/wasm-runtime.test.ts can compare it with the TypeScript golden primitives on many
 * random values. Not part of any generated module.
 */
import { accAddRow, conv64, rq, rshr32, rshr64, sat16, sat16w, sat32 } from "./fixed";
import { expNegQ15, hardSigmoidQ15, linearQ, reluQ, sigmoidQ15, softmaxQ15, tanhQ15 } from "./activation";
import { cellNext16, cellNext32, cellToZ, clipZ, coupledForget, hiddenNext, peepholeAdd } from "./cell";
import { accInit, mvAccI16A32, mvAccI16A64, mvAccI8A32, mvAccI8A64 } from "./matvec";
import { rq4, tableAct4 } from "./lstm_simd";

/** Scratch memory the test fills with tables, weights and vectors (256 KiB). */
const SCRATCH = memory.data(1 << 18, 16);
export function scratch(): usize {
  return SCRATCH;
}
export const SCRATCH_SIZE: i32 = 1 << 18;

export function t_rshr64(v: i64, n: i32): i64 { return rshr64(v, n); }
export function t_rshr32(v: i32, n: i32): i32 { return rshr32(v, n); }
export function t_sat16(v: i32): i32 { return sat16(v); }
export function t_sat16w(v: i64): i32 { return sat16w(v); }
export function t_sat32(v: i64): i32 { return sat32(v); }
export function t_conv64(v: i64, from: i32, to: i32): i64 { return conv64(v, from, to); }
export function t_rq(acc: i64, pre: i32, mult: i32, shift: i32): i32 { return rq(acc, pre, mult, shift); }
export function t_accAddRow(acc: usize, r: i32, s: i64, pre: i32, mult: usize, shift: usize): void {
  accAddRow(acc, r, s, pre, mult, shift);
}

export function t_sigmoid(z: i32, tab: usize): i32 { return sigmoidQ15(z, tab); }
export function t_tanh(z: i32, tab: usize): i32 { return tanhQ15(z, tab); }
export function t_expNeg(d: i32, tab: usize): i32 { return expNegQ15(d, tab); }
export function t_hardSigmoid(z: i32, alpha: i32, beta: i32): i32 { return hardSigmoidQ15(z, alpha, beta); }
export function t_relu(z: i32, frac: i32): i32 { return reluQ(z, frac); }
export function t_linear(z: i32, frac: i32): i32 { return linearQ(z, frac); }
export function t_softmax(z: usize, n: i32, out: usize, ex: usize): void { softmaxQ15(z, n, out, ex); }

export function t_peepholeAdd(z: i32, p: i32, c: i32, pcFrac: i32): i32 { return peepholeAdd(z, p, c, pcFrac); }
export function t_clip(z: i32, clip: i32): i32 { return clipZ(z, clip); }
export function t_coupledForget(i: i32): i32 { return coupledForget(i); }
export function t_cellNext16(f: i32, c: i32, i: i32, g: i32, gFrac: i32, cFrac: i32): i32 { return cellNext16(f, c, i, g, gFrac, cFrac); }
export function t_cellNext32(f: i32, c: i32, i: i32, g: i32, gFrac: i32, cFrac: i32): i32 { return cellNext32(f, c, i, g, gFrac, cFrac); }
export function t_cellToZ(c: i32, cFrac: i32): i32 { return cellToZ(c, cFrac); }
export function t_hiddenNext(o: i32, a: i32): i32 { return hiddenNext(o, a); }

export function t_accInit(acc: usize, bias: usize, rows: i32): void { accInit(acc, bias, rows); }
/** weights: 8 or 16; accBits: 32 or 64 (the dispatcher picks SIMD in the "simd" build). */
export function t_mvAcc(weights: i32, accBits: i32, acc: usize, q: usize, mult: usize, shift: usize, pre: i32, rows: i32, cols: i32, v: usize): void {
  if (weights == 8) {
    if (accBits == 32) mvAccI8A32(acc, q, mult, shift, pre, rows, cols, v);
    else mvAccI8A64(acc, q, mult, shift, pre, rows, cols, v);
  } else {
    if (accBits == 32) mvAccI16A32(acc, q, mult, shift, pre, rows, cols, v);
    else mvAccI16A64(acc, q, mult, shift, pre, rows, cols, v);
  }
}

/** SIMD build only (the scalar build leaves out = in): lstm_simd.ts's four-lane table activation, kind 0 sigmoid, 1 tanh. */
export function t_act4(z: usize, tab: usize, kind: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) {
    v128.store(out, kind == 0 ? tableAct4(v128.load(z), tab, 11, 16 << 16, 32768) : tableAct4(v128.load(z), tab, 10, 8 << 16, 0));
  }
}
/** SIMD build only: lstm_simd.ts's four-lane requantization rshr(s · p2 · m, n) (lanes of s, p2, m at their addresses). */
export function t_rq4(s: usize, p2: usize, m: usize, n: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) v128.store(out, rq4(v128.load(s), v128.load(p2), v128.load(m), n));
}
