/**
 * Shared by the quantizer and golden-model tests: seeded random IR models (every feature the fixed-point path
 * supports) and random input sequences.
 */
import type { SequenceSet } from "../compiler/data/sequences.js";
import type { Activation, DenseActivation, DenseLayer, Direction, HeadReads, LstmCell, LstmLayer, Model } from "../compiler/ir/model.js";
import { layerOutputSize, matrix, validateModel } from "../compiler/ir/validate.js";
export { prng } from "../compiler/prng.js";
import { prng } from "../compiler/prng.js";
import type { GoldenProbe } from "../compiler/golden/golden.js";
import { rshr } from "../compiler/quantize/primitives.js";

const TWO31 = 2 ** 31;

export interface LayerSpec {
  readonly hidden: number;
  readonly direction: Direction;
  readonly peephole: boolean;
  readonly clip?: number;
  readonly inputForget: boolean;
  readonly gate: "sigmoid" | "hardSigmoid";
  readonly cell: "tanh" | "relu" | "sigmoid" | "hardSigmoid";
  readonly hiddenAct: "tanh" | "relu" | "sigmoid" | "hardSigmoid";
  /** Initial states drawn at random instead of zeros. */
  readonly initialState: boolean;
}

export interface ModelSpec {
  readonly seed: number;
  readonly inputSize: number;
  readonly layers: readonly LayerSpec[];
  /** Dense layers applied at every step before the first LSTM (`Model.inputDense`); undefined or empty: none. */
  readonly inputDense?: readonly { readonly size: number; readonly activation: DenseActivation }[];
  /** undefined: no head. `steps` is required for reads = flatten. */
  readonly head?: {
    readonly reads: HeadReads;
    readonly steps?: number;
    readonly dense: readonly { readonly size: number; readonly activation: DenseActivation }[];
  };
  /** Typical weight magnitude. */
  readonly weightScale: number;
}

function act(kind: LayerSpec["gate"] | LayerSpec["cell"], rnd: () => number): Activation {
  if (kind === "hardSigmoid") return rnd() < 0.5 ? { kind, alpha: 0.2, beta: 0.5 } : { kind, alpha: 1 / 6, beta: 0.5 };
  return { kind };
}

/** A random model following `spec`; weights uniform in ±weightScale/√fan-in-ish, biases and peepholes too. */
export function randomModel(spec: ModelSpec): Model {
  const rnd = prng(spec.seed);
  const u = (s: number) => (rnd() * 2 - 1) * s;
  const vec = (n: number, s: number) => Float64Array.from({ length: n }, () => u(s));
  let width = spec.inputSize;
  const inputDense: DenseLayer[] = (spec.inputDense ?? []).map((d, k) => {
    const W = matrix(d.size, width, vec(d.size * width, spec.weightScale));
    width = d.size;
    return { name: `in_dense_${k}`, W, bias: vec(d.size, spec.weightScale), activation: d.activation };
  });
  const layers: LstmLayer[] = spec.layers.map((ls, l) => {
    const H = ls.hidden;
    const I = width;
    const activations = { gate: act(ls.gate, rnd), cell: act(ls.cell, rnd), hidden: act(ls.hiddenAct, rnd) };
    const cells: LstmCell[] = Array.from({ length: ls.direction === "bidirectional" ? 2 : 1 }, () => {
      const gate = () => ({
        W: matrix(H, I, vec(H * I, spec.weightScale)),
        R: matrix(H, H, vec(H * H, spec.weightScale)),
        bias: vec(H, spec.weightScale),
      });
      const base: LstmCell = {
        gates: { input: gate(), forget: gate(), cell: gate(), output: gate() },
        activations,
        ...(ls.peephole ? { peephole: { input: vec(H, 1), forget: vec(H, 1), output: vec(H, 1) } } : {}),
        ...(ls.initialState ? { initialH: vec(H, 0.5), initialC: vec(H, 2) } : {}),
      };
      return base;
    });
    const layer: LstmLayer = {
      kind: "lstm",
      name: `lstm_${l}`,
      inputSize: I,
      hiddenSize: H,
      direction: ls.direction,
      cells,
      inputForget: ls.inputForget,
      ...(ls.clip !== undefined ? { clip: ls.clip } : {}),
    };
    width = layerOutputSize(layer);
    return layer;
  });
  let head: Model["head"];
  if (spec.head) {
    if (spec.head.reads === "flatten") width *= spec.head.steps!;
    const dense: DenseLayer[] = spec.head.dense.map((d, k) => {
      const W = matrix(d.size, width, vec(d.size * width, spec.weightScale));
      width = d.size;
      return { name: `dense_${k}`, W, bias: vec(d.size, spec.weightScale), activation: d.activation };
    });
    head = spec.head.reads === "flatten" ? { reads: "flatten", steps: spec.head.steps!, layers: dense } : { reads: spec.head.reads, layers: dense };
  }
  const outputs: Model["outputs"] = head
    ? [{ name: "y", source: { kind: "head" }, axes: head.reads === "every" ? ["batch", "time", "unit"] : ["batch", "unit"] }]
    : [{ name: "y", source: { kind: "sequence", layer: layers.length - 1, mergeDirections: true }, axes: ["batch", "time", "unit"] }];
  return validateModel({
    inputName: "x",
    inputSize: spec.inputSize,
    ...(inputDense.length > 0 ? { inputDense } : {}),
    layers,
    ...(head ? { head } : {}),
    outputs,
    source: { format: "test", file: `random-model-${spec.seed}`, conventions: [] },
  });
}

/** Random sequences: feature k uniform in ±ranges[k], occasionally spiking to ±spike·ranges[k]. */
export function randomSequences(seed: number, ranges: readonly number[], count: number, steps: number, spike = 1): SequenceSet {
  const rnd = prng(seed);
  const I = ranges.length;
  return {
    file: `random-data-${seed}`,
    features: I,
    sequences: Array.from({ length: count }, () => {
      const data = new Float64Array(steps * I);
      for (let j = 0; j < data.length; j++) {
        const r = ranges[j % I]!;
        const s = spike !== 1 && rnd() < 0.2 ? spike : 1;
        data[j] = (rnd() * 2 - 1) * r * s;
      }
      return { steps, data };
    }),
  };
}

/** Collects every §6 violation the probe sees, as readable strings (the test asserts the list is empty). */
export function boundsProbe(problems: string[]): GoldenProbe {
  const bad = (what: string, v: number) => {
    if (problems.length < 20) problems.push(`${what}: ${v}`);
  };
  const int = (v: number) => Number.isInteger(v);
  return {
    accumulator(m, acc) {
      if (!int(acc) || Math.abs(acc) > m.accBound) bad(`accumulator beyond accBound ${m.accBound}`, acc);
      if (Math.abs(rshr(acc, m.preShift)) > TWO31 - 1) bad(`rshr(acc, ${m.preShift}) beyond int32`, acc);
      if (m.accBits === 32 && m.accBound > TWO31 - 1) bad("accBits 32 with a bound beyond int32", m.accBound);
    },
    preActivationSum(v) {
      if (!int(v) || Math.abs(v) >= 3 * TWO31) bad("bias + y(W) + y(R) beyond 3·2^31", v);
    },
    peephole(layer, product, converted) {
      const pb = layer.cellBits === 16 ? 2 ** 30 : 2 ** 46;
      const cb = layer.cellBits === 16 ? 2 ** 46 : 2 ** 62;
      if (!int(product) || Math.abs(product) >= pb) bad("P·c beyond its bound", product);
      if (!int(converted) || Math.abs(converted) >= cb) bad("conv(P·c) beyond its bound", converted);
    },
    cellUpdate(layer, fcv, ig) {
      if (layer.cellBits === 16) {
        if (!int(fcv) || Math.abs(fcv) > 2 ** 30) bad("f·c beyond 2^30", fcv);
        if (!int(ig) || Math.abs(ig) > 2 ** 30) bad("conv(i·g) beyond 2^30", ig);
        if (Math.abs(fcv + ig) >= TWO31) bad("f·c + i·g beyond int32", fcv + ig);
      } else {
        if (!int(fcv) || Math.abs(fcv) >= 2 ** 46) bad("f·c beyond 2^46", fcv);
        if (!int(ig) || Math.abs(ig) >= 2 ** 46) bad("conv(i·g) beyond 2^46", ig);
      }
      if (layer.cellBits === 16 && layer.cFrac > layer.gFrac) bad("int16 cell with cFrac > gFrac", layer.cFrac);
    },
    hiddenProduct(_layer, oa) {
      if (!int(oa) || Math.abs(oa) >= 2 ** 30) bad("o·a beyond 2^30", oa);
    },
  };
}
