/**
 * Timing of the WebAssembly target against onnxruntime, in one Node process (docs/generated-wasm-api.md,
 * "Measured"): median time per sequence and per streamed step of the generated module (scalar and SIMD) and of
 * onnxruntime-web (wasm backend) and onnxruntime-node on the same ONNX model, one thread each. The engines are timed
 * in interleaved rounds, so a change in machine load affects every engine alike; callers should report ratios.
 *
 * onnxruntime-node and onnxruntime-web are devDependencies: they are imported only when asked for, and an engine that
 * cannot be loaded is reported as missing instead of failing the benchmark.
 *
 * `benchOnnxModel(I, H, C)` builds the benchmark's models (LSTM I→H + a dense C head on the final h, seeded random
 * weights) as ONNX bytes, in a sequence form and a streaming form (initial_h/initial_c as inputs, Y_h/Y_c as outputs:
 * how a stateless runtime streams).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import onnxPkg from "onnx-proto";
import { runGolden } from "../../compiler/golden/golden.js";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { checkWasm } from "./check.js";
import { compileWasm } from "./compile.js";
import { emitAssemblyScript } from "./emit.js";

export interface WasmBenchOptions {
  /** Quantized input, [steps, inputSize]; the sequence every engine runs (onnxruntime gets `x` or xq · scale). */
  readonly xq: Int16Array;
  /** Float input [steps, inputSize] for onnxruntime (default: xq dequantized with the input scales). */
  readonly x?: Float32Array;
  readonly steps: number;
  /** The streaming form of the ONNX model (inputs X, h0, c0; outputs Y_h, Y_c), for onnxruntime per step. */
  readonly onnxStep?: Uint8Array;
  /** Hidden size of the streaming model's state tensors h0/c0 → Y_h/Y_c, [1, 1, H] (default: the last layer's). */
  readonly hiddenSize?: number;
  /** Sequences per timed batch (default 20) and rounds (default 15); steps per batch = 20 × sequences. */
  readonly reps?: number;
  readonly rounds?: number;
  /** Which engines to time (default all four lstm-gen/onnxruntime engines). */
  readonly engines?: readonly BenchEngineName[];
  /** Compile repetitions for the compile-time figure (default 3). */
  readonly compileReps?: number;
}

export type BenchEngineName = "lstm-gen scalar" | "lstm-gen simd" | "onnxruntime-web" | "onnxruntime-node";

export interface EngineTiming {
  /** Median µs per whole sequence (reset + steps frames). */
  readonly sequenceUs: number;
  /** Median µs per streamed step (one frame per call, state kept); NaN when the engine cannot stream. */
  readonly stepUs: number;
}

export interface WasmBenchResult {
  readonly steps: number;
  readonly inputSize: number;
  readonly node: string;
  /** os.loadavg() before and after the timed rounds. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  /** Emit + asc + check, ms: first in the process and median of the others, per variant. */
  readonly compileMs: { readonly scalar: { first: number; median: number }; readonly simd: { first: number; median: number } };
  readonly moduleBytes: { readonly scalar: number; readonly simd: number };
  readonly engines: Partial<Record<BenchEngineName, EngineTiming>>;
  /** Engines that could not be loaded, with the reason. */
  readonly missing: Partial<Record<BenchEngineName, string>>;
}

interface Engine {
  sequence(): unknown;
  /** Absent when the engine cannot stream (a non-streaming module, or no streaming ONNX model). */
  step?(): unknown;
}

const median = (a: readonly number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
};

interface WasmExports {
  readonly memory: WebAssembly.Memory;
  run(steps: number): number;
  step(): void;
  reset(): void;
  inputPtr(): number;
  outputPtr(): number;
}

interface OrtTensor {
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: string, data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, opts: Record<string, unknown>): Promise<OrtSession> };
  env: { wasm: { numThreads?: number } };
}

/**
 * Times lstm-gen (scalar, SIMD) and onnxruntime (web, node) on one model; returns medians in µs. Every lstm-gen
 * variant is checked bit-exact against the golden model on the benchmark's sequence before it is timed.
 */
export async function benchWasm(qm: QuantizedModel, onnxBytes: Uint8Array, opts: WasmBenchOptions): Promise<WasmBenchResult> {
  const T = opts.steps;
  const I = qm.input.size;
  if (opts.xq.length !== T * I) throw new RangeError(`benchWasm: xq has ${opts.xq.length} values, not ${T} × ${I}`);
  const want = new Set<BenchEngineName>(opts.engines ?? ["lstm-gen scalar", "lstm-gen simd", "onnxruntime-web", "onnxruntime-node"]);
  const x32 = opts.x ?? Float32Array.from(opts.xq, (q, k) => q * qm.input.scale[k % I]!);

  // ---- compile time ----
  const times: Record<"scalar" | "simd", number[]> = { scalar: [], simd: [] };
  const bytes: Partial<Record<"scalar" | "simd", Uint8Array<ArrayBuffer>>> = {};
  for (let k = 0; k < (opts.compileReps ?? 3); k++) {
    for (const simd of [false, true]) {
      const t0 = performance.now();
      const src = emitAssemblyScript(qm, { name: "bench", version: "bench", modelHash: "bench", maxSteps: Math.max(T, 1) });
      const w = await compileWasm(src, { simd });
      checkWasm(w, { simd });
      times[simd ? "simd" : "scalar"].push(performance.now() - t0);
      bytes[simd ? "simd" : "scalar"] = w;
    }
  }

  const engines: Partial<Record<BenchEngineName, Engine>> = {};
  const missing: Partial<Record<BenchEngineName, string>> = {};
  const golden = runGolden(qm, opts.xq, T).output;
  for (const v of ["scalar", "simd"] as const) {
    const name: BenchEngineName = `lstm-gen ${v}`;
    if (!want.has(name)) continue;
    const { instance } = await WebAssembly.instantiate(bytes[v]!, {});
    const ex = instance.exports as unknown as WasmExports;
    const input = new Int16Array(ex.memory.buffer, ex.inputPtr(), T * I);
    input.set(opts.xq);
    const n = ex.run(T);
    const out = new Int16Array(ex.memory.buffer, ex.outputPtr(), n);
    if (n !== golden.length || out.some((q, k) => q !== golden[k])) throw new Error(`benchWasm: lstm-gen ${v} output differs from the golden model`);
    const frame = opts.xq.subarray(0, I);
    const streaming = typeof ex.step === "function";
    engines[name] = {
      sequence() {
        input.set(opts.xq);
        ex.run(T);
      },
      ...(streaming
        ? {
            step() {
              input.set(frame);
              ex.step();
            },
          }
        : {}),
    };
  }

  const sessions: OrtSession[] = [];
  const H = opts.hiddenSize ?? qm.layers[qm.layers.length - 1]?.hiddenSize ?? 0;
  for (const name of ["onnxruntime-web", "onnxruntime-node"] as const) {
    if (!want.has(name)) continue;
    let ort: OrtModule;
    try {
      ort = (await import(name)) as unknown as OrtModule;
    } catch (e) {
      missing[name] = e instanceof Error ? e.message : String(e);
      continue;
    }
    const sopts: Record<string, unknown> =
      name === "onnxruntime-web"
        ? { executionProviders: ["wasm"] }
        : { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" };
    if (name === "onnxruntime-web") ort.env.wasm.numThreads = 1;
    const seq = await ort.InferenceSession.create(onnxBytes, sopts);
    sessions.push(seq);
    const stream = opts.onnxStep ? await ort.InferenceSession.create(opts.onnxStep, sopts) : undefined;
    if (stream) sessions.push(stream);
    let h = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
    let c = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
    const frame = x32.subarray(0, I);
    engines[name] = {
      sequence: () => seq.run({ X: new ort.Tensor("float32", x32, [T, 1, I]) }),
      ...(stream
        ? {
            async step() {
              const r = await stream.run({ X: new ort.Tensor("float32", frame, [1, 1, I]), h0: h, c0: c });
              h = r.Y_h!;
              c = r.Y_c!;
            },
          }
        : {}),
    };
  }

  // ---- interleaved rounds ----
  const reps = opts.reps ?? 20;
  const rounds = opts.rounds ?? 15;
  const batch = async (fn: () => unknown, n: number): Promise<number> => {
    const t0 = performance.now();
    for (let k = 0; k < n; k++) await fn();
    return ((performance.now() - t0) * 1000) / n;
  };
  const samples = new Map<BenchEngineName, { sequence: number[]; step: number[] }>();
  for (const [k, e] of Object.entries(engines) as [BenchEngineName, Engine][]) {
    samples.set(k, { sequence: [], step: [] });
    await batch(() => e.sequence(), Math.max(5, reps));
    if (e.step) await batch(() => e.step!(), Math.max(50, reps * 20));
  }
  const loadBefore = loadavg();
  for (let round = 0; round < rounds; round++) {
    for (const [k, e] of Object.entries(engines) as [BenchEngineName, Engine][]) {
      samples.get(k)!.sequence.push(await batch(() => e.sequence(), reps));
      if (e.step) samples.get(k)!.step.push(await batch(() => e.step!(), reps * 20));
    }
  }
  const loadAfter = loadavg();
  for (const s of sessions) await s.release?.();

  const result: Partial<Record<BenchEngineName, EngineTiming>> = {};
  for (const [k, v] of samples) result[k] = { sequenceUs: median(v.sequence), stepUs: median(v.step) };
  return {
    steps: T,
    inputSize: I,
    node: process.versions.node,
    loadBefore,
    loadAfter,
    compileMs: {
      scalar: { first: times.scalar[0] ?? NaN, median: median(times.scalar.slice(1)) },
      simd: { first: times.simd[0] ?? NaN, median: median(times.simd.slice(1)) },
    },
    moduleBytes: { scalar: bytes.scalar?.length ?? 0, simd: bytes.simd?.length ?? 0 },
    engines: result,
    missing,
  };
}

// ---- the benchmark model ----------------------------------------------------------------------------------------

/** Seeded uniform generator (mulberry32), so every run builds the same model and data. */
export function seededUniform(seed: number): (n: number, scale: number) => Float32Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n, scale) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

export interface BenchOnnxModels {
  /** Sequence form: X [T, 1, I] → logits [1, C]. */
  readonly sequence: Uint8Array;
  /** Streaming form: X [1, 1, I], h0, c0 → logits, Y_h, Y_c. */
  readonly step: Uint8Array;
}

/** LSTM(I → H) + Linear(H → C) on the final hidden state, weights uniform in ±1/√H from `seed`, as ONNX. */
export function benchOnnxModel(I: number, H: number, C: number, seed = 12345): BenchOnnxModels {
  const { onnx } = onnxPkg as unknown as { onnx: { ModelProto: { create(o: unknown): unknown; encode(m: unknown): { finish(): Uint8Array } } } };
  const uniform = seededUniform(seed);
  const tensor = (name: string, dims: number[], values: ArrayLike<number>, dataType = 1): unknown => ({
    name,
    dims,
    dataType,
    rawData: new Uint8Array(dataType === 7 ? BigInt64Array.from(Array.from(values), (v) => BigInt(v)).buffer : Float32Array.from(values).buffer),
  });
  const vi = (name: string, dims: (number | string)[]): unknown => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  });
  const s = 1 / Math.sqrt(H);
  const weights = [
    tensor("W", [1, 4 * H, I], uniform(4 * H * I, s)),
    tensor("R", [1, 4 * H, H], uniform(4 * H * H, s)),
    tensor("B", [1, 8 * H], uniform(8 * H, s)),
    tensor("Wd", [C, H], uniform(C * H, s)),
    tensor("bd", [C], uniform(C, s)),
    tensor("axes0", [1], [0], 7),
  ];
  const model = (streaming: boolean): Uint8Array => {
    const lstmInputs = streaming ? ["X", "W", "R", "B", "", "h0", "c0"] : ["X", "W", "R", "B"];
    const graph = {
      name: "bench",
      node: [
        { opType: "LSTM", input: lstmInputs, output: ["Y", "Y_h", "Y_c"], attribute: [{ name: "hidden_size", type: 2, i: H }] },
        { opType: "Squeeze", input: ["Y_h", "axes0"], output: ["h"] },
        { opType: "Gemm", input: ["h", "Wd", "bd"], output: ["logits"], attribute: [{ name: "transB", type: 2, i: 1 }] },
      ],
      input: [vi("X", ["T", 1, I]), ...(streaming ? [vi("h0", [1, 1, H]), vi("c0", [1, 1, H])] : [])],
      output: [vi("logits", [1, C]), ...(streaming ? [vi("Y_h", [1, 1, H]), vi("Y_c", [1, 1, H])] : [])],
      initializer: weights,
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: "lstm-gen-bench", opsetImport: [{ domain: "", version: 14 }], graph })).finish();
  };
  return { sequence: model(false), step: model(true) };
}

/** Writes ONNX bytes to a temporary file for an importer that reads files; returns the path and a cleanup. */
export function tempOnnxFile(bytes: Uint8Array): { file: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-bench-"));
  const file = join(dir, "bench.onnx");
  writeFileSync(file, bytes);
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
