/**
 * The synthetic models of the C target's tests, as data (one entry per feature combination). Each is a random
 * float model quantized by the real quantizer (test/helpers/c-models.ts `synthModel`).
 */
import type { SynthSpec } from "./c-models.js";

export const SYNTH_SPECS: readonly SynthSpec[] = [
  {
    name: "peephole_clip_int32cell",
    seed: 11,
    inputSize: 3,
    layers: [{ hidden: 7, peephole: true, clip: 2.5 }],
    head: { reads: "every", layers: [{ rows: 2, activation: "linear" }] },
    quantize: { cell: "int32" },
  },
  {
    name: "coupled_hardsigmoid_relu",
    seed: 12,
    inputSize: 4,
    layers: [
      {
        hidden: 6,
        inputForget: true,
        gate: { kind: "hardSigmoid", alpha: 0.2, beta: 0.5 },
        cell: { kind: "relu" },
        hiddenAct: { kind: "relu" },
      },
    ],
    head: { reads: "last", layers: [{ rows: 5, activation: "relu" }, { rows: 3, activation: "softmax" }] },
  },
  {
    name: "reverse_final_int16w",
    seed: 13,
    inputSize: 2,
    layers: [{ hidden: 5, direction: "reverse", initialState: true }],
    head: { reads: "final", layers: [{ rows: 2, activation: "tanh" }] },
    quantize: { weights: "int16" },
  },
  {
    name: "stacked_bidir_every",
    seed: 14,
    inputSize: 3,
    layers: [{ hidden: 4, direction: "bidirectional" }, { hidden: 5 }, { hidden: 3, direction: "bidirectional", peephole: true }],
    head: { reads: "every", layers: [{ rows: 4, activation: "sigmoid" }, { rows: 3, activation: "relu" }, { rows: 2, activation: "linear" }] },
  },
  {
    // A head on the last step: the top layer keeps one output row and its backward direction runs one step.
    name: "stacked_bidir_last",
    seed: 21,
    inputSize: 3,
    layers: [{ hidden: 4, direction: "bidirectional" }, { hidden: 3, direction: "bidirectional", initialState: true, peephole: true }],
    head: { reads: "last", layers: [{ rows: 2, activation: "linear" }] },
  },
  {
    name: "bidir_reverse_top_last",
    seed: 20,
    inputSize: 2,
    layers: [{ hidden: 5, direction: "bidirectional" }, { hidden: 4, direction: "reverse", initialState: true }],
    head: { reads: "last", layers: [{ rows: 3, activation: "tanh" }] },
  },
  {
    name: "bidir_final_int32",
    seed: 15,
    inputSize: 2,
    layers: [{ hidden: 4, direction: "bidirectional", initialState: true, clip: 1.0 }],
    head: { reads: "final", layers: [{ rows: 3, activation: "softmax" }] },
    quantize: { cell: "int32", weights: "int16" },
  },
  {
    name: "no_head_stacked",
    seed: 16,
    inputSize: 5,
    layers: [{ hidden: 6, initialState: true }, { hidden: 4, gate: { kind: "hardSigmoid", alpha: 1 / 6, beta: 0.5 } }],
  },
  {
    name: "acc64_wide_int16",
    seed: 17,
    inputSize: 40,
    layers: [{ hidden: 48, peephole: true }],
    head: { reads: "last", layers: [{ rows: 70, activation: "relu" }, { rows: 4, activation: "softmax" }] },
    weightScale: 2,
    inputRange: [40, 1, 0.01, 5],
    quantize: { weights: "int16", cell: "int32" },
  },
  {
    name: "empty_head_last",
    seed: 18,
    inputSize: 2,
    layers: [{ hidden: 3, cell: { kind: "sigmoid" }, hiddenAct: { kind: "sigmoid" } }],
    head: { reads: "last", layers: [] },
  },
];

/**
 * Models only the C target's tests use: a head on the raw input without any recurrent layer (the quantizer and
 * the golden model accept it; other targets may not).
 */
export const C_EXTRA_SPECS: readonly SynthSpec[] = [
  {
    name: "head_only",
    seed: 19,
    inputSize: 4,
    layers: [],
    head: { reads: "every", layers: [{ rows: 6, activation: "relu" }, { rows: 3, activation: "softmax" }] },
    inputRange: [3, 0.5, 10, 1],
  },
];
