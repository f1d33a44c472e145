/**
 * TensorFlow.js layers models. No TF.js LSTM fixture with test vectors is license-compatible, so the keras-js LSTM
 * cases (Keras 2.x weights, inputs and outputs, ../shared/fixtures-external) are written here as model.json +
 * binary shards the way the TF.js converter lays them out: a Sequential `modelTopology`, a `weightsManifest` whose
 * names are listed alphabetically and whose group is split over two shards. TF.js's hard_sigmoid is Keras 2's,
 * so every case must reproduce Keras within 1e-4 (the vectors are rounded to 6 decimals).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../compiler/import/index.js";
import type { LstmLayer, Model } from "../compiler/ir/model.js";
import { runSequence } from "../compiler/reference/float.js";
import { expectInputError, KERAS_JS_SETTINGS, kerasJsCases, maxAbsDiff, run, shared, tempDir, type KerasJsCase } from "./import-helpers.js";

const dir = tempDir("tfjs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

type Case = KerasJsCase;
const SETTINGS = KERAS_JS_SETTINGS;
const cases = kerasJsCases;

type Quant = "float32" | "uint8" | "float16";

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  const m = x & 0x7fffff;
  if (e <= 0) return sign;
  if (e >= 31) return sign | 0x7c00;
  const r = (e << 10) | (m >>> 13);
  return sign | (r + ((m >>> 12) & 1)); // round half up on the dropped bit
}

/** Write model.json + two shards for one keras-js case; returns the model.json path. */
function writeTfjs(i: number, c: Case, opts: { quant?: Quant; nested?: boolean; tfKerasNames?: boolean } = {}): string {
  const s = SETTINGS[i]!;
  const d = join(dir, `m${n++}`);
  mkdirSync(d);
  const [T, I] = c.input.shape as [number, number];
  const units = c.weights[1]!.shape[0]!;
  const lstm = {
    class_name: "LSTM",
    config: { name: "lstm_1", batch_input_shape: [null, T, I], units, activation: s.act, recurrent_activation: s.rec, use_bias: true, return_sequences: s.rs, go_backwards: s.gb, stateful: s.stateful, unroll: false, implementation: 1 },
  };
  const modelConfig = { class_name: "Sequential", config: { name: "sequential_1", layers: [lstm] } };
  const prefix = opts.tfKerasNames ? "lstm_1/lstm_cell" : "lstm_1";
  const named = ["kernel", "recurrent_kernel", "bias"].map((role, k) => ({ name: `${prefix}/${role}`, arr: c.weights[k]! }));
  named.sort((a, b) => a.name.localeCompare(b.name)); // bias, kernel, recurrent_kernel
  const q = opts.quant ?? "float32";
  const parts: Buffer[] = [];
  const weights = named.map(({ name, arr }) => {
    if (q === "float32") {
      parts.push(Buffer.from(new Float32Array(arr.data).buffer));
      return { name, shape: arr.shape, dtype: "float32" };
    }
    if (q === "float16") {
      parts.push(Buffer.from(new Uint16Array(arr.data.map(toHalf)).buffer));
      return { name, shape: arr.shape, dtype: "float32", quantization: { dtype: "float16" } };
    }
    const min = Math.min(...arr.data);
    const max = Math.max(...arr.data);
    const scale = (max - min) / 255;
    parts.push(Buffer.from(Uint8Array.from(arr.data, (v) => Math.round((v - min) / scale))));
    return { name, shape: arr.shape, dtype: "float32", quantization: { dtype: "uint8", scale, min } };
  });
  const all = Buffer.concat(parts);
  const cut = Math.floor(all.length / 2) + 1; // split mid-weight
  writeFileSync(join(d, "group1-shard1of2.bin"), all.subarray(0, cut));
  writeFileSync(join(d, "group1-shard2of2.bin"), all.subarray(cut));
  const topology = opts.nested
    ? { keras_version: "2.1.2", backend: "tensorflow", model_config: modelConfig }
    : { ...modelConfig, keras_version: "tfjs-layers 4.22.0", backend: "tensor_flow.js" };
  const json = {
    format: "layers-model",
    generatedBy: opts.nested ? "keras v2.1.2" : "TensorFlow.js tfjs-layers v4.22.0",
    convertedBy: opts.nested ? "TensorFlow.js Converter v4.22.0" : null,
    modelTopology: topology,
    weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights }],
  };
  const file = join(d, "model.json");
  writeFileSync(file, JSON.stringify(json));
  return file;
}

function kerasOutput(model: Model, c: Case, i: number): Float64Array {
  const s = SETTINGS[i]!;
  const T = c.input.shape[0]!;
  let m = model;
  if (s.stateful) {
    const first = runSequence(model, Float64Array.from(c.input.data), T).layers[0]!;
    const layer = model.layers[0]! as LstmLayer;
    m = { ...model, layers: [{ ...layer, cells: [{ ...layer.cells[0]!, initialH: first.finalH[0]!, initialC: first.finalC[0]! }] }] };
  }
  const out = run(m, c.input.data, T);
  if (!(s.rs && s.gb)) return out;
  // Keras/TF.js return a go_backwards sequence in processing order.
  const w = out.length / T;
  const r = new Float64Array(out.length);
  for (let t = 0; t < T; t++) r.set(out.subarray(t * w, (t + 1) * w), (T - 1 - t) * w);
  return r;
}

describe("TF.js layers models (keras-js LSTM vectors written as model.json + shards)", () => {
  const all = cases();
  it.each(SETTINGS.map((s, i) => [i, s] as const))("case %i %o reproduces Keras within 1e-4", async (i) => {
    const file = writeTfjs(i, all[i]!, { nested: i % 2 === 0, tfKerasNames: i % 3 === 0 });
    const model = await loadModel(file);
    expect(model.source.format).toBe("tfjs-layers");
    if (SETTINGS[i]!.rec === "hard_sigmoid") {
      expect(model.layers[0]!.cells[0]!.activations.gate).toEqual({ kind: "hardSigmoid", alpha: 0.2, beta: 0.5 });
      expect(model.source.conventions.join("\n")).toMatch(/TF\.js rule: hard_sigmoid = clip\(0\.2x \+ 0\.5, 0, 1\)/);
    }
    expect(maxAbsDiff(kerasOutput(model, all[i]!, i), all[i]!.expected.data)).toBeLessThan(1e-4);
  });

  it("dequantizes float16 and uint8 weights (errors bounded by their precision)", async () => {
    const c = all[2]!;
    const m16 = await loadModel(writeTfjs(2, c, { quant: "float16" }));
    expect(maxAbsDiff(kerasOutput(m16, c, 2), c.expected.data)).toBeLessThan(2e-3);
    const m8 = await loadModel(writeTfjs(2, c, { quant: "uint8" }));
    expect(m8.source.conventions.join("\n")).toMatch(/quantized weights dequantized/);
    // uint8 over the range of uniform(-1, 1) weights: a step of ~0.008; the outputs move by a few steps at most.
    expect(maxAbsDiff(kerasOutput(m8, c, 2), c.expected.data)).toBeLessThan(0.05);
  });
});

describe("TF.js importer refuses bad input with one-line errors naming the file", () => {
  const c = cases()[1]!;
  it("missing and truncated shards", async () => {
    const f = writeTfjs(1, c);
    rmSync(join(f, "..", "group1-shard2of2.bin"));
    await expectInputError(loadModel(f), f, "weight shard 'group1-shard2of2.bin' is missing");
    const g = writeTfjs(1, c);
    const shard = join(g, "..", "group1-shard2of2.bin");
    writeFileSync(shard, readFileSync(shard).subarray(0, 10));
    await expectInputError(loadModel(g), g, /shards of group 0 end before weight|have \d+ bytes but the manifest describes/);
  });

  it("shard paths outside the model's folder, graph models, unsupported layers, missing weights", async () => {
    const f = writeTfjs(1, c);
    const json = JSON.parse(readFileSync(f, "utf8"));
    const edit = (change: (j: typeof json) => void) => {
      const j = structuredClone(json);
      change(j);
      const p = join(f, "..", `edited${n++}.json`);
      writeFileSync(p, JSON.stringify(j));
      return p;
    };
    const escape = edit((j) => (j.weightsManifest[0].paths[0] = "../../etc/passwd"));
    await expectInputError(loadModel(escape), escape, "only relative paths next to the model.json are read");
    const graph = edit((j) => (j.format = "graph-model"));
    await expectInputError(loadModel(graph), graph, "is a TF.js graph model");
    const gru = edit((j) => (j.modelTopology.config.layers[0].class_name = "GRU"));
    await expectInputError(loadModel(gru), gru, "layer 'lstm_1' (GRU): GRU layers are not supported");
    const renamed = edit((j) => (j.modelTopology.config.layers[0].config.name = "lstm_9"));
    await expectInputError(loadModel(renamed), renamed, "has no weights named 'lstm_9/…' for layer 'lstm_9' (LSTM)");
    const dtype = edit((j) => (j.weightsManifest[0].weights[0].dtype = "int32"));
    await expectInputError(loadModel(dtype), dtype, "has dtype 'int32'");
  });
});
