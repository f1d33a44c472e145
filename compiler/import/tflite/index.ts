/**
 * TFLite importer: a `.tflite` flatbuffer whose main subgraph is
 *   input → [FULLY_CONNECTED…] → UNIDIRECTIONAL_SEQUENCE_LSTM… → [RESHAPE to [1, T·H] | STRIDED_SLICE of the last step]
 *         → [FULLY_CONNECTED…] → [SOFTMAX]
 * with QUANTIZE/DEQUANTIZE treated as identities. Float32 and float16 tensors are read as is; int8/uint8/int16/
 * int32 tensors are dequantized with their own scale and zero point (per tensor or per channel):
 * value = scale · (q − zero_point).
 *
 * UNIDIRECTIONAL_SEQUENCE_LSTM inputs: 0 x, 1–4 input-to-{i,f,c,o} weights [H, I], 5–8 recurrent-to-{i,f,c,o}
 * [H, H], 9–11 cell-to-{i,f,o} peepholes [H], 12–15 {i,f,c,o} gate biases [H], 16–17 projection, 18–19 output and
 * cell state variables, 20–23 layer-norm coefficients. Gates are always sigmoid; the fused activation is the cell
 * and hidden activation.
 */
import { inputError } from "../../errors.js";
import type { Activation, DenseActivation, DenseLayer, Gate, GateName, HeadReads, LstmCell, LstmLayer, Model } from "../../ir/model.js";
import { matrix, validateModel } from "../../ir/validate.js";
import { readModelBytes } from "../keras/files.js";
import { Op, Options, opName, readTflite, TENSOR_TYPE_NAMES, TensorType, type TfModel, type TfOperator, type TfTensor } from "./schema.js";
import { halfToFloat } from "../float16.js";

/** What a tensor holds as the graph is walked. */
type Value =
  | { readonly kind: "input" }
  | { readonly kind: "seq" }
  | { readonly kind: "flat"; readonly steps: number }
  | { readonly kind: "vec" };

/** TFLite's per-gate operand order (inputs 1–4 input weights, 5–8 recurrent, 12–15 biases): i, f, c, o. */
const TFLITE_GATE_ORDER: readonly GateName[] = ["input", "forget", "cell", "output"];

class Graph {
  readonly notes: string[] = [];
  private dequantized = false;

  constructor(
    readonly file: string,
    readonly model: TfModel,
    readonly tensors: readonly TfTensor[],
  ) {}

  tensor(op: TfOperator, k: number, what: string): TfTensor {
    const i = op.inputs[k];
    const t = i === undefined || i < 0 ? undefined : this.tensors[i];
    if (!t) throw this.opError(op, `has no ${what} (input ${k})`);
    return t;
  }

  optional(op: TfOperator, k: number): TfTensor | undefined {
    const i = op.inputs[k];
    return i === undefined || i < 0 ? undefined : this.tensors[i];
  }

  opError(op: TfOperator, problem: string) {
    return inputError(this.file, `operator ${op.index} (${opName(op.code)}): ${problem}`);
  }

  /** A constant INT32/INT64 index tensor (begin/end/strides) as plain integers. */
  integers(op: TfOperator, t: TfTensor): Float64Array {
    if ((t.type !== TensorType.INT32 && t.type !== TensorType.INT64) || t.quant) {
      throw this.opError(op, `tensor '${t.name}' should be an INT32 or INT64 constant`);
    }
    return this.constant(op, t, undefined, true);
  }

  /** A constant tensor's values as float64 (dequantized when quantized). */
  constant(op: TfOperator, t: TfTensor, shape?: readonly number[], integers = false): Float64Array {
    const fail = (p: string) => this.opError(op, `tensor '${t.name}' ${p}`);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k]))) {
      throw fail(`has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
    }
    const buf = this.model.buffers[t.buffer];
    if (!buf || buf.length === 0) throw fail("has no data (it is not a constant)");
    const count = t.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const item: Record<number, number> = { [TensorType.FLOAT32]: 4, [TensorType.FLOAT16]: 2, [TensorType.INT8]: 1, [TensorType.UINT8]: 1, [TensorType.INT16]: 2, [TensorType.INT32]: 4, [TensorType.INT64]: 8, [TensorType.FLOAT64]: 8 };
    const size = item[t.type];
    if (size === undefined) throw fail(`has type ${TENSOR_TYPE_NAMES[t.type] ?? t.type}, which lstm-gen cannot read`);
    if (buf.length !== count * size) throw fail(`has ${buf.length} data bytes but shape [${t.shape.join(", ")}] needs ${count * size}`);
    const raw = (k: number): number => {
      switch (t.type) {
        case TensorType.FLOAT32: return view.getFloat32(k * 4, true);
        case TensorType.FLOAT64: return view.getFloat64(k * 8, true);
        case TensorType.FLOAT16: return halfToFloat(view.getUint16(k * 2, true));
        case TensorType.INT8: return view.getInt8(k);
        case TensorType.UINT8: return view.getUint8(k);
        case TensorType.INT16: return view.getInt16(k * 2, true);
        case TensorType.INT32: return view.getInt32(k * 4, true);
        default: return Number(view.getBigInt64(k * 8, true));
      }
    };
    const out = new Float64Array(count);
    const isFloat = t.type === TensorType.FLOAT32 || t.type === TensorType.FLOAT16 || t.type === TensorType.FLOAT64;
    if (isFloat || integers) {
      for (let k = 0; k < count; k++) out[k] = raw(k);
      return out;
    }
    const q = t.quant;
    if (!q) throw fail(`is ${TENSOR_TYPE_NAMES[t.type]} without quantization parameters`);
    // Per-channel: scale[c] applies along dimension q.dim.
    const perChannel = q.scale.length > 1;
    const dim = q.dim;
    if (perChannel && (dim < 0 || dim >= t.shape.length || t.shape[dim] !== q.scale.length)) {
      throw fail(`has ${q.scale.length} scales but dimension ${dim} has size ${t.shape[dim]}`);
    }
    const inner = perChannel ? t.shape.slice(dim + 1).reduce((a, b) => a * b, 1) : 1;
    for (let k = 0; k < count; k++) {
      const c = perChannel ? Math.floor(k / inner) % q.scale.length : 0;
      out[k] = q.scale[c]! * (raw(k) - (q.zeroPoint[c] ?? q.zeroPoint[0] ?? 0));
    }
    if (!this.dequantized) {
      this.dequantized = true;
      this.notes.push("quantized weights dequantized with each tensor's scale and zero point: w = scale·(q − zero_point)");
    }
    return out;
  }
}

function fusedActivation(g: Graph, op: TfOperator, code: number, forLstm: boolean): Activation & { kind: DenseActivation | "tanh" } {
  switch (code) {
    case 0:
      return { kind: "linear" };
    case 1:
      return { kind: "relu" };
    case 4:
      return { kind: "tanh" };
    default:
      throw g.opError(op, `fused activation ${["NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"][code] ?? code} is not supported${forLstm ? " as the LSTM's cell activation" : ""}`);
  }
}

function lstmLayer(g: Graph, op: TfOperator, inputSize: number | undefined, k: number): { layer: LstmLayer; I: number; timeMajor: boolean } {
  if (op.inputs.length !== 20 && op.inputs.length !== 24) throw g.opError(op, `has ${op.inputs.length} inputs; expected 20 or 24`);
  const o = op.optionsType === Options.UnidirectionalSequenceLSTM ? op.options : undefined;
  if (!o) throw g.opError(op, "has no UnidirectionalSequenceLSTMOptions");
  const act = fusedActivation(g, op, o.i8(0), true);
  const cellClip = o.f32(1);
  const timeMajor = o.bool(3);
  if (o.bool(5)) throw g.opError(op, "diagonal_recurrent_tensors is not supported");
  if (!g.optional(op, 1)) throw g.opError(op, "has no input-gate weights (CIFG, coupled input and forget gates); not supported");
  if (g.optional(op, 16) || g.optional(op, 17)) throw g.opError(op, "has a projection layer; not supported");
  for (let k2 = 20; k2 < op.inputs.length; k2++) if (g.optional(op, k2)) throw g.opError(op, "has layer normalization; not supported");
  const wx = g.tensor(op, 2, "input-to-forget weights");
  if (wx.shape.length !== 2) throw g.opError(op, `input weights '${wx.name}' are not a matrix`);
  const [H, I] = wx.shape as [number, number];
  if (inputSize !== undefined && I !== inputSize) throw g.opError(op, `takes ${I} inputs but receives ${inputSize}`);
  const gates = {} as Record<GateName, Gate>;
  TFLITE_GATE_ORDER.forEach((name, gi) => {
    const W = g.constant(op, g.tensor(op, 1 + gi, `input-to-${name} weights`), [H, I]);
    const R = g.constant(op, g.tensor(op, 5 + gi, `recurrent-to-${name} weights`), [H, H]);
    const b = g.optional(op, 12 + gi);
    gates[name] = { W: matrix(H, I, W), R: matrix(H, H, R), bias: b ? g.constant(op, b, [H]) : new Float64Array(H) };
  });
  const p = [9, 10, 11].map((k2) => g.optional(op, k2));
  let peephole: LstmCell["peephole"];
  if (p.some((t) => t)) {
    if (!p.every((t) => t)) throw g.opError(op, "has only some peephole weights");
    peephole = { input: g.constant(op, p[0]!, [H]), forget: g.constant(op, p[1]!, [H]), output: g.constant(op, p[2]!, [H]) };
  }
  const cell: LstmCell = {
    gates,
    ...(peephole ? { peephole } : {}),
    activations: { gate: { kind: "sigmoid" }, cell: act, hidden: act },
  };
  if (cellClip > 0) {
    g.notes.push(
      `LSTM ${k}: cell_clip ${cellClip} (TFLite clamps the cell state to ±${cellClip}) is not in the IR and was dropped; the result is exact while |c| stays below ${cellClip}`,
    );
  }
  const name = g.tensors[op.outputs[0] ?? -1]?.name ?? `lstm_${k}`;
  return { layer: { kind: "lstm", name, inputSize: I, hiddenSize: H, direction: "forward", cells: [cell], inputForget: false }, I, timeMajor };
}

/** Whether a STRIDED_SLICE takes exactly the last step along the time axis of a [batch=1, T, H] tensor (shrinking it). */
function isLastStep(g: Graph, op: TfOperator, inShape: readonly number[], timeAxis: number): boolean {
  const o = op.optionsType === Options.StridedSlice ? op.options : undefined;
  if (!o || inShape.length !== 3) return false;
  const [beginMask, endMask, ellipsis, newAxis, shrink] = [o.i32(0), o.i32(1), o.i32(2), o.i32(3), o.i32(4)];
  if (ellipsis !== 0 || newAxis !== 0 || o.bool(5)) return false;
  const begin = g.integers(op, g.tensor(op, 1, "begin"));
  const end = g.integers(op, g.tensor(op, 2, "end"));
  const strides = g.integers(op, g.tensor(op, 3, "strides"));
  if (begin.length !== 3 || end.length !== 3 || strides.length !== 3) return false;
  for (let a = 0; a < 3; a++) {
    const n = inShape[a]!;
    const bit = 1 << a;
    if (n < 1 || strides[a] !== 1) return false;
    const norm = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const b = beginMask & bit ? 0 : norm(begin[a]!);
    const shrunk = (shrink & bit) !== 0;
    const e = shrunk ? b + 1 : endMask & bit ? n : norm(end[a]!);
    if (a === timeAxis) {
      if (!shrunk || b !== n - 1) return false;
    } else if (a === 2) {
      if (shrunk || b !== 0 || e !== n) return false;
    } else if (n !== 1 || b !== 0 || e !== 1) {
      return false;
    }
  }
  return true;
}

export function importTflite(file: string, bytes = readModelBytes(file)): Model {
  const model = readTflite(file, bytes);
  const sg = model.subgraphs[0];
  if (!sg) throw inputError(file, "has no subgraph");
  const g = new Graph(file, model, sg.tensors);
  if (sg.inputs.length !== 1) throw inputError(file, `has ${sg.inputs.length} inputs; lstm-gen reads models with one input sequence`);
  if (sg.outputs.length !== 1) throw inputError(file, `has ${sg.outputs.length} outputs; lstm-gen reads models with one output`);
  if (model.subgraphs.length > 1) g.notes.push(`only subgraph 0 of ${model.subgraphs.length} was read`);
  const input = sg.tensors[sg.inputs[0]!];
  if (!input) throw inputError(file, "names an input tensor that does not exist");
  if (input.shape.length !== 3) throw inputError(file, `input '${input.name}' has shape [${input.shape.join(", ")}]; expected [batch, time, features]`);

  const values = new Map<number, Value>([[input.index, { kind: "input" }]]);
  const inputDense: DenseLayer[] = [];
  const layers: LstmLayer[] = [];
  const head: DenseLayer[] = [];
  let reads: HeadReads | undefined;
  let flattenSteps: number | undefined;
  let width = input.shape[2]!;
  let steps: number | undefined = input.shape[1]! > 0 ? input.shape[1]! : undefined;
  let lastDense: DenseLayer[] | undefined;
  let timeAxis = 1;

  const valueOf = (op: TfOperator, k = 0): Value => {
    const v = values.get(op.inputs[k] ?? -1);
    if (!v) throw g.opError(op, `reads tensor '${g.tensors[op.inputs[k] ?? -1]?.name ?? op.inputs[k]}', which lstm-gen cannot follow back to the model input`);
    return v;
  };
  const setOut = (op: TfOperator, v: Value) => {
    const o = op.outputs[0];
    if (o === undefined || !g.tensors[o]) throw g.opError(op, "has no output tensor");
    values.set(o, v);
  };

  for (const op of sg.operators) {
    switch (op.code) {
      case Op.UNIDIRECTIONAL_SEQUENCE_LSTM: {
        const v = valueOf(op);
        if (v.kind !== "input" && v.kind !== "seq") throw g.opError(op, "reads something other than a sequence");
        if (head.length > 0) throw g.opError(op, "dense layers between LSTM layers are not supported");
        const { layer, timeMajor } = lstmLayer(g, op, width, layers.length);
        if (layers.length === 0) {
          timeAxis = timeMajor ? 0 : 1;
          const batch = input.shape[timeMajor ? 1 : 0]!;
          if (batch !== 1 && batch !== -1) throw g.opError(op, `the input has batch size ${batch}; lstm-gen reads batch size 1`);
          const t = input.shape[timeAxis]!;
          steps = t > 0 ? t : undefined;
          if (timeMajor) g.notes.push("time_major=true: the input is [time, batch, features]");
        }
        layers.push(layer);
        lastDense = undefined;
        width = layer.hiddenSize;
        setOut(op, { kind: "seq" });
        break;
      }
      case Op.FULLY_CONNECTED: {
        const v = valueOf(op);
        const o = op.optionsType === Options.FullyConnected ? op.options : undefined;
        if (o && o.i8(1) !== 0) throw g.opError(op, "uses a shuffled weights format; not supported");
        const wt = g.tensor(op, 1, "weights");
        if (wt.shape.length !== 2) throw g.opError(op, `weights '${wt.name}' are not a matrix`);
        const [O, nIn] = wt.shape as [number, number];
        const expectIn = v.kind === "flat" ? width * v.steps : width;
        if (nIn !== expectIn) throw g.opError(op, `weights take ${nIn} inputs but receive ${expectIn}`);
        const bt = g.optional(op, 2);
        const activation = fusedActivation(g, op, o ? o.i8(0) : 0, false).kind as DenseActivation;
        const d: DenseLayer = { name: g.tensors[op.outputs[0] ?? -1]?.name ?? `dense_${op.index}`, W: matrix(O, nIn, g.constant(op, wt)), bias: bt ? g.constant(op, bt, [O]) : new Float64Array(O), activation };
        if (v.kind === "input") {
          inputDense.push(d);
          lastDense = inputDense;
          setOut(op, { kind: "input" });
        } else {
          if (v.kind === "seq") reads = "every";
          else if (v.kind === "flat") {
            reads = "flatten";
            flattenSteps = v.steps;
          }
          head.push(d);
          lastDense = head;
          setOut(op, v.kind === "seq" ? { kind: "seq" } : { kind: "vec" });
        }
        width = O;
        break;
      }
      case Op.RESHAPE: {
        const v = valueOf(op);
        const out = g.tensors[op.outputs[0] ?? -1];
        if (!out) throw g.opError(op, "has no output tensor");
        const size = out.shape.reduce((a, b) => a * (b < 0 ? 1 : b), 1);
        if (v.kind === "seq" && steps !== undefined && out.shape.length === 2 && out.shape[0] === 1 && out.shape[1] === steps * width && head.length === 0) {
          setOut(op, { kind: "flat", steps });
          g.notes.push(`RESHAPE of the LSTM output [1, ${steps}, ${width}] to [1, ${steps * width}] → the head reads all ${steps} steps concatenated (the model runs only ${steps}-step sequences)`);
        } else if (v.kind === "vec" && size === width) {
          setOut(op, v);
        } else {
          throw g.opError(op, `reshape to [${out.shape.join(", ")}] is not supported here (lstm-gen reads a flatten of the whole LSTM output, or a no-op reshape of a vector)`);
        }
        break;
      }
      case Op.STRIDED_SLICE: {
        const v = valueOf(op);
        const last = layers[layers.length - 1];
        const inT = g.tensors[op.inputs[0] ?? -1]!;
        if (v.kind !== "seq" || !last || head.length > 0 || !isLastStep(g, op, inT.shape, timeAxis)) {
          throw g.opError(op, "is supported only as taking the last time step of an LSTM output");
        }
        reads = "last";
        setOut(op, { kind: "vec" });
        break;
      }
      case Op.SOFTMAX:
      case Op.LOGISTIC:
      case Op.TANH:
      case Op.RELU: {
        const v = valueOf(op);
        const act: DenseActivation = op.code === Op.SOFTMAX ? "softmax" : op.code === Op.LOGISTIC ? "sigmoid" : op.code === Op.TANH ? "tanh" : "relu";
        if (op.code === Op.SOFTMAX) {
          const beta = op.optionsType === Options.Softmax && op.options ? op.options.f32(0, 1) : 1;
          if (beta !== 1) throw g.opError(op, `softmax with beta ${beta} is not supported (only 1)`);
        }
        const prev = lastDense?.[lastDense.length - 1];
        if (!lastDense || !prev) throw g.opError(op, "an activation is supported only right after FULLY_CONNECTED");
        if (prev.activation !== "linear") throw g.opError(op, `follows a FULLY_CONNECTED that already has activation ${prev.activation}`);
        lastDense[lastDense.length - 1] = { ...prev, activation: act };
        setOut(op, v);
        break;
      }
      case Op.QUANTIZE:
      case Op.DEQUANTIZE: {
        setOut(op, valueOf(op));
        g.notes.push(`${opName(op.code)} operators are identities in the float IR`);
        break;
      }
      default:
        throw g.opError(op, `is not supported (lstm-gen reads UNIDIRECTIONAL_SEQUENCE_LSTM, FULLY_CONNECTED, RESHAPE, STRIDED_SLICE of the last step, SOFTMAX, LOGISTIC, TANH, RELU, QUANTIZE, DEQUANTIZE)${op.custom ? ` — custom op '${op.custom}'` : ""}`);
    }
  }
  const out = values.get(sg.outputs[0]!);
  if (!out) throw inputError(file, "its output is not produced by the operators lstm-gen follows");
  if (layers.length === 0) throw inputError(file, "has no UNIDIRECTIONAL_SEQUENCE_LSTM operator");
  if (out.kind === "flat") throw inputError(file, "ends with a flatten of the LSTM output and no FULLY_CONNECTED after it; not supported");
  const headReads: HeadReads = reads ?? "every";
  const conventions = [
    "TFLite per-gate tensors (input-to-{i,f,c,o}, recurrent-to-{i,f,c,o}, {i,f,c,o} biases) mapped to input,forget,cell,output",
    "gate activation sigmoid (TFLite's LSTM kernel); the fused activation is the cell and hidden activation",
    "the LSTM state variables start at zero for every sequence",
    ...new Set(g.notes),
  ];
  if (input.quant) conventions.push(`the input is ${TENSOR_TYPE_NAMES[input.type]} with scale ${input.quant.scale[0]} and zero point ${input.quant.zeroPoint[0]}; lstm-gen takes float input (x = scale·(q − zero_point))`);
  if (inputDense.length > 0) conventions.push(`${inputDense.length} FULLY_CONNECTED operator(s) before the LSTM are applied to the input at every step (IR inputDense)`);
  const outputTensor = sg.tensors[sg.outputs[0]!]!;
  return validateModel({
    inputName: input.name,
    inputSize: input.shape[2]!,
    ...(inputDense.length > 0 ? { inputDense } : {}),
    layers,
    head: { reads: headReads, ...(flattenSteps !== undefined ? { steps: flattenSteps } : {}), layers: head },
    outputs: [{ name: outputTensor.name, source: { kind: "head" }, axes: headReads === "every" ? ["batch", "time", "unit"] : ["batch", "unit"] }],
    source: { format: "tflite", file, producer: `TFLite schema v${model.version}${model.description ? ` (${model.description})` : ""}`, conventions },
  });
}
