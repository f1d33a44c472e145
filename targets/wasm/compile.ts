/**
 * AssemblyScript → WebAssembly, in process, from a string: `asc.main` with an in-memory file system.
 *
 * Flags: `--runtime stub` (no GC; nothing allocates), `-O3`, `--noAssert`, `--use abort=` (no `env.abort`
 * import), memory fixed at exactly the pages the static data needs (`--initialMemory N --maximumMemory N`), and
 * `--enable simd` for the SIMD variant. The module has no imports and no `memory.grow`; checkWasm() proves it.
 */
import { AS_MEMORY_BASE, declaredMemoryBytes } from "./emit.js";

export interface CompileOptions {
  /** Build the WebAssembly SIMD variant (the kernels' ASC_FEATURE_SIMD branches). */
  readonly simd: boolean;
}

const ENTRY = "module.ts";
const OUT = "module.wasm";
const PAGE = 65536;

interface AscApi {
  main(
    argv: string[],
    options: {
      readFile: (name: string, baseDir: string) => string | null;
      writeFile: (name: string, contents: Uint8Array | string, baseDir: string) => void;
      listFiles: (dirname: string, baseDir: string) => string[] | null;
      stdout: { write(s: string): void };
      stderr: { write(s: string): void };
    },
  ): Promise<{ error: Error | null; stats: unknown }>;
}

let ascPromise: Promise<AscApi> | undefined;
/** Compiles run one at a time: asc keeps module-level state. */
let queue: Promise<unknown> = Promise.resolve();

function loadAsc(): Promise<AscApi> {
  ascPromise ??= import("assemblyscript/asc").then((m) => (m as unknown as { default: AscApi }).default);
  return ascPromise;
}

async function ascOnce(source: string, simd: boolean, pages: number): Promise<{ wasm?: Uint8Array; log: string }> {
  const asc = await loadAsc();
  let log = "";
  let wasm: Uint8Array | undefined;
  const argv = [
    ENTRY,
    "--outFile", OUT,
    "--runtime", "stub",
    "-O3",
    "--noAssert",
    "--use", "abort=",
    "--initialMemory", String(pages),
    "--maximumMemory", String(pages),
    ...(simd ? ["--enable", "simd"] : []),
  ];
  const { error } = await asc.main(argv, {
    readFile: (name) => (name === ENTRY ? source : null),
    writeFile: (name, contents) => {
      if (name === OUT && contents instanceof Uint8Array) wasm = new Uint8Array(contents);
    },
    listFiles: () => [],
    stdout: { write: (s) => void (log += s) },
    stderr: { write: (s) => void (log += s) },
  });
  if (error && !/AS10[56]/.test(log)) {
    throw new Error(`lstm-gen compiler bug: AssemblyScript rejected the generated module: ${error.message}\n${log}`);
  }
  return error ? { log } : { wasm: wasm!, log };
}

/**
 * Compiles generated AssemblyScript to a WebAssembly module with fixed memory: the smallest page count that holds
 * the static data (first tried from the size the generated header declares; asc reports AS105 with the exact
 * count when more is needed).
 */
export async function compileWasm(source: string, opts: CompileOptions): Promise<Uint8Array> {
  const run = async (): Promise<Uint8Array> => {
    const declared = declaredMemoryBytes(source) ?? 0;
    let pages = Math.max(1, Math.ceil((AS_MEMORY_BASE + declared) / PAGE));
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await ascOnce(source, opts.simd, pages);
      if (r.wasm) return r.wasm;
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
