/**
 * Compile time of one model for both targets, as the Performance issue states its goal: "C + WASM under 2 s wall
 * after warm-up". One round is what `lstm-gen compile` does after quantization for each target: emit the C and
 * cross-compile it for the Cortex-M4 size report (targets/c/size.ts), then emit, compile (asc -O3) and check the
 * SIMD WebAssembly module. The first round in a process also loads TypeScript, ts-morph, the AssemblyScript
 * compiler and Binaryen; the rounds after it are the warm figures.
 */
import type { QuantizedModel } from "../quantize/qmodel.js";
import { emitC } from "../../targets/c/emit.js";
import { measureSizes } from "../../targets/c/size.js";
import { buildWasmTarget } from "../../targets/wasm/index.js";

export interface CompileTime {
  /** The model measured (a suite subject name). */
  readonly model: string;
  /** Wall ms of the first round in this process (cold, unless something compiled before). */
  readonly firstMs: number;
  /** Wall ms of each following round. */
  readonly warmMs: readonly number[];
}

async function round(qm: QuantizedModel): Promise<number> {
  const t0 = performance.now();
  const files = emitC(qm, { name: "model", version: "bench", modelHash: "-", modelFile: "-" });
  measureSizes(files, "cortex-m4", "model");
  await buildWasmTarget(qm, { name: "model", version: "bench", modelHash: "-", simd: true });
  return performance.now() - t0;
}

/** `rounds` rounds after the first (default 3). */
export async function measureCompileTime(model: string, qm: QuantizedModel, rounds = 3): Promise<CompileTime> {
  const firstMs = await round(qm);
  const warmMs: number[] = [];
  for (let k = 0; k < rounds; k++) warmMs.push(await round(qm));
  return { model, firstMs, warmMs };
}
