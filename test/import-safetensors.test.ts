/**
 * PyTorch state_dicts (.safetensors): the fixtures' model.safetensors, with the facts weights cannot tell given as
 * options (head, headActivation, batchFirst), reproduce PyTorch's expected.npy (1e-4: float32 PyTorch vs float64
 * reference) and agree with the ONNX importer on the same model's model.onnx (1e-6: both float64 over the same
 * float32 weights, so only the summation order differs).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNpy } from "../compiler/data/npy.js";
import { loadModel, type ImportOptions } from "../compiler/import/index.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { importSafetensors } from "../compiler/import/safetensors/index.js";
import type { Model } from "../compiler/ir/model.js";
import { expectInputError, maxAbsDiff, run, tempDir, TORCH } from "./import-helpers.js";

const dir = tempDir("safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

interface Meta {
  readonly head: "last" | "every";
  readonly outputActivation: "none" | "softmax";
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly outputs: number;
  readonly stateDict: Record<string, number[]>;
}
const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;

function fixture(name: string) {
  const meta = JSON.parse(readFileSync(join(TORCH, name, "meta.json"), "utf8")) as Meta;
  const opts: ImportOptions = { head: meta.head, batchFirst: true, ...(meta.outputActivation === "softmax" ? { headActivation: "softmax" as const } : {}) };
  return { meta, opts, file: join(TORCH, name, "model.safetensors") };
}

/** All outputs of `model` over an .npy input file, flattened in batch-first order. */
function outputs(model: Model, npy: string): Float64Array {
  const set = parseNpy(npy, readFileSync(npy));
  return Float64Array.from(set.sequences.flatMap((s) => Array.from(run(model, s.data, s.steps))));
}
function npyValues(npy: string): Float64Array {
  return Float64Array.from(parseNpy(npy, readFileSync(npy)).sequences.flatMap((s) => Array.from(s.data)));
}

describe("PyTorch fixtures: model.safetensors", () => {
  it.each(FIXTURES)("%s reproduces PyTorch's expected.npy within 1e-4 and the ONNX import within 1e-6", async (name) => {
    const { meta, opts, file } = fixture(name);
    const model = await loadModel(file, opts);
    expect(model.source.format).toBe("safetensors");
    expect(model.layers.length).toBe(meta.numLayers);
    expect(model.layers.every((l) => l.hiddenSize === meta.hiddenSize && l.direction === (meta.bidirectional ? "bidirectional" : "forward"))).toBe(true);
    expect(model.inputSize).toBe(meta.inputSize);
    expect(model.head?.reads).toBe(meta.head);
    const got = outputs(model, join(TORCH, name, "input.npy"));
    const errTorch = maxAbsDiff(got, npyValues(join(TORCH, name, "expected.npy")));
    expect(errTorch).toBeLessThan(1e-4);
    const onnx = importOnnx(join(TORCH, name, "model.onnx"));
    const errOnnx = maxAbsDiff(got, outputs(onnx, join(TORCH, name, "input.npy")));
    expect(errOnnx).toBeLessThan(1e-6);
  });

  it.each(["sine", "forget_bias"])("%s: the 2000-step long_input.npy stays within 1e-4 of PyTorch", async (name) => {
    const { opts, file } = fixture(name);
    const model = await loadModel(file, opts);
    const err = maxAbsDiff(outputs(model, join(TORCH, name, "long_input.npy")), npyValues(join(TORCH, name, "long_expected.npy")));
    expect(err).toBeLessThan(1e-4);
  });

  it("records the conventions and options it applied", async () => {
    const { opts, file } = fixture("bidir");
    const model = await loadModel(file, opts);
    const conv = model.source.conventions.join("\n");
    expect(conv).toMatch(/PyTorch gate order i,f,g,o mapped to input,forget,cell,output/);
    expect(conv).toMatch(/bias = bias_ih \+ bias_hh/);
    expect(conv).toMatch(/'_reverse' weights → the reverse cell/);
    expect(conv).toMatch(/reads out\[:, -1\] \(the last step\) \(given as an option\)/);
    expect(conv).toMatch(/batch_first=True \(given as an option\)/);
    expect(model.outputs[0]!.axes).toEqual(["batch", "unit"]);
  });

  it("without a head option an LSTM-only state_dict outputs the sequence; with a Linear the head option is required", async () => {
    const { file } = fixture("stacked");
    await expectInputError(loadModel(file), file, "nn.Linear head 'head' [3, 24]", "give head 'last' or 'every' (--head)");
    // Strip the head: the output is the last layer's sequence, time-major by PyTorch's default.
    const stripped = tmp("lstm-only.safetensors");
    writeFileSync(stripped, writeSafetensors(readTensors(file).filter((t) => !t.name.startsWith("head."))));
    const model = importSafetensors(stripped);
    expect(model.head).toBeUndefined();
    expect(model.outputs[0]).toMatchObject({ source: { kind: "sequence", layer: 1, mergeDirections: true }, axes: ["time", "batch", "unit"] });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Hostile and unsupported files
// ---------------------------------------------------------------------------------------------------------------

interface RawTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

function readTensors(file: string): RawTensor[] {
  const b = readFileSync(file);
  const len = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + len).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(header)
    .filter(([k]) => k !== "__metadata__")
    .map(([name, h]) => ({ name, dtype: h.dtype, shape: h.shape, bytes: b.subarray(8 + len + h.data_offsets[0], 8 + len + h.data_offsets[1]) }));
}

function writeSafetensors(tensors: readonly RawTensor[], patch: (h: Record<string, unknown>) => void = () => {}): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  patch(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...tensors.map((t) => Buffer.from(t.bytes))]);
}

const f32 = (name: string, shape: number[]) => ({ name, dtype: "F32", shape, bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });

describe("safetensors importer refuses bad input with one-line errors naming the file", () => {
  const sine = fixture("sine").file;
  const good = readFileSync(sine);

  it("truncated files and hostile headers", async () => {
    for (const len of [5, 20, good.length - 10]) {
      const f = tmp(`cut-${len}.safetensors`);
      writeFileSync(f, good.subarray(0, len));
      await expectInputError(loadModel(f, { head: "every" }), f, /too short|truncated|outside the .* data bytes/);
    }
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(1n << 60n, 0);
    const h = tmp("huge.safetensors");
    writeFileSync(h, huge);
    await expectInputError(loadModel(h), h, /declares a \d+-byte header \(more than 100000000 is refused\)/);
    const offsets = tmp("offsets.safetensors");
    writeFileSync(offsets, writeSafetensors(readTensors(sine), (hd) => ((hd["head.bias"] as { data_offsets: number[] }).data_offsets = [0, 1 << 30])));
    await expectInputError(loadModel(offsets, { head: "every" }), offsets, "tensor 'head.bias'", /data_offsets|bytes but shape/);
    const overlap = tmp("overlap.safetensors");
    writeFileSync(overlap, writeSafetensors(readTensors(sine), (hd) => ((hd["head.bias"] as { data_offsets: number[] }).data_offsets = [4, 8])));
    await expectInputError(loadModel(overlap, { head: "every" }), overlap, /overlap/);
    const dtype = tmp("dtype.safetensors");
    writeFileSync(dtype, writeSafetensors([...readTensors(sine).filter((t) => t.name !== "head.bias"), { name: "head.bias", dtype: "I64", shape: [1], bytes: new Uint8Array(8) }]));
    await expectInputError(loadModel(dtype, { head: "every" }), dtype, "tensor 'head.bias' has dtype I64; supported: F32, F64, F16, BF16");
  });

  it("a file of another type", async () => {
    const f = tmp("npy.safetensors");
    writeFileSync(f, readFileSync(join(TORCH, "sine", "input.npy")));
    await expectInputError(loadModel(f), f, /header|is it a safetensors file/);
  });

  it("unsupported modules: nn.GRU, projections, extra layers, several Linear layers", async () => {
    const gru = tmp("gru.safetensors");
    writeFileSync(gru, writeSafetensors([f32("rnn.weight_ih_l0", [24, 3]), f32("rnn.weight_hh_l0", [24, 8]), f32("rnn.bias_ih_l0", [24]), f32("rnn.bias_hh_l0", [24])]));
    await expectInputError(loadModel(gru), gru, "'rnn.weight_hh_l0' has shape [24, 8] (3H rows): this looks like nn.GRU, which is not supported");
    const proj = tmp("proj.safetensors");
    writeFileSync(proj, writeSafetensors([...readTensors(sine), f32("lstm.weight_hr_l0", [8, 32])]));
    await expectInputError(loadModel(proj, { head: "every" }), proj, "proj_size");
    const extra = tmp("extra.safetensors");
    writeFileSync(extra, writeSafetensors([...readTensors(sine), f32("embedding.weight", [10, 1]), f32("bn.running_mean", [1])]));
    await expectInputError(loadModel(extra, { head: "every" }), extra, "tensor 'bn.running_mean' that is neither nn.LSTM nor nn.Linear");
    const two = tmp("two.safetensors");
    writeFileSync(two, writeSafetensors([...readTensors(sine), f32("fc2.weight", [1, 1]), f32("fc2.bias", [1])]));
    await expectInputError(loadModel(two, { head: "every" }), two, "several other modules ('head', 'fc2')");
    const none = tmp("none.safetensors");
    writeFileSync(none, writeSafetensors([f32("fc.weight", [2, 3])]));
    await expectInputError(loadModel(none), none, "has no nn.LSTM weights");
  });
});
