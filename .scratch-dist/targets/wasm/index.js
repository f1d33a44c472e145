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
import { checkWasm } from "./check.js";
import { ascFlags, compileWasm, memoryPages } from "./compile.js";
import { emitAssemblyScript } from "./emit.js";
import { wasmModelInfo } from "./layout.js";
import { emitWrapper } from "./wrapper.js";
export { checkWasm } from "./check.js";
export { compileWasm } from "./compile.js";
export { emitAssemblyScript, validateAsName } from "./emit.js";
export { runWasmEngine } from "./engine.js";
export { DEFAULT_MAX_STEPS, wasmModelInfo } from "./layout.js";
export { emitWrapper } from "./wrapper.js";
/** Emits, compiles and checks the module, and emits its wrapper. */
export async function buildWasm(qm, opts) {
    const source = emitAssemblyScript(qm, opts);
    const wasm = await compileWasm(source, { simd: opts.simd });
    checkWasm(wasm, { simd: opts.simd });
    const { js, dts } = emitWrapper(qm, opts);
    return { source, wasm, js, dts, info: wasmModelInfo(qm, opts.maxSteps) };
}
/**
 * The files of `--target wasm` (`<name>.wasm`, `<name>.js`, `<name>.d.ts`, `<name>.ts`, `asconfig.json`) or
 * `--target as` (the same without the .wasm). The module is compiled and checked in both cases, so a source-only
 * build is known to compile, and its asconfig.json reproduces the same bytes.
 */
export async function buildWasmTarget(qm, opts) {
    const t0 = performance.now();
    const b = await buildWasm(qm, opts);
    const ms = performance.now() - t0;
    const pages = memoryPages(b.wasm);
    const files = new Map();
    if (!opts.sourceOnly)
        files.set(`${opts.name}.wasm`, b.wasm);
    files.set(`${opts.name}.js`, b.js);
    files.set(`${opts.name}.d.ts`, b.dts);
    files.set(`${opts.name}.ts`, b.source);
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
/** asconfig.json that rebuilds `<name>.wasm` from `<name>.ts` with the flags compileWasm uses. */
export function userAsconfig(name, pages, simd) {
    const options = { ...ascFlags(pages, simd), outFile: `${name}.wasm` };
    return JSON.stringify({ entries: [`${name}.ts`], options }, null, 2) + "\n";
}
/** buildWasm, then writes `<name>.ts`, `<name>.wasm`, `<name>.js`, `<name>.d.ts` into `dir`; returns their paths. */
export async function writeWasm(qm, dir, opts) {
    const b = await buildWasm(qm, opts);
    mkdirSync(dir, { recursive: true });
    const files = [
        [`${opts.name}.ts`, b.source],
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
