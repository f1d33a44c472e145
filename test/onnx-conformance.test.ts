/**
 * The ONNX backend-test cases for LSTM (and GRU, which must be rejected by name), from
 * ../shared/conformance (see its README). Their weights are graph inputs supplied by .pb files; the test
 * stores them as initializers, imports the model, runs every batch entry as its own sequence through the
 * float64 reference and compares with the expected outputs moved to batch-first.
 *
 * Tolerance 1e-5: the expected values are float32 results of the same equations (the README measures a
 * float64 reference within 5e-8 of them).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { runSequence } from "../compiler/reference/float.js";
import { assembleOutputs } from "../compiler/reference/outputs.js";
import { maxAbsDiff, moveAxisToFront, readTensorPb, splitBatch, withInitializers } from "./helpers/onnx-build.js";
import onnxPkg from "onnx-proto";

const ROOT = fileURLToPath(new URL("../../shared/conformance", import.meta.url));
const LSTM_DIR = join(ROOT, "onnx-lstm");
const GRU_DIR = join(ROOT, "onnx-gru");
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const lstmCases = list(LSTM_DIR);
const gruCases = list(GRU_DIR);
const TOL = 1e-5;

interface Loaded {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly inputs: ReturnType<typeof readTensorPb>[];
  readonly outputs: ReturnType<typeof readTensorPb>[];
  readonly layout: number;
}

function load(dir: string, name: string): Loaded {
  const file = join(dir, name, "model.onnx");
  const bytes = readFileSync(file);
  const data = join(dir, name, "test_data_set_0");
  const files = readdirSync(data).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  const inputs = files.filter((f) => f.startsWith("input_")).map((f) => readTensorPb(join(data, f)));
  const outputs = files.filter((f) => f.startsWith("output_")).map((f) => readTensorPb(join(data, f)));
  const m = onnxPkg.onnx.ModelProto.decode(bytes);
  const layoutAttr = (m.graph?.node?.[0]?.attribute ?? []).find((a) => a.name === "layout");
  return { file, bytes, inputs, outputs, layout: layoutAttr ? Number(layoutAttr.i) : 0 };
}

/** Where the batch axis is in each ONNX LSTM output (from the operator spec, not from the importer). */
function batchAxis(output: string, layout: number): number {
  if (output === "Y") return layout === 0 ? 2 : 0;
  return layout === 0 ? 1 : 0;
}

describe("ONNX conformance data", () => {
  it("is present beside the repository (../shared/conformance)", () => {
    expect(existsSync(LSTM_DIR), `${LSTM_DIR} is missing`).toBe(true);
    expect(lstmCases.length).toBeGreaterThanOrEqual(4);
    expect(gruCases.length).toBeGreaterThanOrEqual(4);
  });
});

describe("ONNX conformance: LSTM", () => {
  it.each(lstmCases)("%s matches the expected outputs within 1e-5", (name) => {
    const c = load(LSTM_DIR, name);
    const X = c.inputs[0]!;
    const model = importOnnx(c.file, withInitializers(c.bytes, c.inputs.slice(1).map((t) => t.proto)));
    expect(model.source.format).toBe("onnx");
    expect(model.inputName).toBe(X.name);
    const axes = c.layout === 0 ? (["time", "batch", "feature"] as const) : (["batch", "time", "feature"] as const);
    const runs = splitBatch(X.data, X.dims, axes).map((s) => runSequence(model, s.data, s.steps));
    const got = assembleOutputs(model, runs, c.file);
    expect(got.map((o) => o.name)).toEqual(c.outputs.map((o) => o.name));
    let worst = 0;
    c.outputs.forEach((exp, k) => {
      const want = moveAxisToFront(exp.data, exp.dims, batchAxis(exp.name, c.layout));
      expect(got[k]!.shape).toEqual(want.shape);
      const err = maxAbsDiff(got[k]!.data, want.data);
      worst = Math.max(worst, err);
      expect(err, `${name} output ${exp.name}`).toBeLessThan(TOL);
    });
    console.log(`conformance ${name}: max abs error ${worst.toExponential(2)}`);
  });

  it.each(lstmCases)("%s without its weights names the graph input that has no initializer", (name) => {
    const c = load(LSTM_DIR, name);
    expect(() => importOnnx(c.file, c.bytes)).toThrowError(/graph input 'W' has no initializer/);
  });
});

describe("ONNX conformance: GRU is rejected", () => {
  it.each(gruCases)("%s: a one-line error naming the GRU node", (name) => {
    const c = load(GRU_DIR, name);
    for (const bytes of [c.bytes, withInitializers(c.bytes, c.inputs.slice(1).map((t) => t.proto))]) {
      let err: unknown;
      try {
        importOnnx(c.file, bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LstmGenError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/node #0 \(GRU, output '[^']+'\) is not supported/);
      expect(msg.startsWith(c.file)).toBe(true);
      expect(msg).not.toMatch(/\n/);
    }
  });
});
