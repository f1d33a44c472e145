/**
 * checkWasm on hand-written modules that break each rule (built from WebAssembly text with wabt): every violation is
 * reported as a compiler bug that quotes the offending instruction. The positive side — every generated module
 * passes — is in wasm-target.test.ts.
 */
import wabtInit from "wabt";
import { describe, expect, it } from "vitest";
import { checkWasm } from "../targets/wasm/check.js";

const wabt = await wabtInit();

function wasm(body: string, memory = "(memory 1 1)"): Uint8Array {
  const text = `(module ${body} ${memory} (func (export "run") (param i32) (result i32) local.get 0))`;
  const mod = wabt.parseWat("t.wat", text, { simd: true, bulk_memory: true, sign_extension: true, sat_float_to_int: true });
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

describe("checkWasm", () => {
  it("accepts an integer-only module with fixed memory", () => {
    expect(() => checkWasm(wasm(`(func (param i64) (result i64) local.get 0 i64.const 3 i64.shr_s) (data (i32.const 8) "f32.add")`), { simd: false })).not.toThrow();
  });

  it.each([
    ["an import", `(import "env" "abort" (func (param i32)))`, "(memory 1 1)", false, /compiler bug.*imports something.*env.*abort/],
    ["memory.grow", `(func (result i32) i32.const 1 memory.grow)`, "(memory 1 1)", false, /compiler bug.*allocates at run time.*memory\.grow/],
    ["a growable memory", ``, "(memory 1)", false, /compiler bug.*growable memory/],
    ["call_indirect", `(type $t (func)) (table 1 funcref) (func (call_indirect (type $t) (i32.const 0)))`, "(memory 1 1)", false, /compiler bug.*indirect call.*call_indirect/],
    ["an f32 instruction", `(func (param i32) (result i32) local.get 0 f32.convert_i32_s f32.const 0.5 f32.add i32.trunc_f32_s)`, "(memory 1 1)", false, /compiler bug.*floating point.*f32\.convert_i32_s/],
    ["an f64 parameter", `(func (param f64))`, "(memory 1 1)", false, /compiler bug.*floating point.*f64/],
    ["a float SIMD instruction", `(func (param v128) (result v128) local.get 0 local.get 0 f32x4.add)`, "(memory 1 1)", true, /compiler bug.*floating point.*f32x4\.add/],
    ["SIMD in a scalar build", `(func (param v128) (result v128) local.get 0 local.get 0 i32x4.add)`, "(memory 1 1)", false, /compiler bug.*does not decode/],
    ["a saturating float conversion", `(func (param f32) (result i32) local.get 0 i32.trunc_sat_f32_s)`, "(memory 1 1)", true, /compiler bug.*(does not decode|floating point)/],
  ] as const)("rejects %s", (_what, body, memory, simd, message) => {
    expect(() => checkWasm(wasm(body, memory), { simd })).toThrow(message);
  });

  it("rejects bytes that are not a valid module", () => {
    expect(() => checkWasm(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]), { simd: false })).toThrow(/compiler bug.*does not decode/);
  });
});
