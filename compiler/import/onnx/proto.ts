/**
 * Reading ONNX protobuf messages: decoding a ModelProto, turning TensorProtos into float64 arrays (with size
 * guards before anything is allocated) and reading node attributes.
 */
import onnxPkg from "onnx-proto";
import type { onnx as ox } from "onnx-proto";
import { inputError } from "../../errors.js";
import { MAX_ELEMENTS } from "../../ir/validate.js";

export const { onnx } = onnxPkg;
export type NodeProto = ox.INodeProto;
export type TensorProto = ox.ITensorProto;
export type GraphProto = ox.IGraphProto;
export type ModelProto = ox.IModelProto;
export type AttributeProto = ox.IAttributeProto;
export type ValueInfoProto = ox.IValueInfoProto;

/** An int64 as protobufjs delivers it: a number, or a Long object whose string form is the decimal value. */
type Int64 = number | { toString(): string };

export function toNumber(v: Int64 | null | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** A constant tensor, converted to float64 (integers keep their values; int64 beyond 2^53 loses precision). */
export interface ConstTensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
  /** True for integer and boolean element types (shape arithmetic, indices). */
  readonly integer: boolean;
}

/** TensorProto.DataType codes this importer reads. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

const BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

export function isFloatType(t: number): boolean {
  return t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16 || t === DataType.BFLOAT16;
}

/** Decode a model file; anything that is not a decodable ModelProto with a graph is reported as such. */
export function decodeModel(file: string, bytes: Uint8Array): ox.ModelProto {
  let model: ox.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw inputError(file, `not an ONNX model: the protobuf does not decode (${(e as Error).message}); the file may be truncated`);
  }
  if (!model.graph) throw inputError(file, "not an ONNX model: it has no graph");
  if (toNumber(model.irVersion) < 1) throw inputError(file, "not an ONNX model: it has no ir_version");
  return model;
}

/** Element count of `dims`, rejecting negative, non-integer and absurd sizes before anything is allocated. */
export function checkedSize(file: string, what: string, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw inputError(file, `${what} has an invalid dimension ${d} in [${dims.join(", ")}]`);
    n *= d;
    if (n > MAX_ELEMENTS) throw inputError(file, `${what} has ${dims.join("×")} elements, more than the limit of ${MAX_ELEMENTS}`);
  }
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bfloatToFloat(b: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, (b & 0xffff) << 16);
  return v.getFloat32(0);
}

function readRaw(type: number, raw: Uint8Array, n: number, out: Float64Array): void {
  // Copy first: protobufjs hands out a view into the file buffer, which may be unaligned.
  const buf = new Uint8Array(raw).buffer;
  const v = new DataView(buf);
  for (let k = 0; k < n; k++) {
    switch (type) {
      case DataType.FLOAT:
        out[k] = v.getFloat32(4 * k, true);
        break;
      case DataType.DOUBLE:
        out[k] = v.getFloat64(8 * k, true);
        break;
      case DataType.FLOAT16:
        out[k] = halfToFloat(v.getUint16(2 * k, true));
        break;
      case DataType.BFLOAT16:
        out[k] = bfloatToFloat(v.getUint16(2 * k, true));
        break;
      case DataType.INT8:
        out[k] = v.getInt8(k);
        break;
      case DataType.UINT8:
      case DataType.BOOL:
        out[k] = v.getUint8(k);
        break;
      case DataType.INT16:
        out[k] = v.getInt16(2 * k, true);
        break;
      case DataType.UINT16:
        out[k] = v.getUint16(2 * k, true);
        break;
      case DataType.INT32:
        out[k] = v.getInt32(4 * k, true);
        break;
      case DataType.UINT32:
        out[k] = v.getUint32(4 * k, true);
        break;
      case DataType.INT64:
        out[k] = Number(v.getBigInt64(8 * k, true));
        break;
      case DataType.UINT64:
        out[k] = Number(v.getBigUint64(8 * k, true));
        break;
    }
  }
}

/** The typed repeated field that holds values of `type` when raw_data is not used. */
function typedField(t: TensorProto, type: number): readonly Int64[] {
  switch (type) {
    case DataType.FLOAT:
      return t.floatData ?? [];
    case DataType.DOUBLE:
      return t.doubleData ?? [];
    case DataType.INT64:
      return t.int64Data ?? [];
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64Data ?? [];
    default:
      return t.int32Data ?? [];
  }
}

/** Convert a TensorProto to float64. `what` names it in errors (e.g. "initializer 'W'"). */
export function readTensor(file: string, what: string, t: TensorProto): ConstTensor {
  const type = t.dataType ?? 0;
  const size = BYTES[type];
  if (size === undefined) throw inputError(file, `${what} has element type ${type}, which lstm-gen does not read`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw inputError(file, `${what} is stored as external data, which lstm-gen does not read; save the model with the weights inside`);
  }
  if (t.segment) throw inputError(file, `${what} is a segmented tensor, which lstm-gen does not read`);
  const dims = (t.dims ?? []).map(toNumber);
  const n = checkedSize(file, what, dims);
  const raw = t.rawData;
  // The stored values must match the dims before the array is allocated: dims alone may ask for 2^26 values.
  if (raw && raw.length > 0) {
    if (raw.length !== n * size) {
      throw inputError(file, `${what} has ${raw.length} bytes of raw data, but dims [${dims.join(", ")}] need ${n * size}`);
    }
    const data = new Float64Array(n);
    readRaw(type, raw, n, data);
    return { dims, data, integer: !isFloatType(type) };
  }
  const field = typedField(t, type);
  if (field.length !== n) {
    throw inputError(file, `${what} has ${field.length} stored values, but dims [${dims.join(", ")}] need ${n}`);
  }
  const data = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = toNumber(field[k]);
    data[k] =
      type === DataType.FLOAT16
        ? halfToFloat(x)
        : type === DataType.BFLOAT16
          ? bfloatToFloat(x)
          : type === DataType.BOOL
            ? x !== 0
              ? 1
              : 0
            : x;
  }
  return { dims, data, integer: !isFloatType(type) };
}

/** Attribute accessors; `undefined` when the attribute is absent. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(node: NodeProto) {
    for (const a of node.attribute ?? []) if (a.name) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string): number | undefined {
    const a = this.byName.get(name);
    return a ? toNumber(a.i) : undefined;
  }

  float(name: string): number | undefined {
    const a = this.byName.get(name);
    return a ? (a.f ?? 0) : undefined;
  }

  string(name: string): string | undefined {
    const a = this.byName.get(name);
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : undefined;
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(toNumber) : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }

  strings(name: string): string[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.strings ?? []).map((s) => new TextDecoder().decode(s)) : undefined;
  }

  tensor(name: string): TensorProto | undefined {
    return this.byName.get(name)?.t ?? undefined;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
