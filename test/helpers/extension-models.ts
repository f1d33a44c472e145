/**
 * Models using the IR extensions of docs/fixed-point.md §7.3 (input dense layers) and §7.4 (flattening head), for
 * the C and WASM target tests: the real models (RTNeural lstm.json, the tflite-micro MNIST LSTM) and small random
 * ones, each with int16 test sequences (exactly T steps for flattening heads).
 */
import { readFileSync } from "node:fs";
import type { SequenceSet } from "../../compiler/data/sequences.js";
import { quantizeInput } from "../../compiler/golden/golden.js";
import { loadModel } from "../../compiler/import/index.js";
import type { Model } from "../../compiler/ir/model.js";
import { calibrate } from "../../compiler/quantize/calibrate.js";
import type { QuantizedModel, WeightMode } from "../../compiler/quantize/qmodel.js";
import { quantizeModel } from "../../compiler/quantize/quantize.js";
import { randomModel, randomSequences, type ModelSpec } from "../golden-helpers.js";
import { decodeGrayPng, shared } from "../import-helpers.js";
import { rng, type IntSeq } from "./c-models.js";

const RT = "jatinchowdhury18__RTNeural";
const MNIST = "tensorflow__tflite-micro/tensorflow/lite/micro/examples/mnist_lstm";

/** Random int16 sequences of exactly `steps` steps; `extreme` mixes in full-scale values. */
export function fixedSequences(qm: QuantizedModel, count: number, steps: number, seed: number, extreme = false): IntSeq[] {
  const rand = rng(seed);
  const I = qm.input.size;
  return Array.from({ length: count }, () => {
    const xq = new Int16Array(steps * I);
    for (let k = 0; k < xq.length; k++) {
      const u = rand();
      xq[k] = !extreme ? Math.round((u * 2 - 1) * 12000) : u < 0.35 ? 32767 : u < 0.7 ? -32768 : Math.round((rand() * 2 - 1) * 32767);
    }
    return { xq, steps };
  });
}

export interface Case {
  readonly label: string;
  readonly load: () => Promise<{ qm: QuantizedModel; seqs: IntSeq[] }>;
  /** No recurrent layer (the WASM target needs one). */
  readonly headOnly?: boolean;
}

async function rtneural(weights: WeightMode) {
  const model = await loadModel(shared(`${RT}/models/lstm.json`));
  const x = Float64Array.from(readFileSync(shared(`${RT}/test_data/lstm_x_python.csv`), "utf8").trim().split("\n").map(Number));
  const qm = quantizeModel(model, calibrate(model, { file: "x.csv", features: 1, sequences: [{ steps: x.length, data: x }] }), { weights });
  return { qm, seqs: [{ xq: quantizeInput(qm, x), steps: x.length }, ...fixedSequences(qm, 2, 30, 11, true)] };
}

async function mnist(weights: WeightMode) {
  const model = await loadModel(shared(`${MNIST}/trained_lstm.tflite`));
  const samples = Array.from({ length: 10 }, (_, d) => Float64Array.from(decodeGrayPng(readFileSync(shared(`${MNIST}/samples/sample${d}.png`))).pixels, (p) => p / 255));
  const set: SequenceSet = { file: "samples", features: 28, sequences: samples.map((data) => ({ steps: 28, data })) };
  const qm = quantizeModel(model, calibrate(model, set), { weights });
  return { qm, seqs: [...samples.slice(0, 4).map((s) => ({ xq: quantizeInput(qm, s), steps: 28 })), ...fixedSequences(qm, 2, 28, 12, true)] };
}

function synth(spec: ModelSpec, weights: WeightMode, cell: "int16" | "int32", steps: number) {
  const model: Model = randomModel(spec);
  const ranges = Array.from({ length: spec.inputSize }, (_, k) => 0.5 + k);
  const qm = quantizeModel(model, calibrate(model, randomSequences(spec.seed + 1, ranges, 3, steps)), { weights, cell });
  const seqs = [
    ...randomSequences(spec.seed + 2, ranges, 2, steps).sequences.map((s) => ({ xq: quantizeInput(qm, s.data), steps })),
    ...fixedSequences(qm, 2, steps, spec.seed + 3, true),
  ];
  return Promise.resolve({ qm, seqs });
}

const lstm = (hidden: number, direction: "forward" | "bidirectional" = "forward") => ({
  hidden,
  direction,
  peephole: false,
  inputForget: false,
  gate: "sigmoid" as const,
  cell: "tanh" as const,
  hiddenAct: "tanh" as const,
  initialState: false,
});

export const CASES: Case[] = [
  { label: "RTNeural lstm.json, int8", load: () => rtneural("int8") },
  { label: "RTNeural lstm.json, int16", load: () => rtneural("int16") },
  { label: "MNIST LSTM (flatten 28 x 20), int8: 32-bit accumulators", load: () => mnist("int8") },
  { label: "MNIST LSTM (flatten 28 x 20), int16: 64-bit accumulators with a pre-shift", load: () => mnist("int16") },
  {
    label: "two input dense layers (relu, softmax) -> 2 LSTMs -> every-step head",
    load: () =>
      synth(
        { seed: 31, inputSize: 3, inputDense: [{ size: 5, activation: "relu" }, { size: 4, activation: "softmax" }], layers: [lstm(4), lstm(3)], head: { reads: "every", dense: [{ size: 2, activation: "linear" }] }, weightScale: 2 },
        "int8",
        "int16",
        9,
      ),
  },
  {
    label: "input dense (linear) -> bidirectional LSTM -> flatten head (whole-sequence build)",
    load: () =>
      synth(
        { seed: 32, inputSize: 2, inputDense: [{ size: 3, activation: "linear" }], layers: [lstm(3, "bidirectional")], head: { reads: "flatten", steps: 7, dense: [{ size: 4, activation: "tanh" }, { size: 2, activation: "softmax" }] }, weightScale: 0.5 },
        "int16",
        "int32",
        7,
      ),
  },
  {
    label: "flatten head with relu and sigmoid layers, int8, int32 cells",
    load: () =>
      synth({ seed: 33, inputSize: 4, layers: [lstm(5)], head: { reads: "flatten", steps: 6, dense: [{ size: 3, activation: "relu" }, { size: 2, activation: "sigmoid" }] }, weightScale: 8 }, "int8", "int32", 6),
  },
  {
    label: "input dense only (no LSTM), every-step head",
    headOnly: true,
    load: () => synth({ seed: 34, inputSize: 3, inputDense: [{ size: 4, activation: "tanh" }], layers: [], head: { reads: "every", dense: [{ size: 2, activation: "linear" }] }, weightScale: 2 }, "int8", "int16", 5),
  },
];

