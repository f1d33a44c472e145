/**
 * The standard benchmark suite behind `npm run bench`: writes docs/benchmarks.md and docs/benchmarks.svg.
 *
 *   node dist/compiler/bench/suite.js [--out <dir>] [--json <file>] [--no-mcu] [--no-wasm] [--only <name,...>]
 *
 * (--only takes sizes such as 1x32 and fixture names such as sine; --json also writes the raw result.)
 *
 * Models: one-layer LSTMs (input, hidden) = (1,32), (8,32), (3,48), (40,128) with seeded random weights (built as
 * IR and, from the same numbers, as ONNX for onnxruntime; models.ts), and the PyTorch fixtures in
 * test/fixtures/torch/. Each is quantized (int8 weights, int16 cell) and measured on one 20-step sequence:
 * instructions per step and sizes on Cortex-M0/M4/M7, rv32imc and Xtensa LX106 (QEMU, exact), then WebAssembly time against
 * onnxruntime-node and onnxruntime-web (ratios), and for the synthetic sizes the native floor of the step's
 * matrix products (native-floor.ts) against the budgets the goals imply. The C + WebAssembly compile time of the 40×128 model is measured
 * first, then the microcontroller measurements, all of them, and the timings after, so that no emulator competes
 * with the timed code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readSequences } from "../data/read.js";
import type { Sequence, SequenceSet } from "../data/sequences.js";
import { importOnnx } from "../import/onnx/index.js";
import { calibrate } from "../quantize/calibrate.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { quantizeModel } from "../quantize/quantize.js";
import { VERSION } from "../version.js";
import type { Mcu } from "../../targets/c/toolchain.js";
import { measureCompileTime, type CompileTime } from "./compile-time.js";
import { benchMcu, type McuResult } from "./mcu.js";
import { measureNativeFloor, type NativeFloor } from "./native-floor.js";
import { buildLstm, prng } from "./models.js";
import { renderMarkdown, renderSvg, SUITE_MCUS, type SuiteModel, type SuiteResult } from "./render.js";
import { benchSequence, type BenchSequence } from "./sequence.js";
import { benchWasm, type OnnxSubject } from "./wasm.js";

export const SUITE_SIZES: readonly (readonly [number, number])[] = [
  [1, 32],
  [8, 32],
  [3, 48],
  [40, 128],
];
export const SUITE_FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;
export const SUITE_STEPS = 20;

interface Subject {
  readonly name: string;
  readonly description: string;
  readonly cmsisKey?: string;
  readonly qm: QuantizedModel;
  readonly seq: BenchSequence;
  readonly onnx: OnnxSubject;
}

/** The repository root: the nearest ancestor holding package.json and test/fixtures. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "test", "fixtures"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (package.json and test/fixtures) above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Seeded calibration data for the synthetic models: 8 sequences of 50 steps, uniform in [-1, 1]. */
function randomSet(inputSize: number, seed: number): SequenceSet {
  const rand = prng(seed);
  const sequences: Sequence[] = Array.from({ length: 8 }, () => ({ steps: 50, data: Float64Array.from({ length: 50 * inputSize }, () => 2 * rand() - 1) }));
  return { file: `uniform(-1, 1), seed ${seed}`, features: inputSize, sequences };
}


function subjects(root: string, only: ReadonlySet<string> | undefined): Subject[] {
  const out: Subject[] = [];
  for (const [I, H] of SUITE_SIZES) {
    const name = `lstm ${I}×${H}`;
    if (only && !only.has(`${I}x${H}`) && !only.has(name)) continue;
    const seed = 1000 * I + H;
    const m = buildLstm({ inputSize: I, hiddenSize: H, seed });
    const set = randomSet(I, seed + 1);
    const qm = quantizeModel(m.ir, calibrate(m.ir, set), { weights: "int8", cell: "int16" });
    out.push({
      name,
      description: `LSTM ${I}→${H}, no head`,
      cmsisKey: `${I}x${H}`,
      qm,
      seq: benchSequence(qm, set, SUITE_STEPS),
      onnx: { bytes: m.onnx, input: "X", batchFirst: false },
    });
  }
  for (const f of SUITE_FIXTURES) {
    if (only && !only.has(f) && !only.has(`torch/${f}`)) continue;
    const dir = join(root, "test", "fixtures", "torch", f);
    const file = join(dir, "model.onnx");
    const model = importOnnx(file);
    const set = readSequences(join(dir, "calib.npy"), { features: model.inputSize });
    const qm = quantizeModel(model, calibrate(model, set), { weights: "int8", cell: "int16" });
    const layers = model.layers.map((l) => `${l.direction === "bidirectional" ? "BiLSTM" : "LSTM"} ${l.inputSize}→${l.hiddenSize}`).join(", ");
    const head = model.head ? `, ${model.head.layers.map((d) => `Linear(${d.W.cols},${d.W.rows})${d.activation === "linear" ? "" : `+${d.activation}`}`).join(", ")} ${model.head.reads === "every" ? "every step" : "last step"}` : "";
    out.push({
      name: `torch/${f}`,
      description: `${layers}${head}`,
      qm,
      seq: benchSequence(qm, set, SUITE_STEPS),
      onnx: { bytes: readFileSync(file), input: model.inputName, batchFirst: model.source.conventions.some((c) => /\[batch, time, feature\]/.test(c)) },
    });
  }
  return out;
}

/** The first line of an error (plus the compiler's first diagnostic line, when there is one). */
function firstLines(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const diag = lines.find((l) => /error:/.test(l) && l !== lines[0]);
  return [lines[0]!.slice(0, 160), diag?.trim()].filter(Boolean).join(" … ");
}

export interface SuiteOptions {
  readonly mcu?: boolean;
  readonly wasm?: boolean;
  readonly only?: ReadonlySet<string>;
  readonly log?: (line: string) => void;
}

export async function runSuite(opts: SuiteOptions = {}): Promise<SuiteResult> {
  const log = opts.log ?? (() => undefined);
  const root = repoRoot();
  const list = subjects(root, opts.only);
  const results = list.map(() => ({ mcu: {} as Partial<Record<Mcu, McuResult>>, errors: [] as string[] }));
  // Compile time first, while nothing else runs and nothing is loaded yet (the first round is then a cold one).
  // The goal is stated for the largest size; it needs the Arm cross-compiler (the size report).
  const largest = list.find((s) => s.name === "lstm 40×128");
  let compileTime: CompileTime | undefined;
  if (largest && (opts.wasm ?? true) && (opts.mcu ?? true)) {
    compileTime = await measureCompileTime(largest.name, largest.qm);
    log(`${largest.name} compile (C + WebAssembly): first ${(compileTime.firstMs / 1000).toFixed(2)} s, then ${compileTime.warmMs.map((m) => (m / 1000).toFixed(2)).join(", ")} s`);
  }
  // Microcontrollers first: two emulations at a time (the suite's machine has 2 cores).
  const jobs = opts.mcu ?? true ? list.flatMap((s, k) => SUITE_MCUS.map((mcu) => ({ s, k, mcu }))) : [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      const t0 = performance.now();
      try {
        results[j.k]!.mcu[j.mcu] = await benchMcu(j.s.qm, { xq: j.s.seq.xq, steps: j.s.seq.steps }, j.mcu);
        log(`${j.s.name} ${j.mcu}: ${Math.round(results[j.k]!.mcu[j.mcu]!.instructionsPerStep)} instructions/step (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        // One failed build must not lose the rest of the suite: the report shows the failure.
        const msg = firstLines(e);
        results[j.k]!.errors.push(`${j.mcu}: ${msg}`);
        log(`${j.s.name} ${j.mcu}: FAILED: ${msg}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);

  const before = loadavg()[0]!;
  const models: SuiteModel[] = [];
  for (const [k, s] of list.entries()) {
    let wasm;
    let nativeFloor: NativeFloor | { readonly skipped: string } | undefined;
    if (opts.wasm ?? true) {
      const t0 = performance.now();
      try {
        wasm = await benchWasm(s.qm, s.seq.x, s.seq.xq, s.seq.steps, s.onnx);
        const simdNode = wasm.ratios.find((q) => q.engine === "lstm-gen simd" && q.versus === "onnxruntime-node");
        log(`${s.name} wasm: SIMD / onnxruntime-node step ${simdNode?.step?.toFixed(2) ?? "—"}, sequence ${simdNode?.sequence.toFixed(2) ?? "—"} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        const msg = firstLines(e);
        results[k]!.errors.push(`wasm: ${msg}`);
        log(`${s.name} wasm: FAILED: ${msg}`);
      }
      if (wasm && s.cmsisKey) {
        const [I, H] = s.cmsisKey.split("x").map(Number);
        try {
          nativeFloor = await measureNativeFloor(I!, H!);
          if ("plain128Us" in nativeFloor) log(`${s.name} native dot products: 128-bit ${Math.min(nativeFloor.plain128Us, nativeFloor.unrolled128Us).toFixed(3)} µs, 256-bit ${nativeFloor.avx256Us.toFixed(3)} µs per step`);
        } catch (e) {
          const msg = firstLines(e);
          results[k]!.errors.push(`native floor: ${msg}`);
          log(`${s.name} native floor: FAILED: ${msg}`);
        }
      }
    }
    const { errors } = results[k]!;
    models.push({
      name: s.name,
      description: s.description,
      ...(s.cmsisKey ? { cmsisKey: s.cmsisKey } : {}),
      mcu: results[k]!.mcu,
      ...(wasm ? { wasm } : {}),
      ...(nativeFloor ? { nativeFloor } : {}),
      ...(errors.length ? { errors } : {}),
    });
  }
  const after = loadavg()[0]!;
  const anyMcu = (mcu: Mcu) => models.map((m) => m.mcu[mcu]).find((x) => x !== undefined);
  const compilers: Record<string, string> = {};
  const arm = anyMcu("cortex-m4") ?? anyMcu("cortex-m0");
  const rv = anyMcu("rv32imc");
  const xt = anyMcu("xtensa-lx106");
  if (arm) compilers.arm = arm.compiler;
  if (rv) compilers.riscv = rv.compiler;
  if (xt) compilers.xtensa = xt.compiler;
  return {
    version: VERSION,
    node: process.versions.node,
    compilers,
    weights: "int8",
    cell: "int16",
    steps: SUITE_STEPS,
    models,
    loadAverage: { before, after },
    cpus: cpus().length,
    ...(compileTime ? { compileTime } : {}),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const arg = (name: string) => {
    const k = argv.indexOf(name);
    return k >= 0 ? argv[k + 1] : undefined;
  };
  const outDir = resolve(arg("--out") ?? join(repoRoot(), "docs"));
  const onlyArg = arg("--only");
  const only = onlyArg ? new Set(onlyArg.split(",").map((x) => x.trim())) : undefined;
  const t0 = performance.now();
  const result = await runSuite({ mcu: !argv.includes("--no-mcu"), wasm: !argv.includes("--no-wasm"), ...(only ? { only } : {}), log: (l) => console.log(l) });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "benchmarks.md"), renderMarkdown(result));
  writeFileSync(join(outDir, "benchmarks.svg"), renderSvg(result));
  const jsonFile = arg("--json");
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${join(outDir, "benchmarks.md")} and benchmarks.svg in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    console.error(`lstm-gen bench suite: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  }
}
