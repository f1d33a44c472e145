/**
 * Models trained in PyTorch and exported with torch.onnx.export (test/fixtures/torch, see its README):
 * importOnnx → runSequence per input sequence → assembleOutputs must reproduce PyTorch's expected.npy.
 *
 * Tolerance 1e-4 absolute: PyTorch computes in float32 and lstm-gen's reference in float64 from the same
 * float32 weights; the fixture script itself checks its own numpy interpreter of the ONNX graph against
 * PyTorch to 1e-4 (1e-3 on the 2000-step sequences, which this test still holds to 1e-4).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readSequences } from "../compiler/data/read.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { runSequence } from "../compiler/reference/float.js";
import { assembleOutputs } from "../compiler/reference/outputs.js";
import { maxAbsDiff, readNpy } from "./helpers/onnx-build.js";

const DIR = fileURLToPath(new URL("./fixtures/torch", import.meta.url));
const NAMES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;
const TOL = 1e-4;

interface Meta {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly hiddenSize: number;
  readonly inputSize: number;
  readonly head: "every" | "last";
  readonly outputs: number;
  readonly outputActivation: "none" | "softmax";
}

function check(name: string, input: string, expected: string): number {
  const file = join(DIR, name, "model.onnx");
  const model = importOnnx(file);
  const seqs = readSequences(join(DIR, name, input), { features: model.inputSize });
  const runs = seqs.sequences.map((s) => runSequence(model, s.data, s.steps));
  const [y] = assembleOutputs(model, runs, file);
  const want = readNpy(join(DIR, name, expected));
  expect(y!.name).toBe("y");
  expect(y!.shape).toEqual(want.shape);
  const err = maxAbsDiff(y!.data, want.data);
  console.log(`torch ${name}/${input}: ${seqs.sequences.length} sequence(s) × ${seqs.sequences[0]!.steps} steps, max abs error ${err.toExponential(2)}`);
  expect(err, `${name} ${input}`).toBeLessThan(TOL);
  return err;
}

describe("PyTorch fixtures", () => {
  it.each(NAMES)("%s: fixture files are present", (name) => {
    for (const f of ["model.onnx", "input.npy", "expected.npy", "meta.json"]) {
      expect(existsSync(join(DIR, name, f)), `${name}/${f}`).toBe(true);
    }
  });

  it.each(NAMES)("%s: imports as the model meta.json describes", (name) => {
    const meta = JSON.parse(readFileSync(join(DIR, name, "meta.json"), "utf8")) as Meta;
    const model = importOnnx(join(DIR, name, "model.onnx"));
    expect(model.inputName).toBe("x");
    expect(model.inputSize).toBe(meta.inputSize);
    expect(model.layers).toHaveLength(meta.numLayers);
    for (const l of model.layers) {
      expect(l.hiddenSize).toBe(meta.hiddenSize);
      expect(l.direction).toBe(meta.bidirectional ? "bidirectional" : "forward");
    }
    expect(model.head?.reads).toBe(meta.head);
    expect(model.head?.layers).toHaveLength(1);
    expect(model.head?.layers[0]!.W.rows).toBe(meta.outputs);
    expect(model.head?.layers[0]!.activation).toBe(meta.outputActivation === "softmax" ? "softmax" : "linear");
    expect(model.outputs).toEqual([{ name: "y", source: { kind: "head" }, axes: meta.head === "every" ? ["batch", "time", "unit"] : ["batch", "unit"] }]);
    expect(model.source.producer).toBe("pytorch 1.13.0");
    expect(model.source.conventions.join(" | ")).toMatch(/input 'x' is \[batch, time, feature\]/);
  });

  it.each(NAMES)("%s: input.npy reproduces expected.npy within 1e-4", (name) => {
    check(name, "input.npy", "expected.npy");
  });

  it.each(["sine", "forget_bias"])("%s: the 2000-step long_input.npy reproduces long_expected.npy within 1e-4", (name) => {
    check(name, "long_input.npy", "long_expected.npy");
  });
});
