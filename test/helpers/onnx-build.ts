/**
 * Test helpers: build ONNX models in TypeScript (encoded with onnx-proto), read TensorProto `.pb` files and
 * `.npy` arrays, a seeded PRNG, and layout helpers for comparing onnxruntime outputs with lstm-gen's
 * batch-first outputs.
 */
import { readFileSync } from "node:fs";
import onnxPkg from "onnx-proto";
import type { onnx as ox } from "onnx-proto";
export { prng } from "../../compiler/prng.js";
import { prng } from "../../compiler/prng.js";

const { onnx } = onnxPkg;

export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;

export type AttrValue =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly t: ox.ITensorProto };

/** The optional attributes of an ONNX LSTM node, as the tests describe them. */
export interface LstmAttrSpec {
  readonly direction?: string;
  readonly clip?: number;
  readonly inputForget?: boolean;
  readonly activations?: readonly string[];
  readonly alpha?: readonly number[];
  readonly beta?: readonly number[];
}

/** The attributes of an ONNX LSTM node with `hidden_size` H and the given layout (0 is the default, omitted). */
export function lstmAttributes(H: number, layout: number, s: LstmAttrSpec): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { hidden_size: { i: H } };
  if (s.direction) attrs.direction = { s: s.direction };
  if (layout) attrs.layout = { i: layout };
  if (s.clip !== undefined) attrs.clip = { f: s.clip };
  if (s.inputForget) attrs.input_forget = { i: 1 };
  if (s.activations) attrs.activations = { strings: s.activations };
  if (s.alpha) attrs.activation_alpha = { floats: s.alpha };
  if (s.beta) attrs.activation_beta = { floats: s.beta };
  return attrs;
}

const A = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: AttrValue): ox.IAttributeProto {
  const enc = (s: string) => new TextEncoder().encode(s);
  if ("i" in v) return { name, type: A.INT, i: v.i };
  if ("f" in v) return { name, type: A.FLOAT, f: v.f };
  if ("s" in v) return { name, type: A.STRING, s: enc(v.s) };
  if ("ints" in v) return { name, type: A.INTS, ints: [...v.ints] };
  if ("floats" in v) return { name, type: A.FLOATS, floats: [...v.floats] };
  if ("strings" in v) return { name, type: A.STRINGS, strings: v.strings.map(enc) };
  return { name, type: A.TENSOR, t: v.t };
}

export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: Readonly<Record<string, AttrValue>> = {},
  name = "",
): ox.INodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A float32 (or int32/int64) tensor with raw little-endian data. */
export function tensor(name: string, dims: readonly number[], values: ArrayLike<number>, dataType = FLOAT): ox.ITensorProto {
  let raw: Uint8Array;
  if (dataType === FLOAT) raw = new Uint8Array(Float32Array.from(values).buffer);
  else if (dataType === INT32) raw = new Uint8Array(Int32Array.from(values).buffer);
  else if (dataType === INT64) raw = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  else throw new Error(`tensor: unsupported data type ${dataType}`);
  return { name, dims: [...dims], dataType, rawData: raw };
}

export function valueInfo(name: string, dims: readonly (number | string)[], elemType = FLOAT): ox.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface GraphSpec {
  readonly nodes: readonly ox.INodeProto[];
  readonly inputs: readonly ox.IValueInfoProto[];
  readonly outputs: readonly ox.IValueInfoProto[];
  readonly initializers?: readonly ox.ITensorProto[];
  readonly opset?: number;
  readonly producer?: string;
}

export function modelBytes(g: GraphSpec): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    producerName: g.producer ?? "lstm-gen-test",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: g.opset ?? 14 }],
    graph: {
      name: "g",
      node: [...g.nodes],
      input: [...g.inputs],
      output: [...g.outputs],
      initializer: [...(g.initializers ?? [])],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

/** `n` uniform values in [-scale, scale), rounded to float32 (what the model file stores). */
export function uniform(rand: () => number, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rand() - 1) * scale);
}

export interface PbTensor {
  readonly name: string;
  readonly dims: number[];
  readonly dataType: number;
  readonly proto: ox.TensorProto;
  /** Values as float64 (FLOAT and INT32 only: all the conformance files use). */
  readonly data: Float64Array;
}

export function readTensorPb(path: string): PbTensor {
  const proto = onnx.TensorProto.decode(readFileSync(path));
  const dims = proto.dims.map((d) => Number(d));
  const raw = new Uint8Array(proto.rawData);
  const dataType = proto.dataType;
  const data =
    dataType === FLOAT
      ? Float64Array.from(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4))
      : dataType === INT32
        ? Float64Array.from(new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4))
        : (() => {
            throw new Error(`readTensorPb: data type ${dataType}`);
          })();
  return { name: proto.name, dims, dataType, proto, data };
}

/** Add tensors to a model's initializers (the conformance models take their weights as graph inputs). */
export function withInitializers(bytes: Uint8Array, tensors: readonly ox.ITensorProto[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.initializer = [...(m.graph!.initializer ?? []), ...tensors.map((t) => onnx.TensorProto.create(t))];
  return onnx.ModelProto.encode(m).finish();
}

/** Move axis `axis` of a row-major tensor to the front. */
export function moveAxisToFront(data: ArrayLike<number>, shape: readonly number[], axis: number): { shape: number[]; data: Float64Array } {
  const perm = [axis, ...shape.map((_, k) => k).filter((k) => k !== axis)];
  return permute(data, shape, perm);
}

export function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): { shape: number[]; data: Float64Array } {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const out = new Float64Array(data.length);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < perm.length; j++) src += idx[j]! * inStrides[perm[j]!]!;
    out[o] = data[src]!;
    for (let j = outShape.length - 1; j >= 0; j--) {
      if (++idx[j]! < outShape[j]!) break;
      idx[j] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/** Per-sequence [T, I] slices of a batch tensor whose axes are labelled by `axes` (batch/time/feature). */
export function splitBatch(data: ArrayLike<number>, shape: readonly number[], axes: readonly ("batch" | "time" | "feature")[]): { steps: number; data: Float64Array }[] {
  const perm = ["batch", "time", "feature"].map((a) => axes.indexOf(a as "batch"));
  const p = permute(data, shape, perm);
  const [N, T, I] = p.shape as [number, number, number];
  return Array.from({ length: N }, (_, n) => ({ steps: T, data: p.data.slice(n * T * I, (n + 1) * T * I) }));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** A tiny `.npy` reader (little-endian f4/f8/i4/i8, C order) for expected outputs. */
export function readNpy(path: string): { shape: number[]; data: Float64Array } {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 1, 6) !== "NUMPY") throw new Error(`${path}: not an npy file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString("latin1", major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "";
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s)
    .map(Number);
  if (fortran) throw new Error(`${path}: Fortran order`);
  const n = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start);
  const copy = new Uint8Array(body).buffer;
  let data: Float64Array;
  if (descr === "<f4") data = Float64Array.from(new Float32Array(copy, 0, n));
  else if (descr === "<f8") data = new Float64Array(copy, 0, n).slice();
  else if (descr === "<i4") data = Float64Array.from(new Int32Array(copy, 0, n));
  else if (descr === "<i8") data = Float64Array.from(new BigInt64Array(copy, 0, n), (v) => Number(v));
  else throw new Error(`${path}: dtype ${descr}`);
  return { shape, data };
}
