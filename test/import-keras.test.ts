/**
 * Keras importers: legacy HDF5 full models, architecture JSON + HDF5 weights, Keras 3 `.keras` archives.
 *
 * Reference numbers come from the frameworks: the keras-js per-layer vectors (Keras 2.x, weights/outputs rounded
 * to 6 decimals, so 1e-4), and the PyTorch fixtures (weights re-laid out as Keras files; PyTorch's expected.npy,
 * 1e-4 for float32 vs float64). The keras-js and Kotlin files are read from ../shared/fixtures-external; a missing
 * file fails the test.
 */
import { readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { parseNpy } from "../compiler/data/npy.js";
import { importKerasArchive, importKerasH5, importKerasJson } from "../compiler/import/keras/index.js";
import { loadModel } from "../compiler/import/index.js";
import { parseSafetensors } from "../compiler/import/safetensors/read.js";
import type { LstmLayer, Model } from "../compiler/ir/model.js";
import { runSequence } from "../compiler/reference/float.js";
import { expectInputError, KERAS_JS_SETTINGS, kerasJsCases, maxAbsDiff, put, run, shared, tempDir, TORCH, writeH5, writeZip, type H5Tree, type KerasJsCase } from "./import-helpers.js";

const dir = tempDir("keras");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmp = (name: string) => join(dir, `${fileNo++}-${name}`);

// ---------------------------------------------------------------------------------------------------------------
// keras-js LSTM vectors
// ---------------------------------------------------------------------------------------------------------------

const SETTINGS = KERAS_JS_SETTINGS;

function lstmConfig(name: string, units: number, s: { act: string; rec: string; rs: boolean; gb: boolean; stateful: boolean }, extra: object = {}) {
  return {
    name,
    trainable: true,
    return_sequences: s.rs,
    return_state: false,
    go_backwards: s.gb,
    stateful: s.stateful,
    unroll: false,
    units,
    activation: s.act,
    recurrent_activation: s.rec,
    use_bias: true,
    kernel_initializer: { class_name: "VarianceScaling", config: {} },
    unit_forget_bias: true,
    dropout: 0,
    recurrent_dropout: 0,
    implementation: 1,
    ...extra,
  };
}

/** A Keras 2 functional `Model(Input(shape), LSTM(...))` config, as keras-js's notebooks built them. */
function functionalConfig(T: number, I: number, units: number, s: (typeof SETTINGS)[number]) {
  return {
    class_name: "Model",
    config: {
      name: "model_1",
      layers: [
        { name: "input_1", class_name: "InputLayer", config: { batch_input_shape: [null, T, I], dtype: "float32", sparse: false, name: "input_1" }, inbound_nodes: [] },
        { name: "lstm_1", class_name: "LSTM", config: lstmConfig("lstm_1", units, s), inbound_nodes: [[["input_1", 0, 0, {}]]] },
      ],
      input_layers: [["input_1", 0, 0]],
      output_layers: [["lstm_1", 0, 0]],
    },
  };
}

/** Legacy HDF5 full model: model_config attribute + model_weights/<layer>/<weight name>. */
function legacyH5(config: object, layers: readonly { name: string; weights: readonly { name: string; shape: readonly number[]; data: ArrayLike<number> }[] }[], version = "2.1.2"): H5Tree {
  const weights: Record<string, unknown> = { "@attrs": { layer_names: layers.map((l) => l.name), keras_version: version, backend: "tensorflow" } };
  for (const l of layers) {
    put(weights, `${l.name}/@attrs`, { weight_names: l.weights.map((w) => w.name) });
    for (const w of l.weights) put(weights, `${l.name}/${w.name}`, { shape: w.shape, data: w.data });
  }
  return {
    "@attrs": { keras_version: version, backend: "tensorflow", model_config: JSON.stringify(config), training_config: "{\"loss\": \"mse\"}" },
    model_weights: weights as H5Tree,
    optimizer_weights: { "Adam": { "iterations:0": { shape: [1], data: [3] } } },
  };
}

function lstmWeights(prefix: string, c: KerasJsCase) {
  return ["kernel", "recurrent_kernel", "bias"].map((n, k) => ({ name: `${prefix}/${n}:0`, shape: c.weights[k]!.shape, data: c.weights[k]!.data }));
}

/** Keras's output for one keras-js case from the IR: a second run from the first run's final state when stateful. */
function kerasOutput(model: Model, c: KerasJsCase, stateful: boolean): Float64Array {
  const T = c.input.shape[0]!;
  if (!stateful) return run(model, c.input.data, T);
  const first = runSequence(model, Float64Array.from(c.input.data), T).layers[0]!;
  const layer = model.layers[0]! as LstmLayer;
  const carried: Model = {
    ...model,
    layers: [{ ...layer, cells: [{ ...layer.cells[0]!, initialH: first.finalH[0]!, initialC: first.finalC[0]! }] }],
  };
  return run(carried, c.input.data, T);
}

/** Keras returns a go_backwards sequence in processing order; lstm-gen in input-time order. */
function toKerasOrder(out: Float64Array, T: number, reversed: boolean): Float64Array {
  if (!reversed) return out;
  const w = out.length / T;
  const r = new Float64Array(out.length);
  for (let t = 0; t < T; t++) r.set(out.subarray(t * w, (t + 1) * w), (T - 1 - t) * w);
  return r;
}

describe("Keras legacy HDF5: keras-js LSTM vectors (Keras 2.x)", () => {
  const cases = kerasJsCases();
  it.each(SETTINGS.map((s, i) => [i, s] as const))("case %i %o reproduces Keras within 1e-4", async (i, s) => {
    const c = cases[i]!;
    const [T, I] = c.input.shape as [number, number];
    const units = c.weights[1]!.shape[0]!;
    const file = tmp(`keras-js-${i}.h5`);
    await writeH5(file, legacyH5(functionalConfig(T, I, units, s), [{ name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    const model = await loadModel(file);
    expect(model.source.format).toBe("keras-h5");
    expect(model.source.producer).toBe("keras 2.1.2 (tensorflow backend)");
    const layer = model.layers[0]!;
    expect(layer.direction).toBe(s.gb ? "reverse" : "forward");
    expect(model.head?.reads).toBe(s.rs ? "every" : "final");
    if (s.rec === "hard_sigmoid") {
      expect(layer.cells[0]!.activations.gate).toEqual({ kind: "hardSigmoid", alpha: 0.2, beta: 0.5 });
      expect(model.source.conventions.join("\n")).toMatch(/Keras 2 rule \(keras_version 2\.1\.2\): hard_sigmoid = clip\(0\.2x \+ 0\.5/);
    }
    if (s.stateful) expect(model.source.conventions.join("\n")).toMatch(/stateful=True/);
    const out = toKerasOrder(kerasOutput(model, c, s.stateful), T, s.rs && s.gb);
    expect(out.length).toBe(c.expected.data.length);
    const err = maxAbsDiff(out, c.expected.data);
    expect(err).toBeLessThan(1e-4);
  });

  it("without the reordering, go_backwards + return_sequences differs from Keras (the convention matters)", async () => {
    const c = cases[4]!;
    const file = tmp("keras-js-4-raw.h5");
    await writeH5(file, legacyH5(functionalConfig(3, 6, 4, SETTINGS[4]), [{ name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    const model = await importKerasH5(file);
    expect(maxAbsDiff(run(model, c.input.data, 3), c.expected.data)).toBeGreaterThan(1e-2);
    expect(model.source.conventions.join("\n")).toMatch(/lstm-gen step t = Keras step T-1-t/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Keras 3 .keras archives
// ---------------------------------------------------------------------------------------------------------------

function keras3Config(T: number, I: number, layers: object[]) {
  return {
    module: "keras",
    class_name: "Sequential",
    config: {
      name: "sequential",
      trainable: true,
      dtype: { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null },
      layers: [{ module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, T, I], dtype: "float32", sparse: false, name: "input_layer" }, registered_name: null }, ...layers],
      build_input_shape: [null, T, I],
    },
    registered_name: null,
    build_config: { input_shape: [null, T, I] },
    compile_config: { optimizer: "adam", loss: "mse" },
  };
}

async function kerasArchive(path: string, config: object, weights: H5Tree, version = "3.3.3"): Promise<void> {
  const h5file = `${path}.weights.h5`;
  await writeH5(h5file, weights);
  const zip = writeZip([
    { name: "metadata.json", data: Buffer.from(JSON.stringify({ keras_version: version, date_saved: "2024-05-01@12:00:00" })) },
    { name: "config.json", data: Buffer.from(JSON.stringify(config)) },
    { name: "model.weights.h5", data: readFileSync(h5file), store: true },
  ]);
  writeFileSync(path, zip);
}

describe("Keras 3 .keras archives", () => {
  const cases = kerasJsCases();

  it("keras-js case 1 (sigmoid/sigmoid) as a Keras 3 archive reproduces Keras within 1e-4", async () => {
    const c = cases[1]!;
    const file = tmp("case1.keras");
    const cfg = keras3Config(8, 5, [{ module: "keras.layers", class_name: "LSTM", config: lstmConfig("lstm", 5, SETTINGS[1]), registered_name: null }]);
    const w = c.weights;
    await kerasArchive(file, cfg, {
      layers: { lstm: { vars: {}, cell: { vars: { "0": w[0]!, "1": w[1]!, "2": w[2]! } } } },
      optimizer: { vars: { "0": { shape: [1], data: [0] } } },
    });
    const model = await loadModel(file);
    expect(model.source.format).toBe("keras-v3");
    expect(model.source.producer).toBe("keras 3.3.3");
    expect(maxAbsDiff(run(model, c.input.data, 8), c.expected.data)).toBeLessThan(1e-4);
  });

  it("a Keras 3 Functional config (keras_history inbound nodes), as .keras and as JSON + Keras 3 .weights.h5", async () => {
    const c = cases[1]!;
    const cfg = {
      module: "keras.src.models.functional",
      class_name: "Functional",
      config: {
        name: "functional",
        trainable: true,
        layers: [
          { module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, 8, 5], dtype: "float32", sparse: false, name: "input_layer" }, registered_name: null, name: "input_layer", inbound_nodes: [] },
          {
            module: "keras.layers",
            class_name: "LSTM",
            config: lstmConfig("lstm", 5, SETTINGS[1]),
            registered_name: null,
            build_config: { input_shape: [null, 8, 5] },
            name: "lstm",
            inbound_nodes: [{ args: [{ class_name: "__keras_tensor__", config: { shape: [null, 8, 5], dtype: "float32", keras_history: ["input_layer", 0, 0] } }], kwargs: { training: false, mask: null } }],
          },
        ],
        input_layers: ["input_layer", 0, 0],
        output_layers: [["lstm", 0, 0]],
      },
      registered_name: "Functional",
    };
    const weights: H5Tree = { layers: { input_layer: { vars: {} }, lstm: { vars: {}, cell: { vars: { "0": c.weights[0]!, "1": c.weights[1]!, "2": c.weights[2]! } } } }, vars: {} };
    const archive = tmp("functional.keras");
    await kerasArchive(archive, cfg, weights);
    expect(maxAbsDiff(run(await loadModel(archive), c.input.data, 8), c.expected.data)).toBeLessThan(1e-4);
    const json = tmp("functional.json");
    writeFileSync(json, JSON.stringify(cfg));
    const w = tmp("functional.weights.h5");
    await writeH5(w, weights);
    const model = await loadModel(json, { weights: w });
    expect(model.source.conventions.join("\n")).toMatch(/Keras 3 weights layout/);
    expect(maxAbsDiff(run(model, c.input.data, 8), c.expected.data)).toBeLessThan(1e-4);
  });

  it("reads hard_sigmoid with the Keras 3 definition relu6(x+3)/6", async () => {
    const c = cases[0]!;
    const file = tmp("case0.keras");
    const cfg = keras3Config(3, 6, [{ module: "keras.layers", class_name: "LSTM", config: lstmConfig("lstm", 4, SETTINGS[0]), registered_name: null }]);
    await kerasArchive(file, cfg, { layers: { lstm: { cell: { vars: { "0": c.weights[0]!, "1": c.weights[1]!, "2": c.weights[2]! } } } } });
    const model = await importKerasArchive(file);
    expect(model.layers[0]!.cells[0]!.activations.gate).toEqual({ kind: "hardSigmoid", alpha: 1 / 6, beta: 0.5 });
    expect(model.source.conventions.join("\n")).toMatch(/Keras 3 rule \(keras_version 3\.3\.3\)/);
  });

  it("finds weights by class name and order (layers/lstm, layers/lstm_1, layers/dense), with Dropout and Bidirectional", async () => {
    const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, k) => Math.sin(seed * 7.1 + k * 1.3) * 0.5);
    const [I, H, T] = [3, 4, 5];
    const lstm = (i: number) => ({ "0": { shape: [i, 4 * H], data: rnd(i * 4 * H, i + 1) }, "1": { shape: [H, 4 * H], data: rnd(H * 4 * H, 2) }, "2": { shape: [4 * H], data: rnd(4 * H, 3) } });
    const L = (cls: string, config: object) => ({ module: "keras.layers", class_name: cls, config, registered_name: null });
    const s = { act: "tanh", rec: "sigmoid", rs: true, gb: false, stateful: false };
    const cfg = keras3Config(T, I, [
      L("Bidirectional", { name: "bidirectional", layer: L("LSTM", lstmConfig("forward_lstm", H, s)), merge_mode: "concat", backward_layer: L("LSTM", lstmConfig("backward_lstm", H, { ...s, gb: true })) }),
      L("Dropout", { name: "dropout", rate: 0.5 }),
      L("LSTM", lstmConfig("my_lstm", H, s)),
      L("LSTM", lstmConfig("other", H, { ...s, rs: false })),
      L("Dense", { name: "out", units: 2, activation: "softmax", use_bias: true }),
    ]);
    const file = tmp("stack.keras");
    await kerasArchive(file, cfg, {
      layers: {
        bidirectional: { forward_layer: { cell: { vars: lstm(I) } }, backward_layer: { cell: { vars: lstm(I) } } },
        dropout: { vars: {} },
        lstm: { cell: { vars: lstm(2 * H) } },
        lstm_1: { cell: { vars: lstm(H) } },
        dense: { vars: { "0": { shape: [H, 2], data: rnd(2 * H, 9) }, "1": { shape: [2], data: [0.1, -0.1] } } },
      },
    });
    const model = await importKerasArchive(file);
    expect(model.layers.map((l) => [l.direction, l.inputSize, l.hiddenSize])).toEqual([
      ["bidirectional", I, H],
      ["forward", 2 * H, H],
      ["forward", H, H],
    ]);
    expect(model.head).toMatchObject({ reads: "final" });
    expect(model.head!.layers.map((d) => [d.W.rows, d.W.cols, d.activation])).toEqual([[2, H, "softmax"]]);
    const y = run(model, rnd(T * I, 5), T);
    expect(y[0]! + y[1]!).toBeCloseTo(1, 12);
  });

  it("refuses a corrupt or truncated archive, a missing weights member and npz weights with one-line errors", async () => {
    const c = cases[1]!;
    const file = tmp("good.keras");
    const cfg = keras3Config(8, 5, [{ module: "keras.layers", class_name: "LSTM", config: lstmConfig("lstm", 5, SETTINGS[1]), registered_name: null }]);
    await kerasArchive(file, cfg, { layers: { lstm: { cell: { vars: { "0": c.weights[0]!, "1": c.weights[1]!, "2": c.weights[2]! } } } } });
    const bytes = readFileSync(file);
    const cut = tmp("cut.keras");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    await expectInputError(loadModel(cut), cut, /truncated ZIP archive|central directory/);
    const flipped = Buffer.from(bytes);
    flipped[bytes.indexOf("config.json") + "config.json".length + 8]! ^= 0xff; // inside config.json's deflate stream
    const bad = tmp("flipped.keras");
    writeFileSync(bad, flipped);
    await expectInputError(loadModel(bad), bad, /config\.json|CRC-32|inflated/);
    const noWeights = tmp("noweights.keras");
    writeFileSync(noWeights, writeZip([{ name: "config.json", data: Buffer.from(JSON.stringify(cfg)) }]));
    await expectInputError(loadModel(noWeights), noWeights, "has no model.weights.h5");
    const npz = tmp("npz.keras");
    writeFileSync(npz, writeZip([{ name: "config.json", data: Buffer.from(JSON.stringify(cfg)) }, { name: "model.weights.npz", data: new Uint8Array(4) }]));
    await expectInputError(loadModel(npz), npz, "model.weights.npz");
    const notZip = tmp("text.keras");
    writeFileSync(notZip, "hello, I am not a zip file at all, just some text");
    await expectInputError(loadModel(notZip), notZip, "is not a ZIP archive");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Kotlin/kotlindl: Keras 2.4.0 architecture JSON + save_weights HDF5 with different layer names
// ---------------------------------------------------------------------------------------------------------------

describe("Keras architecture JSON + weights (Kotlin/kotlindl, Keras 2.4.0)", () => {
  const json = shared("Kotlin__kotlindl/api/src/main/resources/models/lstm/model.json");
  const weights = shared("Kotlin__kotlindl/api/src/main/resources/models/lstm/weights.h5");

  it("loads 3 stacked LSTM(64) + Dense(41) + softmax, matching weights by layer order, and runs", async () => {
    const model = await loadModel(json, { weights });
    expect(model.source.format).toBe("keras-json+h5");
    expect(model.source.producer).toBe("keras 2.4.0 (tensorflow backend)");
    expect(model.inputSize).toBe(41);
    expect(model.layers.map((l) => [l.inputSize, l.hiddenSize, l.direction])).toEqual([
      [41, 64, "forward"],
      [64, 64, "forward"],
      [64, 64, "forward"],
    ]);
    for (const l of model.layers) expect(l.cells[0]!.activations).toEqual({ gate: { kind: "sigmoid" }, cell: { kind: "tanh" }, hidden: { kind: "tanh" } });
    expect(model.head!.reads).toBe("final");
    expect(model.head!.layers.map((d) => [d.W.rows, d.W.cols, d.activation])).toEqual([[41, 64, "softmax"]]);
    const conv = model.source.conventions.join("\n");
    expect(conv).toMatch(/matched by layer order.*lstm_3←lstm_9, lstm_4←lstm_10, lstm_5←lstm_11, dense_1←dense_3/);
    expect(conv).toMatch(/Dropout layers are identities/);
    expect(conv).toMatch(/Activation layer 'activation_1' merged into dense layer 'dense_1'/);
    // The weights are not all zero (they were read), and the model runs to a probability vector.
    const k = model.layers[0]!.cells[0]!.gates.input.W.data;
    expect(k.some((v) => v !== 0)).toBe(true);
    const x = Array.from({ length: 40 * 41 }, (_, n) => (n % 41 === (Math.floor(n / 41) * 7) % 41 ? 1 : 0)); // one-hot characters
    const y = run(model, x, 40);
    expect(y.length).toBe(41);
    expect(y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("finds weights.h5 next to the JSON when no weights file is given", async () => {
    const d = tempDir("kotlin");
    copyFileSync(json, join(d, "model.json"));
    copyFileSync(weights, join(d, "weights.h5"));
    const model = await loadModel(join(d, "model.json"));
    expect(model.layers.length).toBe(3);
    expect(model.source.conventions[0]).toMatch(/weights read from weights\.h5, found next to the architecture JSON/);
    rmSync(d, { recursive: true, force: true });
  });

  it("asks for the weights when none are given or found, and explains a weights-only file given as the model", async () => {
    const d = tempDir("kotlin-alone");
    const alone = join(d, "arch.json");
    copyFileSync(json, alone);
    await expectInputError(loadModel(alone), alone, "architecture JSON without weights", "--weights-file <file.h5>", "arch.weights.h5");
    await expectInputError(loadModel(weights), weights, "weights-only file", "architecture JSON", "--weights-file");
    rmSync(d, { recursive: true, force: true });
  });

  it("refuses weights whose layer count does not match the architecture", async () => {
    const cfg = JSON.parse(readFileSync(json, "utf8"));
    cfg.config.layers.splice(5, 2); // drop one LSTM and its Dropout
    const f = tmp("two-lstm.json");
    writeFileSync(f, JSON.stringify(cfg));
    await expectInputError(loadModel(f, { weights }), weights, /has 4 layer\(s\) with weights .* but the model has 3/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// PyTorch fixtures re-laid out as Keras files: compare with PyTorch's own outputs
// ---------------------------------------------------------------------------------------------------------------

function transpose(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** PyTorch LSTM weights of layer k (direction suffix) in Keras layout: kernel = W_ih^T, recurrent = W_hh^T, bias = b_ih + b_hh. */
function torchToKeras(sd: ReturnType<typeof parseSafetensors>, k: number, suffix = "") {
  const t = (n: string) => sd.tensors.get(`lstm.${n}_l${k}${suffix}`)!;
  const [G, I] = t("weight_ih").shape as [number, number];
  const H = G / 4;
  const bias = t("bias_ih").data.map((v, n) => v + t("bias_hh").data[n]!);
  return { I, H, kernel: { shape: [I, G], data: transpose(t("weight_ih").data, G, I) }, recurrent: { shape: [H, G], data: transpose(t("weight_hh").data, G, H) }, bias: { shape: [G], data: bias } };
}

function torchFixture(name: string) {
  const sd = parseSafetensors(`${name}.safetensors`, readFileSync(join(TORCH, name, "model.safetensors")));
  const input = parseNpy("input.npy", readFileSync(join(TORCH, name, "input.npy")));
  const expected = parseNpy("expected.npy", readFileSync(join(TORCH, name, "expected.npy")));
  const meta = JSON.parse(readFileSync(join(TORCH, name, "meta.json"), "utf8")) as { hiddenSize: number; numLayers: number; head: string; outputs: number };
  return { sd, input, expected, meta };
}

/** The expected output of sequence n (flattened, batch-first). */
function expectedOf(expected: ReturnType<typeof parseNpy>, n: number, per: number): Float64Array {
  const flat = new Float64Array(expected.sequences.reduce((a, s) => a + s.data.length, 0));
  let at = 0;
  for (const s of expected.sequences) {
    flat.set(s.data, at);
    at += s.data.length;
  }
  return flat.subarray(n * per, (n + 1) * per);
}

describe("PyTorch fixtures as Keras HDF5 files reproduce PyTorch's outputs", () => {
  const seq = (name: string, T: number, I: number, layers: object[]) => ({
    class_name: "Sequential",
    config: { name, layers: [{ class_name: "InputLayer", config: { batch_input_shape: [null, T, I], name: "x" } }, ...layers] },
    keras_version: "2.11.0",
    backend: "tensorflow",
  });
  const lstmCfg = (name: string, H: number, rs: boolean) => ({ class_name: "LSTM", config: lstmConfig(name, H, { act: "tanh", rec: "sigmoid", rs, gb: false, stateful: false }) });

  it.each([
    ["sine", "every"],
    ["stacked", "last"],
    ["wide_range", "last"],
  ] as const)("%s (tf.keras-style names, weight_names order)", async (name, head) => {
    const { sd, input, expected, meta } = torchFixture(name);
    const T = input.sequences[0]!.steps;
    const I = input.features;
    const layerCfgs: object[] = [];
    const weightLayers: { name: string; weights: { name: string; shape: number[]; data: ArrayLike<number> }[] }[] = [];
    for (let k = 0; k < meta.numLayers; k++) {
      const w = torchToKeras(sd, k);
      const lname = `lstm_${k}`;
      layerCfgs.push(lstmCfg(lname, w.H, head === "every" || k < meta.numLayers - 1));
      weightLayers.push({
        name: lname,
        weights: [
          { name: `${lname}/lstm_cell_${k}/kernel:0`, ...w.kernel },
          { name: `${lname}/lstm_cell_${k}/recurrent_kernel:0`, ...w.recurrent },
          { name: `${lname}/lstm_cell_${k}/bias:0`, ...w.bias },
        ],
      });
    }
    const hw = sd.tensors.get("head.weight")!;
    const [O, nIn] = hw.shape as [number, number];
    const dense = { name: "head", units: O, activation: name === "wide_range" ? "softmax" : "linear", use_bias: true };
    layerCfgs.push(head === "every" ? { class_name: "TimeDistributed", config: { name: "td", layer: { class_name: "Dense", config: dense } } } : { class_name: "Dense", config: dense });
    const hname = head === "every" ? "td" : "head";
    weightLayers.push({ name: hname, weights: [{ name: `${hname}/kernel:0`, shape: [nIn, O], data: transpose(hw.data, O, nIn) }, { name: `${hname}/bias:0`, shape: [O], data: sd.tensors.get("head.bias")!.data }] });
    const file = tmp(`${name}.h5`);
    await writeH5(file, legacyH5(seq(name, T, I, layerCfgs), weightLayers, "2.11.0"));
    const model = await loadModel(file);
    expect(model.head!.reads).toBe(head === "every" ? "every" : "final");
    const per = head === "every" ? T * O : O;
    let worst = 0;
    input.sequences.forEach((s, n) => (worst = Math.max(worst, maxAbsDiff(run(model, s.data, T), expectedOf(expected, n, per)))));
    expect(worst).toBeLessThan(1e-4);
  });

  it("bidir: Bidirectional(LSTM) gives PyTorch's bidirectional sequence (checked through its Linear on the last step)", async () => {
    const { sd, input, expected } = torchFixture("bidir");
    const T = input.sequences[0]!.steps;
    const f = torchToKeras(sd, 0);
    const b = torchToKeras(sd, 0, "_reverse");
    const H = f.H;
    const inner = lstmCfg("forward_lstm", H, true);
    const file = tmp("bidir.h5");
    const cfg = seq("bidir", T, f.I, [{ class_name: "Bidirectional", config: { name: "bidirectional", layer: inner, merge_mode: "concat" } }]);
    const names = (d: string, n: number) => ["kernel", "recurrent_kernel", "bias"].map((r) => `bidirectional/${d}_lstm/lstm_cell_${n}/${r}:0`);
    // Backward weights listed first to show directions are found by name, not order.
    const [bk, br, bb] = names("backward", 2);
    const [fk, fr, fb] = names("forward", 1);
    await writeH5(file, legacyH5(cfg, [{ name: "bidirectional", weights: [
      { name: bk!, ...b.kernel }, { name: br!, ...b.recurrent }, { name: bb!, ...b.bias },
      { name: fk!, ...f.kernel }, { name: fr!, ...f.recurrent }, { name: fb!, ...f.bias },
    ] }]));
    const model = await loadModel(file);
    expect(model.layers[0]!.direction).toBe("bidirectional");
    const hw = sd.tensors.get("head.weight")!;
    const hb = sd.tensors.get("head.bias")!;
    let worst = 0;
    input.sequences.forEach((s, n) => {
      const y = run(model, s.data, T); // [T, 2H]; PyTorch's head reads out[:, -1]
      const last = y.subarray((T - 1) * 2 * H, T * 2 * H);
      const out = [0, 1].map((o) => hb.data[o]! + last.reduce((a, v, k) => a + v * hw.data[o * 2 * H + k]!, 0));
      worst = Math.max(worst, maxAbsDiff(out, expectedOf(expected, n, 2)));
    });
    expect(worst).toBeLessThan(1e-4);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// go_backwards through a stack, Flatten, TimeDistributed: against a literal re-implementation of Keras
// ---------------------------------------------------------------------------------------------------------------

/** Keras's LSTM, literally: reverse the input if go_backwards, run, return outputs in processing order. */
function kerasLstmRef(x: number[][], kernel: number[], rec: number[], bias: number[], H: number, gb: boolean, rs: boolean): number[][] {
  const seqIn = gb ? [...x].reverse() : x;
  const I = x[0]!.length;
  let h = new Array<number>(H).fill(0);
  let c = new Array<number>(H).fill(0);
  const outs: number[][] = [];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  for (const xt of seqIn) {
    const z = Array.from({ length: 4 * H }, (_, j) => bias[j]! + xt.reduce((a, v, k) => a + v * kernel[k * 4 * H + j]!, 0) + h.reduce((a, v, k) => a + v * rec[k * 4 * H + j]!, 0));
    const i = z.slice(0, H).map(sig);
    const f = z.slice(H, 2 * H).map(sig);
    const g = z.slice(2 * H, 3 * H).map(Math.tanh);
    const o = z.slice(3 * H).map(sig);
    c = c.map((cv, r) => f[r]! * cv + i[r]! * g[r]!);
    h = c.map((cv, r) => o[r]! * Math.tanh(cv));
    outs.push(h);
  }
  void I;
  return rs ? outs : [h];
}

describe("Keras semantics checked against a literal Keras re-implementation", () => {
  // float32-representable, since the HDF5 files store float32.
  const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, k) => Math.fround(Math.sin(seed * 3.7 + k * 0.91) * 0.6));
  const [T, I, H] = [6, 3, 4];
  const x = Array.from({ length: T }, (_, t) => rnd(I, 40 + t));
  const w1 = { kernel: rnd(I * 4 * H, 1), rec: rnd(H * 4 * H, 2), bias: rnd(4 * H, 3) };
  const w2 = { kernel: rnd(H * 4 * H, 4), rec: rnd(H * 4 * H, 5), bias: rnd(4 * H, 6) };
  const s = (rs: boolean, gb: boolean) => ({ act: "tanh", rec: "sigmoid", rs, gb, stateful: false });
  const lw = (n: string, w: typeof w1, i: number) => [
    { name: `${n}/kernel:0`, shape: [i, 4 * H], data: w.kernel },
    { name: `${n}/recurrent_kernel:0`, shape: [H, 4 * H], data: w.rec },
    { name: `${n}/bias:0`, shape: [4 * H], data: w.bias },
  ];
  const model = async (layers: object[], weights: { name: string; weights: { name: string; shape: number[]; data: ArrayLike<number> }[] }[]) => {
    const file = tmp("semantics.h5");
    const cfg = { class_name: "Sequential", config: [{ class_name: "InputLayer", config: { batch_input_shape: [null, T, I], name: "in" } }, ...layers], keras_version: "2.0.8" };
    await writeH5(file, legacyH5(cfg, weights, "2.0.8"));
    return importKerasH5(file);
  };

  it("go_backwards (return_sequences) → LSTM (last output): the second layer reads the reversed sequence", async () => {
    const m = await model(
      [{ class_name: "LSTM", config: lstmConfig("a", H, s(true, true)) }, { class_name: "LSTM", config: lstmConfig("b", H, s(false, false)) }],
      [{ name: "a", weights: lw("a", w1, I) }, { name: "b", weights: lw("b", w2, H) }],
    );
    expect(m.layers.map((l) => l.direction)).toEqual(["reverse", "reverse"]);
    const y1 = kerasLstmRef(x, w1.kernel, w1.rec, w1.bias, H, true, true);
    const ref = kerasLstmRef(y1, w2.kernel, w2.rec, w2.bias, H, false, false)[0]!;
    expect(maxAbsDiff(run(m, x.flat(), T), ref)).toBeLessThan(1e-12);
  });

  it("go_backwards (return_sequences) → Flatten → Dense: the dense weights are reordered to input time", async () => {
    const dk = rnd(T * H * 2, 7);
    const m = await model(
      [{ class_name: "LSTM", config: lstmConfig("a", H, s(true, true)) }, { class_name: "Flatten", config: { name: "flat" } }, { class_name: "Dense", config: { name: "d", units: 2, activation: "linear" } }],
      [{ name: "a", weights: lw("a", w1, I) }, { name: "d", weights: [{ name: "d/kernel:0", shape: [T * H, 2], data: dk }, { name: "d/bias:0", shape: [2], data: [0.5, -0.5] }] }],
    );
    expect(m.head).toMatchObject({ reads: "flatten", steps: T });
    const flat = kerasLstmRef(x, w1.kernel, w1.rec, w1.bias, H, true, true).flat();
    const ref = [0, 1].map((o) => [0.5, -0.5][o]! + flat.reduce((a, v, k) => a + v * dk[k * 2 + o]!, 0));
    expect(maxAbsDiff(run(m, x.flat(), T), ref)).toBeLessThan(1e-12);
    expect(() => run(m, x.slice(1).flat(), T - 1)).toThrow(/flattens exactly 6 time steps, but a sequence has 5/);
  });

  it("TimeDistributed(Dense, tanh) before the LSTM becomes the IR's inputDense", async () => {
    const dk = rnd(I * I, 8);
    const m = await model(
      [{ class_name: "TimeDistributed", config: { name: "td", layer: { class_name: "Dense", config: { name: "dd", units: I, activation: "tanh" } } } }, { class_name: "LSTM", config: lstmConfig("a", H, s(false, false)) }],
      [{ name: "td", weights: [{ name: "td/kernel:0", shape: [I, I], data: dk }, { name: "td/bias:0", shape: [I], data: [0.1, 0.2, 0.3].map(Math.fround) }] }, { name: "a", weights: lw("a", w1, I) }],
    );
    expect(m.inputDense?.length).toBe(1);
    const xd = x.map((xt) => [0, 1, 2].map((o) => Math.tanh(Math.fround([0.1, 0.2, 0.3][o]!) + xt.reduce((a, v, k) => a + v * dk[k * I + o]!, 0))));
    const ref = kerasLstmRef(xd, w1.kernel, w1.rec, w1.bias, H, false, false)[0]!;
    expect(maxAbsDiff(run(m, x.flat(), T), ref)).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------------------------

describe("Keras importers refuse bad input with one-line errors naming the file (and layer)", () => {
  const cases = kerasJsCases();
  const c = cases[1]!;
  const good = async () => {
    const f = tmp("good.h5");
    await writeH5(f, legacyH5(functionalConfig(8, 5, 5, SETTINGS[1]), [{ name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    return f;
  };

  it("truncated and corrupt HDF5 files", async () => {
    const bytes = readFileSync(await good());
    for (const n of [7, 400, Math.floor(bytes.length / 2), bytes.length - 100]) {
      const f = tmp(`cut-${n}.h5`);
      writeFileSync(f, bytes.subarray(0, n));
      await expectInputError(loadModel(f), f, /HDF5|Keras HDF5/);
    }
    const text = tmp("text.h5");
    writeFileSync(text, "name,value\n1,2\n");
    await expectInputError(loadModel(text), text, "is not a Keras HDF5 file (no HDF5 signature)");
  });

  it("an HDF5 file that is not a Keras model", async () => {
    const f = tmp("plain.h5");
    await writeH5(f, { data: { shape: [2], data: [1, 2] } });
    await expectInputError(loadModel(f), f, "without a Keras 'model_config'");
  });

  it("unsupported layers name the layer and its class", async () => {
    const gru = tmp("gru.h5");
    const cfg = functionalConfig(8, 5, 5, SETTINGS[1]);
    (cfg.config.layers[1] as { class_name: string }).class_name = "GRU";
    await writeH5(gru, legacyH5(cfg, [{ name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    await expectInputError(loadModel(gru), gru, "layer 'lstm_1' (GRU): GRU layers are not supported");

    const conv = tmp("conv.h5");
    const seqCfg = { class_name: "Sequential", config: [{ class_name: "Conv1D", config: { name: "conv1d_1", batch_input_shape: [null, 8, 5], filters: 4 } }, { class_name: "LSTM", config: lstmConfig("lstm_1", 5, SETTINGS[1]) }] };
    await writeH5(conv, legacyH5(seqCfg, [{ name: "conv1d_1", weights: [{ name: "conv1d_1/kernel:0", shape: [3, 5, 4], data: new Array(60).fill(0) }] }, { name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    await expectInputError(loadModel(conv), conv, "layer 'conv1d_1' (Conv1D): Conv1D layers are not supported");

    const relu6 = tmp("relu6.h5");
    const cfg2 = functionalConfig(8, 5, 5, { ...SETTINGS[1], rec: "swish" } as unknown as (typeof SETTINGS)[1]);
    await writeH5(relu6, legacyH5(cfg2, [{ name: "lstm_1", weights: lstmWeights("lstm_1", c) }]));
    await expectInputError(loadModel(relu6), relu6, "layer 'lstm_1' (LSTM): recurrent_activation 'swish' is not supported");
  });

  it("weights with the wrong shape, missing weights, bad JSON config", async () => {
    const wrong = tmp("wrong.h5");
    const w = lstmWeights("lstm_1", c);
    w[1] = { ...w[1]!, shape: [4, 25], data: w[1]!.data.slice(0, 100) };
    await writeH5(wrong, legacyH5(functionalConfig(8, 5, 5, SETTINGS[1]), [{ name: "lstm_1", weights: w }]));
    await expectInputError(loadModel(wrong), wrong, "layer 'lstm_1' (LSTM): recurrent_kernel 'lstm_1/recurrent_kernel:0' has shape [4, 25], expected [5, 20]");

    const missing = tmp("missing.h5");
    await writeH5(missing, legacyH5(functionalConfig(8, 5, 5, SETTINGS[1]), [{ name: "lstm_1", weights: lstmWeights("lstm_1", c).slice(0, 1) }]));
    await expectInputError(loadModel(missing), missing, "layer 'lstm_1' (LSTM): has no 'recurrent_kernel' weight");

    const badJson = tmp("badjson.h5");
    await writeH5(badJson, { "@attrs": { model_config: "{\"class_name\": \"Sequential\", " }, model_weights: {} });
    await expectInputError(loadModel(badJson), badJson, "the model_config attribute is not valid JSON");

    const notChain = tmp("notchain.json");
    writeFileSync(notChain, JSON.stringify({ class_name: "Model", config: { layers: [], input_layers: [["a", 0, 0], ["b", 0, 0]], output_layers: [["c", 0, 0]] } }));
    await expectInputError(loadModel(notChain, { weights: await good() }), notChain, "has 2 input(s) and 1 output(s)");
  });
});
