/**
 * Machine check of every generated WebAssembly module (with the `wabt` package): it decodes with only the features
 * the target allows, validates, imports nothing, has a fixed memory and no `memory.grow`, no `call_indirect`, and no
 * floating-point type or instruction anywhere (the arithmetic is integer-only by design, docs/fixed-point.md).
 *
 * Any failure is a bug in lstm-gen, not in the user's model: the error says so and quotes the offending instruction.
 * wabt is initialised when this module is first imported (top-level await, ~30 ms), so checkWasm is synchronous.
 */
import wabtInit from "wabt";

const wabt = await wabtInit();

export interface CheckOptions {
  /** The module was built with --simd: allow the SIMD proposal (never relaxed SIMD). */
  readonly simd: boolean;
}

function bug(what: string): Error {
  return new Error(`lstm-gen compiler bug: the generated WebAssembly module ${what}; please report it`);
}

/** Removes quoted strings and `$names` so that only types and opcodes remain. */
function code(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$[^\s()]+/g, "$");
}

/** Throws an Error naming the first violation; returns normally for a conforming module. */
export function checkWasm(bytes: Uint8Array, opts: CheckOptions): void {
  const features = {
    simd: opts.simd,
    relaxed_simd: false,
    bulk_memory: true,
    sign_extension: true,
    mutable_globals: true,
    sat_float_to_int: false,
    threads: false,
    exceptions: false,
    reference_types: false,
    multi_value: false,
    tail_call: false,
    gc: false,
    memory64: false,
  };
  let mod: ReturnType<typeof wabt.readWasm>;
  try {
    // A copy: wabt misreads a view into a pooled Buffer (see /work/shared/notes/toolchain.md).
    mod = wabt.readWasm(new Uint8Array(bytes), { readDebugNames: false, ...features });
  } catch (e) {
    throw bug(`does not decode with features ${opts.simd ? "MVP+bulk-memory+SIMD" : "MVP+bulk-memory"}: ${(e as Error).message.trim()}`);
  }
  let text: string;
  try {
    mod.validate();
    text = mod.toText({ foldExprs: false, inlineExport: false });
  } catch (e) {
    throw bug(`does not validate: ${(e as Error).message.trim()}`);
  } finally {
    mod.destroy();
  }
  let func = "(module)";
  let memories = 0;
  for (const [n, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    const where = `${func}, line ${n + 1} of the text format`;
    if (line.startsWith("(func")) func = `function ${/\(func (\S+)/.exec(line)?.[1] ?? "?"}`;
    if (line.startsWith("(data")) continue;
    if (line.startsWith("(import")) throw bug(`imports something: \`${line}\``);
    if (line.startsWith("(memory")) {
      memories++;
      const limits = /^\(memory(?: \S+)? (\d+)(?: (\d+))?\)/.exec(code(line));
      if (!limits || limits[2] === undefined || limits[1] !== limits[2]) {
        throw bug(`has a growable memory (\`${line}\`); memory must be fixed (--initialMemory = --maximumMemory)`);
      }
    }
    const c = code(line);
    if (/\bmemory\.grow\b/.test(c)) throw bug(`allocates at run time: \`${line}\` in ${where}`);
    if (/\bcall_indirect\b/.test(c)) throw bug(`makes an indirect call: \`${line}\` in ${where}`);
    if (/f32|f64/.test(c)) throw bug(`uses floating point: \`${line}\` in ${where}; the integer code must not`);
    if (!opts.simd && /v128|i8x16|i16x8|i32x4|i64x2/.test(c)) throw bug(`uses SIMD without --simd: \`${line}\` in ${where}`);
  }
  if (memories !== 1) throw bug(`declares ${memories} memories instead of one`);
}
