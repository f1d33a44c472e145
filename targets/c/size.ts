/**
 * Measured sizes of a generated model on a microcontroller, from a real cross-compile of the model's .c file
 * alone (the float helpers and any harness are not part of it): flash for constant data and code (`size -A`),
 * the bytes of the caller-owned state struct and of its scratch part (as the cross compiler lays them out),
 * static RAM (must be 0), and the worst stack depth of any public function from GCC's `-fstack-usage` and
 * `-fcallgraph-info=su` (call graph walked from the public functions down).
 *
 * `checkObject` proves properties of the object by its undefined symbols (`nm -u`): no heap (malloc & co) and,
 * on soft-float targets, no floating-point helper; on FPU targets, no floating-point instruction either.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usageError } from "../../compiler/errors.js";
import { MCU_SPECS, requireCrossCompiler, requireTool, type Mcu } from "./toolchain.js";

export interface SizeReport {
  readonly mcu: Mcu;
  /** e.g. "arm-none-eabi-gcc 12.2.1". */
  readonly compiler: string;
  /** Optimisation flags of the measurement, e.g. "-O2". */
  readonly flags: string;
  /** Constant data in flash: weights, multipliers, shifts, biases, tables (bytes). */
  readonly flashWeights: number;
  /** Code in flash (bytes). */
  readonly flashCode: number;
  /** Bytes of the state struct that persist between calls (h and c). */
  readonly ramState: number;
  /** Bytes of the state struct that are scratch (new h, head buffers, sequence buffers). */
  readonly ramScratch: number;
  /** .data + .bss of the model object: 0 (everything mutable is in the caller's state). */
  readonly ramStatic: number;
  /**
   * Worst stack depth in bytes of any public function, including the model functions it calls, plus
   * `stackHelperAllowance` when it calls compiler runtime helpers (__aeabi_lmul, memset, ...).
   */
  readonly stackWorst: number;
  /** Allowance added for runtime helpers whose frames GCC cannot see (0 when none is called). */
  readonly stackHelperAllowance: number;
  /** Worst stack per public function (same rules). */
  readonly stackByFunction: Readonly<Record<string, number>>;
  /** Undefined symbols of the model object (what it needs from libc/libgcc). */
  readonly undefinedSymbols: readonly string[];
}

export const SIZE_FLAGS = ["-O2"] as const;

/** Stack allowance for one runtime helper call (libgcc's 64-bit multiply/divide, memset/memcpy: < 48 bytes). */
export const HELPER_STACK_ALLOWANCE = 64;

const HEAP = /^_?(malloc|free|calloc|realloc|reallocarray|aligned_alloc|posix_memalign|memalign|valloc|pvalloc|_malloc_r|_free_r|_calloc_r|_realloc_r|sbrk|_sbrk|_sbrk_r)$/;
const SOFT_FLOAT = [
  /^__aeabi_[fd]/, // __aeabi_fadd, __aeabi_dmul, __aeabi_f2iz, __aeabi_d2f, __aeabi_fcmplt, ...
  /^__aeabi_u?[il]2[fd]$/, // __aeabi_i2f, __aeabi_ui2d, __aeabi_l2f, __aeabi_ul2d
  /^__(add|sub|mul|div|neg|pow|cmp|unord|eq|ne|lt|le|gt|ge)[sdtx]f[0-9]$/, // __addsf3, __muldf3, __ltsf2, ...
  /^__(fix|fixuns)[sdtx]f[sdt]i$/, // __fixsfsi, __fixunsdfdi
  /^__float(un)?[sdt]i[sdtx]f$/, // __floatsisf, __floatundidf
  /^__(extend|trunc)[sdtx]f[sdtx]f2$/, // __extendsfdf2, __truncdfsf2
  /^(sqrt|exp|log|pow|tanh|sinh|cosh|sin|cos|tan|floor|ceil|round|lround|fabs|fmod|expm1|log1p|ldexp|frexp)[fl]?$/,
];

export interface ObjectCheck {
  readonly undefinedSymbols: readonly string[];
  /** Forbidden undefined symbols (heap or floating point). Empty when the object passes. */
  readonly forbidden: readonly string[];
  /** Floating-point instructions found in the disassembly (FPU targets). Empty when the object passes. */
  readonly floatInstructions: readonly string[];
}

/** Undefined symbols of an object file. */
function undefinedSymbols(nm: string, obj: string): string[] {
  const out = execFileSync(nm, ["-u", obj], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/).pop() ?? "")
    .filter((s) => s !== "")
    .sort();
}

/**
 * Check a compiled model object for `mcu`: no heap functions; no soft-float helpers or libm calls; on cores with
 * an FPU, no floating-point instruction in the disassembly. (`__aeabi_lmul`, `__aeabi_llsl/llsr/lasr`,
 * `__aeabi_ldivmod`, `__muldi3`, `__divdi3`, `memset`, `memcpy` are integer helpers and allowed.)
 */
export function checkObject(obj: string, mcu: Mcu): ObjectCheck {
  const spec = MCU_SPECS[mcu];
  requireTool(spec.nm, spec.ccPackages, "checking a model object");
  const undef = undefinedSymbols(spec.nm, obj);
  const forbidden = undef.filter((s) => HEAP.test(s) || SOFT_FLOAT.some((re) => re.test(s)));
  const floatInstructions: string[] = [];
  const dis = execFileSync(spec.objdump, ["-d", "--no-show-raw-insn", obj], { encoding: "utf8", maxBuffer: 256 << 20 });
  for (const line of dis.split("\n")) {
    const m = /^\s*[0-9a-f]+:\s+([a-z][a-z0-9.]*)/.exec(line);
    if (!m) continue;
    const op = m[1];
    if (spec.floatInstruction.test(op!)) floatInstructions.push(line.trim());
  }
  return { undefinedSymbols: undef, forbidden, floatInstructions };
}

interface CallGraph {
  readonly frames: Map<string, number>;
  readonly edges: Map<string, Set<string>>;
  readonly external: Set<string>;
  readonly dynamic: string[];
}

/** Parse GCC's `-fcallgraph-info=su` VCG output. */
function parseCallGraph(text: string): CallGraph {
  const frames = new Map<string, number>();
  const edges = new Map<string, Set<string>>();
  const external = new Set<string>();
  const dynamic: string[] = [];
  for (const line of text.split("\n")) {
    const node = /^node: \{ title: "([^"]+)" label: "([^"]*)"/.exec(line);
    if (node) {
      const [, title, label] = node;
      const su = /\\n(\d+) bytes \(([a-z, ]+)\)/.exec(label!);
      if (su) {
        frames.set(title!, Number(su[1]));
        if (!/^static/.test(su[2]!)) dynamic.push(`${title} (${su[2]})`);
      } else {
        external.add(title!);
      }
      continue;
    }
    const edge = /^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/.exec(line);
    if (edge) {
      const [, from, to] = edge;
      if (!edges.has(from!)) edges.set(from!, new Set());
      edges.get(from!)!.add(to!);
    }
  }
  return { frames, edges, external, dynamic };
}

/** Worst stack from `fn` down (no recursion: the emitter never generates it; a cycle is an internal error). */
function worstStack(g: CallGraph, fn: string, seen: Set<string> = new Set()): { bytes: number; helpers: boolean } {
  if (seen.has(fn)) throw new Error(`internal: recursion through ${fn} in generated code`);
  if (g.external.has(fn)) return { bytes: 0, helpers: true };
  const own = g.frames.get(fn) ?? 0;
  let worst = 0;
  let helpers = false;
  seen.add(fn);
  for (const callee of g.edges.get(fn) ?? []) {
    const r = worstStack(g, callee, seen);
    worst = Math.max(worst, r.bytes);
    helpers ||= r.helpers;
  }
  seen.delete(fn);
  return { bytes: own + worst, helpers };
}

function sectionSizes(sizeTool: string, obj: string): { code: number; rodata: number; ram: number } {
  const out = execFileSync(sizeTool, ["-A", obj], { encoding: "utf8" });
  let code = 0;
  let rodata = 0;
  let ram = 0;
  for (const line of out.split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line.trim());
    if (!m) continue;
    const [, name, n] = m;
    const bytes = Number(n);
    // Xtensa keeps the constants its code loads (l32r) in .literal sections next to the code.
    if (/^\.(text|literal)/.test(name!)) code += bytes;
    else if (/^\.s?rodata/.test(name!)) rodata += bytes;
    else if (/^\.(s?data|s?bss|tbss|tdata)/.test(name!)) ram += bytes;
  }
  return { code, rodata, ram };
}

/** The model's base name: the `.c` file that is not `<name>_float.c`. */
function modelName(files: ReadonlyMap<string, string>, name?: string): string {
  if (name !== undefined) return name;
  const c = [...files.keys()].filter((f) => /^[A-Za-z_][A-Za-z0-9_]*\.c$/.test(f) && !f.endsWith("_float.c"));
  if (c.length !== 1) throw new Error(`internal: measureSizes: cannot tell the model's .c file among ${[...files.keys()].join(", ")}`);
  return c[0]!.slice(0, -2);
}

/** State members of `<name>_state_t` from the generated header, with whether each is scratch. */
function stateMembers(header: string, name: string): { member: string; scratch: boolean }[] {
  const m = new RegExp(`typedef struct \\{\\n([\\s\\S]*?)\\n\\} ${name}_state_t;`).exec(header);
  if (!m) throw new Error(`internal: measureSizes: no ${name}_state_t in ${name}.h`);
  return m[1]!
    .split("\n")
    .map((l) => /^\s*int(?:16|32)_t (\w+)\[[^\]]+\]; \/\* (.*) \*\/$/.exec(l))
    .filter((x): x is RegExpExecArray => x !== null)
    .map((x) => ({ member: x[1]!, scratch: /\(scratch\)/.test(x[2]!) }));
}

/**
 * Cross-compile the model's .c of `files` for `mcu` (with -O2, -ffunction-sections) and measure it.
 * Throws a usage error naming the apt packages when the cross compiler is missing.
 */
export function measureSizes(files: ReadonlyMap<string, string>, mcu: Mcu, name?: string, opts: { readonly cflags?: readonly string[] } = {}): SizeReport {
  const spec = MCU_SPECS[mcu];
  if (!spec) throw usageError(`unknown MCU '${String(mcu)}'`);
  requireCrossCompiler(spec, `measuring sizes for ${mcu}`);
  const base = modelName(files, name);
  const header = files.get(`${base}.h`);
  if (header === undefined || !files.has(`${base}.c`)) throw new Error(`internal: measureSizes: ${base}.h / ${base}.c missing`);
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-size-"));
  try {
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    const flags = [...SIZE_FLAGS, ...(opts.cflags ?? [])];
    const common = [...spec.cpuFlags, "-std=c99", ...flags, "-ffunction-sections", "-fdata-sections"];
    execFileSync(spec.cc, [...common, "-fstack-usage", "-fcallgraph-info=su", "-c", `${base}.c`, "-o", "model.o"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const members = stateMembers(header, base);
    const sizeofs = (scratch: boolean) => {
      const ms = members.filter((m) => m.scratch === scratch).map((m) => `sizeof(((${base}_state_t *)0)->${m.member})`);
      return ms.length ? ms.join(" + ") : "0";
    };
    writeFileSync(
      join(dir, "probe.c"),
      [
        `#include "${base}.h"`,
        `const char lstmgen_probe_state[sizeof(${base}_state_t)] = {0};`,
        `const char lstmgen_probe_keep[${sizeofs(false)} + 1] = {0};`,
        `const char lstmgen_probe_scratch[${sizeofs(true)} + 1] = {0};`,
        "",
      ].join("\n"),
    );
    execFileSync(spec.cc, [...common, "-c", "probe.c", "-o", "probe.o"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const probe = new Map<string, number>();
    for (const line of execFileSync(spec.nm, ["-S", join(dir, "probe.o")], { encoding: "utf8" }).split("\n")) {
      const m = /^[0-9a-f]+ ([0-9a-f]+) \w (lstmgen_probe_\w+)$/.exec(line.trim());
      if (m) probe.set(m[2]!, parseInt(m[1]!, 16));
    }
    const total = probe.get("lstmgen_probe_state");
    const scratch = (probe.get("lstmgen_probe_scratch") ?? 1) - 1;
    if (total === undefined) throw new Error("internal: measureSizes: the state probe failed");
    const sections = sectionSizes(spec.size, join(dir, "model.o"));
    const graph = parseCallGraph(readFileSync(join(dir, "model.ci"), "utf8"));
    if (graph.dynamic.length > 0) throw new Error(`internal: generated code has a dynamic stack frame: ${graph.dynamic.join(", ")}`);
    const publics = [...graph.frames.keys()].filter((f) => !f.includes(":"));
    const byFn: Record<string, number> = {};
    let worst = 0;
    let anyHelper = false;
    for (const f of publics.sort()) {
      const r = worstStack(graph, f);
      const bytes = r.bytes + (r.helpers ? HELPER_STACK_ALLOWANCE : 0);
      byFn[f] = bytes;
      anyHelper ||= r.helpers;
      worst = Math.max(worst, bytes);
    }
    const version = execFileSync(spec.cc, ["-dumpversion"], { encoding: "utf8" }).trim();
    const check = checkObject(join(dir, "model.o"), mcu);
    return {
      mcu,
      compiler: `${spec.cc} ${version}`,
      flags: flags.join(" "),
      flashWeights: sections.rodata,
      flashCode: sections.code,
      ramState: total - scratch,
      ramScratch: scratch,
      ramStatic: sections.ram,
      stackWorst: worst,
      stackHelperAllowance: anyHelper ? HELPER_STACK_ALLOWANCE : 0,
      stackByFunction: byFn,
      undefinedSymbols: check.undefinedSymbols,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
