/**
 * The generated JavaScript wrapper (`<name>.js` / `<name>.d.ts`) over compiled fixture modules, bit for bit against
 * the golden model: float input quantization, frame-by-frame streaming against whole-sequence runs and goldenStep,
 * state save/restore in the middle of a stream, independent instances, chunked long sequences, and the refusals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSequences } from "../compiler/data/read.js";
import { goldenInit, goldenStep, quantizeInput, runGolden } from "../compiler/golden/golden.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import { calibrationFromInputRange } from "../compiler/quantize/calibrate.js";
import { modelTag, writeWasm } from "../targets/wasm/index.js";
import { FIXTURE_DIR, loadFixture, type FixtureName, type LoadedModel } from "./helpers/c-models.js";
import { expectSameInts } from "./helpers/wasm-compare.js";

interface LstmModule {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputFrac: number;
  readonly inputScale: readonly number[];
  readonly maxSteps: number;
  readonly streaming: boolean;
  readonly outputPerStep: boolean;
  reset(): void;
  step(frame: Int16Array | Float32Array | Float64Array | readonly number[]): Int16Array;
  run(frames: unknown): Int16Array;
  quantize(x: unknown): Int16Array;
  dequantize(q: Int16Array): Float32Array;
  saveState(): Uint8Array;
  restoreState(bytes: Uint8Array): void;
}
type Load = (source?: unknown) => Promise<LstmModule>;

const DIR = mkdtempSync(join(tmpdir(), "lstm-gen-wasm-wrapper-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

interface Built {
  readonly fx: LoadedModel;
  readonly load: Load;
  readonly js: string;
  readonly wasm: string;
}

async function build(name: FixtureName, opts: { simd?: boolean; maxSteps?: number; tag?: string } = {}): Promise<Built> {
  const fx = loadFixture(name);
  const id = `${name}${opts.tag ?? ""}`;
  const dir = join(DIR, id);
  await writeWasm(fx.qm, dir, { name: id, version: "0.0.0-test", modelHash: `hash-of-${name}`, simd: opts.simd ?? false, ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) });
  const js = join(dir, `${id}.js`);
  const mod = (await import(pathToFileURL(js).href)) as { load: Load };
  return { fx, load: mod.load, js, wasm: join(dir, `${id}.wasm`) };
}

function frames(xq: Int16Array, I: number): Int16Array[] {
  return Array.from({ length: xq.length / I }, (_, t) => xq.slice(t * I, (t + 1) * I));
}

const built: Partial<Record<string, Built>> = {};
beforeAll(async () => {
  built.sine = await build("sine");
  built.stacked = await build("stacked", { simd: true });
  built.wide = await build("wide_range");
  built.bidir = await build("bidir");
  built.chunked = await build("forget_bias", { maxSteps: 64, tag: "_chunked" });
});

describe("loading", () => {
  it("takes bytes, a path, a file URL, a Module, or nothing (the .wasm next to the wrapper)", async () => {
    const b = built.sine!;
    const bytes = readFileSync(b.wasm);
    const sources = [undefined, b.wasm, pathToFileURL(b.wasm), new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), await WebAssembly.compile(bytes)];
    const x = b.fx.seqs[0]!;
    const want = runGolden(b.fx.qm, x.xq, x.steps).output;
    for (const s of sources) {
      const m = await b.load(s);
      expectSameInts(m.run(x.xq), want, m.outputSize, `source ${String(s)}`);
    }
  });

  it("fetches an http: URL (the browser code path)", async () => {
    const b = built.sine!;
    const bytes = readFileSync(b.wasm);
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/model.wasm" ? 200 : 404, { "content-type": "application/wasm" });
      res.end(req.url === "/model.wasm" ? bytes : undefined);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const { port } = server.address() as AddressInfo;
      const m = await b.load(`http://127.0.0.1:${port}/model.wasm`);
      const x = b.fx.seqs[1]!;
      expectSameInts(m.run(x.xq), runGolden(b.fx.qm, x.xq, x.steps).output, 1, "fetched");
      await expect(b.load(new URL(`http://127.0.0.1:${port}/missing.wasm`))).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
  });

  it("refuses a module compiled for another model", async () => {
    await expect(built.sine!.load(readFileSync(built.stacked!.wasm))).rejects.toThrow(/does not belong to this wrapper/);
  });

  it("refuses the module and the saved states of another calibration of the same model (MODEL_TAG)", async () => {
    // Same model file, same shapes and sizes, other fixed-point formats: only the tag tells the builds apart.
    const b = built.sine!;
    const model = importOnnx(join(FIXTURE_DIR, "sine", "model.onnx"));
    const qm2 = quantizeModel(model, calibrationFromInputRange(model, -50, 50), { weights: "int8", cell: "int16" });
    expect(qm2.layers[0]!.cFrac).not.toBe(b.fx.qm.layers[0]!.cFrac);
    const dir = join(DIR, "sine_range");
    await writeWasm(qm2, dir, { name: "sine", version: "0.0.0-test", modelHash: "hash-of-sine", simd: false });
    const other = (await import(pathToFileURL(join(dir, "sine.js")).href)) as { load: Load };
    await expect(b.load(readFileSync(join(dir, "sine.wasm")))).rejects.toThrow(/MODEL_TAG .*another build/);
    const m1 = await b.load();
    const m2 = await other.load();
    m1.step([0.3]);
    expect(() => m2.restoreState(m1.saveState())).toThrow(/another model or build/);
    m2.restoreState(m2.saveState());
  });

  it("MODEL_TAG does not depend on how the model's path was typed (the bytes stay the same)", () => {
    const dir = join(FIXTURE_DIR, "sine");
    const was = process.cwd();
    const tags: number[] = [];
    process.chdir(dir);
    try {
      for (const f of ["model.onnx", "./model.onnx", join(dir, "model.onnx")]) {
        const model = importOnnx(f);
        tags.push(modelTag(quantizeModel(model, calibrationFromInputRange(model, -1, 1), {}), "hash", 64));
      }
    } finally {
      process.chdir(was);
    }
    expect(new Set(tags).size).toBe(1);
  });

  it("loads from a data: URL string and from a promise of a Response (fetch(url) without await)", async () => {
    const b = built.sine!;
    const bytes = readFileSync(b.wasm);
    const x = b.fx.seqs[0]!;
    const want = runGolden(b.fx.qm, x.xq, x.steps).output;
    const dataUrl = `data:application/wasm;base64,${bytes.toString("base64")}`;
    expectSameInts((await b.load(dataUrl)).run(x.xq), want, 1, "data: URL");
    expectSameInts((await b.load(fetch(dataUrl))).run(x.xq), want, 1, "promise of a Response");
  });

  it("names the .wasm literally in new URL(…, import.meta.url), so bundlers ship it", () => {
    expect(readFileSync(built.sine!.js, "utf8")).toContain('new URL("sine.wasm", import.meta.url)');
    expect(readFileSync(built.sine!.js, "utf8")).toMatch(/import\(\/\* webpackIgnore: true \*\/ \/\* @vite-ignore \*\/ 'node:fs\/promises'\)/);
  });

  it("the .d.ts of a whole-sequence model has no step()", () => {
    const dts = readFileSync(built.bidir!.js.replace(/\.js$/, ".d.ts"), "utf8");
    expect(dts).not.toMatch(/\bstep\(frame/);
    expect(dts).toMatch(/\brun\(frames: Frames\)/);
    expect(readFileSync(built.sine!.js.replace(/\.js$/, ".d.ts"), "utf8")).toMatch(/\bstep\(frame: /);
  });

  it("exposes the quantization constants", async () => {
    const b = built.wide!;
    const m = await b.load();
    expect(m.inputScale).toEqual(Array.from(b.fx.qm.input.scale));
    expect(m.outputFrac).toBe(b.fx.qm.outputFrac);
    expect([m.inputSize, m.outputSize, m.streaming, m.outputPerStep]).toEqual([10, 4, true, false]);
    const q = Int16Array.from([-32768, -1, 0, 1, 32767]);
    expect(Array.from(m.dequantize(q))).toEqual(Array.from(q, (v) => v * 2 ** -b.fx.qm.outputFrac));
  });

  it("the .d.ts type-checks against a usage example", () => {
    const b = built.sine!;
    const dts = b.js.replace(/\.js$/, ".d.ts");
    const use = join(DIR, "use.ts");
    writeFileSync(
      use,
      `import { load, type LstmModule } from ${JSON.stringify(b.js.replace(/\.js$/, ".js"))};\n` +
        "export async function f(): Promise<number> {\n" +
        "  const m: LstmModule = await load();\n" +
        "  const y: Int16Array = m.step(new Float32Array(m.inputSize));\n" +
        "  const s: Uint8Array = m.saveState();\n  m.restoreState(s);\n" +
        "  return m.run([[0.5]]).length + y.length + m.dequantize(y)[0]!;\n}\n",
    );
    const program = ts.createProgram([use, dts], {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      skipLibCheck: false,
      types: [],
      noUncheckedIndexedAccess: true,
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diags).toEqual([]);
  });
});

describe("input quantization", () => {
  it("quantizes float frames exactly as the golden model's quantizeInput (half away from zero, saturate, NaN → 0)", async () => {
    const b = built.wide!;
    const m = await b.load();
    const I = m.inputSize;
    const set = readSequences(join(FIXTURE_DIR, "wide_range", "input.npy"), { features: I });
    const special: number[] = [];
    for (let k = 0; k < 40; k++) {
      const s = b.fx.qm.input.scale[k % I]!;
      special.push(
        ...[NaN, Infinity, -Infinity, 1e30, -1e30, 0, -0, (k + 0.5) * s, -(k + 0.5) * s, 0.49999999999999994 * s, -0.49999999999999994 * s],
        (32767.5 + k) * s,
        -(32768.5 + k) * s,
        Math.fround((k - 20.5) * s),
      );
    }
    const extra = Float64Array.from(special.slice(0, Math.floor(special.length / I) * I));
    for (const x of [...set.sequences.map((s) => s.data), extra]) {
      expectSameInts(m.quantize(x), quantizeInput(b.fx.qm, x), I, "Float64Array");
      const f32 = Float32Array.from(x);
      expectSameInts(m.quantize(f32), quantizeInput(b.fx.qm, Float64Array.from(f32)), I, "Float32Array");
    }
  });

  it("quantizes a sequence of mixed frames frame by frame (Int16Array frames as they are)", async () => {
    const b = built.stacked!;
    const m = await b.load();
    const q = Int16Array.from([1000, -1000, 1000, 32767]);
    const f = [0.25, -0.5, 1.5, -2];
    const mixed = m.quantize([q, f]);
    expect(Array.from(mixed.subarray(0, 4))).toEqual(Array.from(q));
    expect(Array.from(mixed.subarray(4))).toEqual(Array.from(quantizeInput(b.fx.qm, Float64Array.from(f))));
    const xq = Int16Array.from([...q, ...quantizeInput(b.fx.qm, Float64Array.from(f))]);
    expectSameInts(m.run([q, f]), runGolden(b.fx.qm, xq, 2).output, m.outputSize, "mixed frames");
  });

  it("runs float sequences through the golden model's quantization", async () => {
    const b = built.wide!;
    const m = await b.load();
    const set = readSequences(join(FIXTURE_DIR, "wide_range", "input.npy"), { features: m.inputSize });
    for (const s of set.sequences) {
      const f32 = Float32Array.from(s.data);
      const want = runGolden(b.fx.qm, quantizeInput(b.fx.qm, Float64Array.from(f32)), s.steps).output;
      expectSameInts(m.run(f32), want, m.outputSize, "run(Float32Array)");
    }
  });
});

describe.each(["sine", "stacked", "wide"] as const)("streaming (%s)", (key) => {
  it("frame by frame equals goldenStep and the whole-sequence run", async () => {
    const b = built[key]!;
    const m = await b.load();
    const I = m.inputSize;
    for (const s of b.fx.seqs.slice(0, 4)) {
      const whole = m.run(s.xq);
      m.reset();
      const st = goldenInit(b.fx.qm);
      const want = new Int16Array(m.outputSize);
      const rows: Int16Array[] = [];
      frames(s.xq, I).forEach((f, t) => {
        const y = m.step(f);
        goldenStep(b.fx.qm, st, f, want);
        expectSameInts(y, want, m.outputSize, `step ${t}`);
        rows.push(y);
      });
      if (m.outputPerStep) expectSameInts(whole, rows.flatMap((r) => Array.from(r)), m.outputSize, "run vs steps");
      else expectSameInts(whole, rows[rows.length - 1]!, m.outputSize, "run vs last step");
      expectSameInts(whole, runGolden(b.fx.qm, s.xq, s.steps).output, m.outputSize, "run vs golden");
    }
  });

  it("saves the state mid-stream and restores it in the same and in another instance", async () => {
    const b = built[key]!;
    const [a, other] = [await b.load(), await b.load()];
    const seq = frames(b.fx.seqs[1]!.xq, a.inputSize);
    const cut = Math.floor(seq.length / 2);
    seq.slice(0, cut).forEach((f) => a.step(f));
    const saved = a.saveState();
    const rest = seq.slice(cut).map((f) => a.step(f));
    a.reset();
    a.restoreState(saved);
    other.restoreState(saved);
    seq.slice(cut).forEach((f, k) => {
      expectSameInts(a.step(f), rest[k]!, a.outputSize, `same instance, step ${cut + k}`);
      expectSameInts(other.step(f), rest[k]!, a.outputSize, `other instance, step ${cut + k}`);
    });
    expect(() => a.restoreState(saved.subarray(1))).toThrow(/bytes/);
    const foreign = new Uint8Array(saved);
    foreign[0]! ^= 1;
    expect(() => a.restoreState(foreign)).toThrow(/another model/);
  });
});

describe("instances", () => {
  it("instances of one model do not interfere", async () => {
    const b = built.stacked!;
    const [x, y, z] = [await b.load(), await b.load(), await b.load()];
    const [s1, s2] = [b.fx.seqs[2]!, b.fx.seqs[5]!];
    const [f1, f2] = [frames(s1.xq, x.inputSize), frames(s2.xq, x.inputSize)];
    const [g1, g2] = [goldenInit(b.fx.qm), goldenInit(b.fx.qm)];
    const want = new Int16Array(x.outputSize);
    for (let t = 0; t < Math.max(f1.length, f2.length); t++) {
      if (t < f1.length) {
        goldenStep(b.fx.qm, g1, f1[t]!, want);
        expectSameInts(x.step(f1[t]!), want, x.outputSize, `x step ${t}`);
      }
      if (t < f2.length) {
        goldenStep(b.fx.qm, g2, f2[t]!, want);
        expectSameInts(y.step(f2[t]!), want, y.outputSize, `y step ${t}`);
      }
      // A third instance runs whole sequences, resets and steps in between.
      if (t % 10 === 0) z.run(s2.xq);
      if (t % 10 === 5) z.reset();
      z.step(f1[0]!);
    }
  });
});

describe("long and whole sequences", () => {
  it("a streaming model runs sequences longer than MAX_STEPS in chunks", async () => {
    const b = built.chunked!;
    const m = await b.load();
    expect(m.maxSteps).toBe(64);
    for (const s of [...(b.fx.long ?? []), b.fx.seqs[0]!]) {
      expectSameInts(m.run(s.xq), runGolden(b.fx.qm, s.xq, s.steps).output, m.outputSize, `${s.steps} steps`);
    }
  });

  it("a bidirectional model runs whole sequences and refuses step() and sequences beyond MAX_STEPS", async () => {
    const b = built.bidir!;
    const m = await b.load();
    expect(m.streaming).toBe(false);
    for (const s of b.fx.seqs) expectSameInts(m.run(frames(s.xq, m.inputSize)), runGolden(b.fx.qm, s.xq, s.steps).output, m.outputSize, "bidir");
    expect(() => m.step(new Int16Array(m.inputSize))).toThrow(/use run\(\)/);
    expect(() => m.run(new Int16Array((m.maxSteps + 1) * m.inputSize))).toThrow(/MAX_STEPS/);
    expect(() => m.run(new Int16Array(m.inputSize + 1))).toThrow(/whole number/);
    expect(() => m.run(new Int16Array(0))).toThrow(/at least one frame/);
  });

  it("saturating inputs pass through the wrapper unchanged", async () => {
    const b = built.sine!;
    const m = await b.load();
    const xq = Int16Array.from({ length: 300 }, (_, t) => (t % 7 < 3 ? 32767 : t % 7 < 6 ? -32768 : -32767));
    const f = Float64Array.from(xq, (v) => v * b.fx.qm.input.scale[0]! * 8); // far beyond the calibrated range
    expectSameInts(m.run(xq), runGolden(b.fx.qm, xq, 300).output, 1, "int16 extremes");
    expectSameInts(m.run(f), runGolden(b.fx.qm, quantizeInput(b.fx.qm, f), 300).output, 1, "float extremes");
  });
});
