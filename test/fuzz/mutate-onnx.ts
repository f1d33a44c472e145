/**
 * Protobuf-aware ONNX mutations: decode the seed with onnx-proto, break one thing a hostile or buggy exporter
 * could break, encode again. Each mutation edits the decoded ModelProto in place and returns what it did.
 */
import onnxPkg from "onnx-proto";
import type { onnx as ox } from "onnx-proto";
import type { Rng } from "./rng.js";

const { onnx } = onnxPkg;
const AT = onnx.AttributeProto.AttributeType;

/** An int64 as protobufjs encodes it: a number, or low/high words for values a double cannot hold. */
type Int64 = number | { low: number; high: number; unsigned: boolean };

const INT64_MAX: Int64 = { low: 0xffffffff, high: 0x7fffffff, unsigned: false };
const INT64_MIN: Int64 = { low: 0, high: 0x80000000 | 0, unsigned: false };

/** Dimensions and integers that break size arithmetic: negative, zero, huge, beyond 2^53, int64 limits. */
function evilInt(rng: Rng): Int64 {
  return rng.pick<Int64>([
    -5,
    -1,
    0,
    1,
    2,
    3,
    7,
    2 ** 16 + 1,
    2 ** 26 + 1,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 40,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 62,
    -(2 ** 40),
    INT64_MAX,
    INT64_MIN,
  ]);
}

function evilFloat(rng: Rng): number {
  return rng.pick([NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -0, 0, 1e30, 65504]);
}

const DATA_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, -1, 2 ** 31 - 1];
const SUPPORTED_OPS = [
  "LSTM", "Identity", "Dropout", "Cast", "Constant", "Shape", "ConstantOfShape", "Expand", "Unsqueeze", "Squeeze", "Transpose",
  "Reshape", "Flatten", "Gather", "Slice", "Split", "Concat", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Relu", "Tanh",
  "Sigmoid", "Softmax",
];
const UNKNOWN_OPS = ["GRU", "RNN", "Conv", "Loop", "If", "Scan", "", "lstm", "LSTM ", "__proto__", "constructor", "toString", "hasOwnProperty"];
const EVIL_STRINGS = ["", "a\nb", "x\u2028y", "\u0000", "__proto__", "constructor", "../../etc/passwd", "é🙂", "%s%n", "x".repeat(100_000)];

/**
 * The decoded model as the mutations see it. protobufjs creates every nested message as its class and fills every
 * repeated field, so these narrower types hold for what `decode` returns and for messages made with `create`.
 */
type Tensor = ox.TensorProto;
type Attr = Omit<ox.AttributeProto, "t" | "type"> & { t: Tensor | null; type: number };
type Node = Omit<ox.NodeProto, "attribute"> & { attribute: Attr[] };
type Info = ox.ValueInfoProto;
type Graph = Omit<ox.GraphProto, "node" | "initializer" | "input" | "output"> & { node: Node[]; initializer: Tensor[]; input: Info[]; output: Info[] };
export type Model = Omit<ox.ModelProto, "graph"> & { graph: Graph | null };

const newNode = (p: ox.INodeProto) => onnx.NodeProto.create(p) as unknown as Node;
const newAttr = (p: Omit<ox.IAttributeProto, "type"> & { type?: number }) => onnx.AttributeProto.create(p as ox.IAttributeProto) as unknown as Attr;
const newTensor = (p: ox.ITensorProto) => onnx.TensorProto.create(p);
const newInfo = (p: ox.IValueInfoProto) => onnx.ValueInfoProto.create(p);

function g(m: Model): Graph {
  m.graph ??= onnx.GraphProto.create() as unknown as Graph;
  return m.graph;
}

function nodes(m: Model, op?: string): Node[] {
  return g(m).node.filter((n) => op === undefined || n.opType === op);
}

function name(n: Node): string {
  return n.name || n.output[0] || n.opType || "?";
}

/** Every tensor in the graph: initializers and the `value` of Constant nodes. */
function tensors(m: Model): { where: string; t: Tensor }[] {
  const out = g(m).initializer.map((t) => ({ where: `initializer '${t.name}'`, t }));
  for (const n of g(m).node) {
    for (const a of n.attribute) if (a.t) out.push({ where: `${name(n)}.${a.name}`, t: a.t });
  }
  return out;
}

function floatTensors(m: Model): { where: string; t: Tensor }[] {
  return tensors(m).filter((x) => x.t.dataType === 1 && x.t.rawData.length >= 4);
}

function intTensors(m: Model): { where: string; t: Tensor }[] {
  return tensors(m).filter((x) => x.t.dataType === 7 || x.t.dataType === 6);
}

function elementCount(t: ox.ITensorProto): number {
  return (t.dims ?? []).reduce((p: number, d) => p * Number(d), 1);
}

/** Replace a tensor's values (as float32 or int64 raw data) and dims, keeping the two consistent. */
function setValues(t: Tensor, dims: number[], values: ArrayLike<number>): void {
  t.dims = dims;
  t.floatData = [];
  t.int32Data = [];
  t.int64Data = [];
  if (t.dataType === 7) t.rawData = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))).buffer);
  else if (t.dataType === 6) t.rawData = new Uint8Array(Int32Array.from(values).buffer);
  else {
    t.dataType = 1;
    t.rawData = new Uint8Array(Float32Array.from(values).buffer);
  }
}

function readFloats(t: ox.ITensorProto): Float32Array {
  const raw = t.rawData ?? new Uint8Array();
  return new Float32Array(new Uint8Array(raw).buffer, 0, raw.length >> 2);
}

function readInts(t: ox.ITensorProto): number[] {
  const raw = new Uint8Array(t.rawData ?? new Uint8Array());
  if (raw.length === 0) return (t.dataType === 7 ? t.int64Data ?? [] : t.int32Data ?? []).map((x) => Number(x));
  if (t.dataType === 7) return Array.from(new BigInt64Array(raw.buffer, 0, raw.length >> 3), (x) => Number(x));
  return Array.from(new Int32Array(raw.buffer, 0, raw.length >> 2));
}

type OnnxMutation = (rng: Rng, m: Model) => string;

const dataType: OnnxMutation = (rng, m) => {
  const all = tensors(m);
  if (all.length === 0) return "no tensor to retype";
  const x = rng.pick(all);
  const to = rng.pick(DATA_TYPES);
  x.t.dataType = to;
  return `${x.where} data_type = ${to}`;
};

const evilDim: OnnxMutation = (rng, m) => {
  const all = tensors(m);
  if (all.length === 0) return "no tensor to resize";
  const x = rng.pick(all);
  const dims: Int64[] = x.t.dims.map((d) => Number(d));
  const v = evilInt(rng);
  if (dims.length === 0 || rng.chance(0.2)) dims.push(v);
  else dims[rng.int(dims.length)] = v;
  x.t.dims = dims as number[];
  return `${x.where} dims = [${dims.map((d) => (typeof d === "number" ? d : d.high < 0 ? "INT64_MIN" : "INT64_MAX")).join(", ")}]`;
};

/** Dims each within range whose product overflows 2^53 (or exactly hits the element limit). */
const overflowDims: OnnxMutation = (rng, m) => {
  const all = tensors(m);
  if (all.length === 0) return "no tensor";
  const x = rng.pick(all);
  const dims = rng.pick([
    [2 ** 27, 2 ** 27, 2 ** 27],
    [2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20],
    [2 ** 13, 2 ** 13],
    [2 ** 26],
    [2 ** 26 + 1],
    [0, 2 ** 52],
    [2 ** 52, 0],
    [3, 2 ** 51],
  ]);
  x.t.dims = dims;
  return `${x.where} dims = [${dims.join(", ")}]`;
};

const nonFinite: OnnxMutation = (rng, m) => {
  const all = floatTensors(m);
  if (all.length === 0) return "no float tensor";
  const x = rng.pick(all);
  const v = readFloats(x.t).slice();
  const n = rng.range(1, 4);
  const what: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = rng.int(v.length);
    const f = evilFloat(rng);
    v[i] = f;
    what.push(`[${i}]=${f}`);
  }
  x.t.rawData = new Uint8Array(v.buffer);
  return `${x.where} ${what.join(" ")}`;
};

/** Resize a float tensor with consistent data: shapes of W, R, B (and P, states, head) no longer agree. */
const resizeTensor: OnnxMutation = (rng, m) => {
  const all = floatTensors(m);
  if (all.length === 0) return "no float tensor";
  // Half the time one of an LSTM's W, R, B, P or initial states, so that their shapes disagree.
  const lstmInputs = new Set(nodes(m, "LSTM").flatMap((n) => n.input.slice(1)));
  const weights = all.filter((x) => lstmInputs.has(x.t.name));
  const x = rng.pick(weights.length > 0 && rng.chance(0.5) ? weights : all);
  const dims = x.t.dims.map((d) => Number(d));
  const choice = rng.int(5);
  let next: number[];
  if (choice === 0 && dims.length > 0) {
    const k = rng.int(dims.length);
    next = [...dims];
    next[k] = Math.max(0, dims[k]! + rng.pick([-1, 1, 4, -4]));
  } else if (choice === 1) next = [elementCount(x.t)];
  else if (choice === 2) next = [...dims].reverse();
  else if (choice === 3) next = [1, ...dims];
  else next = dims.slice(1);
  const n = next.reduce((p, d) => p * d, 1);
  if (!(n <= 1 << 20)) return `${x.where} too large to reshape`;
  const old = readFloats(x.t);
  setValues(x.t, next, Float32Array.from({ length: n }, (_, k) => old[k % Math.max(1, old.length)] ?? 0.5));
  return `${x.where} reshaped [${dims.join(", ")}] → [${next.join(", ")}]`;
};

/** Integer constants (shapes, axes, indices, split sizes) set to hostile values. */
const evilIntConstant: OnnxMutation = (rng, m) => {
  const all = intTensors(m);
  if (all.length === 0) return "no integer tensor";
  const x = rng.pick(all);
  const v = readInts(x.t);
  const dims = x.t.dims.map((d) => Number(d));
  const vals = v.length > 0 ? [...v] : [0];
  const i = rng.int(vals.length);
  const e = evilInt(rng);
  vals[i] = typeof e === "number" ? e : e.high < 0 ? -(2 ** 63) : 2 ** 63 - 1;
  setValues(x.t, v.length > 0 ? dims : [], vals.map((y) => (Math.abs(y) >= 2 ** 63 ? Math.sign(y) * (2 ** 63 - 1024) : y)));
  return `${x.where} value[${i}] = ${vals[i]}`;
};

const cycle: OnnxMutation = (rng, m) => {
  const ns = g(m).node.filter((n) => n.output.length > 0 && n.input.length > 0);
  if (ns.length === 0) return "no node for a cycle";
  const a = rng.pick(ns);
  if (rng.chance(0.5) || ns.length < 2) {
    const k = rng.int(a.input.length);
    a.input[k] = a.output[0]!;
    return `${name(a)} input ${k} = its own output '${a.output[0]}'`;
  }
  const b = rng.pick(ns.filter((n) => n !== a));
  a.input[rng.int(a.input.length)] = b.output[0]!;
  b.input[rng.int(b.input.length)] = a.output[0]!;
  return `loop between ${name(a)} and ${name(b)}`;
};

const removeInitializer: OnnxMutation = (rng, m) => {
  const inits = g(m).initializer;
  if (inits.length === 0) return "no initializer";
  const k = rng.int(inits.length);
  const [t] = inits.splice(k, 1);
  return `remove initializer '${t!.name}'`;
};

const duplicateName: OnnxMutation = (rng, m) => {
  const gr = g(m);
  switch (rng.int(5)) {
    case 0: {
      if (gr.initializer.length === 0) return "no initializer";
      const t = rng.pick(gr.initializer);
      const copy = onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish());
      if (copy.dataType === 1 && rng.chance(0.5)) setValues(copy, [2], [1, 2]);
      gr.initializer.splice(rng.int(gr.initializer.length + 1), 0, copy);
      return `duplicate initializer '${t.name}'`;
    }
    case 1: {
      const ns = gr.node.filter((n) => n.output.length > 0);
      if (ns.length < 2) return "too few nodes";
      const a = rng.pick(ns);
      const b = rng.pick(ns);
      b.output[rng.int(b.output.length)] = a.output[0]!;
      return `${name(b)} also produces '${a.output[0]}'`;
    }
    case 2: {
      if (gr.input.length === 0) return "no input";
      const i = rng.pick(gr.input);
      gr.input.push(onnx.ValueInfoProto.decode(onnx.ValueInfoProto.encode(i).finish()));
      return `duplicate graph input '${i.name}'`;
    }
    case 3: {
      if (gr.input.length === 0 || gr.initializer.length === 0) return "no input";
      const t = rng.pick(gr.initializer);
      const old = t.name;
      t.name = gr.input[0]!.name;
      return `initializer '${old}' renamed to the data input '${t.name}'`;
    }
    default: {
      const ns = gr.node.filter((n) => n.output.length > 0);
      if (ns.length === 0 || gr.initializer.length === 0) return "no node";
      const n = rng.pick(ns);
      const t = rng.pick(gr.initializer);
      n.output[0] = t.name;
      return `${name(n)} output renamed to initializer '${t.name}'`;
    }
  }
};

const removeAttribute: OnnxMutation = (rng, m) => {
  const ns = g(m).node.filter((n) => n.attribute.length > 0);
  if (ns.length === 0) return "no attribute";
  const n = rng.pick(ns);
  const [a] = n.attribute.splice(rng.int(n.attribute.length), 1);
  return `remove ${name(n)}.${a!.name}`;
};

const hiddenSize: OnnxMutation = (rng, m) => {
  const ls = nodes(m, "LSTM");
  if (ls.length === 0) return "no LSTM";
  const n = rng.pick(ls);
  let a = n.attribute.find((x) => x.name === "hidden_size");
  if (!a) {
    a = newAttr({ name: "hidden_size", type: AT.INT });
    n.attribute.push(a);
  }
  const old = Number(a.i);
  const v = rng.chance(0.5) ? old + rng.pick([-1, 1, 2, -old, old]) : evilInt(rng);
  a.i = v as number;
  return `${name(n)}.hidden_size ${old} → ${typeof v === "number" ? v : "INT64 limit"}`;
};

const unknownOp: OnnxMutation = (rng, m) => {
  const ns = g(m).node;
  if (ns.length === 0) return "no node";
  const n = rng.pick(ns);
  const old = n.opType;
  if (rng.chance(0.15)) {
    n.domain = rng.pick(["com.microsoft", "ai.onnx.ml", "x", "ai.onnx"]);
    return `${name(n)} domain = '${n.domain}'`;
  }
  n.opType = rng.chance(0.5) ? rng.pick(UNKNOWN_OPS) : rng.pick(SUPPORTED_OPS);
  return `${name(n)} op ${old} → '${n.opType}'`;
};

const emptyGraph: OnnxMutation = (rng, m) => {
  const gr = g(m);
  switch (rng.int(6)) {
    case 0:
      gr.node = [];
      return "no nodes";
    case 1:
      gr.output = [];
      return "no graph outputs";
    case 2:
      gr.input = [];
      return "no graph inputs";
    case 3:
      gr.initializer = [];
      return "no initializers";
    case 4:
      m.graph = onnx.GraphProto.create() as unknown as Graph;
      return "empty graph";
    default:
      m.graph = null;
      return "no graph";
  }
};

/** Change an attribute's value (or its type) to something hostile. */
const attributeValue: OnnxMutation = (rng, m) => {
  const ns = g(m).node.filter((n) => n.attribute.length > 0);
  if (ns.length === 0) return "no attribute";
  const n = rng.pick(ns);
  const a = rng.pick(n.attribute);
  const where = `${name(n)}.${a.name}`;
  switch (rng.int(7)) {
    case 0:
      a.i = evilInt(rng) as number;
      return `${where}.i = hostile int`;
    case 1:
      a.f = evilFloat(rng);
      return `${where}.f = ${a.f}`;
    case 2: {
      const ints = a.ints.length > 0 ? a.ints.map((x) => Number(x)) : [0];
      ints[rng.int(ints.length)] = Number(evilInt(rng).valueOf());
      if (rng.chance(0.3)) ints.push(...ints);
      a.ints = ints.map((x) => (Number.isFinite(x) ? x : 0));
      return `${where}.ints = [${a.ints.join(", ")}]`;
    }
    case 3:
      a.floats = [evilFloat(rng), ...a.floats];
      return `${where}.floats gains ${a.floats[0]}`;
    case 4: {
      const s = rng.pick(EVIL_STRINGS);
      a.s = new TextEncoder().encode(s);
      return `${where}.s = ${JSON.stringify(s.slice(0, 20))}`;
    }
    case 5:
      a.strings = Array.from({ length: rng.int(8) }, () => new TextEncoder().encode(rng.pick(["Sigmoid", "Tanh", "Relu", "Elu", "Gelu", ...EVIL_STRINGS.slice(0, 6)])));
      return `${where}.strings = ${a.strings.length} names`;
    default: {
      a.type = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99]);
      a.i = 0;
      a.f = 0;
      a.ints = [];
      a.t = null;
      a.s = new Uint8Array();
      return `${where} cleared, type ${a.type}`;
    }
  }
};

const addAttribute: OnnxMutation = (rng, m) => {
  const ns = g(m).node;
  if (ns.length === 0) return "no node";
  const n = rng.pick(ns);
  const attrName = rng.pick(["hidden_size", "direction", "layout", "clip", "activations", "activation_alpha", "input_forget", "axis", "axes", "perm", "transA", "transB", "alpha", "keepdims", "allowzero", "to", "split", "value", "mystery"]);
  const a = newAttr({ name: attrName });
  switch (rng.int(5)) {
    case 0:
      a.type = AT.INT;
      a.i = evilInt(rng) as number;
      break;
    case 1:
      a.type = AT.FLOAT;
      a.f = evilFloat(rng);
      break;
    case 2:
      a.type = AT.INTS;
      a.ints = Array.from({ length: rng.int(5) }, () => rng.range(-4, 4));
      break;
    case 3:
      a.type = AT.STRING;
      a.s = new TextEncoder().encode(rng.pick(["forward", "reverse", "bidirectional", "sideways", ...EVIL_STRINGS.slice(0, 5)]));
      break;
    default:
      a.type = AT.TENSOR;
      a.t = newTensor({ dataType: 7, dims: [rng.int(4)], int64Data: [1, 2, 3].slice(0, rng.int(4)) });
  }
  n.attribute.push(a);
  return `${name(n)} gains attribute '${attrName}'`;
};

const nodeInputs: OnnxMutation = (rng, m) => {
  const ns = g(m).node;
  if (ns.length === 0) return "no node";
  const n = rng.pick(ns);
  const names = [...g(m).initializer.map((t) => t.name), ...g(m).node.flatMap((x) => x.output), ...g(m).input.map((i) => i.name)];
  switch (rng.int(5)) {
    case 0:
      if (n.input.length === 0) return "no input";
      n.input.splice(rng.int(n.input.length), 1);
      return `${name(n)} loses an input`;
    case 1:
      n.input.push(...Array.from({ length: rng.range(1, 6) }, () => (rng.chance(0.7) && names.length > 0 ? rng.pick(names) : "")));
      return `${name(n)} gains inputs`;
    case 2:
      if (n.input.length === 0) return "no input";
      n.input[rng.int(n.input.length)] = rng.chance(0.5) && names.length > 0 ? rng.pick(names) : rng.pick(["", "nowhere", "x"]);
      return `${name(n)} input rewired`;
    case 3:
      for (let k = n.input.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [n.input[k], n.input[j]] = [n.input[j]!, n.input[k]!];
      }
      return `${name(n)} inputs shuffled`;
    default:
      if (n.output.length === 0) return "no output";
      if (rng.chance(0.5)) n.output.splice(rng.int(n.output.length), 1);
      else n.output.push(rng.pick(["", "extra", ...names]));
      return `${name(n)} outputs changed`;
  }
};

const graphOutputs: OnnxMutation = (rng, m) => {
  const gr = g(m);
  const names = [...gr.initializer.map((t) => t.name), ...gr.node.flatMap((x) => x.output), ...gr.input.map((i) => i.name), "", "nowhere"];
  if (gr.output.length === 0 || rng.chance(0.3)) {
    gr.output.push(newInfo({ name: rng.pick(names) }));
    return `graph output '${gr.output[gr.output.length - 1]!.name}' added`;
  }
  const o = rng.pick(gr.output);
  o.name = rng.pick(names);
  return `graph output renamed to '${o.name}'`;
};

const versions: OnnxMutation = (rng, m) => {
  if (rng.chance(0.4)) {
    m.irVersion = rng.pick([0, -1, 1, 3, 99, 2 ** 40]);
    return `ir_version = ${String(m.irVersion)}`;
  }
  const v = rng.pick([0, 1, 6, 7, 9, 11, 12, 13, 14, 18, 1000, -3]);
  if (rng.chance(0.2)) m.opsetImport = [];
  else m.opsetImport = [onnx.OperatorSetIdProto.create({ domain: rng.pick(["", "ai.onnx", "x"]), version: v })];
  return `opset_import = ${v}`;
};

const inputInfo: OnnxMutation = (rng, m) => {
  const gr = g(m);
  if (gr.input.length === 0) return "no input";
  const i = rng.pick(gr.input);
  const t = (i.type ??= onnx.TypeProto.create()).tensorType ?? (i.type.tensorType = onnx.TypeProto.Tensor.create());
  switch (rng.int(4)) {
    case 0:
      t.elemType = rng.pick(DATA_TYPES);
      return `input '${i.name}' elem_type = ${t.elemType}`;
    case 1: {
      const shape = (t.shape ??= onnx.TensorShapeProto.create());
      shape.dim = Array.from({ length: rng.pick([0, 1, 2, 4, 5]) }, () => onnx.TensorShapeProto.Dimension.create({ dimParam: "d" }));
      return `input '${i.name}' rank ${shape.dim.length}`;
    }
    case 2: {
      const dims = (t.shape ??= onnx.TensorShapeProto.create()).dim ?? [];
      if (dims.length === 0) return "no dims";
      const d = rng.pick(dims);
      d.dimValue = evilInt(rng) as number;
      d.dimParam = "";
      return `input '${i.name}' dim_value hostile`;
    }
    default:
      i.type = null;
      return `input '${i.name}' has no type`;
  }
};

const storage: OnnxMutation = (rng, m) => {
  const all = tensors(m);
  if (all.length === 0) return "no tensor";
  const x = rng.pick(all);
  switch (rng.int(6)) {
    case 0:
      x.t.dataLocation = 1;
      return `${x.where} data_location EXTERNAL`;
    case 1:
      x.t.externalData = [onnx.StringStringEntryProto.create({ key: "location", value: "../../../../etc/passwd" })];
      return `${x.where} external_data`;
    case 2:
      x.t.segment = onnx.TensorProto.Segment.create({ begin: 0, end: 1 });
      return `${x.where} segment`;
    case 3: {
      // Move raw data into the typed field, with a wrong count sometimes.
      const n = elementCount(x.t);
      const count = rng.chance(0.5) ? n : Math.max(0, n + rng.pick([-1, 1, 1000]));
      const vals = Array.from({ length: Math.min(count, 1 << 16) }, () => rng.next() - 0.5);
      x.t.rawData = new Uint8Array();
      if (x.t.dataType === 7) x.t.int64Data = vals.map((v) => Math.round(v * 10));
      else if (x.t.dataType === 1) x.t.floatData = vals;
      else x.t.int32Data = vals.map((v) => Math.round(v * 10));
      return `${x.where} typed field with ${vals.length} of ${n} values`;
    }
    case 4:
      x.t.rawData = x.t.rawData.slice(0, Math.max(0, x.t.rawData.length - rng.range(1, 8)));
      return `${x.where} raw_data cut short`;
    default:
      g(m).sparseInitializer = [onnx.SparseTensorProto.create({ dims: [4] })];
      return "sparse initializer";
  }
};

const renameEvil: OnnxMutation = (rng, m) => {
  const s = rng.pick(EVIL_STRINGS);
  const gr = g(m);
  if (rng.chance(0.5) && gr.node.length > 0) {
    rng.pick(gr.node).name = s;
    return `node renamed ${JSON.stringify(s.slice(0, 20))}`;
  }
  // Rename a tensor everywhere it appears, so the graph stays connected.
  const all = [...gr.node.flatMap((n) => n.output), ...gr.initializer.map((t) => t.name)].filter((x) => x);
  if (all.length === 0) return "no tensor";
  const old = rng.pick(all);
  const sub = (x: string) => (x === old ? s : x);
  for (const n of gr.node) {
    n.input = n.input.map(sub);
    n.output = n.output.map(sub);
  }
  for (const t of gr.initializer) t.name = sub(t.name);
  for (const o of gr.output) o.name = sub(o.name);
  for (const i of gr.input) i.name = sub(i.name);
  m.producerName = s;
  return `tensor '${old}' renamed ${JSON.stringify(s.slice(0, 20))}`;
};

/**
 * Constant folding that costs time or memory: a large constant (Expand of a non-uniform [1, side] row to
 * [side, side], which the importer materializes) pushed through a chain of MatMul / Add / Concat / ... nodes
 * and made live by a graph output. Each step alone is within the element limit; together they are not.
 */
export function expensiveFoldingGraph(m: Model, side: number, chain: string, depth: number): void {
  const gr = g(m);
  gr.initializer.push(
    newTensor({ name: "fz_shape", dataType: 7, dims: [2], int64Data: [side, side] }),
    newTensor({ name: "fz_base", dataType: 1, dims: [1, side], floatData: Array.from({ length: side }, (_, k) => (k % 7) / 8) }),
  );
  gr.node.push(newNode({ opType: "Expand", input: ["fz_base", "fz_shape"], output: ["fz_0"], name: "fz_expand" }));
  for (let k = 0; k < depth; k++) {
    const unary = chain === "Transpose" || chain === "Tanh" || chain === "Cast";
    const attribute = chain === "Cast" ? [newAttr({ name: "to", type: AT.INT, i: 11 })] : [];
    gr.node.push(
      newNode({ opType: chain, input: unary ? [`fz_${k}`] : [`fz_${k}`, `fz_${k}`], output: [`fz_${k + 1}`], name: `fz${k}`, attribute }),
    );
  }
  gr.output.push(newInfo({ name: `fz_${depth}` }));
}

const expensiveFolding: OnnxMutation = (rng, m) => {
  const side = rng.pick([64, 1024, 4096, 8192]);
  const chain = rng.pick(["MatMul", "Add", "Mul", "Transpose", "Concat", "Tanh", "Cast"]);
  const depth = rng.pick([1, 4, 32, 200]);
  expensiveFoldingGraph(m, side, chain, depth);
  return `Expand to [${side}, ${side}] → ${depth} × ${chain}`;
};

/** Valid but extreme weights: a float tensor scaled by a huge, tiny, zero or negative factor. */
const scaleWeights: OnnxMutation = (rng, m) => {
  const all = floatTensors(m);
  if (all.length === 0) return "no float tensor";
  const x = rng.pick(all);
  const factor = rng.pick([0, -1, 1e-30, 1e-6, 1e3, 1e6, 1e15, 1e30]);
  const v = readFloats(x.t).map((y) => y * factor);
  x.t.rawData = new Uint8Array(v.buffer);
  return `${x.where} × ${factor}`;
};

const ACTIVATION_NAMES = ["Sigmoid", "Tanh", "Relu", "Softsign", "Softplus", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu"];

/** Valid but unusual LSTM activations, with extreme alpha/beta values. */
const lstmActivations: OnnxMutation = (rng, m) => {
  const ls = nodes(m, "LSTM");
  if (ls.length === 0) return "no LSTM";
  const n = rng.pick(ls);
  const dirs = n.attribute.find((a) => a.name === "direction" && new TextDecoder().decode(a.s) === "bidirectional") ? 2 : 1;
  const names = Array.from({ length: 3 * dirs }, () => rng.pick(ACTIVATION_NAMES));
  const params = () => Array.from({ length: rng.int(7) }, () => rng.pick([0, 1, -1, 0.5, 1e-30, 1e30, -1e30, 3.4e38]));
  n.attribute = n.attribute.filter((a) => !a.name.startsWith("activation"));
  n.attribute.push(
    newAttr({ name: "activations", type: AT.STRINGS, strings: names.map((s) => new TextEncoder().encode(s)) }),
    newAttr({ name: "activation_alpha", type: AT.FLOATS, floats: params() }),
    newAttr({ name: "activation_beta", type: AT.FLOATS, floats: params() }),
  );
  return `${name(n)} activations ${names.join(",")}`;
};

/** Valid but extreme LSTM flags: clip, input_forget. */
const lstmFlags: OnnxMutation = (rng, m) => {
  const ls = nodes(m, "LSTM");
  if (ls.length === 0) return "no LSTM";
  const n = rng.pick(ls);
  if (rng.chance(0.5)) {
    const clip = rng.pick([1e-30, 1e-6, 0.5, 1e6, 3.4e38, 0, -1]);
    n.attribute = n.attribute.filter((a) => a.name !== "clip");
    n.attribute.push(newAttr({ name: "clip", type: AT.FLOAT, f: clip }));
    return `${name(n)}.clip = ${clip}`;
  }
  n.attribute = n.attribute.filter((a) => a.name !== "input_forget");
  n.attribute.push(newAttr({ name: "input_forget", type: AT.INT, i: 1 }));
  return `${name(n)}.input_forget = 1`;
};

/** Attributes each supported operator reads, with plausible and hostile values. */
function randomAttributes(rng: Rng, op: string): ox.IAttributeProto[] {
  const int = (name: string, values: readonly number[]) => newAttr({ name, type: AT.INT, i: rng.pick(values) });
  const ints = (name: string) =>
    newAttr({ name, type: AT.INTS, ints: Array.from({ length: rng.int(5) }, () => rng.pick([-4, -3, -2, -1, 0, 1, 2, 3, 4, 2 ** 31])) });
  const axis = () => int("axis", [-4, -3, -2, -1, 0, 1, 2, 3, 4, 2 ** 40]);
  const out: ox.IAttributeProto[] = [];
  switch (op) {
    case "Transpose":
      if (rng.chance(0.8)) out.push(ints("perm"));
      break;
    case "Unsqueeze":
    case "Squeeze":
      if (rng.chance(0.5)) out.push(ints("axes"));
      break;
    case "Gather":
    case "Concat":
    case "Flatten":
    case "Softmax":
    case "Split":
      if (rng.chance(0.8)) out.push(axis());
      if (op === "Split" && rng.chance(0.3)) out.push(ints("split"));
      break;
    case "Cast":
      out.push(int("to", [1, 6, 7, 9, 10, 11, 16, 0, 99]));
      break;
    case "Gemm":
      if (rng.chance(0.5)) out.push(int("transB", [0, 1]));
      if (rng.chance(0.2)) out.push(int("transA", [0, 1]));
      if (rng.chance(0.3)) out.push(newAttr({ name: "alpha", type: AT.FLOAT, f: evilFloat(rng) }));
      break;
    case "Shape":
      if (rng.chance(0.5)) out.push(int("start", [-5, -1, 0, 1, 2, 9]));
      if (rng.chance(0.5)) out.push(int("end", [-5, -1, 0, 1, 2, 9]));
      break;
    case "Reshape":
      if (rng.chance(0.3)) out.push(int("allowzero", [0, 1]));
      break;
    case "Slice":
      if (rng.chance(0.3)) {
        out.push(ints("starts"), ints("ends"));
        if (rng.chance(0.5)) out.push(ints("axes"));
      }
      break;
  }
  return out;
}

/** A small random constant operand: int64 shapes/axes/indices, or float values. */
function randomConstant(rng: Rng, m: Model, id: string): string {
  const name = `fz_const_${id}`;
  const len = rng.pick([0, 1, 1, 2, 3, 4]);
  if (rng.chance(0.7)) {
    const v = Array.from({ length: len }, () => rng.pick([-3, -2, -1, 0, 1, 2, 3, 4, 8, 2 ** 31 - 1, 2 ** 40, -(2 ** 40)]));
    const scalar = len === 1 && rng.chance(0.4);
    g(m).initializer.push(newTensor({ name, dataType: 7, dims: scalar ? [] : [len], int64Data: v }));
  } else {
    const dims = rng.pick([[], [1], [3], [1, 3], [2, 2], [1, 1, 1]]);
    const n = dims.reduce((p, d) => p * d, 1);
    g(m).initializer.push(newTensor({ name, dataType: 1, dims, floatData: Array.from({ length: n }, () => (rng.chance(0.1) ? evilFloat(rng) : rng.next() - 0.5)) }));
  }
  return name;
}

/**
 * Insert a random supported operator on an existing edge (so it is live): node N's input t becomes op(t, ...),
 * with other operands taken from the graph's tensors or new small constants, and random attributes.
 */
const insertNode: OnnxMutation = (rng, m) => {
  const gr = g(m);
  const consumers = gr.node.filter((n) => n.input.some((x) => x));
  if (consumers.length === 0) return "no edge";
  const target = rng.pick(consumers);
  const slots = target.input.map((x, k) => (x ? k : -1)).filter((k) => k >= 0);
  const k = rng.pick(slots);
  const t = target.input[k]!;
  const op = rng.pick(SUPPORTED_OPS.filter((o) => o !== "LSTM" && o !== "Constant"));
  const tensorsNow = [...gr.node.flatMap((n) => n.output), ...gr.initializer.map((x) => x.name), ...gr.input.map((x) => x.name)].filter((x) => x);
  const arity: Readonly<Record<string, number>> = { Expand: 2, Unsqueeze: 2, Squeeze: 2, Reshape: 2, Gather: 2, Slice: 5, Split: 2, Concat: 3, MatMul: 2, Gemm: 3, Add: 2, Sub: 2, Mul: 2, Div: 2 };
  const extra = Math.max(0, rng.int((arity[op] ?? 1) + 1) - 1);
  const id = `${rng.int(1e9)}`;
  const inputs = [t];
  for (let j = 0; j < extra; j++) inputs.push(rng.chance(0.6) ? randomConstant(rng, m, `${id}_${j}`) : rng.pick(tensorsNow));
  if (op === "Concat" && rng.chance(0.5)) inputs.push(t);
  const outs = op === "Split" ? [`fz_out_${id}`, `fz_out2_${id}`] : op === "Dropout" && rng.chance(0.5) ? [`fz_out_${id}`, `fz_mask_${id}`] : [`fz_out_${id}`];
  gr.node.push(newNode({ opType: op, input: inputs, output: outs, name: `fz_${op}_${id}`, attribute: randomAttributes(rng, op) }));
  target.input[k] = rng.chance(0.9) ? outs[0]! : outs[outs.length - 1]!;
  return `insert ${op}(${inputs.length} inputs) before ${name(target)} input ${k}`;
};

/** Deeply nested subgraph attributes (a protobuf decoder's recursion). */
export function deepNesting(depth: number): Uint8Array {
  const varint = (v: number): number[] => {
    const out: number[] = [];
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return out;
  };
  // Inside out: NodeProto{ attribute(5): AttributeProto{ name(1)="g", type(20)=GRAPH(5), g(6): GraphProto{ node(1): NodeProto{...} } } }
  const levels: number[][] = [];
  let len = 0;
  for (let k = 0; k < depth; k++) {
    const graph = [0x0a, ...varint(len)]; // GraphProto.node, the inner NodeProto
    const graphLen = len + graph.length;
    const attr = [0x0a, 0x01, 0x67, 0xa0, 0x01, 0x05, 0x32, ...varint(graphLen)]; // name "g", type 5, g
    const attrLen = graphLen + attr.length;
    const nodeHead = [0x2a, ...varint(attrLen)]; // NodeProto.attribute
    levels.push([...nodeHead, ...attr, ...graph]);
    len = attrLen + nodeHead.length;
  }
  // ModelProto{ ir_version(1)=8, graph(7): GraphProto{ node(1): <outermost NodeProto> } }
  const outer = [0x0a, ...varint(len)];
  const head = [0x08, 0x08, 0x3a, ...varint(len + outer.length), ...outer];
  const total = head.length + levels.reduce((s, l) => s + l.length, 0);
  const out = new Uint8Array(total);
  out.set(head, 0);
  let at = head.length;
  for (let k = levels.length - 1; k >= 0; k--) {
    out.set(levels[k]!, at);
    at += levels[k]!.length;
  }
  return out;
}

export const ONNX_MUTATIONS: Readonly<Record<string, OnnxMutation>> = {
  dataType,
  evilDim,
  overflowDims,
  nonFinite,
  resizeTensor,
  evilIntConstant,
  cycle,
  removeInitializer,
  duplicateName,
  removeAttribute,
  hiddenSize,
  unknownOp,
  emptyGraph,
  attributeValue,
  addAttribute,
  nodeInputs,
  graphOutputs,
  versions,
  inputInfo,
  storage,
  renameEvil,
  expensiveFolding,
  scaleWeights,
  lstmActivations,
  lstmFlags,
  insertNode,
};

export function decode(bytes: Uint8Array): Model {
  return onnx.ModelProto.decode(bytes) as unknown as Model;
}

export function encode(m: Model): Uint8Array {
  return onnx.ModelProto.encode(m as unknown as ox.IModelProto).finish();
}
