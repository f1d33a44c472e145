/**
 * `lstm-gen bench`: import → quantize → measure the generated code on one target.
 *
 * - cortex-m0 / cortex-m4 / cortex-m7 / rv32imc / xtensa-lx106: executed instructions per step, counted exactly under QEMU, and
 *   flash, RAM and worst stack from the real cross-compile (compiler/bench/mcu.ts);
 * - host: instructions per step under callgrind, and the median ns per step (compiler/bench/host.ts);
 * - wasm: µs per step and per sequence of the scalar and SIMD modules, and of onnxruntime-node and onnxruntime-web
 *   on the same ONNX model, as ratios (compiler/bench/wasm.ts).
 *
 * The measured sequence is the first `--steps` frames of the calibration data (or of the `--input-range` sweep).
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { Option, type Command } from "commander";
import { benchHost, type HostResult } from "../bench/host.js";
import { benchMcu, type McuResult } from "../bench/mcu.js";
import { benchSequence } from "../bench/sequence.js";
import { benchWasm, type OnnxSubject, type WasmResult } from "../bench/wasm.js";
import { usageError } from "../errors.js";
import type { Model } from "../ir/model.js";
import { rangeSweep, sweepSteps } from "../quantize/calibrate.js";
import type { Mcu } from "../../targets/c/toolchain.js";
import type { Io } from "./main.js";
import { addImportOptions, loadModelFromOptions, type ImportCliOptions } from "./import-options.js";
import { addQuantizeOptions, checkQuantizeOptions, quantizeFromOptions, type QuantizeCliOptions } from "./quantize-options.js";

export const BENCH_TARGETS = ["cortex-m0", "cortex-m4", "cortex-m7", "rv32imc", "xtensa-lx106", "wasm", "host"] as const;
export type BenchTarget = (typeof BENCH_TARGETS)[number];

export const DEFAULT_BENCH_STEPS = 20;

/** What `lstm-gen bench --json` prints. Exactly one of mcu, host, wasm is present (the one of `target`). */
export interface BenchReport {
  readonly schema: "lstm-gen-bench/1";
  readonly model: string;
  readonly target: BenchTarget;
  readonly weights: string;
  readonly cell: string;
  readonly steps: number;
  readonly mcu?: McuResult;
  readonly host?: HostResult;
  readonly wasm?: WasmResult;
}

interface BenchCliOptions extends QuantizeCliOptions, ImportCliOptions {
  readonly target: BenchTarget;
  readonly steps: string;
  readonly json?: boolean;
}

function parseSteps(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 4096) throw usageError(`--steps must be an integer from 1 to 4096, got '${v}'`);
  return n;
}

/** The ONNX model onnxruntime runs, when the model file is ONNX. */
function onnxSubject(file: string, model: Model): OnnxSubject | undefined {
  if (extname(file).toLowerCase() !== ".onnx") return undefined;
  return {
    bytes: readFileSync(file),
    input: model.inputName,
    batchFirst: model.source.conventions.some((c) => /\[batch, time, feature\]/.test(c)),
  };
}

const n = (v: number): string => Math.round(v).toLocaleString("en-US");
const us = (v: number | null): string => (v === null ? "—" : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} µs`);

export function formatBenchReport(r: BenchReport): string {
  const lines = [`${r.model} on ${r.target} (weights ${r.weights}, cell ${r.cell}; ${r.steps}-step sequence)`];
  if (r.mcu) {
    const m = r.mcu;
    const how = m.streaming ? "per <name>_step call" : "one <name>_run over the sequence, divided by its steps";
    lines.push(
      `  instructions per step  ${n(m.instructionsPerStep)}${m.streaming ? ` (min ${n(m.minStep)}, max ${n(m.maxStep)})` : ""}; ${how}; QEMU, executed instructions (not cycles)`,
      `  flash                  ${n(m.flashWeights + m.flashCode)} bytes (weights ${n(m.flashWeights)}, code ${n(m.flashCode)})`,
      `  RAM                    ${n(m.ramState + m.ramScratch)} bytes (state ${n(m.ramState)}, scratch ${n(m.ramScratch)}${m.streaming ? "" : `, sequences up to ${m.maxSteps} steps`})`,
      `  worst stack            ${n(m.stackWorst)} bytes`,
      `  compiler               ${m.compiler}`,
    );
  }
  if (r.host) {
    const h = r.host;
    lines.push(
      `  instructions per step  ${n(h.instructionsPerStep)} (valgrind --tool=callgrind; exact, repeatable)`,
      `  time per step          ${h.nsPerStep.toFixed(0)} ns (median; informational, depends on this machine and its load)`,
      `  compiler               ${h.compiler}`,
    );
  }
  if (r.wasm) {
    const w = r.wasm;
    lines.push(`  engine               per step   per sequence (${w.steps} steps); fastest of interleaved rounds`);
    for (const e of w.engines) lines.push(`  ${e.engine.padEnd(18)}${us(e.stepUs).padStart(11)}${us(e.sequenceUs).padStart(15)}`);
    if (w.ratios.length > 0) {
      lines.push("  ratios, time of lstm-gen / time of onnxruntime (< 1: lstm-gen is faster):");
      for (const q of w.ratios) {
        lines.push(`    ${q.engine} / ${q.versus}: step ${q.step === null ? "—" : q.step.toFixed(2)}, sequence ${q.sequence.toFixed(2)}`);
      }
    }
    for (const note of w.notes) lines.push(`  note: ${note}`);
    lines.push(`  one thread each, Node ${w.node}, load average ${w.loadAverage.toFixed(2)}: read the ratios, not the times`);
  }
  return lines.join("\n");
}

export function registerBench(program: Command, io: Io): void {
  const cmd = program
    .command("bench")
    .description("measure the generated code: instructions per step and sizes on a microcontroller (QEMU), host instructions (callgrind), or WebAssembly time against onnxruntime")
    .argument("<model>", "model file")
    .addOption(new Option("--target <target>", "where to measure").choices([...BENCH_TARGETS]).makeOptionMandatory())
    .option("--steps <n>", "length of the measured sequence (frames of the calibration data)", String(DEFAULT_BENCH_STEPS))
    .option("--json", "print the report as JSON");
  addImportOptions(addQuantizeOptions(cmd)).action(async (file: string, o: BenchCliOptions) => {
    const steps = parseSteps(o.steps);
    checkQuantizeOptions(o);
    const model = await loadModelFromOptions(file, o);
    const { qm, calibrationData } = quantizeFromOptions(model, o);
    const data = calibrationData ?? rangeSweep(model.inputSize, ...rangeOf(o.inputRange!), sweepSteps(model));
    const seq = benchSequence(qm, data, steps);
    const base = { schema: "lstm-gen-bench/1", model: basename(file), target: o.target, weights: qm.weights, cell: qm.cell, steps } as const;
    let report: BenchReport;
    if (o.target === "wasm") {
      report = { ...base, wasm: await benchWasm(qm, seq.x, seq.xq, steps, onnxSubject(file, model)) };
    } else if (o.target === "host") {
      report = { ...base, host: await benchHost(qm, seq) };
    } else {
      report = { ...base, mcu: await benchMcu(qm, seq, o.target satisfies Mcu) };
    }
    io.out((o.json ? JSON.stringify(report, null, 2) : formatBenchReport(report)) + "\n");
  });
}

function rangeOf(spec: string): [number, number] {
  const [lo, hi] = spec.split(",").map(Number);
  return [lo!, hi!];
}
