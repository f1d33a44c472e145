/**
 * `lstm-gen compile`: import → quantize → verify (the build-time gate) → emit → post-check → write atomically.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Option, type Command } from "commander";
import type { SequenceSet } from "../data/sequences.js";
import { LstmGenError, usageError } from "../errors.js";
import type { Model } from "../ir/model.js";
import { checkOutputDirectory, writeOutputAtomically } from "../output.js";
import { rangeSweep, sweepSteps } from "../quantize/calibrate.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { formatTolerance, parseTolerance, verify, type Tolerance } from "../verify/index.js";
import { VERSION } from "../version.js";
import { emitC, validateCName, DEFAULT_MAX_STEPS } from "../../targets/c/emit.js";
import { packageC } from "../../targets/c/package.js";
import { measureSizes, type SizeReport } from "../../targets/c/size.js";
import { findTool, MCU_SPECS } from "../../targets/c/toolchain.js";
import { buildWasmTarget, DEFAULT_MAX_STEPS as WASM_DEFAULT_MAX_STEPS, validateAsName } from "../../targets/wasm/index.js";
import type { Io } from "./main.js";
import { addImportOptions, checkImportOptions, loadModelFromOptions, type ImportCliOptions } from "./import-options.js";
import { addQuantizeOptions, checkQuantizeOptions, quantizeFromOptions, type QuantizeCliOptions } from "./quantize-options.js";

export const TARGETS = ["c", "esp-idf", "arduino", "wasm", "as"] as const;
export type Target = (typeof TARGETS)[number];
export const MCUS = ["cortex-m0", "cortex-m4", "cortex-m7", "rv32imc", "xtensa-lx106"] as const;

interface CompileCliOptions extends QuantizeCliOptions, ImportCliOptions {
  readonly target: Target;
  readonly out: string;
  readonly name: string;
  readonly mcu?: (typeof MCUS)[number];
  readonly maxSteps?: string;
  readonly simd?: boolean;
  readonly verify: boolean;
  readonly tolerance?: string;
}

export interface VerificationNote {
  /** One line for the generated files' header, e.g. "gates 0.05, cell 0.05, ... on calib.npy (16 sequences)". */
  readonly summary: string;
}

/**
 * The build-time gate: run the verifier on the calibration data and refuse to emit code that breaks the
 * tolerance. Returns a one-line summary for the generated files.
 */
export function gate(
  model: Model,
  qm: QuantizedModel,
  data: SequenceSet,
  calibration: Parameters<typeof verify>[3],
  tolerance: Tolerance,
  synthetic = false,
): VerificationNote {
  const report = verify(model, qm, data, calibration, { tolerance, progress: false });
  if (!report.pass) {
    // What usually helps, most effective first (docs/fixed-point.md §8: int16 weights cut the errors ~10×).
    const tries = [
      ...(synthetic ? ["calibrate on real data (--calibrate): the --input-range sweep includes extreme inputs"] : []),
      ...(qm.weights === "int8" ? ["--weights int16"] : []),
      ...(qm.cell === "int16" ? ["--cell int32"] : []),
    ];
    const hint = tries.length > 0 ? `; try ${tries.join(", or ")}` : "";
    throw new LstmGenError("verify", `verification failed, nothing written: ${report.worst}${hint} (see lstm-gen verify; --no-verify overrides)`);
  }
  return { summary: `${formatTolerance(tolerance)} on ${basename(data.file)} (${plural(report.sequences, "sequence")}, ${plural(report.totalSteps, "step")})` };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function parseMaxSteps(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1 << 20) throw usageError(`--max-steps must be an integer from 1 to ${1 << 20}, got '${v}'`);
  return n;
}

function haveCrossCompiler(mcu: (typeof MCUS)[number]): boolean {
  return findTool(MCU_SPECS[mcu].cc) !== undefined;
}

export function registerCompile(program: Command, io: Io): void {
  const cmd = program
    .command("compile")
    .description("generate integer-only code for a target, after verifying the quantized model on the calibration data")
    .argument("<model>", "model file")
    .addOption(new Option("--target <target>", "what to generate").choices([...TARGETS]).makeOptionMandatory())
    .requiredOption("--out <dir>", "output directory: created, or replaced as a whole when empty or written by lstm-gen (it holds a .lstm-gen file)")
    .requiredOption("--name <id>", "prefix of the generated identifiers and files (a C identifier for c, esp-idf, arduino; an AssemblyScript identifier for wasm, as)")
    .addOption(new Option("--mcu <mcu>", "microcontroller for the size report of C targets (default: rv32imc, the ESP32-C3's ISA, for esp-idf; cortex-m4 otherwise)").choices([...MCUS]))
    .option("--max-steps <n>", `sequence-length bound of run() (C: for models with reverse/bidirectional layers, default ${DEFAULT_MAX_STEPS}; wasm: every model, default ${WASM_DEFAULT_MAX_STEPS})`)
    .option("--simd", "wasm, as: use WebAssembly SIMD (bit-exact with the scalar build)")
    .option("--tolerance <spec>", "tolerance of the build-time verification (defaults per weight mode)")
    .option("--no-verify", "skip the build-time verification (not recommended)");
  addImportOptions(addQuantizeOptions(cmd)).action(async (file: string, o: CompileCliOptions) => {
    const wasm = o.target === "wasm" || o.target === "as";
    if (wasm) validateAsName(o.name);
    else validateCName(o.name);
    if (o.simd && !wasm) throw usageError(`--simd applies to --target wasm or as only, not --target ${o.target}`);
    checkImportOptions(file, o);
    checkQuantizeOptions(o);
    checkOutputDirectory(o.out);
    const maxSteps = parseMaxSteps(o.maxSteps);
    const model = await loadModelFromOptions(file, o);
    const { qm, calibration, calibrationData } = quantizeFromOptions(model, o, true);
    const tolerance = parseTolerance(o.tolerance, qm.weights);

    let verified: string;
    if (o.verify) {
      const data = calibrationData ?? rangeSweep(model.inputSize, ...rangeOf(o.inputRange!), sweepSteps(model));
      verified = gate(model, qm, data, calibration, tolerance, calibrationData === undefined).summary;
    } else {
      io.err("lstm-gen: warning: --no-verify: the quantized model was not checked against the float model\n");
      verified = "not verified (--no-verify)";
    }

    const modelHash = `sha256:${createHash("sha256").update(readFileSync(file)).digest("hex")}`;
    const common = { name: o.name, version: VERSION, modelHash, modelFile: basename(file) };
    let files: Map<string, string | Uint8Array>;
    let summary: string[] = [];
    if (wasm) {
      const built = await buildWasmTarget(qm, { ...common, simd: o.simd ?? false, sourceOnly: o.target === "as", tolerance: verified, ...(maxSteps ? { maxSteps } : {}) });
      files = built.files;
      summary = built.summary;
    } else {
      const emitOpts = { ...common, tolerance: verified, ...(maxSteps ? { maxSteps } : {}) };
      let sizes: SizeReport | undefined;
      const mcu = o.mcu ?? (o.target === "esp-idf" ? "rv32imc" : "cortex-m4");
      if (haveCrossCompiler(mcu)) {
        sizes = await measureSizes(emitC(qm, emitOpts), mcu, o.name);
        summary.push(
          `${mcu}: flash ${sizes.flashWeights + sizes.flashCode} bytes (weights ${sizes.flashWeights}, code ${sizes.flashCode}), ` +
            `RAM ${sizes.ramState + sizes.ramScratch} bytes (state ${sizes.ramState}, scratch ${sizes.ramScratch}), worst stack ${sizes.stackWorst} bytes`,
        );
      } else {
        summary.push(`${mcu}: no cross compiler found, sizes not measured (apt-get install ${MCU_SPECS[mcu].ccPackages})`);
      }
      files = packageC(o.target, emitC(qm, { ...emitOpts, ...(sizes ? { sizes } : {}) }), o.name);
    }
    await writeOutputAtomically(o.out, files);
    io.out(`wrote ${files.size} files to ${o.out} (${o.target}; weights ${qm.weights}, cell ${qm.cell}; verified: ${verified})\n`);
    for (const line of summary) io.out(`  ${line}\n`);
  });
}

function rangeOf(spec: string): [number, number] {
  const [lo, hi] = spec.split(",").map(Number);
  return [lo!, hi!];
}
