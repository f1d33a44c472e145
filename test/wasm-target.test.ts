/**
 * The WebAssembly target against the golden model, bit for bit (no tolerance: both implement the integer
 * arithmetic of docs/fixed-point.md, so any difference is a bug):
 * - every PyTorch fixture, int8 and int16 weights, scalar and SIMD builds, on input.npy, long_input.npy and
 *   saturating extreme inputs (±32767, -32768);
 * - the C target's synthetic models (peepholes, clip, int32 cells, coupled gates, relu/hard-sigmoid, reverse and
 *   stacked bidirectional layers, dense chains, no head, an empty head) and hand-built integer models for paths a
 *   quantizer rarely produces (64-bit accumulators with int8 weights, -32768 int16 weights, all-zero rows,
 *   saturating pre-activations), also checked against an independent BigInt reading of the spec;
 * - every module passes checkWasm; the same input gives the same .ts and .wasm bytes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runGolden } from "../compiler/golden/golden.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { checkWasm } from "../targets/wasm/check.js";
import { compileWasm, memoryPages } from "../targets/wasm/compile.js";
import { emitAssemblyScript } from "../targets/wasm/emit.js";
import { compileChecked, engineSource, runWasmEngine } from "../targets/wasm/engine.js";
import { buildWasmTarget } from "../targets/wasm/index.js";
import { FIXTURES, intSequences, loadFixture, synthModel, type IntSeq } from "./helpers/c-models.js";
import { SYNTH_SPECS } from "./helpers/c-synth-specs.js";
import { expectSameInts } from "./helpers/wasm-compare.js";
import { randomInput, randomQModel, type ModelSpec } from "./helpers/wasm-qmodel.js";
import { runSpec } from "./helpers/wasm-spec.js";

const OPTS = { name: "model", version: "0.0.0-test", modelHash: "test" };

interface Case {
  readonly qm: QuantizedModel;
  readonly seqs: readonly IntSeq[];
  readonly golden: readonly Int16Array[];
}

function goldenOf(qm: QuantizedModel, seqs: readonly IntSeq[]): Int16Array[] {
  return seqs.map((s) => runGolden(qm, s.xq, s.steps).output);
}

async function expectBitExact(c: Case, simd: boolean): Promise<void> {
  const outs = await runWasmEngine(c.qm, c.seqs, { simd });
  outs.forEach((o, k) => expectSameInts(o, c.golden[k]!, c.qm.outputSize, `sequence ${k} (${c.seqs[k]!.steps} steps), ${simd ? "SIMD" : "scalar"}`));
}

describe.each(FIXTURES.flatMap((f) => (["int8", "int16"] as const).map((w) => [f, w] as const)))("fixture %s, %s weights", (name, weights) => {
  let c: Case;
  beforeAll(() => {
    const fx = loadFixture(name, { weights });
    const seqs = [...fx.seqs, ...(fx.long ?? []), ...intSequences(fx.qm, 4, 40, 99, true)];
    c = { qm: fx.qm, seqs, golden: goldenOf(fx.qm, seqs) };
  });

  it.each([false, true])("matches the golden model (simd: %s) on input.npy, long_input.npy and extreme inputs", async (simd) => {
    await expectBitExact(c, simd);
  });

  it("both modules pass checkWasm", async () => {
    const source = engineSource(c.qm, c.seqs); // the modules the test above ran
    for (const simd of [false, true]) {
      const { bytes } = await compileChecked(source, simd);
      expect(() => checkWasm(bytes, { simd })).not.toThrow();
      if (!simd) expect(() => checkWasm(bytes, { simd: true })).not.toThrow();
    }
  });
});

describe.each(SYNTH_SPECS)("synthetic model $name", (spec) => {
  let c: Case;
  beforeAll(() => {
    const { qm } = synthModel(spec);
    const seqs = [...intSequences(qm, 3, 30, spec.seed, false), ...intSequences(qm, 4, 25, spec.seed + 1, true)];
    c = { qm, seqs, golden: goldenOf(qm, seqs) };
  });
  it.each([false, true])("matches the golden model (simd: %s), normal and saturating inputs", async (simd) => {
    await expectBitExact(c, simd);
  });
});

/** Hand-built integer models: paths a quantizer rarely takes, driven far outside any calibrated range. */
const HAND_BUILT: readonly (ModelSpec & { readonly name: string })[] = [
  {
    name: "int8 weights with 64-bit accumulators (600 inputs)",
    seed: 31,
    inputSize: 600,
    layers: [{ hidden: 9 }],
    head: { reads: "every", layers: [{ rows: 3, activation: { kind: "linear", outFrac: 9 } }] },
  },
  {
    name: "int16 weights, saturating gains, peepholes, clip, int32 cells, random initial state",
    seed: 32,
    inputSize: 13,
    weights: "int16",
    cell: "int32",
    gain: 6,
    layers: [{ hidden: 17, peephole: true, clip: 5 << 16, initialState: true }, { hidden: 11, direction: "bidirectional", peephole: true }],
    head: { reads: "final", layers: [{ rows: 6, activation: { kind: "relu", outFrac: 11 } }, { rows: 4, activation: { kind: "softmax" } }] },
  },
  {
    name: "reverse layer, hard sigmoid gates, relu cell, last step",
    seed: 33,
    inputSize: 7,
    gain: 3,
    layers: [
      {
        hidden: 10,
        direction: "reverse",
        gate: { kind: "hardSigmoid", alpha: 6554, beta: 16384 },
        cellAct: { kind: "relu", outFrac: 12 },
        hiddenAct: { kind: "relu", outFrac: 12 },
        inputForget: true,
      },
    ],
    head: { reads: "last", layers: [{ rows: 5, activation: { kind: "tanh" } }, { rows: 3, activation: { kind: "sigmoid" } }] },
  },
  {
    name: "stacked forward, no head, int16 weights",
    seed: 34,
    inputSize: 24,
    weights: "int16",
    layers: [{ hidden: 33, initialState: true }, { hidden: 16 }],
  },
];

describe.each(HAND_BUILT)("hand-built model: $name", (spec) => {
  let c: Case;
  beforeAll(() => {
    const qm = randomQModel(spec);
    if (spec.weights === "int16") {
      // A -32768 weight: the SIMD int16/64-bit kernel cannot pair it, the emitter must choose the scalar one.
      const q = qm.layers[0]!.cells[0]!.gates.cell.W.q;
      q[0] = -32768;
    }
    const seqs = [
      ...[0, 1].map((k) => ({ xq: randomInput(spec.seed * 10 + k, 21 + k, spec.inputSize), steps: 21 + k })),
      ...[2, 3].map((k) => ({ xq: randomInput(spec.seed * 10 + k, 17, spec.inputSize, true), steps: 17 })),
    ];
    c = { qm, seqs, golden: goldenOf(qm, seqs) };
  });

  it("the golden model agrees with an independent BigInt reading of the spec", () => {
    c.seqs.forEach((s, k) => expectSameInts(c.golden[k]!, runSpec(c.qm, s.xq, s.steps), c.qm.outputSize, `sequence ${k}`));
  });

  it.each([false, true])("matches the golden model (simd: %s)", async (simd) => {
    await expectBitExact(c, simd);
  });
});

describe("generated code", () => {
  it("declares the model, formats and memory in a header and exports only the documented entry points", async () => {
    const { qm } = synthModel(SYNTH_SPECS.find((s) => s.name === "stacked_bidir_every")!);
    const source = emitAssemblyScript(qm, { ...OPTS, modelFile: "m.onnx", tolerance: "gates 0.05 on calib.npy" });
    expect(source).toMatch(/generated by lstm-gen 0\.0\.0-test\. Generated file: do not edit\./);
    expect(source).toContain("Model hash: test (m.onnx)");
    expect(source).toMatch(/Verified against the float model within max-abs-error tolerances .*: gates 0\.05 on calib\.npy/);
    expect(source).toMatch(/Compiled with AssemblyScript \d+\.\d+\.\d+; asconfig\.json rebuilds the same \.wasm/);
    expect(source).toMatch(/Memory: \d+ bytes of static data and buffers .* in a fixed memory/);
    // Layer names are model-controlled: they appear only inside one-line comments.
    expect(source).not.toMatch(/\n[^/\n]*synth\*/);
    const { module } = await compileChecked(source, false);
    const exports = WebAssembly.Module.exports(module).map((e) => `${e.kind}:${e.name}`).sort();
    expect(exports).toEqual(
      [
        "function:inputPtr", "function:outputPtr", "function:reset", "function:run", "function:statePtr", "function:stateSize",
        "global:ABI_VERSION", "global:INPUT_SIZE", "global:MAX_STEPS", "global:MODEL_TAG", "global:OUTPUT_FRAC", "global:OUTPUT_PER_STEP",
        "global:OUTPUT_SIZE", "global:STATE_SIZE", "global:STREAMING", "memory:memory",
      ].sort(),
    );
    expect(WebAssembly.Module.imports(module)).toEqual([]);
  });

  it("buildWasmTarget: the files of --target wasm and --target as; asconfig.json rebuilds the same bytes", async () => {
    const asc = (await import("assemblyscript/asc")).default;
    const { qm } = loadFixture("forget_bias");
    for (const simd of [false, true]) {
      const opts = { ...OPTS, name: "latch", simd, modelFile: "model.onnx", tolerance: "verified" };
      const wasm = await buildWasmTarget(qm, opts);
      expect([...wasm.files.keys()].sort()).toEqual(["asconfig.json", "assembly/latch.ts", "latch.d.ts", "latch.js", "latch.wasm"]);
      expect(wasm.summary.join("\n")).toMatch(/fixed memory \d+ × 64 KiB, state 64 bytes; exports reset\/step\/feed\/run/);
      const as = await buildWasmTarget(qm, { ...opts, sourceOnly: true });
      expect([...as.files.keys()].sort()).toEqual(["asconfig.json", "assembly/latch.ts", "latch.d.ts", "latch.js"]);
      // A user's `npx asc --config asconfig.json` in the output directory gives the same module.
      let rebuilt: Uint8Array | undefined;
      let log = "";
      const { error } = await asc.main(["--config", "asconfig.json"], {
        readFile: (n: string) => {
          const f = as.files.get(n.replace(/^\.\//, ""));
          return typeof f === "string" ? f : null;
        },
        writeFile: (n: string, c: Uint8Array | string) => {
          if (n.endsWith("latch.wasm") && c instanceof Uint8Array) rebuilt = new Uint8Array(c);
        },
        listFiles: () => [],
        stdout: { write: (t: string) => void (log += t) },
        stderr: { write: (t: string) => void (log += t) },
      });
      expect(error, log).toBeNull();
      expect(Buffer.from(rebuilt!).equals(Buffer.from(wasm.files.get("latch.wasm") as Uint8Array))).toBe(true);
    }
  });

  it("is deterministic: the same model gives the same .ts and the same .wasm bytes", async () => {
    const a = emitAssemblyScript(loadFixture("stacked").qm, OPTS);
    const b = emitAssemblyScript(loadFixture("stacked").qm, OPTS);
    expect(b).toBe(a);
    for (const simd of [false, true]) {
      const [x, y] = [await compileWasm(a, { simd }), await compileWasm(b, { simd })];
      expect(Buffer.from(y).equals(Buffer.from(x))).toBe(true);
    }
  });

  it("sizes memory exactly: the smallest fixed page count that holds the data", async () => {
    const asc = (await import("assemblyscript/asc")).default;
    const qm = loadFixture("sine").qm;
    for (const maxSteps of [16, 30000]) {
      // 30000 steps: the buffers span several pages.
      const source = emitAssemblyScript(qm, { ...OPTS, maxSteps });
      const { module, bytes } = await compileChecked(source, false);
      const pages = memoryPages(bytes);
      const inst = await WebAssembly.instantiate(module, {});
      const mem = inst.exports.memory as WebAssembly.Memory;
      expect(mem.buffer.byteLength).toBe(pages * 65536);
      expect(() => mem.grow(1)).toThrow();
      // One page less does not hold the data (asc reports AS105).
      let log = "";
      await asc.main(["m.ts", "--outFile", "m.wasm", "--runtime", "stub", "--initialMemory", String(pages - 1), "--maximumMemory", String(pages - 1)], {
        readFile: (n: string) => (n === "m.ts" ? source : null),
        writeFile: () => undefined,
        listFiles: () => [],
        stdout: { write: (t: string) => void (log += t) },
        stderr: { write: (t: string) => void (log += t) },
      });
      if (pages > 1) expect(log).toMatch(/AS105/);
      else expect(maxSteps).toBe(16);
    }
  });

  it("refuses a model the spec does not allow instead of emitting wrong code", () => {
    const qm = randomQModel({ seed: 5, inputSize: 3, layers: [{ hidden: 4 }] });
    const W = qm.layers[0]!.cells[0]!.gates.input.W;
    const lying = { ...W, accBits: 32 as const, q: Int8Array.from(W.q, () => 127) };
    const big = { ...W, rows: W.rows, cols: 20000, q: new Int8Array(W.rows * 20000).fill(127), accBits: 32 as const };
    const withGate = (m: typeof W) => ({
      ...qm,
      layers: [{ ...qm.layers[0]!, inputSize: m.cols, cells: [{ ...qm.layers[0]!.cells[0]!, gates: { ...qm.layers[0]!.cells[0]!.gates, input: { ...qm.layers[0]!.cells[0]!.gates.input, W: m } } }] }],
      input: { ...qm.input, size: m.cols },
    });
    expect(() => emitAssemblyScript(withGate(lying), OPTS)).not.toThrow(); // 3 × 127 × 32768 fits 32 bits
    expect(() => emitAssemblyScript(withGate(big), OPTS)).toThrow(/compiler bug.*accBits 32.*§6/);
    expect(() => emitAssemblyScript(qm, { ...OPTS, name: "../x" })).toThrow(/--name/);
    expect(() => emitAssemblyScript(qm, { ...OPTS, name: "class" })).toThrow(/reserved/);
  });
});
