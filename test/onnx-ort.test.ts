/**
 * ONNX LSTM models built here with seeded random weights, run by onnxruntime-node and by lstm-gen
 * (importOnnx → runSequence per batch entry → assembleOutputs). Covers every LSTM attribute and the graph glue
 * that torch.onnx.export and tf2onnx produce.
 *
 * Tolerance: |lstm-gen − onnxruntime| ≤ 1e-5 · max(1, |value|). onnxruntime computes in float32 (its sigmoid and
 * tanh are float32 approximations, with relative error around 1e-7) and lstm-gen's reference in float64; over
 * 20–50 steps the difference stays near 1e-6. The relative part only matters for the unbounded activations
 * (Relu, Affine, …), whose states can grow beyond 1.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { Model } from "../compiler/ir/model.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { runSequence } from "../compiler/reference/float.js";
import { assembleOutputs } from "../compiler/reference/outputs.js";
import {
  INT32,
  INT64,
  moveAxisToFront,
  modelBytes,
  permute,
  node,
  prng,
  splitBatch,
  tensor,
  uniform,
  valueInfo,
  lstmAttributes,
  type AttrValue,
} from "./helpers/onnx-build.js";
import type { onnx as ox } from "onnx-proto";

const REL_TOL = 1e-5;
const maxErrors: Record<string, number> = {};

interface OrtResult {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, OrtResult>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await session.run(feeds);
    const res: Record<string, OrtResult> = {};
    for (const [k, v] of Object.entries(out)) res[k] = { dims: [...v.dims].map(Number), data: v.data as Float32Array };
    return res;
  } finally {
    await session.release();
  }
}

/** Import, run lstm-gen's reference per batch entry and compare every graph output with onnxruntime's. */
function compare(
  label: string,
  model: Model,
  x: Float32Array,
  xDims: readonly number[],
  xAxes: readonly ("batch" | "time" | "feature")[],
  ortOut: Record<string, OrtResult>,
  batchAxes: Record<string, number>,
): number {
  const runs = splitBatch(x, xDims, xAxes).map((s) => runSequence(model, s.data, s.steps));
  const got = assembleOutputs(model, runs, label);
  let worst = 0;
  for (const o of got) {
    const ref = ortOut[o.name];
    expect(ref, `onnxruntime output ${o.name}`).toBeDefined();
    const want = moveAxisToFront(ref!.data, ref!.dims, batchAxes[o.name] ?? 0);
    expect(o.shape, `${label}: shape of ${o.name}`).toEqual(want.shape);
    for (let k = 0; k < want.data.length; k++) {
      const w = want.data[k]!;
      const err = Math.abs(o.data[k]! - w) / Math.max(1, Math.abs(w));
      if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
    }
  }
  maxErrors[label] = worst;
  expect(worst, `${label}: max scaled error`).toBeLessThan(REL_TOL);
  return worst;
}

interface LstmSpec {
  readonly name: string;
  readonly seed: number;
  readonly I: number;
  readonly H: number;
  readonly T: number;
  readonly B?: number;
  readonly direction?: "forward" | "reverse" | "bidirectional";
  readonly layout?: 0 | 1;
  readonly clip?: number;
  readonly inputForget?: boolean;
  readonly peepholes?: boolean;
  readonly bias?: boolean;
  readonly initialState?: boolean;
  /** "input": a graph input fed with T for every entry; "const": an initializer equal to T (static T). */
  readonly sequenceLens?: "input" | "const";
  readonly activations?: readonly string[];
  readonly alpha?: readonly number[];
  readonly beta?: readonly number[];
  readonly weightScale?: number;
}

/** One LSTM node with all outputs; returns the model bytes and the feeds for onnxruntime. */
function singleLstm(s: LstmSpec): { bytes: Uint8Array; feeds: Record<string, ort.Tensor>; x: Float32Array; xDims: number[] } {
  const rand = prng(s.seed);
  const D = s.direction === "bidirectional" ? 2 : 1;
  const { I, H, T } = s;
  const B = s.B ?? 3;
  const layout = s.layout ?? 0;
  const scale = s.weightScale ?? 1 / Math.sqrt(H);
  const inits: ox.ITensorProto[] = [
    tensor("W", [D, 4 * H, I], uniform(rand, D * 4 * H * I, scale)),
    tensor("R", [D, 4 * H, H], uniform(rand, D * 4 * H * H, scale)),
  ];
  const inputs = ["X", "W", "R", "", "", "", "", ""];
  if (s.bias ?? true) {
    inits.push(tensor("B", [D, 8 * H], uniform(rand, D * 8 * H, 0.5)));
    inputs[3] = "B";
  }
  const graphInputs = [valueInfo("X", layout === 0 ? (s.sequenceLens === "const" ? [T, "batch", I] : ["T", "batch", I]) : ["batch", s.sequenceLens === "const" ? T : "T", I])];
  const feeds: Record<string, ort.Tensor> = {};
  if (s.sequenceLens === "input") {
    graphInputs.push(valueInfo("seq_lens", ["batch"], INT32));
    feeds.seq_lens = new ort.Tensor("int32", new Int32Array(B).fill(T), [B]);
    inputs[4] = "seq_lens";
  } else if (s.sequenceLens === "const") {
    inits.push(tensor("seq_lens", [B], new Array<number>(B).fill(T), INT32));
    inputs[4] = "seq_lens";
  }
  if (s.initialState) {
    // The same state for every batch entry (lstm-gen gives each sequence the same initial state).
    const h = uniform(rand, D * H, 0.8);
    const c = uniform(rand, D * H, 0.8);
    const spread = (v: Float32Array) => {
      const out = new Float32Array(D * B * H);
      for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) for (let k = 0; k < H; k++) {
        out[layout === 0 ? (d * B + b) * H + k : (b * D + d) * H + k] = v[d * H + k]!;
      }
      return out;
    };
    const dims = layout === 0 ? [D, B, H] : [B, D, H];
    inits.push(tensor("h0", dims, spread(h)), tensor("c0", dims, spread(c)));
    inputs[5] = "h0";
    inputs[6] = "c0";
  }
  if (s.peepholes) {
    inits.push(tensor("P", [D, 3 * H], uniform(rand, D * 3 * H, 0.5)));
    inputs[7] = "P";
  }
  while (inputs[inputs.length - 1] === "") inputs.pop();
  const attrs = lstmAttributes(H, layout, s);
  const yDims = layout === 0 ? ["T", D, "batch", H] : ["batch", "T", D, H];
  const hDims = layout === 0 ? [D, "batch", H] : ["batch", D, H];
  const bytes = modelBytes({
    nodes: [node("LSTM", inputs, ["Y", "Y_h", "Y_c"], attrs, "lstm")],
    inputs: graphInputs,
    outputs: [valueInfo("Y", yDims), valueInfo("Y_h", hDims), valueInfo("Y_c", hDims)],
    initializers: inits,
  });
  const xDims = layout === 0 ? [T, B, I] : [B, T, I];
  const x = uniform(rand, T * B * I, 1);
  feeds.X = new ort.Tensor("float32", x, xDims);
  return { bytes, feeds, x, xDims };
}

const SPECS: LstmSpec[] = [
  { name: "forward, defaults", seed: 1, I: 4, H: 8, T: 30 },
  { name: "reverse", seed: 2, I: 3, H: 6, T: 25, direction: "reverse" },
  { name: "bidirectional", seed: 3, I: 5, H: 7, T: 40, direction: "bidirectional" },
  { name: "peepholes", seed: 4, I: 4, H: 5, T: 30, peepholes: true },
  { name: "bidirectional + peepholes + initial state", seed: 5, I: 3, H: 4, T: 20, direction: "bidirectional", peepholes: true, initialState: true },
  { name: "clip", seed: 6, I: 4, H: 6, T: 35, clip: 0.7, weightScale: 1.2 },
  { name: "input_forget", seed: 7, I: 4, H: 6, T: 30, inputForget: true },
  { name: "layout 1", seed: 8, I: 3, H: 5, T: 25, layout: 1 },
  { name: "layout 1 bidirectional + initial state", seed: 9, I: 3, H: 5, T: 25, layout: 1, direction: "bidirectional", initialState: true },
  { name: "sequence_lens graph input", seed: 10, I: 4, H: 4, T: 20, sequenceLens: "input" },
  { name: "sequence_lens constant = T", seed: 11, I: 4, H: 4, T: 22, sequenceLens: "const" },
  { name: "initial_h / initial_c", seed: 12, I: 2, H: 6, T: 50, initialState: true },
  { name: "no bias", seed: 13, I: 2, H: 3, T: 20, bias: false },
  {
    name: "HardSigmoid/Tanh/Tanh (default alpha, beta)",
    seed: 14, I: 4, H: 6, T: 30,
    activations: ["HardSigmoid", "Tanh", "Tanh"],
  },
  {
    name: "HardSigmoid(0.25,0.45)/Relu/Tanh",
    seed: 15, I: 4, H: 6, T: 30, weightScale: 0.3,
    activations: ["HardSigmoid", "Relu", "Tanh"], alpha: [0.25], beta: [0.45],
  },
  { name: "Sigmoid/Tanh/Relu", seed: 16, I: 3, H: 5, T: 40, weightScale: 0.3, activations: ["Sigmoid", "Tanh", "Relu"] },
  {
    name: "bidirectional with different activations per direction",
    seed: 17, I: 3, H: 4, T: 30, direction: "bidirectional", weightScale: 0.3,
    activations: ["Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Relu", "Tanh"],
  },
  {
    name: "LeakyRelu / ScaledTanh / Softsign",
    seed: 18, I: 3, H: 4, T: 20, weightScale: 0.3,
    activations: ["Sigmoid", "LeakyRelu", "ScaledTanh"], alpha: [0.05, 0.9], beta: [1.3],
  },
  { name: "Softsign / Softplus / Elu", seed: 19, I: 3, H: 4, T: 20, weightScale: 0.3, activations: ["Sigmoid", "Softsign", "Elu"], alpha: [0.7] },
  { name: "Sigmoid / Softplus / Tanh", seed: 20, I: 3, H: 4, T: 20, weightScale: 0.3, activations: ["Sigmoid", "Softplus", "Tanh"] },
  {
    name: "Affine / ThresholdedRelu",
    seed: 21, I: 3, H: 4, T: 20, weightScale: 0.3,
    activations: ["Sigmoid", "Affine", "ThresholdedRelu"], alpha: [0.8, 0.1], beta: [0.05],
  },
  {
    name: "everything: bidirectional, layout 1, clip, peepholes, input_forget, initial state",
    seed: 22, I: 5, H: 6, T: 45, direction: "bidirectional", layout: 1, clip: 2.5, peepholes: true, inputForget: true, initialState: true,
  },
];

describe("onnxruntime vs lstm-gen: single LSTM node", () => {
  it.each(SPECS.map((s) => [s.name, s] as const))("%s", async (_name, s) => {
    const { bytes, feeds, x, xDims } = singleLstm(s);
    const layout = s.layout ?? 0;
    let out: Record<string, OrtResult>;
    if (layout === 0) out = await runOrt(bytes, feeds);
    else {
      // onnxruntime's CPU LSTM rejects layout=1 ("Batchwise recurrent operations (layout == 1) are not
      // supported"), so it runs the layout-0 twin (same seed, same weights) on the transposed input. Its outputs,
      // moved to batch-first, have the layout-1 axis order.
      const twin = singleLstm({ ...s, layout: 0 });
      const xt = permute(x, xDims, [1, 0, 2]);
      out = await runOrt(twin.bytes, { ...twin.feeds, X: new ort.Tensor("float32", Float32Array.from(xt.data), xt.shape) });
    }
    const model = importOnnx(`${s.name}.onnx`, bytes);
    const xAxes = layout === 0 ? (["time", "batch", "feature"] as const) : (["batch", "time", "feature"] as const);
    compare(s.name, model, x, xDims, xAxes, out, { Y: 2, Y_h: 1, Y_c: 1 });
    expect(model.source.conventions.join(" | ")).toMatch(/i,o,f,c/);
  });
});

// ---------- graphs with glue around the LSTM nodes ----------

interface Builder {
  readonly rand: () => number;
  readonly nodes: ox.INodeProto[];
  readonly inits: ox.ITensorProto[];
  int64(name: string, values: readonly number[], scalar?: boolean): string;
  float(name: string, dims: readonly number[], scale: number): string;
  /** An LSTM node with random weights; returns its output names [Y, Y_h, Y_c]. */
  lstm(name: string, x: string, I: number, H: number, attrs?: Record<string, AttrValue>, extra?: { h0?: string; c0?: string }): [string, string, string];
}

function builder(seed: number): Builder {
  const rand = prng(seed);
  const nodes: ox.INodeProto[] = [];
  const inits: ox.ITensorProto[] = [];
  return {
    rand,
    nodes,
    inits,
    int64(name, values, scalar = false) {
      inits.push(tensor(name, scalar ? [] : [values.length], values, INT64));
      return name;
    },
    float(name, dims, scale) {
      inits.push(tensor(name, dims, uniform(rand, dims.reduce((a, b) => a * b, 1), scale)));
      return name;
    },
    lstm(name, x, I, H, attrs = {}, extra = {}) {
      const D = attrs.direction && "s" in attrs.direction && attrs.direction.s === "bidirectional" ? 2 : 1;
      const s = 1 / Math.sqrt(H);
      this.float(`${name}_W`, [D, 4 * H, I], s);
      this.float(`${name}_R`, [D, 4 * H, H], s);
      this.float(`${name}_B`, [D, 8 * H], 0.5);
      const ins = [x, `${name}_W`, `${name}_R`, `${name}_B`, "", extra.h0 ?? "", extra.c0 ?? ""];
      while (ins[ins.length - 1] === "") ins.pop();
      const outs: [string, string, string] = [`${name}_Y`, `${name}_Yh`, `${name}_Yc`];
      nodes.push(node("LSTM", ins, outs, { hidden_size: { i: H }, ...attrs }, name));
      return outs;
    },
  };
}

interface GlueCase {
  readonly name: string;
  /** Input layout of the graph's data input. */
  readonly inputAxes: readonly ("batch" | "time" | "feature")[];
  readonly I: number;
  readonly T: number;
  readonly build: (b: Builder) => { outputs: { name: string; dims: (number | string)[]; batchAxis: number }[] };
  readonly opset?: number;
}

/** Zero initial state [D, batch, H] the way torch.onnx.export builds it: Shape → Gather → Unsqueeze → Concat → ConstantOfShape. */
function torchZeros(b: Builder, prefix: string, x: string, batchAxis: number, D: number, H: number): string {
  b.nodes.push(node("Shape", [x], [`${prefix}_shape`]));
  b.nodes.push(node("Gather", [`${prefix}_shape`, b.int64(`${prefix}_bidx`, [batchAxis], true)], [`${prefix}_batch`], { axis: { i: 0 } }));
  b.nodes.push(node("Unsqueeze", [`${prefix}_batch`, b.int64(`${prefix}_ax0`, [0])], [`${prefix}_batch1`]));
  b.nodes.push(node("Concat", [b.int64(`${prefix}_d`, [D]), `${prefix}_batch1`, b.int64(`${prefix}_h`, [H])], [`${prefix}_dims`], { axis: { i: 0 } }));
  b.nodes.push(node("ConstantOfShape", [`${prefix}_dims`], [`${prefix}_zeros`], { value: { t: tensor("v", [1], [0]) } }));
  return `${prefix}_zeros`;
}

const GLUE: GlueCase[] = [
  {
    name: "torch batch_first: Transpose → LSTM (zero state chain) → Squeeze → Transpose → Gather(-1) → Gemm → Relu → MatMul+Add → Softmax",
    inputAxes: ["batch", "time", "feature"],
    I: 3,
    T: 30,
    build: (b) => {
      const H = 8;
      b.nodes.push(node("Transpose", ["X"], ["xt"], { perm: { ints: [1, 0, 2] } }));
      const z = torchZeros(b, "z", "X", 0, 1, H);
      const [y] = b.lstm("lstm", "xt", 3, H, {}, { h0: z, c0: z });
      b.nodes.push(node("Squeeze", [y, b.int64("sq1", [1])], ["ys"]));
      b.nodes.push(node("Transpose", ["ys"], ["yb"], { perm: { ints: [1, 0, 2] } }));
      b.nodes.push(node("Gather", ["yb", b.int64("last", [-1], true)], ["ylast"], { axis: { i: 1 } }));
      b.nodes.push(node("Gemm", ["ylast", b.float("fc1_w", [6, H], 0.5), b.float("fc1_b", [6], 0.5)], ["fc1"], { transB: { i: 1 } }, "fc1"));
      b.nodes.push(node("Relu", ["fc1"], ["r1"]));
      b.nodes.push(node("MatMul", ["r1", b.float("fc2_w", [6, 4], 0.5)], ["mm2"], {}, "fc2"));
      b.nodes.push(node("Add", ["mm2", b.float("fc2_b", [4], 0.5)], ["fc2"]));
      b.nodes.push(node("Softmax", ["fc2"], ["probs"], { axis: { i: -1 } }));
      return { outputs: [{ name: "probs", dims: ["batch", 4], batchAxis: 0 }] };
    },
  },
  {
    name: "torch stacked bidirectional: Transpose/Reshape merge between layers, Slice of h0, Y of both layers as outputs",
    inputAxes: ["batch", "time", "feature"],
    I: 4,
    T: 25,
    build: (b) => {
      const H1 = 5;
      const H2 = 4;
      b.nodes.push(node("Transpose", ["X"], ["xt"], { perm: { ints: [1, 0, 2] } }));
      // h0 for both layers [2 layers * 2 dirs, batch, H]; each layer slices its part (torch does this for equal H).
      b.nodes.push(node("Shape", ["X"], ["xs"]));
      b.nodes.push(node("Slice", ["xs", b.int64("s0", [0]), b.int64("s1", [1]), b.int64("sax", [0])], ["bsz"]));
      b.nodes.push(node("Concat", [b.int64("four", [4]), "bsz", b.int64("h1", [H1])], ["h0dims"], { axis: { i: 0 } }));
      b.nodes.push(node("ConstantOfShape", ["h0dims"], ["h0all"]));
      b.nodes.push(node("Slice", ["h0all", b.int64("l0s", [0]), b.int64("l0e", [2]), b.int64("l0a", [0])], ["h0l0"]));
      const [y1] = b.lstm("l0", "xt", 4, H1, { direction: { s: "bidirectional" } }, { h0: "h0l0", c0: "h0l0" });
      b.nodes.push(node("Transpose", [y1], ["y1t"], { perm: { ints: [0, 2, 1, 3] } }));
      b.nodes.push(node("Reshape", ["y1t", b.int64("r0", [0, 0, -1])], ["y1m"]));
      b.nodes.push(node("Dropout", ["y1m"], ["y1d"]));
      const [y2] = b.lstm("l1", "y1d", 2 * H1, H2, { direction: { s: "bidirectional" } });
      b.nodes.push(node("Transpose", [y2], ["y2t"], { perm: { ints: [0, 2, 1, 3] } }));
      b.nodes.push(node("Reshape", ["y2t", b.int64("r1", [0, 0, -1])], ["y2m"]));
      b.nodes.push(node("Transpose", ["y2m"], ["out"], { perm: { ints: [1, 0, 2] } }));
      b.nodes.push(node("Identity", [y1], ["y_first"]));
      return {
        outputs: [
          { name: "out", dims: ["batch", "T", 2 * H2], batchAxis: 0 },
          { name: "y_first", dims: ["T", 2, "batch", H1], batchAxis: 2 },
        ],
      };
    },
  },
  {
    name: "torch stacked unidirectional (Squeeze between layers), last step via Shape → Sub(1) → Gather, Flatten of [N,1,H], Y_h/Y_c outputs",
    inputAxes: ["time", "batch", "feature"],
    I: 3,
    T: 40,
    build: (b) => {
      const [y1] = b.lstm("l0", "X", 3, 6);
      b.nodes.push(node("Squeeze", [y1, b.int64("sq", [1])], ["y1s"]));
      const [y2, yh2, yc2] = b.lstm("l1", "y1s", 6, 5);
      b.nodes.push(node("Shape", [y2], ["y2shape"]));
      b.nodes.push(node("Gather", ["y2shape", b.int64("zero", [0], true)], ["tlen"], { axis: { i: 0 } }));
      b.nodes.push(node("Sub", ["tlen", b.int64("one", [1], true)], ["tlast"]));
      b.nodes.push(node("Unsqueeze", ["tlast", b.int64("ax0", [0])], ["tlast1"]));
      b.nodes.push(node("Gather", [y2, "tlast1"], ["ylast"], { axis: { i: 0 } })); // [1, 1, batch, H]
      b.nodes.push(node("Squeeze", ["ylast", b.int64("sq0", [0])], ["ylast3"])); // [1, batch, H]
      b.nodes.push(node("Transpose", ["ylast3"], ["ylastb"], { perm: { ints: [1, 0, 2] } })); // [batch, 1, H]
      b.nodes.push(node("Flatten", ["ylastb"], ["flat"], { axis: { i: 1 } }));
      b.nodes.push(node("Gemm", ["flat", b.float("w", [5, 2], 0.6), b.float("c", [1, 2], 0.5)], ["head"], { alpha: { f: 0.9 }, beta: { f: 1.1 } }));
      b.nodes.push(node("Tanh", ["head"], ["out"]));
      return {
        outputs: [
          { name: "out", dims: ["batch", 2], batchAxis: 0 },
          { name: yh2, dims: [1, "batch", 5], batchAxis: 1 },
          { name: yc2, dims: [1, "batch", 5], batchAxis: 1 },
        ],
      };
    },
  },
  {
    name: "tf2onnx style: Transpose → LSTM (Expand zero state) → Y_h Squeeze → MatMul + Add → Sigmoid",
    inputAxes: ["batch", "time", "feature"],
    I: 4,
    T: 30,
    build: (b) => {
      const H = 6;
      b.nodes.push(node("Transpose", ["X"], ["xt"], { perm: { ints: [1, 0, 2] } }));
      b.nodes.push(node("Shape", ["X"], ["xs"]));
      b.nodes.push(node("Gather", ["xs", b.int64("i0", [0])], ["b1"], { axis: { i: 0 } }));
      b.nodes.push(node("Concat", [b.int64("d1", [1]), "b1", b.int64("hh", [H])], ["zdims"], { axis: { i: 0 } }));
      b.nodes.push(node("Cast", ["zdims"], ["zdims64"], { to: { i: INT64 } }));
      b.nodes.push(node("Expand", [b.float("zero", [], 0), "zdims64"], ["z"]));
      const [, yh] = b.lstm("lstm", "xt", 4, H, {}, { h0: "z", c0: "z" });
      b.nodes.push(node("Squeeze", [yh, b.int64("a0", [0])], ["h"]));
      b.nodes.push(node("MatMul", ["h", b.float("dw", [H, 3], 0.7)], ["mm"], {}, "dense"));
      b.nodes.push(node("Add", [b.float("db", [3], 0.5), "mm"], ["logits"]));
      b.nodes.push(node("Sigmoid", ["logits"], ["out"]));
      return { outputs: [{ name: "out", dims: ["batch", 3], batchAxis: 0 }] };
    },
  },
  {
    name: "bidirectional Y_h merged by Gather(0) + Gather(1) → Concat, then Gemm",
    inputAxes: ["time", "batch", "feature"],
    I: 3,
    T: 30,
    build: (b) => {
      const H = 5;
      const [, yh] = b.lstm("lstm", "X", 3, H, { direction: { s: "bidirectional" } });
      b.nodes.push(node("Gather", [yh, b.int64("f", [0], true)], ["hf"], { axis: { i: 0 } }));
      b.nodes.push(node("Gather", [yh, b.int64("r", [1], true)], ["hr"], { axis: { i: 0 } }));
      b.nodes.push(node("Concat", ["hf", "hr"], ["hcat"], { axis: { i: 1 } }));
      b.nodes.push(node("Gemm", ["hcat", b.float("w", [2 * H, 3], 0.5), b.float("c", [3], 0.5)], ["out"]));
      return { outputs: [{ name: "out", dims: ["batch", 3], batchAxis: 0 }] };
    },
  },
  {
    name: "sequence-to-sequence head: Squeeze direction → Transpose → MatMul + Add on every step",
    inputAxes: ["time", "batch", "feature"],
    I: 2,
    T: 35,
    build: (b) => {
      const H = 7;
      const [y] = b.lstm("lstm", "X", 2, H);
      b.nodes.push(node("Squeeze", [y, b.int64("a1", [1])], ["ys0"])); // [T, batch, H]
      b.nodes.push(node("Transpose", ["ys0"], ["ys"], { perm: { ints: [1, 0, 2] } })); // [batch, T, H]
      b.nodes.push(node("MatMul", ["ys", b.float("w", [H, 2], 0.6)], ["mm"]));
      b.nodes.push(node("Add", ["mm", b.float("c", [2], 0.4)], ["out"]));
      return { outputs: [{ name: "out", dims: ["batch", "T", 2], batchAxis: 0 }] };
    },
  },
  {
    name: "last step by Slice(-1:) on the time axis, reverse LSTM, Reshape to [batch, H] from Shape",
    inputAxes: ["time", "batch", "feature"],
    I: 3,
    T: 28,
    build: (b) => {
      const H = 4;
      const [y] = b.lstm("lstm", "X", 3, H, { direction: { s: "reverse" } });
      b.nodes.push(node("Slice", [y, b.int64("st", [-1]), b.int64("en", [2 ** 62]), b.int64("ax", [0])], ["ysl"])); // [1,1,batch,H]
      b.nodes.push(node("Shape", ["X"], ["xs"]));
      b.nodes.push(node("Gather", ["xs", b.int64("one", [1])], ["bsz"], { axis: { i: 0 } }));
      b.nodes.push(node("Concat", ["bsz", b.int64("m1", [-1])], ["tgt"], { axis: { i: 0 } }));
      b.nodes.push(node("Reshape", ["ysl", "tgt"], ["feat"]));
      b.nodes.push(node("Gemm", ["feat", b.float("w", [2, H], 0.5)], ["out"], { transB: { i: 1 } }));
      return { outputs: [{ name: "out", dims: ["batch", 2], batchAxis: 0 }, { name: "feat", dims: ["batch", H], batchAxis: 0 }].slice(0, 1) };
    },
  },
  {
    name: "opset 9 graph: Squeeze/Unsqueeze/Slice axes as attributes",
    inputAxes: ["batch", "time", "feature"],
    I: 3,
    T: 20,
    opset: 9,
    build: (b) => {
      const H = 5;
      b.nodes.push(node("Transpose", ["X"], ["xt"], { perm: { ints: [1, 0, 2] } }));
      const [y] = b.lstm("lstm", "xt", 3, H);
      b.nodes.push(node("Squeeze", [y], ["ys"], { axes: { ints: [1] } }));
      b.nodes.push(node("Slice", ["ys"], ["yl"], { starts: { ints: [-1] }, ends: { ints: [2147483647] }, axes: { ints: [0] } }));
      b.nodes.push(node("Squeeze", ["yl"], ["yl2"], { axes: { ints: [0] } }));
      b.nodes.push(node("Unsqueeze", ["yl2"], ["yl3"], { axes: { ints: [1] } }));
      b.nodes.push(node("MatMul", ["yl3", b.float("w", [H, 2], 0.5)], ["out"]));
      return { outputs: [{ name: "out", dims: ["batch", 1, 2], batchAxis: 0 }] };
    },
  },
  {
    name: "dense on every step, then Gather(-1) on time; Mul by a constant; Sub of a bias; Tanh",
    inputAxes: ["batch", "time", "feature"],
    I: 3,
    T: 30,
    build: (b) => {
      const H = 6;
      b.nodes.push(node("Transpose", ["X"], ["xt"], { perm: { ints: [1, 0, 2] } }));
      const [y] = b.lstm("lstm", "xt", 3, H);
      b.nodes.push(node("Squeeze", [y, b.int64("a1", [1])], ["ys"])); // [T, batch, H]
      b.nodes.push(node("MatMul", ["ys", b.float("w", [H, 4], 0.6)], ["mm"])); // [T, batch, 4]
      b.nodes.push(node("Mul", ["mm", b.float("scale", [4], 1.5)], ["scaled"]));
      b.nodes.push(node("Sub", ["scaled", b.float("off", [1, 4], 0.5)], ["shifted"]));
      b.nodes.push(node("Tanh", ["shifted"], ["act"]));
      b.nodes.push(node("Gather", ["act", b.int64("last", [-1], true)], ["out"], { axis: { i: 0 } })); // [batch, 4]
      return { outputs: [{ name: "out", dims: ["batch", 4], batchAxis: 0 }] };
    },
  },
  {
    name: "bidirectional Y_h Split on the direction axis → Concat on units → Squeeze → Relu (identity layer) → MatMul",
    inputAxes: ["time", "batch", "feature"],
    I: 4,
    T: 25,
    build: (b) => {
      const H = 5;
      const [, yh] = b.lstm("lstm", "X", 4, H, { direction: { s: "bidirectional" } });
      b.nodes.push(node("Split", [yh], ["hf", "hr"], { axis: { i: 0 } }));
      b.nodes.push(node("Concat", ["hf", "hr"], ["hcat"], { axis: { i: 2 } })); // [1, batch, 2H]
      b.nodes.push(node("Squeeze", ["hcat", b.int64("a0", [0])], ["h"]));
      b.nodes.push(node("Relu", ["h"], ["hr2"]));
      b.nodes.push(node("MatMul", ["hr2", b.float("w", [2 * H, 3], 0.6)], ["out"]));
      return { outputs: [{ name: "out", dims: ["batch", 3], batchAxis: 0 }] };
    },
  },
];

describe("onnxruntime vs lstm-gen: graph glue around LSTM nodes", () => {
  it.each(GLUE.map((g) => [g.name, g] as const))("%s", async (_name, g) => {
    const b = builder(1000 + GLUE.indexOf(g));
    const { outputs } = g.build(b);
    const dimsOf = { batch: "batch", time: "T", feature: g.I } as const;
    const bytes = modelBytes({
      nodes: b.nodes,
      inputs: [valueInfo("X", g.inputAxes.map((a) => dimsOf[a]))],
      outputs: outputs.map((o) => valueInfo(o.name, o.dims)),
      initializers: b.inits,
      ...(g.opset ? { opset: g.opset } : {}),
    });
    const B = 3;
    const size = { batch: B, time: g.T, feature: g.I } as const;
    const xDims = g.inputAxes.map((a) => size[a]);
    const x = uniform(b.rand, B * g.T * g.I, 1);
    const out = await runOrt(bytes, { X: new ort.Tensor("float32", x, xDims) });
    const model = importOnnx("glue.onnx", bytes);
    compare(g.name, model, x, xDims, g.inputAxes, out, Object.fromEntries(outputs.map((o) => [o.name, o.batchAxis])));
  });
});

describe("report", () => {
  it("prints the measured maximum errors", () => {
    const worst = Math.max(...Object.values(maxErrors));
    console.log(`onnxruntime comparison: ${Object.keys(maxErrors).length} models, max scaled error ${worst.toExponential(2)}`);
    for (const [k, v] of Object.entries(maxErrors)) console.log(`  ${v.toExponential(2)}  ${k}`);
  });
});
