/**
 * Models for the C target's tests: the PyTorch fixtures (test/fixtures/torch/<name>/) imported, calibrated and
 * quantized exactly as the CLI does, and small synthetic models that exercise the features the fixtures lack
 * (peepholes, clip, coupled gates, reverse and stacked bidirectional layers, ReLU and hard-sigmoid activations,
 * int16 weights, int32 cells, 64-bit accumulators, dense chains, no head). Everything is seeded.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readSequences } from "../../compiler/data/read.js";
import type { SequenceSet } from "../../compiler/data/sequences.js";
import { quantizeInput } from "../../compiler/golden/golden.js";
import { importOnnx } from "../../compiler/import/onnx/index.js";
import type { Activation, DenseActivation, Direction, HeadReads, LstmCell, LstmLayer, Model } from "../../compiler/ir/model.js";
import { calibrate } from "../../compiler/quantize/calibrate.js";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { quantizeModel, type QuantizeOptions } from "../../compiler/quantize/quantize.js";

export const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;
export type FixtureName = (typeof FIXTURES)[number];

export const FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures", "torch");

export interface IntSeq {
  readonly xq: Int16Array;
  readonly steps: number;
}

export interface LoadedModel {
  readonly qm: QuantizedModel;
  /** input.npy, quantized. */
  readonly seqs: readonly IntSeq[];
  /** long_input.npy, quantized (streaming fixtures only). */
  readonly long?: readonly IntSeq[];
}

function quantized(qm: QuantizedModel, set: SequenceSet): IntSeq[] {
  return set.sequences.map((s) => ({ xq: quantizeInput(qm, s.data), steps: s.steps }));
}

export function loadFixture(name: FixtureName, opts: QuantizeOptions = {}): LoadedModel {
  const dir = join(FIXTURE_DIR, name);
  const model = importOnnx(join(dir, "model.onnx"));
  const calib = readSequences(join(dir, "calib.npy"), { features: model.inputSize });
  const qm = quantizeModel(model, calibrate(model, calib), opts);
  const seqs = quantized(qm, readSequences(join(dir, "input.npy"), { features: model.inputSize }));
  const longFile = join(dir, "long_input.npy");
  if (!existsSync(longFile)) return { qm, seqs };
  return { qm, seqs, long: quantized(qm, readSequences(longFile, { features: model.inputSize })) };
}

/** Deterministic PRNG (mulberry32). */
export { prng as rng } from "../../compiler/prng.js";
import { prng as rng } from "../../compiler/prng.js";

export interface SynthLayer {
  readonly hidden: number;
  readonly direction?: Direction;
  readonly peephole?: boolean;
  readonly clip?: number;
  readonly inputForget?: boolean;
  readonly gate?: Activation;
  readonly cell?: Activation;
  readonly hiddenAct?: Activation;
  readonly initialState?: boolean;
}

export interface SynthSpec {
  readonly name: string;
  readonly seed: number;
  readonly inputSize: number;
  readonly layers: readonly SynthLayer[];
  readonly head?: { readonly reads: HeadReads; readonly layers: readonly { readonly rows: number; readonly activation: DenseActivation }[] };
  /** Weight scale (larger saturates more). */
  readonly weightScale?: number;
  /** Per-feature input amplitude of the calibration data. */
  readonly inputRange?: readonly number[];
  readonly quantize?: QuantizeOptions;
}

function mat(rand: () => number, rows: number, cols: number, s: number) {
  const data = new Float64Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = (rand() * 2 - 1) * s;
  return { rows, cols, data };
}

function vec(rand: () => number, n: number, s: number): Float64Array {
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) v[k] = (rand() * 2 - 1) * s;
  return v;
}

/** A random float model per `spec`, calibrated on random data and quantized. */
export function synthModel(spec: SynthSpec): { qm: QuantizedModel; model: Model; calib: SequenceSet } {
  const rand = rng(spec.seed);
  const ws = spec.weightScale ?? 0.6;
  let width = spec.inputSize;
  const layers: LstmLayer[] = spec.layers.map((L, l) => {
    const direction = L.direction ?? "forward";
    const dirs = direction === "bidirectional" ? 2 : 1;
    const cells: LstmCell[] = Array.from({ length: dirs }, () => {
      const gate = (name: string) => ({
        W: mat(rand, L.hidden, width, ws),
        R: mat(rand, L.hidden, L.hidden, ws),
        bias: vec(rand, L.hidden, name === "forget" ? 1.5 : 0.5),
      });
      return {
        gates: { input: gate("input"), forget: gate("forget"), cell: gate("cell"), output: gate("output") },
        ...(L.peephole ? { peephole: { input: vec(rand, L.hidden, 0.5), forget: vec(rand, L.hidden, 0.5), output: vec(rand, L.hidden, 0.5) } } : {}),
        activations: { gate: L.gate ?? { kind: "sigmoid" }, cell: L.cell ?? { kind: "tanh" }, hidden: L.hiddenAct ?? { kind: "tanh" } },
        ...(L.initialState ? { initialH: vec(rand, L.hidden, 0.5), initialC: vec(rand, L.hidden, 1) } : {}),
      };
    });
    const layer: LstmLayer = {
      kind: "lstm",
      name: `synth*/layer\n${l}`,
      inputSize: width,
      hiddenSize: L.hidden,
      direction,
      cells,
      inputForget: L.inputForget ?? false,
      ...(L.clip !== undefined ? { clip: L.clip } : {}),
    };
    width = L.hidden * dirs;
    return layer;
  });
  const headLayers = (spec.head?.layers ?? []).map((d, k) => {
    const W = mat(rand, d.rows, width, ws);
    width = d.rows;
    return { name: `dense ${k} \u00e9`, W, bias: vec(rand, d.rows, 0.3), activation: d.activation };
  });
  const model: Model = {
    inputName: "x",
    inputSize: spec.inputSize,
    layers,
    ...(spec.head ? { head: { reads: spec.head.reads, layers: headLayers } } : {}),
    outputs: [{ name: "y", source: spec.head ? { kind: "head" } : { kind: "sequence", layer: layers.length - 1, mergeDirections: true }, axes: ["batch", "time", "unit"] }],
    source: { format: "synthetic", file: `${spec.name}.synthetic`, conventions: [] },
  };
  const calib = randomSet(spec.inputSize, 6, 24, spec.inputRange ?? [], rand);
  const qm = quantizeModel(model, calibrate(model, calib), spec.quantize ?? {});
  return { qm, model, calib };
}

function randomSet(features: number, n: number, steps: number, range: readonly number[], rand: () => number): SequenceSet {
  const sequences = Array.from({ length: n }, () => {
    const data = new Float64Array(steps * features);
    for (let k = 0; k < data.length; k++) data[k] = (rand() * 2 - 1) * (range[k % features] ?? 1);
    return { steps, data };
  });
  return { file: "synthetic", features, sequences };
}

/** Random int16 sequences; `extreme` mixes in ±32767/−32768 full-scale values and long saturated runs. */
export function intSequences(qm: QuantizedModel, count: number, steps: number, seed: number, extreme = false): IntSeq[] {
  const rand = rng(seed);
  const I = qm.input.size;
  return Array.from({ length: count }, (_, n) => {
    const T = typeof steps === "number" ? Math.max(1, steps - (n % 3)) : steps;
    const xq = new Int16Array(T * I);
    for (let k = 0; k < xq.length; k++) {
      const u = rand();
      if (!extreme) xq[k] = Math.round((u * 2 - 1) * 12000);
      else if (n % 4 === 0) xq[k] = (Math.floor(k / I) >> 2) % 2 === 0 ? 32767 : -32768;
      else xq[k] = u < 0.35 ? 32767 : u < 0.7 ? -32768 : u < 0.8 ? -32767 : Math.round((rand() * 2 - 1) * 32767);
    }
    return { xq, steps: T };
  });
}
