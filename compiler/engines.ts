/**
 * The engines behind `lstm-gen run`. Every engine turns a set of input sequences into one `SequenceRun` per
 * sequence (float values, dequantized for the integer engines); `assembleOutputs` then lays them out as the
 * model's graph outputs, so every engine prints the same `--json` form.
 *
 * - float:  the float64 reference (compiler/reference);
 * - fixed:  the integer golden model (compiler/golden), the specification of the integer targets;
 * - c, qemu:<mcu>: the generated C, compiled and run on the host or under QEMU (targets/c);
 * - wasm:   the generated WebAssembly module (targets/wasm), scalar or with `simd`.
 */
import type { SequenceSet } from "./data/sequences.js";
import { usageError } from "./errors.js";
import { dequantizeRun, quantizeInput, runGolden } from "./golden/golden.js";
import type { IntSequenceRun } from "./golden/types.js";
import type { Model } from "./ir/model.js";
import type { QuantizedModel } from "./quantize/qmodel.js";
import { runSequence, type SequenceRun } from "./reference/float.js";
import { assembleOutputs, type OutputTensor } from "./reference/outputs.js";
import { runCEngine, type CEngine } from "../targets/c/engine.js";
import { runWasmEngine } from "../targets/wasm/engine.js";

export const C_ENGINES = ["c", "qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc", "qemu:xtensa-lx106"] as const;
export const ENGINES = ["float", "fixed", ...C_ENGINES, "wasm"] as const;
export type EngineName = (typeof ENGINES)[number];

export function parseEngine(name: string): EngineName {
  if (!(ENGINES as readonly string[]).includes(name)) {
    throw usageError(`unknown engine '${name}'; engines: ${ENGINES.join(", ")}`);
  }
  return name as EngineName;
}

export function isIntegerEngine(e: EngineName): boolean {
  return e !== "float";
}

export interface EngineOptions {
  /** c: build with the address and undefined-behaviour sanitizers. */
  readonly sanitize?: boolean;
  /** wasm: the WebAssembly SIMD build. */
  readonly simd?: boolean;
}

/**
 * An integer target returns only the model output, which must equal the golden model's bit for bit. Graph outputs
 * are built from the target's values only: the head output, or (without a head) the last layer's hidden sequence.
 * Outputs that need other states (a final cell state, an inner layer) are refused rather than silently taken from
 * the golden model.
 */
function targetRun(model: Model, engine: EngineName, golden: IntSequenceRun, output: Int16Array): IntSequenceRun {
  const lastLayer = model.layers.length - 1;
  for (const o of model.outputs) {
    const s = o.source;
    const fromOutput = s.kind === "head" || (!model.head && s.kind === "sequence" && s.layer === lastLayer);
    if (!fromOutput) {
      throw usageError(`engine '${engine}' computes only the model's output; graph output '${o.name}' needs --engine fixed`);
    }
  }
  if (model.head) return { ...golden, output };
  const layers = golden.layers.map((l, k) => (k === lastLayer ? { ...l, output } : l));
  return { ...golden, layers, output };
}

export async function runEngine(
  engine: EngineName,
  model: Model,
  set: SequenceSet,
  qm: QuantizedModel | undefined,
  opts: EngineOptions = {},
): Promise<OutputTensor[]> {
  let runs: SequenceRun[];
  if (engine === "float") {
    runs = set.sequences.map((s) => runSequence(model, s.data, s.steps));
  } else {
    if (!qm) throw usageError(`engine '${engine}' needs a quantized model`);
    const golden = set.sequences.map((s) => runGolden(qm, quantizeInput(qm, s.data), s.steps));
    let ints = golden;
    if (engine !== "fixed") {
      const seqs = golden.map((g) => ({ xq: g.input, steps: g.steps }));
      const outs =
        engine === "wasm"
          ? await runWasmEngine(qm, seqs, { simd: opts.simd ?? false })
          : await runCEngine(qm, seqs, engine as CEngine, { sanitize: opts.sanitize ?? false });
      ints = golden.map((g, k) => targetRun(model, engine, g, outs[k]!));
    }
    runs = ints.map((r) => dequantizeRun(qm, r));
  }
  return assembleOutputs(model, runs, set.file);
}
