/**
 * The parts of the TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs, file identifier "TFL3") that
 * lstm-gen reads, with hand-written accessors. Reads go through a DataView, so an offset outside the file throws
 * instead of returning garbage, and vector lengths are checked against the file size before they are walked.
 *
 * Field ids (the n-th field of a table; a union takes two ids: type then value):
 *   Model:    version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
 *   OperatorCode: deprecated_builtin_code 0 (byte), custom_code 1, version 2, builtin_code 3 (int)
 *   SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4
 *   Tensor:   shape 0, type 1, buffer 2, name 3, quantization 4, is_variable 5
 *   QuantizationParameters: min 0, max 1, scale 2, zero_point 3 (long), details 4/5, quantized_dimension 6
 *   Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4
 *   Buffer:   data 0 ([ubyte]), offset 1 (ulong), size 2 (ulong)
 */
import { inputError } from "../../errors.js";
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT16: 7, INT8: 9, FLOAT64: 10 };
export const TENSOR_TYPE_NAMES = {
    0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL", 7: "INT16", 8: "COMPLEX64", 9: "INT8", 10: "FLOAT64",
};
export const Op = {
    DEQUANTIZE: 6,
    FULLY_CONNECTED: 9,
    LOGISTIC: 14,
    LSTM: 16,
    RELU: 19,
    RESHAPE: 22,
    SOFTMAX: 25,
    TANH: 28,
    CUSTOM: 32,
    SQUEEZE: 43,
    UNIDIRECTIONAL_SEQUENCE_LSTM: 44,
    STRIDED_SLICE: 45,
    BIDIRECTIONAL_SEQUENCE_LSTM: 52,
    QUANTIZE: 114,
};
/** Names for messages (the operators lstm-gen reads, plus common neighbours). */
export const OP_NAMES = {
    0: "ADD", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 16: "LSTM",
    18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE", 24: "RNN", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 35: "UNIDIRECTIONAL_SEQUENCE_RNN",
    36: "GATHER", 39: "TRANSPOSE", 40: "MEAN", 43: "SQUEEZE", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM", 45: "STRIDED_SLICE",
    46: "BIDIRECTIONAL_SEQUENCE_RNN", 52: "BIDIRECTIONAL_SEQUENCE_LSTM", 65: "SLICE", 77: "SHAPE", 83: "PACK", 88: "UNPACK", 114: "QUANTIZE",
    119: "WHILE",
};
/** BuiltinOptions union member indices used here. */
export const Options = { FullyConnected: 8, Softmax: 9, Reshape: 17, StridedSlice: 32, UnidirectionalSequenceLSTM: 71 };
export function opName(code) {
    return OP_NAMES[code] ?? `builtin operator ${code}`;
}
/** A table in the buffer. */
export class Table {
    fb;
    pos;
    constructor(fb, pos) {
        this.fb = fb;
        this.pos = pos;
    }
    /** Absolute position of field `id`, or 0 if absent. */
    field(id) {
        const { view } = this.fb;
        const vtable = this.pos - view.getInt32(this.pos, true);
        this.fb.check(vtable, 4);
        const vsize = view.getUint16(vtable, true);
        const at = 4 + 2 * id;
        if (at + 2 > vsize)
            return 0;
        const off = view.getUint16(vtable + at, true);
        return off === 0 ? 0 : this.pos + off;
    }
    u8(id, dflt = 0) {
        const p = this.field(id);
        return p ? this.fb.view.getUint8(p) : dflt;
    }
    i8(id, dflt = 0) {
        const p = this.field(id);
        return p ? this.fb.view.getInt8(p) : dflt;
    }
    bool(id, dflt = false) {
        const p = this.field(id);
        return p ? this.fb.view.getUint8(p) !== 0 : dflt;
    }
    i32(id, dflt = 0) {
        const p = this.field(id);
        return p ? this.fb.view.getInt32(p, true) : dflt;
    }
    u32(id, dflt = 0) {
        const p = this.field(id);
        return p ? this.fb.view.getUint32(p, true) : dflt;
    }
    u64(id, dflt = 0n) {
        const p = this.field(id);
        return p ? this.fb.view.getBigUint64(p, true) : dflt;
    }
    f32(id, dflt = 0) {
        const p = this.field(id);
        return p ? this.fb.view.getFloat32(p, true) : dflt;
    }
    /** Target of an offset field, or 0. */
    deref(id) {
        const p = this.field(id);
        if (!p)
            return 0;
        const t = p + this.fb.view.getUint32(p, true);
        this.fb.check(t, 4);
        return t;
    }
    table(id) {
        const t = this.deref(id);
        return t ? new Table(this.fb, t) : undefined;
    }
    /** Start and length of a vector of `size`-byte elements (length checked against the buffer). */
    vector(id, size) {
        const v = this.deref(id);
        if (!v)
            return [0, 0];
        const n = this.fb.view.getUint32(v, true);
        this.fb.check(v + 4, n * size);
        return [v + 4, n];
    }
    i32s(id) {
        const [s, n] = this.vector(id, 4);
        return Array.from({ length: n }, (_, k) => this.fb.view.getInt32(s + 4 * k, true));
    }
    f32s(id) {
        const [s, n] = this.vector(id, 4);
        return Array.from({ length: n }, (_, k) => this.fb.view.getFloat32(s + 4 * k, true));
    }
    i64s(id) {
        const [s, n] = this.vector(id, 8);
        return Array.from({ length: n }, (_, k) => Number(this.fb.view.getBigInt64(s + 8 * k, true)));
    }
    bytes(id) {
        const [s, n] = this.vector(id, 1);
        return s ? this.fb.bytes.subarray(s, s + n) : undefined;
    }
    tables(id) {
        const [s, n] = this.vector(id, 4);
        return Array.from({ length: n }, (_, k) => {
            const p = s + 4 * k;
            const t = p + this.fb.view.getUint32(p, true);
            this.fb.check(t, 4);
            return new Table(this.fb, t);
        });
    }
    str(id) {
        const b = this.bytes(id);
        return b ? new TextDecoder().decode(b) : undefined;
    }
}
export class FlatBuffer {
    file;
    bytes;
    view;
    constructor(file, bytes) {
        this.file = file;
        this.bytes = bytes;
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    check(at, len) {
        if (at < 0 || len < 0 || at + len > this.bytes.length) {
            throw inputError(this.file, "is a corrupt or truncated flatbuffer (an offset points outside the file)");
        }
    }
    root() {
        this.check(0, 8);
        return new Table(this, this.view.getUint32(0, true));
    }
}
/** Decode a `.tflite` file. Every structural problem is an input error naming the file. */
export function readTflite(file, bytes) {
    const fail = (p) => inputError(file, p);
    if (bytes.length < 8)
        throw fail("is too short to be a TFLite model");
    const ident = new TextDecoder().decode(bytes.subarray(4, 8));
    if (ident !== "TFL3")
        throw fail(`is not a TFLite flatbuffer (file identifier '${ident.replace(/[^\x20-\x7e]/g, "?")}', expected 'TFL3')`);
    const fb = new FlatBuffer(file, bytes);
    try {
        const model = fb.root();
        const version = model.u32(0);
        if (version !== 3)
            throw fail(`has TFLite schema version ${version}; lstm-gen reads version 3`);
        const codes = model.tables(1).map((c) => {
            const dep = c.i8(0);
            const code = Math.max(dep, c.i32(3));
            const custom = c.str(1);
            return custom === undefined ? { code } : { code, custom };
        });
        const buffers = model.tables(4).map((b, k) => {
            const data = b.bytes(0);
            if (data && data.length > 0)
                return data;
            const offset = b.u64(1);
            const size = b.u64(2);
            if (offset > 1n) {
                const o = Number(offset);
                const s = Number(size);
                fb.check(o, s);
                return bytes.subarray(o, o + s);
            }
            void k;
            return new Uint8Array(0);
        });
        const subgraphs = model.tables(2).map((sg) => {
            const tensors = sg.tables(0).map((t, index) => {
                const q = t.table(4);
                const scale = q?.f32s(2) ?? [];
                const quant = q && scale.length > 0 ? { scale, zeroPoint: q.i64s(3), dim: q.i32(6) } : undefined;
                return {
                    index,
                    name: t.str(3) ?? `tensor ${index}`,
                    shape: t.i32s(0),
                    type: t.i8(1),
                    buffer: t.u32(2),
                    ...(quant ? { quant } : {}),
                    isVariable: t.bool(5),
                };
            });
            const operators = sg.tables(3).map((op, index) => {
                const opcode = op.u32(0);
                const c = codes[opcode];
                if (!c)
                    throw fail(`operator ${index} has opcode index ${opcode}, but the model has ${codes.length} operator codes`);
                const options = op.table(4);
                return {
                    index,
                    code: c.code,
                    ...(c.custom !== undefined ? { custom: c.custom } : {}),
                    inputs: op.i32s(1),
                    outputs: op.i32s(2),
                    optionsType: op.u8(3),
                    ...(options ? { options } : {}),
                };
            });
            const name = sg.str(4);
            return { ...(name !== undefined ? { name } : {}), tensors, inputs: sg.i32s(1), outputs: sg.i32s(2), operators };
        });
        const description = model.str(3);
        return { version, ...(description !== undefined ? { description } : {}), subgraphs, buffers };
    }
    catch (e) {
        if (e instanceof RangeError)
            throw fail("is a corrupt or truncated flatbuffer (a read went past the end of the file)");
        throw e;
    }
}
