/**
 * The lstm-gen command line. It reads top to bottom like the pipeline: import → IR → quantize → verify → emit.
 * Each command is a thin layer over the stage modules; all user-facing failures are `LstmGenError`s, printed as one
 * line with the exit code of their kind (0 ok, 1 verification failed, 2 bad usage or input, 3 internal error).
 */
import { Command, CommanderError, Option } from "commander";
import { dataOptionsFor, readSequences } from "../data/read.js";
import { ENGINES, isIntegerEngine, parseEngine, runEngine } from "../engines.js";
import type { SequenceSet } from "../data/sequences.js";
import { EXIT_CODES, LstmGenError, oneLine, usageError } from "../errors.js";
import { INT16_MAX, INT16_MIN, roundHalfAway } from "../quantize/primitives.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { MODEL_FORMATS } from "../import/index.js";
import { addImportOptions, loadModelFromOptions, type ImportCliOptions } from "./import-options.js";
import type { OutputTensor } from "../reference/outputs.js";
import { VERSION } from "../version.js";
import { formatSummary, summarize } from "./inspect.js";
import { addQuantizeOptions, checkQuantizeOptions, quantizeFromOptions, type QuantizeCliOptions } from "./quantize-options.js";
import { registerBench } from "./bench.js";
import { registerCompile } from "./compile.js";
import { registerVerify } from "./verify.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Set by a command whose outcome is not "ok" without being an error (verification failed: 1). */
  exitCode?: number;
}

function processIo(): Io {
  return { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}

/** A readable rendering of `run` outputs: one line per sequence, long rows elided in the middle. */
export function formatOutputs(outputs: readonly OutputTensor[]): string {
  const lines: string[] = [];
  for (const o of outputs) {
    lines.push(`${oneLine(o.name)}  shape [${o.shape.join(", ")}]`);
    const n = o.shape[0] ?? 0;
    const per = n === 0 ? 0 : o.data.length / n;
    for (let s = 0; s < n; s++) {
      const row = Array.from(o.data.subarray(s * per, (s + 1) * per), formatNumber);
      const shown = row.length <= 12 ? row.join(" ") : `${row.slice(0, 8).join(" ")} … ${row.slice(-3).join(" ")} (${row.length} values)`;
      lines.push(`  [${s}] ${shown}`);
    }
  }
  return lines.join("\n");
}

const count = (n: number): string => n.toLocaleString("en-US");

/**
 * Input values beyond the int16 input format (the calibrated range plus its headroom) are saturated by
 * quantizeInput, silently changing what the integer model sees. Counts them exactly as quantizeInput rounds,
 * without changing the quantized values; returns the warning, or undefined when nothing saturates.
 */
export function saturationWarning(qm: QuantizedModel, set: SequenceSet): string | undefined {
  const I = qm.input.size;
  const perFeature = new Array<number>(I).fill(0);
  let total = 0;
  for (const s of set.sequences) {
    total += s.data.length;
    for (let j = 0; j < s.data.length; j++) {
      const v = s.data[j]! / qm.input.scale[j % I]!;
      if (Number.isNaN(v)) continue;
      const r = roundHalfAway(v);
      if (r > INT16_MAX || r < INT16_MIN) perFeature[j % I]!++;
    }
  }
  const saturated = perFeature.reduce((a, b) => a + b, 0);
  if (saturated === 0) return undefined;
  const features = perFeature.flatMap((n, k) => (n > 0 ? [k] : []));
  const limit = (k: number) => `|x| > ${Number((INT16_MAX * qm.input.scale[k]!).toPrecision(3))} in feature ${k}`;
  const shown = features.slice(0, 3).map(limit);
  if (features.length > 3) shown.push(`${features.length - 3} more features`);
  return (
    `${count(saturated)} of ${count(total)} input values ${saturated === 1 ? "is" : "are"} outside the calibrated range ` +
    `(${shown.join(", ")}) and ${saturated === 1 ? "was" : "were"} saturated; calibrate on data that covers such inputs, or raise --input-headroom`
  );
}

function outputsJson(outputs: readonly OutputTensor[]): string {
  return JSON.stringify({ outputs: outputs.map((o) => ({ name: o.name, shape: o.shape, data: Array.from(o.data) })) });
}

export function buildProgram(io: Io): Command {
  const program = new Command("lstm-gen")
    .description("Compile trained LSTMs into integer-only C and WebAssembly, with a float reference and a per-gate verifier.")
    .version(VERSION)
    .showHelpAfterError(false)
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
    .exitOverride();

  const inspect = program
    .command("inspect")
    .description(`show what lstm-gen reads from a model (${MODEL_FORMATS.join(", ")}): layers, sizes, activations, head, parameters`)
    .argument("<model>", "model file")
    .option("--json", "print JSON");
  addImportOptions(inspect).action(async (file: string, o: ImportCliOptions & { json?: boolean }) => {
    const s = summarize(await loadModelFromOptions(file, o));
    io.out((o.json ? JSON.stringify(s, null, 2) : formatSummary(s)) + "\n");
  });

  const run = program
    .command("run")
    .description("run a model over every sequence of an input file and print its outputs")
    .argument("<model>", "model file")
    .requiredOption("--input <file>", "input sequences: .npy [T,I] or [N,T,I], .json nested arrays, .csv (blank line between sequences)")
    .addOption(new Option("--engine <engine>", "float reference, integer golden model, or a compiled target").choices([...ENGINES]).default("float"))
    .option("--sanitize", "with --engine c: build with -fsanitize=address,undefined")
    .option("--simd", "with --engine wasm: the WebAssembly SIMD build")
    .option("--json", 'print {"outputs":[{"name","shape","data"}]}');
  addImportOptions(addQuantizeOptions(run)).action(async (file: string, o: ImportCliOptions & QuantizeCliOptions & { input: string; engine: string; json?: boolean; sanitize?: boolean; simd?: boolean }) => {
    const engine = parseEngine(o.engine);
    checkQuantizeOptions(o);
    if (o.simd && engine !== "wasm") throw usageError(`--simd applies to --engine wasm only, not --engine ${engine}`);
    if (o.sanitize && engine !== "c") throw usageError(`--sanitize applies to --engine c only, not --engine ${engine}`);
    const model = await loadModelFromOptions(file, o);
    const set = readSequences(o.input, dataOptionsFor(model));
    const qm = isIntegerEngine(engine) ? quantizeFromOptions(model, o, !o.json).qm : undefined;
    // Not with --json: its consumers (test/sanitize.test.ts among them) read a clean stderr as "no problems".
    if (qm && !o.json) {
      const warning = saturationWarning(qm, set);
      if (warning) io.err(`lstm-gen: warning: ${warning}\n`);
    }
    const outputs = await runEngine(engine, model, set, qm, { sanitize: o.sanitize ?? false, simd: o.simd ?? false });
    io.out((o.json ? outputsJson(outputs) : formatOutputs(outputs)) + "\n");
  });

  registerVerify(program, io);
  registerCompile(program, io);
  registerBench(program, io);
  return program;
}

/** Run the CLI; returns the exit code (never throws, never prints a stack trace). */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return io.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // The help was printed (e.g. `lstm-gen` with no command): it says it all, without commander's internal text.
      if (e.code === "commander.help" || e.code === "commander.helpDisplayed") return EXIT_CODES.usage;
      io.err(`lstm-gen: ${oneLine(e.message.replace(/^error: /, ""))}\n`);
      return EXIT_CODES.usage;
    }
    if (e instanceof LstmGenError) {
      io.err(`lstm-gen: ${e.message}\n`);
      return EXIT_CODES[e.kind];
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`lstm-gen: internal error: ${oneLine(msg)} — this is a bug in lstm-gen; please report it with the command and model\n`);
    return EXIT_CODES.internal;
  }
}
