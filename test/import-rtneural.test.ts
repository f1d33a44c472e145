/**
 * RTNeural model JSON: the Keras models in RTNeural's repository (../shared/fixtures-external) reproduce the
 * outputs Keras's `model.predict` wrote to CSV (100 steps, one channel). np.savetxt keeps 18 significant digits
 * of float32 predictions; the tolerance 1e-5 covers float32 vs float64 arithmetic over 100 steps.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../compiler/import/index.js";
import { expectInputError, maxAbsDiff, run, shared, tempDir } from "./import-helpers.js";

const RT = "jatinchowdhury18__RTNeural";
const csv = (path: string) => readFileSync(shared(path), "utf8").trim().split("\n").map(Number);
const dir = tempDir("rtneural");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("RTNeural JSON", () => {
  it("lstm.json: TimeDistributed(Dense 8, tanh) → LSTM(8) → Dense(1) reproduces Keras", async () => {
    const model = await loadModel(shared(`${RT}/models/lstm.json`));
    expect(model.source.format).toBe("rtneural-json");
    expect(model.inputDense?.map((d) => [d.W.rows, d.W.cols, d.activation])).toEqual([[8, 1, "tanh"]]);
    expect(model.layers.map((l) => [l.inputSize, l.hiddenSize])).toEqual([[8, 8]]);
    expect(model.head).toMatchObject({ reads: "every" });
    const x = csv(`${RT}/test_data/lstm_x_python.csv`);
    const y = csv(`${RT}/test_data/lstm_y_python.csv`);
    expect(x.length).toBe(100);
    const err = maxAbsDiff(run(model, x, 100), y);
    expect(err).toBeLessThan(1e-5);
  });

  it("lstm_1d.json: LSTM(8) on one channel → Dense(1) reproduces Keras", async () => {
    const model = await loadModel(shared(`${RT}/models/lstm_1d.json`));
    expect(model.inputDense).toBeUndefined();
    expect(model.layers.map((l) => [l.inputSize, l.hiddenSize])).toEqual([[1, 8]]);
    const x = csv(`${RT}/test_data/lstm_1d_x_python.csv`);
    const y = csv(`${RT}/test_data/lstm_1d_y_python.csv`);
    expect(maxAbsDiff(run(model, x, 100), y)).toBeLessThan(1e-5);
  });

  it.each(["gru.json", "gru_1d.json"])("%s gives a clear 'GRU not supported' error", async (name) => {
    const file = shared(`${RT}/models/${name}`);
    await expectInputError(loadModel(file), file, /layer [01] \(gru\): GRU is not supported/);
  });

  it("refuses bad RTNeural files with one-line errors", async () => {
    const base = JSON.parse(readFileSync(shared(`${RT}/models/lstm_1d.json`), "utf8"));
    const put = (name: string, v: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, typeof v === "string" ? v : JSON.stringify(v));
      return f;
    };
    const conv = put("conv.json", { ...base, layers: [{ type: "conv1d", activation: "", shape: [null, null, 8], weights: [] }, ...base.layers] });
    await expectInputError(loadModel(conv), conv, "layer 0 (conv1d): RTNeural layer type 'conv1d' is not supported");
    const short = structuredClone(base);
    short.layers[0].weights[1] = short.layers[0].weights[1].slice(0, 3);
    const f2 = put("short.json", short);
    await expectInputError(loadModel(f2), f2, "layer 0 (lstm)");
    const cut = put("cut.json", readFileSync(shared(`${RT}/models/lstm_1d.json`), "utf8").slice(0, 500));
    await expectInputError(loadModel(cut), cut, "is not valid JSON");
    const other = put("other.json", { hello: "world" });
    await expectInputError(loadModel(other), other, "is not a model JSON lstm-gen knows");
  });
});
