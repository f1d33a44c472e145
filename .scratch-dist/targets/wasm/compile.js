/**
 * AssemblyScript → WebAssembly, in process, from a string: `asc.main` with an in-memory file system.
 *
 * Flags: `--runtime stub` (no GC; nothing allocates), `-O3`, `--noAssert`, `--use abort=` (no `env.abort`
 * import), memory fixed at exactly the pages the static data needs (`--initialMemory N --maximumMemory N`), and
 * `--enable simd` for the SIMD variant. The module has no imports and no `memory.grow`; checkWasm() proves it.
 */
import { AS_MEMORY_BASE, declaredMemoryBytes } from "./emit.js";
const ENTRY = "module.ts";
const OUT = "module.wasm";
const PAGE = 65536;
/** The compiler options of every generated module, as asconfig.json "options". */
export function ascFlags(pages, simd) {
    return {
        runtime: "stub",
        optimizeLevel: 3,
        shrinkLevel: 0,
        noAssert: true,
        use: ["abort="],
        initialMemory: pages,
        maximumMemory: pages,
        ...(simd ? { enable: ["simd"] } : {}),
    };
}
function ascArgv(flags) {
    const argv = [];
    for (const [k, v] of Object.entries(flags)) {
        if (v === true)
            argv.push(`--${k}`);
        else if (Array.isArray(v))
            for (const x of v)
                argv.push(`--${k}`, x);
        else
            argv.push(`--${k}`, String(v));
    }
    return argv;
}
/** The (fixed) page count of a module's memory, from its memory section. */
export function memoryPages(wasm) {
    let p = 8;
    const leb = () => {
        let result = 0;
        let shift = 0;
        for (;;) {
            const b = wasm[p++];
            result += (b & 0x7f) * 2 ** shift;
            shift += 7;
            if ((b & 0x80) === 0)
                return result;
        }
    };
    while (p < wasm.length) {
        const id = wasm[p++];
        const size = leb();
        const end = p + size;
        if (id === 5) {
            leb(); // count
            leb(); // flags
            return leb();
        }
        p = end;
    }
    return 0;
}
let ascPromise;
/** Compiles run one at a time: asc keeps module-level state. */
let queue = Promise.resolve();
function loadAsc() {
    ascPromise ??= import("assemblyscript/asc").then((m) => m.default);
    return ascPromise;
}
async function ascOnce(source, simd, pages) {
    const asc = await loadAsc();
    let log = "";
    let wasm;
    const argv = [ENTRY, "--outFile", OUT, ...ascArgv(ascFlags(pages, simd))];
    const { error } = await asc.main(argv, {
        readFile: (name) => (name === ENTRY ? source : null),
        writeFile: (name, contents) => {
            if (name === OUT && contents instanceof Uint8Array)
                wasm = new Uint8Array(contents);
        },
        listFiles: () => [],
        stdout: { write: (s) => void (log += s) },
        stderr: { write: (s) => void (log += s) },
    });
    if (error && !/AS10[56]/.test(log)) {
        throw new Error(`lstm-gen compiler bug: AssemblyScript rejected the generated module: ${error.message}\n${log}`);
    }
    return error ? { log } : { wasm: wasm, log };
}
/**
 * Compiles generated AssemblyScript to a WebAssembly module with fixed memory: the smallest page count that holds
 * the static data (first tried from the size the generated header declares; asc reports AS105 with the exact
 * count when more is needed).
 */
export async function compileWasm(source, opts) {
    const run = async () => {
        const declared = declaredMemoryBytes(source) ?? 0;
        let pages = Math.max(1, Math.ceil((AS_MEMORY_BASE + declared) / PAGE));
        for (let attempt = 0; attempt < 3; attempt++) {
            const r = await ascOnce(source, opts.simd, pages);
            if (r.wasm)
                return r.wasm;
            const need = /requires at least '(\d+)' pages/.exec(r.log);
            if (!need || Number(need[1]) <= pages) {
                throw new Error(`lstm-gen compiler bug: AssemblyScript memory sizing failed:\n${r.log}`);
            }
            pages = Number(need[1]);
        }
        throw new Error("lstm-gen compiler bug: AssemblyScript memory sizing did not converge");
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
}
