import { readTflite, opName } from "./compiler/import/tflite/schema.js";
import { readFileSync } from "node:fs";
for (const f of ["trained_lstm.tflite", "trained_lstm_int8.tflite"]) {
  const file = "/work/shared/fixtures-external/tensorflow__tflite-micro/tensorflow/lite/micro/examples/mnist_lstm/" + f;
  const m = readTflite(file, readFileSync(file));
  console.log(f, m.version, m.description, m.subgraphs.length);
  const sg = m.subgraphs[0];
  console.log("inputs", sg.inputs, "outputs", sg.outputs);
  for (const op of sg.operators) {
    console.log(op.index, opName(op.code), op.inputs.join(","), "->", op.outputs.join(","), "opt", op.optionsType,
      op.options && op.code === 44 ? { act: op.options.i8(0), cellClip: op.options.f32(1), projClip: op.options.f32(2), tm: op.options.bool(3), asym: op.options.bool(4) } : "",
      op.options && op.code === 9 ? { act: op.options.i8(0), wf: op.options.i8(1), keep: op.options.bool(2) } : "",
      op.options && op.code === 25 ? { beta: op.options.f32(0) } : "",
      op.options && op.code === 22 ? { ns: op.options.i32s(0) } : "");
  }
  for (const t of sg.tensors) console.log(" ", t.index, t.name, JSON.stringify(t.shape), t.type, t.buffer, m.buffers[t.buffer]?.length, t.quant ? JSON.stringify({s: t.quant.scale.slice(0,2), z: t.quant.zeroPoint.slice(0,2), n: t.quant.scale.length, d: t.quant.dim}) : "", t.isVariable ? "VAR" : "");
}
