/**
 * Instructions per step of a generated model on an emulated microcontroller, counted exactly by a QEMU TCG
 * plugin (targets/c/mcu/insncount.c; see /work/shared notes "Running generated C on microcontroller instruction
 * sets"). The count repeats exactly run after run, unlike timing on a shared machine. It is an instruction
 * count, not cycles: QEMU models no pipeline, wait states or multiply latency.
 *
 * A streaming model is measured per `<name>_step` call (with the head, as a keyword spotter reads every frame);
 * a model that cannot stream is measured over one `<name>_run` call and reported per step (total / steps).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { arrayDecl, CWriter } from "./cgen.js";
import { canStream, emitC } from "./emit.js";
import type { HarnessSequence } from "./harness.js";
import { mcuFile } from "./paths.js";
import { int16Hint } from "./engine.js";
import { compile, hostCompiler, linkImage, MCU_SPECS, requireCrossCompiler, requireTool, run, type Mcu } from "./toolchain.js";

export interface InstructionCount {
  readonly mcu: Mcu;
  /** Steps of the measured sequence. */
  readonly steps: number;
  /** True: per `_step` call; false: one `_run` over the sequence, divided by the steps. */
  readonly streaming: boolean;
  /** Mean instructions per step (including about 5 instructions of marker-call overhead per region). */
  readonly perStep: number;
  /** Fewest and most instructions of one step (streaming models; equal to perStep otherwise). */
  readonly minStep: number;
  readonly maxStep: number;
  /** Instructions in all measured regions. */
  readonly total: number;
  /** Compiler flags of the measured build. */
  readonly flags: string;
}

const NAME = "model";

function benchSource(qm: QuantizedModel, seq: HarnessSequence): string {
  const w = new CWriter();
  const streaming = canStream(qm);
  w.comment(["lstm-gen instruction-count harness: bench_begin/bench_end delimit the measured region."]);
  w.line("#include <stddef.h>");
  w.line("#include <stdint.h>");
  w.line(`#include "${NAME}.h"`);
  w.line("void lstmgen_write(const char *s, size_t n);");
  w.line("void bench_begin(void);");
  w.line("void bench_end(void);");
  w.line("int main(void);");
  arrayDecl(w, "static const", "int16_t", "xs", seq.xq);
  w.line(`static ${NAME}_state_t state;`);
  w.line(`static ${NAME}_output_t ys[${NAME.toUpperCase()}_OUTPUT_SIZE * ${streaming ? 1 : seq.steps}];`);
  w.fn("__attribute__((noinline)) void bench_begin(void)", () => w.line('__asm__ volatile("" ::: "memory");'));
  w.fn("__attribute__((noinline)) void bench_end(void)", () => w.line('__asm__ volatile("" ::: "memory");'));
  w.fn("int main(void)", () => {
    w.line("size_t t;");
    w.line("int rc = 0;");
    w.line(`${NAME}_reset(&state);`);
    if (streaming) {
      w.block(`for (t = 0; t < ${seq.steps}; ++t)`, () => {
        w.line("bench_begin();");
        w.line(`${NAME}_step(&state, &xs[t * ${qm.input.size}], ys);`);
        w.line("bench_end();");
      });
    } else {
      w.line("t = 0;");
      w.line("bench_begin();");
      w.line(`rc = ${NAME}_run(&state, xs, ${seq.steps}, ys);`);
      w.line("bench_end();");
    }
    w.line('lstmgen_write(rc == 0 ? "END\\n" : "ERR\\n", 4);');
    w.line("(void)t;");
    w.line("return rc;");
  });
  return w.toString();
}

/** Build the counting plugin for the host (each call builds it afresh in its own temporary directory). */
async function buildPlugin(dir: string): Promise<string> {
  const so = join(dir, "libinsncount.so");
  await compile(hostCompiler(), ["-O2", "-shared", "-fPIC", "-o", so, mcuFile("insncount.c")], dir);
  return so;
}

function symbolAddress(nm: string, elf: string, name: string): number {
  const out = execFileSync(nm, [elf], { encoding: "utf8" });
  const m = new RegExp(`^([0-9a-f]+) [Tt] ${name}$`, "m").exec(out);
  if (!m) throw new Error(`internal: no symbol ${name} in ${elf}`);
  return (parseInt(m[1]!, 16) & ~1) >>> 0; // clear the Thumb bit (unsigned: RISC-V code is at 0x80000000)
}

/** Count the instructions per step of `qm` on `mcu` over one sequence (keep it short: tens of steps). */
export async function countInstructions(
  qm: QuantizedModel,
  seq: HarnessSequence,
  mcu: Mcu,
  opts: { readonly workDir?: string; readonly cflags?: readonly string[] } = {},
): Promise<InstructionCount> {
  const spec = MCU_SPECS[mcu];
  requireCrossCompiler(spec, `counting instructions on ${mcu}`);
  requireTool(spec.qemu, spec.qemuPackages, `counting instructions on ${mcu}`);
  const dir = mkdtempSync(join(opts.workDir ?? tmpdir(), "lstm-gen-bench-"));
  try {
    const files = emitC(qm, { name: NAME, version: "bench", modelHash: "-", modelFile: "-", maxSteps: seq.steps });
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, "bench.c"), benchSource(qm, seq));
    const flags = ["-O2", ...(opts.cflags ?? [])];
    const elf = join(dir, "bench.elf");
    await linkImage(
      spec,
      [...spec.cpuFlags, "-std=gnu99", ...flags, "-ffunction-sections", "-fdata-sections", "-I", dir, `${NAME}.c`, "bench.c", ...spec.startup(), ...spec.linkFlags(), "-o", elf],
      dir,
      `counting instructions on ${mcu}`,
      int16Hint(qm),
      canStream(qm) ? "" : ` (the state holds buffers for ${seq.steps} steps; use fewer --steps)`,
    );
    const plugin = await buildPlugin(dir);
    const begin = symbolAddress(spec.nm, elf, "bench_begin");
    const end = symbolAddress(spec.nm, elf, "bench_end");
    const out = join(dir, "count.txt");
    const r = await run(spec.qemu, [...spec.qemuArgs, "-plugin", `${plugin},begin=0x${begin.toString(16)},end=0x${end.toString(16)},out=${out}`, "-kernel", elf], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    if (r.code !== 0 || !r.stdout.includes("END")) throw new Error(`internal: instruction count on ${mcu} failed (exit ${r.code}): ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 1000)}`);
    const m = /regions (\d+) total (\d+) min (\d+) max (\d+)/.exec(readFileSync(out, "utf8"));
    if (!m) throw new Error("internal: the instruction-count plugin wrote no result");
    const [regions, total, min, max] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    const streaming = canStream(qm);
    const expected = streaming ? seq.steps : 1;
    if (regions !== expected) throw new Error(`internal: instruction count on ${mcu}: ${regions} regions, expected ${expected}`);
    return {
      mcu,
      steps: seq.steps,
      streaming,
      perStep: total / seq.steps,
      minStep: streaming ? min : total / seq.steps,
      maxStep: streaming ? max : total / seq.steps,
      total,
      flags: flags.join(" "),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The stack the model really uses on a Cortex-M board: the harness paints the free stack, calls `<name>_run`
 * on `seq` from main, and reports the deepest word written (targets/c/mcu/startup_cortexm.c). Used to check the
 * static bound of `measureSizes` (which must not be smaller).
 */
export async function measureStackUse(qm: QuantizedModel, seq: HarnessSequence, mcu: "cortex-m0" | "cortex-m4" | "cortex-m7"): Promise<number> {
  const spec = MCU_SPECS[mcu];
  requireCrossCompiler(spec, `measuring the stack on ${mcu}`);
  requireTool(spec.qemu, spec.qemuPackages, `measuring the stack on ${mcu}`);
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-stack-"));
  try {
    const files = emitC(qm, { name: NAME, version: "stack", modelHash: "-", modelFile: "-", maxSteps: seq.steps });
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    const w = new CWriter();
    w.line("#include <stddef.h>");
    w.line("#include <stdint.h>");
    w.line(`#include "${NAME}.h"`);
    w.line("void lstmgen_write(const char *s, size_t n);");
    w.line("void lstmgen_stack_paint(void);");
    w.line("size_t lstmgen_stack_used(void);");
    w.line("int main(void);");
    arrayDecl(w, "static const", "int16_t", "xs", seq.xq);
    w.line(`static ${NAME}_state_t state;`);
    w.line(`static ${NAME}_output_t ys[${NAME.toUpperCase()}_OUTPUT_SIZE * ${seq.steps}];`);
    w.fn("int main(void)", () => {
      w.line("char digits[24];");
      w.line("char buf[32];");
      w.line("size_t used;");
      w.line("int nd = 0;");
      w.line("int n = 0;");
      w.line("int rc;");
      w.line(`${NAME}_reset(&state);`);
      w.line("lstmgen_stack_paint();");
      w.line(`rc = ${NAME}_run(&state, xs, ${seq.steps}, ys);`);
      w.line("used = lstmgen_stack_used();");
      w.block("do", () => {
        w.line("digits[nd++] = (char)('0' + (int)(used % 10));");
        w.line("used /= 10;");
      }, "} while (used != 0);");
      w.line("buf[n++] = 'S';");
      w.line("buf[n++] = ' ';");
      w.block("while (nd > 0)", () => w.line("buf[n++] = digits[--nd];"));
      w.line("buf[n++] = '\\n';");
      w.line("lstmgen_write(buf, (size_t)n);");
      w.line("return rc;");
    });
    writeFileSync(join(dir, "stack.c"), w.toString());
    const elf = join(dir, "stack.elf");
    await compile(spec.cc, [...spec.cpuFlags, "-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-I", dir, `${NAME}.c`, "stack.c", ...spec.startup(), ...spec.linkFlags(), "-o", elf], dir);
    const r = await run(spec.qemu, [...spec.qemuArgs, "-kernel", elf], { cwd: dir, timeoutMs: 300_000 });
    const m = /^S (\d+)$/m.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`internal: stack measurement on ${mcu} failed (exit ${r.code}): ${r.stdout.slice(0, 200)}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
