/**
 * The benchmark suite's synthetic models: one forward LSTM layer (input I, hidden H), no head, seeded uniform
 * weights in ±1/√H (PyTorch's initialisation) and biases in ±0.5. Each is built twice from the same numbers:
 *
 * - as ONNX (`onnx`: X [T, 1, I] → Y [T, 1, 1, H]), which is what onnxruntime runs;
 * - as lstm-gen IR (`ir`), imported from those ONNX bytes by the ONNX importer, which is what lstm-gen compiles:
 *   the importer stays the only code that knows ONNX's gate order.
 */
import onnxPkg from "onnx-proto";
import type { onnx as ox } from "onnx-proto";
import { importOnnx } from "../import/onnx/index.js";
import type { Model } from "../ir/model.js";

const { onnx } = onnxPkg;

export interface LstmSpec {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly seed: number;
}

export interface BenchModel {
  readonly ir: Model;
  readonly onnx: Uint8Array;
}

export { prng } from "../prng.js";
import { prng } from "../prng.js";

/** `n` values uniform in [-scale, scale), rounded to float32 (what an ONNX file stores). */
function uniform(rand: () => number, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rand() - 1) * scale);
}

function tensor(name: string, dims: readonly number[], values: Float32Array): ox.ITensorProto {
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(0)) };
}

function valueInfo(name: string, dims: readonly (number | string)[]): ox.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

function encode(graph: ox.IGraphProto): Uint8Array {
  const m = onnx.ModelProto.create({ irVersion: 8, producerName: "lstm-gen-bench", producerVersion: "1", opsetImport: [{ domain: "", version: 14 }], graph });
  return onnx.ModelProto.encode(m).finish();
}

export function buildLstm(spec: LstmSpec): BenchModel {
  const { inputSize: I, hiddenSize: H } = spec;
  const rand = prng(spec.seed);
  const s = 1 / Math.sqrt(H);
  // ONNX layout: W [1, 4H, I], R [1, 4H, H], B [1, 8H]; the values' gate order does not matter for a benchmark.
  const W = uniform(rand, 4 * H * I, s);
  const R = uniform(rand, 4 * H * H, s);
  const B = uniform(rand, 8 * H, 0.5);

  const initializers = [tensor("W", [1, 4 * H, I], W), tensor("R", [1, 4 * H, H], R), tensor("B", [1, 8 * H], B)];
  const attribute = [{ name: "hidden_size", type: onnx.AttributeProto.AttributeType.INT, i: H }];
  const sequence = encode({
    name: "lstm",
    node: [{ opType: "LSTM", name: "lstm", input: ["X", "W", "R", "B"], output: ["Y"], attribute }],
    input: [valueInfo("X", ["T", 1, I])],
    output: [valueInfo("Y", ["T", 1, 1, H])],
    initializer: initializers,
  });
  const ir = importOnnx(`lstm-${I}x${H}.onnx`, sequence);
  return { ir, onnx: sequence };
}
