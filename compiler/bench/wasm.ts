/**
 * WebAssembly timing of one quantized model: the generated module (scalar and SIMD builds) against onnxruntime-node
 * and onnxruntime-web (its wasm backend) on the same ONNX model, all in this Node process, one thread each.
 *
 * Two figures per engine: µs per streamed step (state carried from call to call) and µs per whole sequence. The
 * engines are timed in interleaved rounds, so that a change of machine load during the measurement affects all of
 * them alike; each figure is the median of the rounds. Absolute times depend on the machine and its load: the
 * ratios (lstm-gen / onnxruntime) are the figures to read.
 *
 * onnxruntime is stateless between runs. With a streaming ONNX model (h0/c0 inputs, Y_h/Y_c outputs, as the
 * benchmark suite builds) a step passes the state back in; with a user's model it is timed as a one-step
 * sequence from the zero state (the same arithmetic, without the state copies), and the result says so.
 */
import { loadavg } from "node:os";
import { usageError } from "../errors.js";
import { runGolden } from "../golden/golden.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { buildWasm } from "../../targets/wasm/index.js";

export const WASM_ENGINES = ["lstm-gen scalar", "lstm-gen simd", "onnxruntime-node", "onnxruntime-web"] as const;
export type WasmEngineName = (typeof WASM_ENGINES)[number];

export interface EngineTiming {
  readonly engine: WasmEngineName;
  /** Median µs per streamed step; null when the engine cannot stream this model. */
  readonly stepUs: number | null;
  /** Median µs per sequence of `steps` steps. */
  readonly sequenceUs: number;
}

export interface WasmRatio {
  readonly engine: "lstm-gen scalar" | "lstm-gen simd";
  readonly versus: "onnxruntime-node" | "onnxruntime-web";
  /** time(lstm-gen) / time(onnxruntime) per step; < 1: lstm-gen is faster. Null when a step was not timed. */
  readonly step: number | null;
  readonly sequence: number;
}

export interface WasmResult {
  readonly steps: number;
  readonly streaming: boolean;
  readonly engines: readonly EngineTiming[];
  readonly ratios: readonly WasmRatio[];
  /** Why a comparison is missing or how it was made (no ONNX model, onnxruntime not installed, one-step runs). */
  readonly notes: readonly string[];
  /** 1-minute load average when the measurement finished. */
  readonly loadAverage: number;
  readonly node: string;
}

/** The ONNX model onnxruntime runs: the same network as `qm`'s float model. */
export interface OnnxSubject {
  readonly bytes: Uint8Array;
  /** Name of the sequence input. */
  readonly input: string;
  /** True: the input is [batch, time, feature]; false: [time, batch, feature]. */
  readonly batchFirst: boolean;
  /** A variant with h0/c0 inputs and Y_h/Y_c outputs ([1, 1, H]), time-major, input named "X" (optional). */
  readonly streaming?: Uint8Array;
  readonly hiddenSize?: number;
}

interface Engine {
  sequence(): unknown;
  step?(): unknown;
}

interface OrtTensor {
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array, opts?: object): Promise<OrtSession> };
  env?: { wasm?: { numThreads?: number } };
}

/** Imports an onnxruntime package (a devDependency); undefined with a note when it is not installed. */
async function importOrt(pkg: "onnxruntime-node" | "onnxruntime-web", notes: string[]): Promise<OrtModule | undefined> {
  try {
    const m = (await import(pkg)) as OrtModule & { default?: OrtModule };
    return m.InferenceSession ? m : m.default;
  } catch {
    notes.push(`${pkg} is not installed, so there is no ${pkg} comparison (npm install --no-save ${pkg})`);
    return undefined;
  }
}

interface WasmExports {
  readonly memory: WebAssembly.Memory;
  inputPtr(): number;
  outputPtr(): number;
  reset(): void;
  run(steps: number): number;
  step?(): void;
}

async function lstmGenEngine(qm: QuantizedModel, xq: Int16Array, steps: number, simd: boolean): Promise<Engine> {
  const b = await buildWasm(qm, { name: "bench", version: "bench", modelHash: "bench", maxSteps: steps, simd });
  const { instance } = await WebAssembly.instantiate(b.wasm, {});
  const ex = instance.exports as unknown as WasmExports;
  const I = qm.input.size;
  const input = new Int16Array(ex.memory.buffer, ex.inputPtr(), steps * I);
  input.set(xq);
  const n = ex.run(steps);
  const got = new Int16Array(ex.memory.buffer, ex.outputPtr(), n);
  const want = runGolden(qm, xq, steps).output;
  if (n !== want.length || got.some((q, k) => q !== want[k])) throw new Error(`internal: the ${simd ? "SIMD" : "scalar"} WebAssembly module differs from the golden model`);
  const frame = xq.subarray(0, I);
  const step = ex.step;
  return {
    sequence() {
      input.set(xq);
      ex.run(steps);
    },
    ...(b.info.streaming && step
      ? {
          step() {
            input.set(frame);
            step();
          },
        }
      : {}),
  };
}

async function ortEngine(ort: OrtModule, web: boolean, subject: OnnxSubject, x: Float32Array, I: number, steps: number, sessions: OrtSession[]): Promise<Engine> {
  if (web && ort.env?.wasm) ort.env.wasm.numThreads = 1;
  const opts = web ? { executionProviders: ["wasm"] } : { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" };
  const dims = (t: number) => (subject.batchFirst ? [1, t, I] : [t, 1, I]);
  const seq = await ort.InferenceSession.create(subject.bytes, opts);
  sessions.push(seq);
  const xSeq = new ort.Tensor("float32", x, dims(steps));
  const frame = x.subarray(0, I);
  const engine: Engine = { sequence: () => seq.run({ [subject.input]: xSeq }) };
  if (subject.streaming && subject.hiddenSize !== undefined) {
    const H = subject.hiddenSize;
    const stream = await ort.InferenceSession.create(subject.streaming, opts);
    sessions.push(stream);
    let h = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
    let c = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
    engine.step = async () => {
      const r = await stream.run({ X: new ort.Tensor("float32", frame, [1, 1, I]), h0: h, c0: c });
      h = r.Y_h!;
      c = r.Y_c!;
    };
  } else {
    const xStep = new ort.Tensor("float32", frame, dims(1));
    engine.step = () => seq.run({ [subject.input]: xStep });
  }
  return engine;
}

const median = (a: readonly number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/** Mean ms per call over a batch of n calls. */
async function batch(fn: () => unknown, n: number): Promise<number> {
  const t0 = performance.now();
  for (let k = 0; k < n; k++) await fn();
  return (performance.now() - t0) / n;
}

/** Calls per batch so that a batch lasts about `ms` milliseconds (after a warm-up). */
async function batchSize(fn: () => unknown, ms: number): Promise<number> {
  let n = 1;
  for (;;) {
    const t = (await batch(fn, n)) * n;
    if (t >= ms / 4 || n >= 1 << 20) return Math.max(1, Math.ceil((n * ms) / Math.max(t, 1e-3)));
    n *= 4;
  }
}

export interface WasmBenchOptions {
  /** Timing rounds (default 11). */
  readonly rounds?: number;
  /** Milliseconds per batch (default 4). */
  readonly batchMs?: number;
}

/**
 * Time `qm`'s WebAssembly module on one sequence (`x`, float, [steps, I]; `xq` the same quantized) and, when an
 * ONNX model is given, onnxruntime-node and onnxruntime-web on it.
 */
export async function benchWasm(
  qm: QuantizedModel,
  x: Float64Array,
  xq: Int16Array,
  steps: number,
  onnx: OnnxSubject | undefined,
  opts: WasmBenchOptions = {},
): Promise<WasmResult> {
  const I = qm.input.size;
  if (xq.length !== steps * I || x.length !== steps * I) throw usageError(`the benchmark sequence must have ${steps} × ${I} values`);
  const notes: string[] = [];
  const engines = new Map<WasmEngineName, Engine>();
  engines.set("lstm-gen scalar", await lstmGenEngine(qm, xq, steps, false));
  engines.set("lstm-gen simd", await lstmGenEngine(qm, xq, steps, true));
  const sessions: OrtSession[] = [];
  if (onnx === undefined) {
    notes.push("the model is not ONNX, so onnxruntime was not compared");
  } else {
    const x32 = Float32Array.from(x);
    for (const [name, web] of [
      ["onnxruntime-node", false],
      ["onnxruntime-web", true],
    ] as const) {
      const ort = await importOrt(name, notes);
      if (ort) engines.set(name, await ortEngine(ort, web, onnx, x32, I, steps, sessions));
    }
    if (!onnx.streaming && qm.layers.every((l) => l.direction === "forward")) {
      notes.push("onnxruntime per step: a one-step sequence from the zero state (the model has no state inputs to carry the state between runs)");
    }
  }
  try {
    const rounds = opts.rounds ?? 11;
    const ms = opts.batchMs ?? 4;
    const plan = new Map<WasmEngineName, { seqN: number; stepN: number }>();
    for (const [k, e] of engines) {
      plan.set(k, { seqN: await batchSize(() => e.sequence(), ms), stepN: e.step ? await batchSize(() => e.step!(), ms) : 0 });
    }
    const samples = new Map<WasmEngineName, { seq: number[]; step: number[] }>([...engines.keys()].map((k) => [k, { seq: [], step: [] }]));
    for (let r = 0; r < rounds; r++) {
      for (const [k, e] of engines) {
        const p = plan.get(k)!;
        const s = samples.get(k)!;
        s.seq.push(await batch(() => e.sequence(), p.seqN));
        if (e.step) s.step.push(await batch(() => e.step!(), p.stepN));
      }
    }
    const streaming = engines.get("lstm-gen scalar")!.step !== undefined;
    const timings: EngineTiming[] = [...samples].map(([engine, s]) => ({
      engine,
      stepUs: streaming && s.step.length ? median(s.step) * 1000 : null,
      sequenceUs: median(s.seq) * 1000,
    }));
    if (!streaming) notes.push("the model has reverse or bidirectional layers: it runs whole sequences only (no per-step figures)");
    const by = new Map(timings.map((t) => [t.engine, t]));
    const ratios: WasmRatio[] = [];
    for (const engine of ["lstm-gen scalar", "lstm-gen simd"] as const) {
      for (const versus of ["onnxruntime-node", "onnxruntime-web"] as const) {
        const a = by.get(engine)!;
        const b = by.get(versus);
        if (!b) continue;
        ratios.push({ engine, versus, step: a.stepUs !== null && b.stepUs !== null ? a.stepUs / b.stepUs : null, sequence: a.sequenceUs / b.sequenceUs });
      }
    }
    return { steps, streaming, engines: timings, ratios, notes, loadAverage: loadavg()[0]!, node: process.versions.node };
  } finally {
    for (const s of sessions) await s.release?.();
  }
}
