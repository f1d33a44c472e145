/**
 * The `wasm` engine: runs a QuantizedModel through its generated WebAssembly module (scalar or SIMD) and returns,
 * per sequence, exactly what the golden model's `IntSequenceRun.output` holds: [T, O] when the head reads every
 * step (or there is no head), [O] when it reads the last step or the final state.
 *
 * Compiled modules are cached in-process by (source, simd), so repeated runs of one model compile once.
 */
import { createHash } from "node:crypto";
import { usageError } from "../../compiler/errors.js";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { VERSION } from "../../compiler/version.js";
import { checkWasm } from "./check.js";
import { compileWasm } from "./compile.js";
import { emitAssemblyScript } from "./emit.js";
import { DEFAULT_MAX_STEPS } from "./layout.js";

export interface WasmSequence {
  /** Quantized input [steps, inputSize]. */
  readonly xq: Int16Array;
  readonly steps: number;
}

export interface WasmEngineOptions {
  readonly simd: boolean;
}

interface Exports {
  readonly memory: WebAssembly.Memory;
  run(steps: number): number;
  inputPtr(): number;
  outputPtr(): number;
}

const CACHE_LIMIT = 16;
const cache = new Map<string, Promise<CompiledModule>>();

export interface CompiledModule {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly module: WebAssembly.Module;
}

/** Compiles (once per source and variant, cached in-process), checks with checkWasm, and compiles for this host. */
export function compileChecked(source: string, simd: boolean): Promise<CompiledModule> {
  const key = `${simd ? "simd" : "scalar"}:${createHash("sha256").update(source).digest("hex")}`;
  let m = cache.get(key);
  if (!m) {
    m = compileWasm(source, { simd }).then(async (bytes) => {
      checkWasm(bytes, { simd });
      return { bytes, module: await WebAssembly.compile(bytes) };
    });
    m.catch(() => cache.delete(key));
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, m);
  }
  return m;
}

/** The source the engine compiles for these sequences (its input region holds the longest one). */
export function engineSource(qm: QuantizedModel, seqs: readonly WasmSequence[]): string {
  const maxSteps = Math.max(DEFAULT_MAX_STEPS, ...seqs.map((s) => s.steps));
  return emitAssemblyScript(qm, { name: "engine", version: VERSION, modelHash: "(engine)", maxSteps });
}

export async function runWasmEngine(
  qm: QuantizedModel,
  seqs: readonly WasmSequence[],
  opts: WasmEngineOptions,
): Promise<Int16Array[]> {
  const I = qm.input.size;
  for (const [k, s] of seqs.entries()) {
    if (!Number.isInteger(s.steps) || s.steps < 1) throw usageError(`sequence ${k} has ${s.steps} steps; the wasm engine needs at least 1`);
    if (s.xq.length !== s.steps * I) throw usageError(`sequence ${k}: ${s.xq.length} input values for ${s.steps} steps of ${I}`);
  }
  if (seqs.length === 0) return [];
  const source = engineSource(qm, seqs);
  const maxSteps = Math.max(DEFAULT_MAX_STEPS, ...seqs.map((s) => s.steps));
  const { module } = await compileChecked(source, opts.simd);
  const instance = await WebAssembly.instantiate(module, {});
  const ex = instance.exports as unknown as Exports;
  const input = new Int16Array(ex.memory.buffer, ex.inputPtr(), maxSteps * I);
  return seqs.map((s, k) => {
    input.set(s.xq);
    const n = ex.run(s.steps);
    if (n < 0) throw new Error(`lstm-gen compiler bug: the wasm module refused ${s.steps} steps (sequence ${k})`);
    return new Int16Array(ex.memory.buffer, ex.outputPtr(), n).slice();
  });
}
