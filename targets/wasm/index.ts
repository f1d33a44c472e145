/**
 * The WebAssembly target: QuantizedModel → AssemblyScript → WebAssembly (+ JS wrapper), checked.
 *
 *   emitAssemblyScript(qm, opts)        generated AssemblyScript (emit.ts)
 *   compileWasm(source, { simd })       → .wasm bytes (compile.ts)
 *   checkWasm(bytes, { simd })          validation and integer-only proof (check.ts)
 *   emitWrapper(qm, opts)               <name>.js + <name>.d.ts (wrapper.ts)
 *   runWasmEngine(qm, seqs, { simd })   the `wasm` engine (engine.ts)
 *   buildWasm / buildWasmTarget         all of the above; the CLI's `--target wasm` / `--target as`
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { checkWasm } from "./check.js";
import { ascFlags, compileWasm, memoryPages } from "./compile.js";
import { emitAssemblyScript, type WasmEmitOptions } from "./emit.js";
import { wasmModelInfo, type WasmModelInfo } from "./layout.js";
import { emitWrapper } from "./wrapper.js";

export { checkWasm, type CheckOptions } from "./check.js";
export { compileWasm, type CompileOptions } from "./compile.js";
export { emitAssemblyScript, validateAsName, type WasmEmitOptions } from "./emit.js";
export { compileChecked, runWasmEngine, type CompiledModule, type WasmEngineOptions, type WasmSequence } from "./engine.js";
export { DEFAULT_MAX_STEPS, modelTag, wasmModelInfo, type WasmModelInfo } from "./layout.js";
export { emitWrapper, type WrapperFiles } from "./wrapper.js";

export interface WasmBuildOptions extends WasmEmitOptions {
  readonly simd: boolean;
}

export interface WasmBuild {
  /** `<name>.ts`: the generated AssemblyScript. */
  readonly source: string;
  /** `<name>.wasm` */
  readonly wasm: Uint8Array<ArrayBuffer>;
  /** `<name>.js`, `<name>.d.ts` */
  readonly js: string;
  readonly dts: string;
  readonly info: WasmModelInfo;
}

/** Emits, compiles and checks the module, and emits its wrapper. */
export async function buildWasm(qm: QuantizedModel, opts: WasmBuildOptions): Promise<WasmBuild> {
  const source = emitAssemblyScript(qm, opts);
  const wasm = await compileWasm(source, { simd: opts.simd });
  checkWasm(wasm, { simd: opts.simd });
  const { js, dts } = emitWrapper(qm, opts);
  return { source, wasm, js, dts, info: wasmModelInfo(qm, opts.maxSteps) };
}

export interface WasmTargetOptions extends WasmBuildOptions {
  /** `--target as`: the AssemblyScript source, its asconfig.json and the wrapper, without the .wasm. */
  readonly sourceOnly?: boolean;
}

export interface WasmTarget {
  /** Relative path → contents, for compiler/output.ts. */
  readonly files: Map<string, string | Uint8Array>;
  /** Lines for the CLI to print. */
  readonly summary: string[];
}

/**
 * The files of `--target wasm` (`<name>.wasm`, `<name>.js`, `<name>.d.ts`, `assembly/<name>.ts`, `asconfig.json`) or
 * `--target as` (the same without the .wasm). The module is compiled and checked in both cases, so a source-only
 * build is known to compile, and its asconfig.json reproduces the same bytes.
 */
export async function buildWasmTarget(qm: QuantizedModel, opts: WasmTargetOptions): Promise<WasmTarget> {
  const t0 = performance.now();
  const b = await buildWasm(qm, opts);
  const ms = performance.now() - t0;
  const pages = memoryPages(b.wasm);
  const files = new Map<string, string | Uint8Array>();
  if (!opts.sourceOnly) files.set(`${opts.name}.wasm`, b.wasm);
  files.set(`${opts.name}.js`, b.js);
  files.set(`${opts.name}.d.ts`, b.dts);
  files.set(sourcePath(opts.name), b.source);
  files.set("asconfig.json", userAsconfig(opts.name, pages, opts.simd));
  const info = b.info;
  const entry = info.streaming ? "reset/step/feed/run" : "reset/run";
  const summary = [
    `${opts.sourceOnly ? "AssemblyScript" : "WebAssembly"}${opts.simd ? " (SIMD)" : ""}: ${b.wasm.length} bytes of code and data, ` +
      `fixed memory ${pages} × 64 KiB, state ${info.stateSize} bytes; exports ${entry}, up to ${info.maxSteps} steps per run; ` +
      `compiled and checked in ${(ms / 1000).toFixed(1)} s`,
  ];
  return { files, summary };
}

/**
 * Where the AssemblyScript source goes: `assembly/<name>.ts` (the AssemblyScript convention), so that a TypeScript
 * project importing `<name>.js` resolves it to `<name>.d.ts`, not to the AssemblyScript source.
 */
export function sourcePath(name: string): string {
  return `assembly/${name}.ts`;
}

/** asconfig.json that rebuilds `<name>.wasm` from `<name>.ts` with the flags compileWasm uses. */
export function userAsconfig(name: string, pages: number, simd: boolean): string {
  const options: Record<string, unknown> = { ...ascFlags(pages, simd), outFile: `${name}.wasm` };
  return JSON.stringify({ entries: [sourcePath(name)], options }, null, 2) + "\n";
}

/** buildWasm, then writes `<name>.wasm`, `<name>.js`, `<name>.d.ts`, `assembly/<name>.ts` into `dir`; returns the paths. */
export async function writeWasm(qm: QuantizedModel, dir: string, opts: WasmBuildOptions): Promise<string[]> {
  const b = await buildWasm(qm, opts);
  mkdirSync(join(dir, "assembly"), { recursive: true });
  const files: [string, string | Uint8Array][] = [
    [sourcePath(opts.name), b.source],
    [`${opts.name}.wasm`, b.wasm],
    [`${opts.name}.js`, b.js],
    [`${opts.name}.d.ts`, b.dts],
  ];
  return files.map(([f, data]) => {
    const path = join(dir, f);
    writeFileSync(path, data);
    return path;
  });
}
