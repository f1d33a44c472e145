/**
 * The valid files the fuzzer starts from: the PyTorch fixtures (real torch.onnx.export graphs and their .npy
 * inputs) and small ONNX models built here that exercise what the fixtures do not (peepholes, initial state,
 * clip, layout 1, bidirectional, activations with parameters, a Gemm + Softmax head, sequence_lens). Data
 * seeds are each fixture's input in .npy, .json and .csv form.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { onnx as ox } from "onnx-proto";
import { writeNpy } from "../../compiler/data/npy.js";
import { TORCH } from "../helpers/cli.js";
import { INT64, lstmAttributes, modelBytes, node, prng, tensor, uniform, valueInfo, type AttrValue } from "../helpers/onnx-build.js";

export interface ModelSeed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Features per step of the data input. */
  readonly inputSize: number;
  /** A valid input for it (.npy bytes). */
  readonly input: Uint8Array;
}

export interface DataSeed {
  readonly name: string;
  readonly ext: ".npy" | ".json" | ".csv";
  readonly bytes: Uint8Array;
}

/** A model the data cases run (one of the fixtures) with its valid input and data seeds. */
export interface DataTarget {
  readonly model: ModelSeed;
  readonly data: readonly DataSeed[];
}

export interface Corpus {
  readonly models: readonly ModelSeed[];
  readonly targets: readonly DataTarget[];
}

export const TORCH_NAMES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;

/** At most `n` sequences of at most `t` steps of an [N, T, I] .npy: keeps the seeds (and the cases) small. */
function smallNpy(bytes: Uint8Array, n: number, t: number): { data: Float64Array; shape: [number, number, number] } {
  const header = Buffer.from(bytes.subarray(10, 10 + (bytes[8]! | (bytes[9]! << 8)))).toString("latin1");
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1]!.split(",").filter((s) => s.trim()).map(Number);
  const [N, T, I] = (shape.length === 3 ? shape : [1, ...shape]) as [number, number, number];
  const f4 = header.includes("<f4");
  const start = 10 + (bytes[8]! | (bytes[9]! << 8));
  const view = new DataView(bytes.buffer, bytes.byteOffset + start);
  const nn = Math.min(N, n);
  const tt = Math.min(T, t);
  const out = new Float64Array(nn * tt * I);
  for (let s = 0; s < nn; s++) {
    for (let k = 0; k < tt * I; k++) {
      const idx = s * T * I + k;
      out[s * tt * I + k] = f4 ? view.getFloat32(idx * 4, true) : view.getFloat64(idx * 8, true);
    }
  }
  return { data: out, shape: [nn, tt, I] };
}

function toJson(data: Float64Array, [N, T, I]: readonly number[]): string {
  const seqs = Array.from({ length: N! }, (_, s) =>
    Array.from({ length: T! }, (_, t) => Array.from(data.subarray((s * T! + t) * I!, (s * T! + t + 1) * I!))),
  );
  return JSON.stringify(N === 1 ? seqs[0] : seqs);
}

function toCsv(data: Float64Array, [N, T, I]: readonly number[]): string {
  const lines: string[] = [Array.from({ length: I! }, (_, k) => `x${k}`).join(",")];
  for (let s = 0; s < N!; s++) {
    if (s > 0) lines.push("");
    for (let t = 0; t < T!; t++) lines.push(Array.from(data.subarray((s * T! + t) * I!, (s * T! + t + 1) * I!)).join(","));
  }
  return lines.join("\n") + "\n";
}

const text = (s: string) => new TextEncoder().encode(s);

function randomInput(seed: number, n: number, t: number, features: number): Uint8Array {
  const rand = prng(seed);
  return writeNpy(Float64Array.from(uniform(rand, n * t * features, 1)), [n, t, features], "<f4");
}

interface SmallSpec {
  readonly name: string;
  readonly seed: number;
  readonly I: number;
  readonly H: number;
  readonly direction?: "forward" | "reverse" | "bidirectional";
  readonly layout?: 0 | 1;
  readonly clip?: number;
  readonly peepholes?: boolean;
  readonly initialState?: boolean;
  readonly activations?: readonly string[];
  readonly alpha?: readonly number[];
  readonly beta?: readonly number[];
  readonly inputForget?: boolean;
  /** Add a Gemm (+ Softmax) head on Y_h. */
  readonly head?: "gemm" | "softmax";
  readonly sequenceLens?: boolean;
}

/** One LSTM node (optionally with a dense head on the final hidden state). */
function smallModel(s: SmallSpec): ModelSeed {
  const rand = prng(s.seed);
  const D = s.direction === "bidirectional" ? 2 : 1;
  const { I, H } = s;
  const layout = s.layout ?? 0;
  const inits: ox.ITensorProto[] = [
    tensor("W", [D, 4 * H, I], uniform(rand, D * 4 * H * I, 0.5)),
    tensor("R", [D, 4 * H, H], uniform(rand, D * 4 * H * H, 0.5)),
    tensor("B", [D, 8 * H], uniform(rand, D * 8 * H, 0.5)),
  ];
  const inputs = ["X", "W", "R", "B", "", "", "", ""];
  const graphInputs = [valueInfo("X", layout === 0 ? ["T", "batch", I] : ["batch", "T", I])];
  if (s.sequenceLens) {
    graphInputs.push(valueInfo("seq_lens", ["batch"], 6));
    inputs[4] = "seq_lens";
  }
  if (s.initialState) {
    const dims = layout === 0 ? [D, 1, H] : [1, D, H];
    inits.push(tensor("h0", dims, uniform(rand, D * H, 0.5)), tensor("c0", dims, uniform(rand, D * H, 0.5)));
    inputs[5] = "h0";
    inputs[6] = "c0";
  }
  if (s.peepholes) {
    inits.push(tensor("P", [D, 3 * H], uniform(rand, D * 3 * H, 0.5)));
    inputs[7] = "P";
  }
  while (inputs[inputs.length - 1] === "") inputs.pop();
  const attrs = lstmAttributes(H, layout, s);
  const hDims = layout === 0 ? [D, "batch", H] : ["batch", D, H];
  const nodes = [node("LSTM", inputs, ["Y", "Y_h", "Y_c"], attrs, "lstm")];
  let outputs = [valueInfo("Y", layout === 0 ? ["T", D, "batch", H] : ["batch", "T", D, H]), valueInfo("Y_h", hDims), valueInfo("Y_c", hDims)];
  if (s.head) {
    // Y_h [D, batch, H] → Transpose [batch, D, H] → Reshape [batch, D*H] → Gemm → (Softmax)
    inits.push(tensor("shape", [2], [0, -1], INT64), tensor("Wd", [3, D * H], uniform(rand, 3 * D * H, 0.5)), tensor("bd", [3], uniform(rand, 3, 0.5)));
    nodes.push(
      node("Transpose", ["Y_h"], ["ht"], { perm: { ints: layout === 0 ? [1, 0, 2] : [0, 1, 2] } }, "t"),
      node("Reshape", ["ht", "shape"], ["flat"], {}, "r"),
      node("Gemm", ["flat", "Wd", "bd"], [s.head === "softmax" ? "logits" : "y"], { transB: { i: 1 } }, "dense"),
    );
    if (s.head === "softmax") nodes.push(node("Softmax", ["logits"], ["y"], { axis: { i: -1 } }, "softmax"));
    outputs = [valueInfo("y", ["batch", 3])];
  }
  const bytes = new Uint8Array(modelBytes({ nodes, inputs: graphInputs, outputs, initializers: inits }));
  return { name: s.name, bytes, inputSize: I, input: randomInput(s.seed + 1000, 2, 5, I) };
}

const SMALL: readonly SmallSpec[] = [
  { name: "small-forward", seed: 1, I: 3, H: 4 },
  { name: "small-bidir-peep-state", seed: 2, I: 2, H: 3, direction: "bidirectional", peepholes: true, initialState: true, clip: 3 },
  { name: "small-layout1-reverse", seed: 3, I: 4, H: 2, direction: "reverse", layout: 1, inputForget: true },
  {
    name: "small-activations",
    seed: 4,
    I: 2,
    H: 3,
    activations: ["HardSigmoid", "LeakyRelu", "ScaledTanh"],
    alpha: [0.2, 0.1, 1.5],
    beta: [0.5, 0.7],
  },
  { name: "small-gemm-head", seed: 5, I: 3, H: 4, head: "gemm", sequenceLens: true },
  { name: "small-softmax-head", seed: 6, I: 2, H: 3, head: "softmax", direction: "bidirectional" },
];

let cached: Corpus | undefined;

export function loadCorpus(): Corpus {
  if (cached) return cached;
  const models: ModelSeed[] = [];
  const targets: DataTarget[] = [];
  for (const name of TORCH_NAMES) {
    const dir = join(TORCH, name);
    // Plain Uint8Arrays, not Buffers: a Buffer's slice() is a view, and mutations must not write into the corpus.
    const full = new Uint8Array(readFileSync(join(dir, "input.npy")));
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { inputSize: number };
    const { data, shape } = smallNpy(full, 3, 12);
    const input = writeNpy(data, [...shape], "<f4");
    const model: ModelSeed = { name: `torch-${name}`, bytes: new Uint8Array(readFileSync(join(dir, "model.onnx"))), inputSize: meta.inputSize, input };
    models.push(model);
    const one = smallNpy(full, 1, 6);
    targets.push({
      model,
      data: [
        { name: `${name}-input.npy`, ext: ".npy", bytes: input },
        { name: `${name}-f8.npy`, ext: ".npy", bytes: writeNpy(one.data, [one.shape[1], one.shape[2]], "<f8") },
        { name: `${name}-input.json`, ext: ".json", bytes: text(toJson(data, shape)) },
        { name: `${name}-one.json`, ext: ".json", bytes: text(JSON.stringify({ data: JSON.parse(toJson(one.data, one.shape)) as unknown })) },
        { name: `${name}-input.csv`, ext: ".csv", bytes: text(toCsv(data, shape)) },
      ],
    });
  }
  for (const s of SMALL) models.push(smallModel(s));
  cached = { models, targets };
  return cached;
}
