/**
 * RTNeural model JSON (written by RTNeural's `python/model_utils.py` from a Keras Sequential model):
 *   {"in_shape": [null, null, I], "layers": [{"type", "activation", "shape", "weights": [...]}, ...]}
 *
 * RTNeural runs one sample at a time, so every layer is applied at every step. Weights are in Keras layout:
 * `dense`/`time-distributed-dense` [kernel [in, out], bias [out]]; `lstm` [kernel [I, 4H], recurrent [H, 4H],
 * bias [4H]], gates i, f, c, o. The JSON has no recurrent_activation: RTNeural's LSTM always uses sigmoid gates,
 * and `activation` (tanh) is the cell and hidden activation. Dense layers before the first LSTM become the IR's
 * `inputDense`; those after it form a head that reads every step.
 */
import { inputError } from "../../errors.js";
import type { DenseActivation, DenseLayer, LstmLayer, Model } from "../../ir/model.js";
import { validateModel } from "../../ir/validate.js";
import { kerasDense, kerasLstmCell } from "../keras/build.js";
import { isObject, type Json } from "../keras/config.js";

/** A JSON nested array of numbers with the given shape → flat row-major values. */
function flat(fail: (p: string) => Error, what: string, v: Json | undefined, shape: readonly number[]): Float64Array {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let at = 0;
  const walk = (x: Json | undefined, depth: number): void => {
    if (depth === shape.length) {
      if (typeof x !== "number" || !Number.isFinite(x)) throw fail(`${what} has a non-number ${JSON.stringify(x)}`);
      out[at++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw fail(`${what} should have shape [${shape.join(", ")}] (dimension ${depth} is ${Array.isArray(x) ? x.length : "not a list"})`);
    }
    for (const y of x) walk(y, depth + 1);
  };
  walk(v, 0);
  return out;
}

function dims2(v: Json | undefined): [number, number] | undefined {
  return Array.isArray(v) && Array.isArray(v[0]) ? [v.length, v[0].length] : undefined;
}

const DENSE_ACTIVATIONS: Readonly<Record<string, DenseActivation>> = { "": "linear", linear: "linear", tanh: "tanh", relu: "relu", sigmoid: "sigmoid", softmax: "softmax" };

export function importRtNeural(file: string, json: Json): Model {
  if (!isObject(json) || !Array.isArray(json["layers"])) throw inputError(file, "is not an RTNeural model JSON (no 'layers' list)");
  const inShape = json["in_shape"];
  const I = Array.isArray(inShape) ? inShape[inShape.length - 1] : undefined;
  if (typeof I !== "number" || !Number.isInteger(I) || I < 1) throw inputError(file, "has no valid in_shape (its last entry is the input size)");
  const inputDense: DenseLayer[] = [];
  const layers: LstmLayer[] = [];
  const head: DenseLayer[] = [];
  let width = I;
  let last: DenseLayer[] | undefined;
  json["layers"].forEach((l, k) => {
    const type = isObject(l) && typeof l["type"] === "string" ? l["type"] : undefined;
    const where = `layer ${k} (${type ?? "no type"})`;
    const fail = (p: string) => inputError(file, `${where}: ${p}`);
    if (!isObject(l) || type === undefined) throw fail("is not an RTNeural layer object");
    const w = Array.isArray(l["weights"]) ? l["weights"] : [];
    const act = typeof l["activation"] === "string" ? l["activation"] : "";
    switch (type) {
      case "dense":
      case "time-distributed-dense": {
        const d = dims2(w[0]);
        if (!d) throw fail("has no kernel [inputs, outputs]");
        const [nIn, nOut] = d;
        if (nIn !== width) throw fail(`takes ${nIn} inputs but receives ${width}`);
        const activation = DENSE_ACTIVATIONS[act];
        if (!activation) throw fail(`activation '${act}' is not supported after a dense layer`);
        const dense = kerasDense(`${type}_${k}`, nIn, nOut, flat(fail, "kernel", w[0], [nIn, nOut]), w[1] === undefined ? undefined : flat(fail, "bias", w[1], [nOut]), activation);
        last = layers.length === 0 ? inputDense : head;
        last.push(dense);
        width = nOut;
        return;
      }
      case "activation": {
        const a = DENSE_ACTIVATIONS[act];
        const prev = last?.[last.length - 1];
        if (!a || !prev || prev.activation !== "linear") throw fail(`a standalone '${act}' activation is supported only right after a linear dense layer`);
        last![last!.length - 1] = { ...prev, activation: a };
        return;
      }
      case "lstm": {
        if (head.length > 0) throw fail("dense layers between LSTM layers are not supported");
        const d = dims2(w[0]);
        const r = dims2(w[1]);
        if (!d || !r) throw fail("needs weights [kernel [I, 4H], recurrent [H, 4H], bias [4H]]");
        const H = r[0];
        if (d[1] !== 4 * H || r[1] !== 4 * H) throw fail(`weights have shapes [${d}] and [${r}], expected [I, ${4 * H}] and [${H}, ${4 * H}]`);
        if (d[0] !== width) throw fail(`takes ${d[0]} inputs but receives ${width}`);
        if (act !== "tanh") throw fail(`activation '${act}' is not supported (RTNeural's LSTM uses tanh)`);
        const cell = kerasLstmCell(
          width,
          H,
          flat(fail, "kernel", w[0], d),
          flat(fail, "recurrent kernel", w[1], r),
          w[2] === undefined ? undefined : flat(fail, "bias", w[2], [4 * H]),
          { gate: { kind: "sigmoid" }, cell: { kind: "tanh" }, hidden: { kind: "tanh" } },
        );
        layers.push({ kind: "lstm", name: `lstm_${k}`, inputSize: width, hiddenSize: H, direction: "forward", cells: [cell], inputForget: false });
        last = undefined;
        width = H;
        return;
      }
      case "gru":
        throw fail("GRU is not supported (lstm-gen compiles LSTMs)");
      default:
        throw fail(`RTNeural layer type '${type}' is not supported (supported: dense, time-distributed-dense, activation, lstm)`);
    }
  });
  if (layers.length === 0) throw inputError(file, "has no LSTM layer");
  const conventions = [
    "RTNeural JSON: Keras weight layout, LSTM gate order i,f,c,o mapped to input,forget,cell,output",
    "gate activation sigmoid (RTNeural's LSTM always uses sigmoid; the JSON has no recurrent_activation), cell and hidden activation tanh",
    "every layer runs at every step (RTNeural is sample-by-sample): the head reads every step",
  ];
  if (inputDense.length > 0) conventions.push(`${inputDense.length} dense layer(s) before the first LSTM are applied to the input at every step (IR inputDense)`);
  return validateModel({
    inputName: "input",
    inputSize: I,
    ...(inputDense.length > 0 ? { inputDense } : {}),
    layers,
    head: { reads: "every", layers: head },
    outputs: [{ name: "output", source: { kind: "head" }, axes: ["batch", "time", "unit"] }],
    source: { format: "rtneural-json", file, conventions },
  });
}
