/**
 * TFLite importer.
 * - The tflite-micro MNIST LSTM models (float32 and int8, from ../shared/fixtures-external) classify the ten
 *   sample PNGs as their digits, with upstream's preprocessing (pixels / 255, rows are time steps; the int8 model's
 *   input quantized with its own scale and zero point).
 * - Small models written here with the flatbuffers Builder from the PyTorch fixtures' weights reproduce PyTorch's
 *   expected.npy (1e-4), and exercise STRIDED_SLICE, time_major, per-channel dequantization and the refusals.
 */
import * as flatbuffers from "flatbuffers";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNpy } from "../compiler/data/npy.js";
import { loadModel } from "../compiler/import/index.js";
import { parseSafetensors } from "../compiler/import/safetensors/read.js";
import { importTflite } from "../compiler/import/tflite/index.js";
import { runSequence } from "../compiler/reference/float.js";
import { decodeGrayPng, expectInputError, maxAbsDiff, run, shared, tempDir, TORCH } from "./import-helpers.js";

const MNIST = "tensorflow__tflite-micro/tensorflow/lite/micro/examples/mnist_lstm";
const dir = tempDir("tflite");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

function sample(digit: number): Float64Array {
  const png = decodeGrayPng(readFileSync(shared(`${MNIST}/samples/sample${digit}.png`)));
  expect([png.width, png.height]).toEqual([28, 28]);
  return Float64Array.from(png.pixels, (p) => p / 255);
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  return best;
}

describe("tflite-micro MNIST LSTM", () => {
  it("float32 model: classifies sample0..9.png as 0..9", async () => {
    const file = shared(`${MNIST}/trained_lstm.tflite`);
    const model = await loadModel(file);
    expect(model.source.format).toBe("tflite");
    expect(model.layers.map((l) => [l.inputSize, l.hiddenSize, l.direction])).toEqual([[28, 20, "forward"]]);
    expect(model.head).toMatchObject({ reads: "flatten", steps: 28 });
    expect(model.head!.layers.map((d) => [d.W.rows, d.W.cols, d.activation])).toEqual([[10, 560, "softmax"]]);
    expect(model.source.conventions.join("\n")).toMatch(/cell_clip 10 .* dropped/);
    const labels: number[] = [];
    let maxCell = 0;
    for (let d = 0; d < 10; d++) {
      const r = runSequence(model, sample(d), 28, { trace: true });
      labels.push(argmax(r.head!));
      for (const c of r.layers[0]!.trace![0]!.c) maxCell = Math.max(maxCell, Math.abs(c));
    }
    expect(labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // TFLite clips the cell state at ±10; it never gets there on these inputs, so dropping the clip is exact here.
    expect(maxCell).toBeLessThan(10);
  });

  it("int8 model: dequantized weights classify sample0..9.png as 0..9", async () => {
    const file = shared(`${MNIST}/trained_lstm_int8.tflite`);
    const model = await loadModel(file);
    const conv = model.source.conventions.join("\n");
    expect(conv).toMatch(/dequantized with each tensor's scale and zero point/);
    expect(conv).toMatch(/input is INT8 with scale 0\.0039215688\d* and zero point -128/);
    const scale = 0.003921568859368563;
    const zp = -128;
    const labels: number[] = [];
    for (let d = 0; d < 10; d++) {
      // Quantize the input as the int8 model's input tensor does, then give lstm-gen the value it represents.
      const x = sample(d).map((v) => scale * (Math.max(-128, Math.min(127, Math.round(v / scale) + zp)) - zp));
      labels.push(argmax(run(model, x, 28)));
    }
    expect(labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A small TFLite writer (flatbuffers Builder) for synthetic models
// ---------------------------------------------------------------------------------------------------------------

type Offset = flatbuffers.Offset;
interface TTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type?: number;
  readonly data?: Uint8Array;
  readonly quant?: { readonly scale: readonly number[]; readonly zp: readonly number[]; readonly dim?: number };
  readonly variable?: boolean;
}
interface TOp {
  readonly code: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly optionsType?: number;
  readonly options?: (b: flatbuffers.Builder) => Offset;
}

function f32(data: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(data).buffer);
}
function i32(data: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Int32Array.from(data).buffer);
}

function buildTflite(tensors: readonly TTensor[], ops: readonly TOp[], inputs: readonly number[], outputs: readonly number[], version = 3): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const intVec = (v: readonly number[]) => {
    b.startVector(4, v.length, 4);
    for (let k = v.length - 1; k >= 0; k--) b.addInt32(v[k]!);
    return b.endVector();
  };
  const offVec = (v: readonly Offset[]) => {
    b.startVector(4, v.length, 4);
    for (let k = v.length - 1; k >= 0; k--) b.addOffset(v[k]!);
    return b.endVector();
  };
  // Buffers: 0 is the empty sentinel.
  const bufferOf = new Map<number, number>();
  const buffers: Offset[] = [];
  b.startObject(3);
  buffers.push(b.endObject());
  tensors.forEach((t, k) => {
    if (!t.data) return;
    b.startVector(1, t.data.length, 16);
    for (let j = t.data.length - 1; j >= 0; j--) b.addInt8(t.data[j]!);
    const data = b.endVector();
    b.startObject(3);
    b.addFieldOffset(0, data, 0);
    bufferOf.set(k, buffers.length);
    buffers.push(b.endObject());
  });
  const tensorOffs = tensors.map((t, k) => {
    const shape = intVec(t.shape);
    const name = b.createString(t.name);
    let quant = 0;
    if (t.quant) {
      b.startVector(4, t.quant.scale.length, 4);
      for (let j = t.quant.scale.length - 1; j >= 0; j--) b.addFloat32(t.quant.scale[j]!);
      const scale = b.endVector();
      b.startVector(8, t.quant.zp.length, 8);
      for (let j = t.quant.zp.length - 1; j >= 0; j--) b.addInt64(BigInt(t.quant.zp[j]!));
      const zp = b.endVector();
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, t.quant.dim ?? 0, 0);
      quant = b.endObject();
    }
    b.startObject(6);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type ?? 0, 0);
    b.addFieldInt32(2, bufferOf.get(k) ?? 0, 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    b.addFieldInt8(5, t.variable ? 1 : 0, 0);
    return b.endObject();
  });
  const codes = [...new Set(ops.map((o) => o.code))];
  const opOffs = ops.map((o) => {
    const ins = intVec(o.inputs);
    const outs = intVec(o.outputs);
    const opts = o.options ? o.options(b) : 0;
    b.startObject(5);
    b.addFieldInt32(0, codes.indexOf(o.code), 0);
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (opts) {
      b.addFieldInt8(3, o.optionsType ?? 0, 0);
      b.addFieldOffset(4, opts, 0);
    }
    return b.endObject();
  });
  const codeOffs = codes.map((c) => {
    b.startObject(4);
    b.addFieldInt8(0, Math.min(c, 127), 0);
    b.addFieldInt32(2, 1, 1);
    b.addFieldInt32(3, c, 0);
    return b.endObject();
  });
  const tv = offVec(tensorOffs);
  const iv = intVec(inputs);
  const ov = intVec(outputs);
  const opv = offVec(opOffs);
  const sgName = b.createString("main");
  b.startObject(5);
  b.addFieldOffset(0, tv, 0);
  b.addFieldOffset(1, iv, 0);
  b.addFieldOffset(2, ov, 0);
  b.addFieldOffset(3, opv, 0);
  b.addFieldOffset(4, sgName, 0);
  const sg = b.endObject();
  const cv = offVec(codeOffs);
  const sv = offVec([sg]);
  const bv = offVec(buffers);
  const desc = b.createString("lstm-gen test");
  b.startObject(5);
  b.addFieldInt32(0, version, 0);
  b.addFieldOffset(1, cv, 0);
  b.addFieldOffset(2, sv, 0);
  b.addFieldOffset(3, desc, 0);
  b.addFieldOffset(4, bv, 0);
  b.finish(b.endObject(), "TFL3");
  return b.asUint8Array();
}

const lstmOptions = (timeMajor = false, act = 4) => (b: flatbuffers.Builder) => {
  b.startObject(6);
  b.addFieldInt8(0, act, 0);
  b.addFieldFloat32(1, 0, 0);
  b.addFieldInt8(3, timeMajor ? 1 : 0, 0);
  return b.endObject();
};
const fcOptions = (act = 0) => (b: flatbuffers.Builder) => {
  b.startObject(5);
  b.addFieldInt8(0, act, 0);
  return b.endObject();
};

/** Tensors + the LSTM op for PyTorch layer k (weights from the state_dict). Returns the op; appends tensors. */
function torchLstm(sd: ReturnType<typeof parseSafetensors>, k: number, tensors: TTensor[], input: number, T: number, opts: { timeMajor?: boolean; cifg?: boolean } = {}): TOp {
  const t = (nm: string) => sd.tensors.get(`lstm.${nm}_l${k}`)!;
  const [G, I] = t("weight_ih").shape as [number, number];
  const H = G / 4;
  const add = (x: TTensor) => tensors.push(x) - 1;
  const W = [0, 1, 2, 3].map((g) => add({ name: `l${k}/w${g}`, shape: [H, I], data: f32(t("weight_ih").data.subarray(g * H * I, (g + 1) * H * I)) }));
  const R = [0, 1, 2, 3].map((g) => add({ name: `l${k}/r${g}`, shape: [H, H], data: f32(t("weight_hh").data.subarray(g * H * H, (g + 1) * H * H)) }));
  const B = [0, 1, 2, 3].map((g) => add({ name: `l${k}/b${g}`, shape: [H], data: f32(Array.from({ length: H }, (_, r) => t("bias_ih").data[g * H + r]! + t("bias_hh").data[g * H + r]!)) }));
  const hState = add({ name: `l${k}/h`, shape: [1, H], variable: true });
  const cState = add({ name: `l${k}/c`, shape: [1, H], variable: true });
  const out = add({ name: `l${k}/out`, shape: opts.timeMajor ? [T, 1, H] : [1, T, H] });
  return {
    code: 44,
    inputs: [input, opts.cifg ? -1 : W[0]!, W[1]!, W[2]!, W[3]!, R[0]!, R[1]!, R[2]!, R[3]!, -1, -1, -1, B[0]!, B[1]!, B[2]!, B[3]!, -1, -1, hState, cState, -1, -1, -1, -1],
    outputs: [out],
    optionsType: 71,
    options: lstmOptions(opts.timeMajor ?? false),
  };
}

function torchFixture(name: string) {
  const sd = parseSafetensors("model.safetensors", readFileSync(join(TORCH, name, "model.safetensors")));
  const input = parseNpy("input.npy", readFileSync(join(TORCH, name, "input.npy")));
  const exp = parseNpy("expected.npy", readFileSync(join(TORCH, name, "expected.npy")));
  const expected = Float64Array.from(exp.sequences.flatMap((s) => Array.from(s.data)));
  return { sd, input, expected };
}

/** "stacked" as TFLite: LSTM → LSTM → STRIDED_SLICE (last step) → FULLY_CONNECTED. */
function stackedTflite(opts: { perChannelHead?: boolean; extraOp?: number; cifg?: boolean; version?: number } = {}) {
  const { sd, input } = torchFixture("stacked");
  const T = input.sequences[0]!.steps;
  const tensors: TTensor[] = [{ name: "x", shape: [1, T, input.features] }];
  const ops: TOp[] = [];
  ops.push(torchLstm(sd, 0, tensors, 0, T, { cifg: opts.cifg ?? false }));
  ops.push(torchLstm(sd, 1, tensors, ops[0]!.outputs[0]!, T));
  const add = (x: TTensor) => tensors.push(x) - 1;
  const begin = add({ name: "begin", shape: [3], type: 2, data: i32([0, -1, 0]) });
  const end = add({ name: "end", shape: [3], type: 2, data: i32([0, 0, 0]) });
  const strides = add({ name: "strides", shape: [3], type: 2, data: i32([1, 1, 1]) });
  const last = add({ name: "last", shape: [1, 24] });
  ops.push({
    code: 45,
    inputs: [ops[1]!.outputs[0]!, begin, end, strides],
    outputs: [last],
    optionsType: 32,
    options: (b) => {
      b.startObject(6);
      b.addFieldInt32(0, 5, 0);
      b.addFieldInt32(1, 5, 0);
      b.addFieldInt32(4, 2, 0);
      return b.endObject();
    },
  });
  const hw = sd.tensors.get("head.weight")!;
  let w: TTensor;
  if (opts.perChannelHead) {
    const scales = [0, 1, 2].map((o) => Math.max(...Array.from(hw.data.subarray(o * 24, (o + 1) * 24), Math.abs)) / 127);
    const q = Int8Array.from(hw.data, (v, k) => Math.round(v / scales[Math.floor(k / 24)]!));
    w = { name: "head.w", shape: [3, 24], type: 9, data: new Uint8Array(q.buffer), quant: { scale: scales, zp: [0, 0, 0], dim: 0 } };
  } else {
    w = { name: "head.w", shape: [3, 24], data: f32(hw.data) };
  }
  const wi = add(w);
  const bi = add({ name: "head.b", shape: [3], data: f32(sd.tensors.get("head.bias")!.data) });
  const y = add({ name: "y", shape: [1, 3] });
  ops.push({ code: 9, inputs: [last, wi, bi], outputs: [y], optionsType: 8, options: fcOptions() });
  if (opts.extraOp !== undefined) {
    const z = add({ name: "z", shape: [1, 3] });
    ops.push({ code: opts.extraOp, inputs: [y], outputs: [z] });
    return buildTflite(tensors, ops, [0], [z], opts.version);
  }
  return buildTflite(tensors, ops, [0], [y], opts.version);
}

describe("TFLite models built from the PyTorch fixtures reproduce PyTorch", () => {
  it("stacked: LSTM → LSTM → STRIDED_SLICE(last step) → FULLY_CONNECTED", () => {
    const file = tmp("stacked.tflite");
    writeFileSync(file, stackedTflite());
    const model = importTflite(file);
    expect(model.head).toMatchObject({ reads: "last" });
    const { input, expected } = torchFixture("stacked");
    const T = input.sequences[0]!.steps;
    const got = Float64Array.from(input.sequences.flatMap((s) => Array.from(run(model, s.data, T))));
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
  });

  it("per-channel int8 weights are dequantized per output row", () => {
    const file = tmp("stacked-q.tflite");
    writeFileSync(file, stackedTflite({ perChannelHead: true }));
    const model = importTflite(file);
    const float = importTflite((() => {
      const f = tmp("stacked-f.tflite");
      writeFileSync(f, stackedTflite());
      return f;
    })());
    const qW = model.head!.layers[0]!.W.data;
    const fW = float.head!.layers[0]!.W.data;
    // Each row's scale is max|w|/127, so the dequantized value is within half a step of the float weight.
    for (let o = 0; o < 3; o++) {
      const step = Math.max(...Array.from(fW.subarray(o * 24, (o + 1) * 24), Math.abs)) / 127;
      expect(maxAbsDiff(qW.subarray(o * 24, (o + 1) * 24), fW.subarray(o * 24, (o + 1) * 24))).toBeLessThanOrEqual(step / 2 + 1e-7);
    }
  });

  it.each([false, true])("sine: LSTM → FULLY_CONNECTED at every step (time_major %s)", (timeMajor) => {
    const { sd, input, expected } = torchFixture("sine");
    const T = input.sequences[0]!.steps;
    const tensors: TTensor[] = [{ name: "x", shape: timeMajor ? [T, 1, 1] : [1, T, 1] }];
    const lstm = torchLstm(sd, 0, tensors, 0, T, { timeMajor });
    const w = tensors.push({ name: "w", shape: [1, 32], data: f32(sd.tensors.get("head.weight")!.data) }) - 1;
    const b = tensors.push({ name: "b", shape: [1], data: f32(sd.tensors.get("head.bias")!.data) }) - 1;
    const y = tensors.push({ name: "y", shape: [1, T, 1] }) - 1;
    const file = tmp("sine.tflite");
    writeFileSync(file, buildTflite(tensors, [lstm, { code: 9, inputs: [lstm.outputs[0]!, w, b], outputs: [y], optionsType: 8, options: fcOptions() }], [0], [y]));
    const model = importTflite(file);
    expect(model.head).toMatchObject({ reads: "every" });
    const got = Float64Array.from(input.sequences.flatMap((s) => Array.from(run(model, s.data, T))));
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
  });
});

describe("TFLite importer refuses bad input with one-line errors naming the file", () => {
  it("truncated or corrupt flatbuffers", async () => {
    const bytes = readFileSync(shared(`${MNIST}/trained_lstm.tflite`));
    for (const len of [3, 100, 2000, bytes.length >> 1]) {
      const f = tmp(`cut-${len}.tflite`);
      writeFileSync(f, bytes.subarray(0, len));
      await expectInputError(loadModel(f), f, /too short|corrupt or truncated|has no data|bytes but shape/);
    }
    const garbled = Buffer.from(bytes);
    garbled.writeUInt32LE(0x7fffff00, 0); // root table offset far outside the file
    const g = tmp("garbled.tflite");
    writeFileSync(g, garbled);
    await expectInputError(loadModel(g), g, "corrupt or truncated flatbuffer");
  });

  it("a file of another type", async () => {
    const f = tmp("png.tflite");
    writeFileSync(f, readFileSync(shared(`${MNIST}/samples/sample3.png`)));
    await expectInputError(loadModel(f), f, "is not a TFLite flatbuffer (file identifier");
  });

  it("unsupported operators, CIFG and schema versions name the operator", async () => {
    const conv = tmp("extra.tflite");
    writeFileSync(conv, stackedTflite({ extraOp: 3 }));
    await expectInputError(loadModel(conv), conv, "operator 4 (CONV_2D): is not supported");
    const cifg = tmp("cifg.tflite");
    writeFileSync(cifg, stackedTflite({ cifg: true }));
    await expectInputError(loadModel(cifg), cifg, "operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): has no input-gate weights (CIFG");
    const v2 = tmp("v2.tflite");
    writeFileSync(v2, stackedTflite({ version: 2 }));
    await expectInputError(loadModel(v2), v2, "schema version 2");
  });
});
