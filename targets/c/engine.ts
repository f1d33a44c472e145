/**
 * The C engines: run the generated C on the host (`c`) or on an emulated microcontroller (`qemu:<mcu>`) and
 * return exactly what the golden model's `IntSequenceRun.output` holds, per sequence.
 *
 * Each call generates the C, writes a test harness with the sequences compiled in (targets/c/harness.ts),
 * compiles, runs and parses the printed outputs, in a temporary directory that is removed afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usageError } from "../../compiler/errors.js";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { canStream, emitC } from "./emit.js";
import { harnessSource, outputLength, parseHarnessOutput, type HarnessMode, type HarnessSequence } from "./harness.js";
import { mcuFile } from "./paths.js";
import { compile, hostCompiler, linkImage, MCU_SPECS, requireCrossCompiler, requireTool, run, type Mcu } from "./toolchain.js";

export type CEngine = "c" | "qemu:cortex-m0" | "qemu:cortex-m4" | "qemu:cortex-m7" | "qemu:rv32imc" | "qemu:xtensa-lx106";
export const C_ENGINES: readonly CEngine[] = ["c", "qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc", "qemu:xtensa-lx106"];

export interface CEngineOptions {
  /** Host engine only: compile with AddressSanitizer and UndefinedBehaviorSanitizer, failing on the first report. */
  readonly sanitize?: boolean;
  /** Parent directory of the temporary build directory (default: the OS temp directory). */
  readonly workDir?: string;
  /** How the harness drives the API (default `run`); see targets/c/harness.ts. */
  readonly mode?: HarnessMode;
  /** Extra compiler flags (e.g. -O0 or -Os). */
  readonly cflags?: readonly string[];
  /** Keep the build directory (for debugging); its path is in the error messages. */
  readonly keep?: boolean;
}

/** Name of the generated model inside engine builds. */
const NAME = "model";

/** The MCU of a `qemu:` engine, or undefined for the host engine; a usage error for anything else. */
export function engineMcu(engine: string): Mcu | undefined {
  if (engine === "c") return undefined;
  const m = /^qemu:(.+)$/.exec(engine);
  if (m && m[1]! in MCU_SPECS) return m[1] as Mcu;
  throw usageError(`unknown C engine '${engine}'; use one of: ${C_ENGINES.join(", ")}`);
}

/** Check that the tools of `engine` are installed (a one-line usage error naming the apt packages if not). */
export function checkEngineTools(engine: CEngine): void {
  const mcu = engineMcu(engine);
  if (mcu === undefined) {
    hostCompiler();
    return;
  }
  const spec = MCU_SPECS[mcu];
  requireCrossCompiler(spec, `engine ${engine}`);
  requireTool(spec.qemu, spec.qemuPackages, `engine ${engine}`);
}

/** The hint a flash overflow gives for a model with int16 weights. */
export function int16Hint(qm: QuantizedModel): string {
  return qm.weights === "int16" ? " (int8 weights take half the bytes: --weights int8)" : "";
}

function makeDir(parent: string | undefined): string {
  const base = parent ?? tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, "lstm-gen-c-"));
}

/**
 * Run `seqs` through the generated C of `qm` on `engine`. Returns per sequence the int16 output in the model's
 * output format: [steps × OUTPUT_SIZE] when the head reads every step (or there is no head), [OUTPUT_SIZE]
 * otherwise — the layout of `IntSequenceRun.output`.
 */
export async function runCEngine(
  qm: QuantizedModel,
  seqs: readonly HarnessSequence[],
  engine: CEngine,
  opts: CEngineOptions = {},
): Promise<Int16Array[]> {
  const [outs] = await runCEngineModes(qm, seqs, engine, [opts.mode ?? "run"], opts);
  return outs!;
}

/**
 * Like `runCEngine`, but one build runs the sequences in several harness modes; returns the outputs per mode
 * (in the order of `modes`). Used by the tests to check run, step and interleaved instances with one compile.
 */
export async function runCEngineModes(
  qm: QuantizedModel,
  seqs: readonly HarnessSequence[],
  engine: CEngine,
  modes: readonly HarnessMode[],
  opts: Omit<CEngineOptions, "mode"> = {},
): Promise<Int16Array[][]> {
  const mcu = engineMcu(engine);
  checkEngineTools(engine);
  for (const [k, s] of seqs.entries()) {
    if (!(Number.isInteger(s.steps) && s.steps >= 1) || s.xq.length !== s.steps * qm.input.size) {
      throw new RangeError(`runCEngine: sequence ${k} must have steps >= 1 and steps * ${qm.input.size} values`);
    }
  }
  if (opts.sanitize && mcu !== undefined) throw usageError("sanitizers are only available with the host engine 'c'");
  // The sequences are compiled into the image: on a board, split them so that each image fits its flash.
  const budget = mcu === undefined ? Number.POSITIVE_INFINITY : MCU_SPECS[mcu].flashBytes / 4;
  const batches: { start: number; seqs: HarnessSequence[] }[] = [];
  let bytes = 0;
  seqs.forEach((s, k) => {
    const b = 2 * s.xq.length + 16;
    const last = batches[batches.length - 1];
    if (!last || bytes + b > budget) {
      batches.push({ start: k, seqs: [s] });
      bytes = b;
    } else {
      last.seqs.push(s);
      bytes += b;
    }
  });
  const results: Int16Array[][] = modes.map(() => new Array<Int16Array>(seqs.length));
  for (const batch of batches) {
    const outs = await buildAndRun(qm, batch.seqs, engine, mcu, modes, opts);
    modes.forEach((_, m) => outs[m]!.forEach((o, k) => (results[m]![batch.start + k] = o)));
  }
  return results;
}

/** One image: generate, compile, run, parse. */
async function buildAndRun(
  qm: QuantizedModel,
  seqs: readonly HarnessSequence[],
  engine: CEngine,
  mcu: Mcu | undefined,
  modes: readonly HarnessMode[],
  opts: Omit<CEngineOptions, "mode">,
): Promise<Int16Array[][]> {
  const maxSteps = Math.max(1, ...seqs.map((s) => s.steps));
  const dir = makeDir(opts.workDir);
  try {
    const files = emitC(qm, { name: NAME, version: "engine", modelHash: "-", modelFile: "-", maxSteps });
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    // Short chunks on the microcontrollers keep the output buffer small (micro:bit: 16 KiB of RAM).
    const chunk = mcu === undefined ? 1 << 20 : 32;
    writeFileSync(join(dir, "harness.c"), harnessSource(qm, seqs, { name: NAME, modes, chunk }));
    const what = `engine ${engine} (${modes.join(", ")}) in ${dir}`;
    let stdout: string;
    if (mcu === undefined) {
      const cc = hostCompiler();
      const san = opts.sanitize ? ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"] : [];
      await compile(
        cc,
        ["-std=c99", "-O2", ...san, ...(opts.cflags ?? []), "-I", dir, `${NAME}.c`, "harness.c", mcuFile("host.c"), "-o", "harness"],
        dir,
      );
      const r = await run(join(dir, "harness"), [], { cwd: dir, timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`internal: ${what}: exit ${r.code}\n${r.stderr.slice(0, 4000)}`);
      stdout = r.stdout;
    } else {
      const spec = MCU_SPECS[mcu];
      const args = [
        ...spec.cpuFlags,
        "-std=c99",
        "-O2",
        "-ffunction-sections",
        "-fdata-sections",
        ...(opts.cflags ?? []),
        "-I",
        dir,
        `${NAME}.c`,
        "harness.c",
        ...spec.startup(),
        ...spec.linkFlags(),
        "-o",
        "harness.elf",
      ];
      await linkImage(
        spec,
        args,
        dir,
        `engine ${engine}`,
        int16Hint(qm),
        canStream(qm) ? "" : ` (the state holds buffers for ${maxSteps} steps; give shorter sequences)`,
      );
      const r = await run(spec.qemu, [...spec.qemuArgs, "-kernel", join(dir, "harness.elf")], { cwd: dir, timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`internal: ${what}: QEMU exit ${r.code}\n${r.stdout.slice(0, 400)}\n${r.stderr.slice(0, 2000)}`);
      stdout = r.stdout;
    }
    const lengths = seqs.map((s) => outputLength(qm, s.steps));
    const all = parseHarnessOutput(stdout, modes.flatMap(() => lengths), what);
    return modes.map((_, m) => all.slice(m * seqs.length, (m + 1) * seqs.length));
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}
