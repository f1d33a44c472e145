/**
 * The ONNX importer's user errors: each is an LstmGenError of kind "input", one line, starting with the file
 * name and naming what is wrong (the node and its operator, the graph input, the tensor).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { loadModel } from "../compiler/import/index.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { INT64, modelBytes, node, prng, tensor, uniform, valueInfo, type GraphSpec } from "./helpers/onnx-build.js";
import type { onnx as ox } from "onnx-proto";

const FILE = "bad.onnx";

function importError(bytes: Uint8Array, file = FILE): LstmGenError {
  try {
    importOnnx(file, bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(LstmGenError);
    const err = e as LstmGenError;
    expect(err.kind).toBe("input");
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    return err;
  }
  throw new Error("importOnnx did not fail");
}

/** A valid one-layer model (X [T, batch, 3] → LSTM H=4 → Y_h), to be broken by each test. */
function lstmGraph(patch: (g: { nodes: ox.INodeProto[]; inits: ox.ITensorProto[]; inputs: ox.IValueInfoProto[]; outputs: ox.IValueInfoProto[] }) => void = () => {}): Uint8Array {
  const rand = prng(7);
  const g = {
    nodes: [node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], { hidden_size: { i: 4 } }, "lstm1")],
    inits: [
      tensor("W", [1, 16, 3], uniform(rand, 48, 0.5)),
      tensor("R", [1, 16, 4], uniform(rand, 64, 0.5)),
      tensor("B", [1, 32], uniform(rand, 32, 0.5)),
    ],
    inputs: [valueInfo("X", ["T", "batch", 3])],
    outputs: [valueInfo("Y_h", [1, "batch", 4])],
  };
  patch(g);
  const spec: GraphSpec = { nodes: g.nodes, inputs: g.inputs, outputs: g.outputs, initializers: g.inits };
  return modelBytes(spec);
}

describe("ONNX importer errors", () => {
  it("the valid base model imports", () => {
    const m = importOnnx(FILE, lstmGraph());
    expect(m.layers).toHaveLength(1);
    expect(m.outputs[0]).toEqual({ name: "Y_h", source: { kind: "finalHidden", layer: 0 }, axes: ["direction", "batch", "unit"] });
  });

  it("a text file is not an ONNX model", () => {
    const err = importError(new TextEncoder().encode("hello, this is not a model\n"));
    expect(err.message).toMatch(/not an ONNX model/);
  });

  it("an empty file is not an ONNX model", () => {
    expect(importError(new Uint8Array()).message).toMatch(/not an ONNX model/);
  });

  it("loadModel says a 0-byte model file is empty, whatever its format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lstm-gen-empty-"));
    try {
      for (const ext of [".onnx", ".h5", ".keras", ".json", ".tflite", ".safetensors"]) {
        const file = join(dir, `m${ext}`);
        writeFileSync(file, "");
        await expect(loadModel(file)).rejects.toThrow(`${file}: is empty (0 bytes)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a truncated model file is reported as such", () => {
    const bytes = lstmGraph();
    const err = importError(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(err.message).toMatch(/not an ONNX model: .*truncated/);
  });

  it("a truncated conformance model file", () => {
    const file = fileURLToPath(new URL("../../shared/conformance/onnx-lstm/test_lstm_defaults/model.onnx", import.meta.url));
    const bytes = readFileSync(file);
    expect(importError(bytes.subarray(0, bytes.length - 7), file).message).toMatch(/not an ONNX model/);
  });

  it("a missing file", () => {
    expect(() => importOnnx("/nonexistent/model.onnx")).toThrowError(/^\/nonexistent\/model\.onnx: cannot read the model: ENOENT/);
  });

  it("an unsupported operator names the node and its op type", () => {
    const bytes = lstmGraph((g) => {
      g.nodes.push(node("LogSoftmax", ["Y_h"], ["out"], {}, "my_logsoftmax"));
      g.outputs.splice(0, 1, valueInfo("out", [1, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/node 'my_logsoftmax' \(LogSoftmax\) is not supported/);
  });

  it("an unnamed unsupported node is named by its index and output", () => {
    const bytes = lstmGraph((g) => {
      g.nodes.push(node("Conv", ["Y_h", "W"], ["out"]));
      g.outputs.splice(0, 1, valueInfo("out", [1, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/node #1 \(Conv, output 'out'\) is not supported/);
  });

  it("an operator from another domain", () => {
    const bytes = lstmGraph((g) => {
      const n = node("Gelu", ["Y_h"], ["out"], {}, "gelu");
      n.domain = "com.microsoft";
      g.nodes.push(n);
      g.outputs.splice(0, 1, valueInfo("out", [1, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/node 'gelu' \(Gelu\) in domain 'com.microsoft' is not supported/);
  });

  it("a GRU model names the GRU node", () => {
    const rand = prng(3);
    const bytes = modelBytes({
      nodes: [node("GRU", ["X", "W", "R"], ["", "Y_h"], { hidden_size: { i: 2 } }, "my_gru")],
      inputs: [valueInfo("X", ["T", "batch", 3])],
      outputs: [valueInfo("Y_h", [1, "batch", 2])],
      initializers: [tensor("W", [1, 6, 3], uniform(rand, 18, 1)), tensor("R", [1, 6, 2], uniform(rand, 12, 1))],
    });
    expect(importError(bytes).message).toMatch(/node 'my_gru' \(GRU\) is not supported; lstm-gen reads LSTM nodes/);
  });

  it("a weight that is a graph input without initializer", () => {
    const bytes = lstmGraph((g) => {
      g.inits.splice(1, 1); // R
      g.inputs.push(valueInfo("R", [1, 16, 4]));
    });
    expect(importError(bytes).message).toMatch(/graph input 'R' has no initializer but node 'lstm1' \(LSTM\) needs a constant there/);
  });

  it("an extra graph input without initializer", () => {
    const bytes = lstmGraph((g) => g.inputs.push(valueInfo("extra", [2])));
    expect(importError(bytes).message).toMatch(/graph input 'extra' has no initializer and is neither the data input 'X' nor an LSTM sequence_lens/);
  });

  it("a tensor name no node defines", () => {
    const bytes = lstmGraph((g) => g.inits.splice(2, 1)); // B
    expect(importError(bytes).message).toMatch(/node 'lstm1' \(LSTM\) reads tensor 'B', which no node, initializer or graph input defines/);
  });

  it("absurd dimensions are refused before allocating", () => {
    const bytes = lstmGraph((g) => {
      g.inits[0] = { name: "W", dims: [1 << 20, 1 << 20], dataType: 1 };
    });
    expect(importError(bytes).message).toMatch(/initializer 'W' has .* elements, more than the limit of 67108864/);
  });

  it("a negative dimension", () => {
    const bytes = lstmGraph((g) => {
      g.inits[0] = { ...g.inits[0]!, dims: [1, -16, 3] };
    });
    expect(importError(bytes).message).toMatch(/initializer 'W' has an invalid dimension -16/);
  });

  it("raw_data whose length does not match the dims", () => {
    const bytes = lstmGraph((g) => {
      g.inits[0] = { ...g.inits[0]!, dims: [1, 16, 4] };
    });
    expect(importError(bytes).message).toMatch(/initializer 'W' has 192 bytes of raw data, but dims \[1, 16, 4\] need 256/);
  });

  it("weights of the wrong shape", () => {
    const bytes = lstmGraph((g) => {
      g.inits[2] = tensor("B", [1, 16], new Float32Array(16));
    });
    expect(importError(bytes).message).toMatch(/node 'lstm1' \(LSTM\) input B has shape \[1, 16\], expected \[1, 32\]/);
  });

  it("external data", () => {
    const bytes = lstmGraph((g) => {
      g.inits[0] = { name: "W", dims: [1, 16, 3], dataType: 1, dataLocation: 1, externalData: [{ key: "location", value: "w.bin" }] };
    });
    expect(importError(bytes).message).toMatch(/initializer 'W' is stored as external data/);
  });

  it("an initial state that differs across the batch", () => {
    const bytes = lstmGraph((g) => {
      g.nodes[0]!.input = ["X", "W", "R", "B", "", "h0"];
      g.inits.push(tensor("h0", [1, 2, 4], [0, 0, 0, 0, 0, 0, 0.5, 0]));
    });
    expect(importError(bytes).message).toMatch(/initial_h differs between batch rows 0 and 1/);
  });

  it("a constant sequence_lens shorter than the static input length", () => {
    const bytes = lstmGraph((g) => {
      g.inputs[0] = valueInfo("X", [10, "batch", 3]);
      g.nodes[0]!.input = ["X", "W", "R", "B", "lens"];
      g.inits.push(tensor("lens", [2], [10, 7], 6));
    });
    expect(importError(bytes).message).toMatch(/sequence_lens entry 7 differs from the input length 10/);
  });

  it("an unknown LSTM attribute and a bad direction", () => {
    const unknown = lstmGraph((g) => g.nodes[0]!.attribute!.push({ name: "mystery", type: 2, i: 1 }));
    expect(importError(unknown).message).toMatch(/node 'lstm1' \(LSTM\) has attribute 'mystery'/);
    const dir = lstmGraph((g) => g.nodes[0]!.attribute!.push({ name: "direction", type: 3, s: new TextEncoder().encode("sideways") }));
    expect(importError(dir).message).toMatch(/direction 'sideways'/);
  });

  it("an unsupported activation", () => {
    const bytes = lstmGraph((g) =>
      g.nodes[0]!.attribute!.push({ name: "activations", type: 8, strings: ["Sigmoid", "Gelu", "Tanh"].map((s) => new TextEncoder().encode(s)) }),
    );
    expect(importError(bytes).message).toMatch(/uses activation 'Gelu'/);
  });

  it("selecting a time step other than the last", () => {
    const bytes = lstmGraph((g) => {
      g.nodes.push(node("Gather", ["Y", "first"], ["y0"], { axis: { i: 0 } }, "first_step"));
      g.inits.push(tensor("first", [], [0], INT64));
      g.outputs.splice(0, 1, valueInfo("y0", [1, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/node 'first_step' \(Gather\) is not supported here: it selects a time step other than the last/);
  });

  it("torch's h_n of a stacked LSTM (two layers in one output)", () => {
    const rand = prng(9);
    const bytes = lstmGraph((g) => {
      g.nodes[0]!.output = ["Y", "Y_h1"];
      g.nodes.push(node("Squeeze", ["Y", "ax1"], ["Ys"], {}, "sq"));
      g.nodes.push(node("LSTM", ["Ys", "W2", "R2"], ["", "Y_h2"], { hidden_size: { i: 4 } }, "lstm2"));
      g.nodes.push(node("Concat", ["Y_h1", "Y_h2"], ["h_n"], { axis: { i: 0 } }, "cat"));
      g.inits.push(tensor("ax1", [1], [1], INT64), tensor("W2", [1, 16, 4], uniform(rand, 64, 0.5)), tensor("R2", [1, 16, 4], uniform(rand, 64, 0.5)));
      g.outputs.splice(0, 1, valueInfo("h_n", [2, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/graph output 'h_n' combines the outputs of several LSTM layers/);
  });

  it("a graph without LSTM", () => {
    const bytes = modelBytes({
      nodes: [node("Identity", ["X"], ["Y"])],
      inputs: [valueInfo("X", [1, 2, 3])],
      outputs: [valueInfo("Y", [1, 2, 3])],
    });
    expect(importError(bytes).message).toMatch(/no LSTM node/);
  });

  it("operator and activation names that are JavaScript object keys are just unknown names", () => {
    const op = lstmGraph((g) => {
      g.nodes.push(node("toString", ["Y_h"], ["out"], {}, "proto"));
      g.outputs.splice(0, 1, valueInfo("out", [1, "batch", 4]));
    });
    expect(importError(op).message).toMatch(/node 'proto' \(toString\) is not supported/);
    const act = lstmGraph((g) =>
      g.nodes[0]!.attribute!.push({ name: "activations", type: 8, strings: ["constructor", "Tanh", "Tanh"].map((s) => new TextEncoder().encode(s)) }),
    );
    expect(importError(act).message).toMatch(/uses activation 'constructor'/);
  });

  it("model strings with line breaks stay on one line", () => {
    const bytes = lstmGraph((g) => {
      g.nodes.push(node("Erf", ["Y_h"], ["out"], {}, "evil\nname\r\nwith breaks"));
      g.outputs.splice(0, 1, valueInfo("out", [1, "batch", 4]));
    });
    expect(importError(bytes).message).toMatch(/node 'evil name with breaks' \(Erf\) is not supported/);
  });
});
