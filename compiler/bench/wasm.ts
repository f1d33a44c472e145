/**
 * WebAssembly timing of one quantized model: the generated module (scalar and SIMD builds) against onnxruntime-node
 * and onnxruntime-web (its wasm backend) on the same ONNX model, all in this Node process, one thread each.
 *
 * Two figures per engine: µs per streamed step (state carried from call to call) and per whole sequence. The
 * engines are warmed up, then timed in interleaved rounds, so that a change of machine load during the measurement
 * affects all of them alike; each figure is the fastest round (onnxruntime: of two sessions), each round timed as
 * the smaller of process CPU time and wall-clock time (see `batch`). Absolute times depend on the machine and its
 * load: the ratios (lstm-gen / onnxruntime) are the figures to read.
 *
 * onnxruntime is stateless between runs: a streamed step runs a streaming form of the ONNX model (onnx-stream.ts:
 * every LSTM's initial_h/initial_c as graph inputs, its Y_h/Y_c as outputs) on one frame and passes the state back
 * in on the next call.
 */
import { loadavg } from "node:os";
import { oneLine, usageError } from "../errors.js";
import { runGolden } from "../golden/golden.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { buildWasm } from "../../targets/wasm/index.js";
import { streamingOnnx, type StreamingOnnx } from "./onnx-stream.js";

export const WASM_ENGINES = ["lstm-gen scalar", "lstm-gen simd", "onnxruntime-node", "onnxruntime-web"] as const;
export type WasmEngineName = (typeof WASM_ENGINES)[number];

export interface EngineTiming {
  readonly engine: WasmEngineName;
  /** µs per streamed step (fastest round, see `batch`); null when the engine cannot stream this model. */
  readonly stepUs: number | null;
  /** µs per sequence of `steps` steps (fastest round). */
  readonly sequenceUs: number;
  /** The medians of the rounds, for reference (on a loaded machine they move more than the fastest rounds). */
  readonly stepUsMedian: number | null;
  readonly sequenceUsMedian: number;
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

/** `instances` instances of the generated module (one compile), each checked bit-exact with the golden model. */
async function lstmGenEngines(qm: QuantizedModel, xq: Int16Array, steps: number, simd: boolean, instances: number): Promise<Engine[]> {
  const b = await buildWasm(qm, { name: "bench", version: "bench", modelHash: "bench", maxSteps: steps, simd });
  const out: Engine[] = [];
  for (let k = 0; k < instances; k++) out.push(await lstmGenEngine(qm, b.wasm, b.info.streaming, xq, steps, simd));
  return out;
}

async function lstmGenEngine(qm: QuantizedModel, wasm: Uint8Array<ArrayBuffer>, streaming: boolean, xq: Int16Array, steps: number, simd: boolean): Promise<Engine> {
  const { instance } = await WebAssembly.instantiate(wasm, {});
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
    ...(streaming && step
      ? {
          step() {
            input.set(frame);
            step();
          },
        }
      : {}),
  };
}

async function ortEngine(
  ort: OrtModule,
  web: boolean,
  subject: OnnxSubject,
  streaming: StreamingOnnx | undefined,
  x: Float32Array,
  I: number,
  steps: number,
  sessions: OrtSession[],
): Promise<Engine> {
  if (web && ort.env?.wasm) ort.env.wasm.numThreads = 1;
  // No spinning: an idle onnxruntime thread that spins would be counted as CPU time of the timed runs.
  const opts = web
    ? { executionProviders: ["wasm"] }
    : { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } } };
  const dims = (t: number) => (subject.batchFirst ? [1, t, I] : [t, 1, I]);
  const seq = await ort.InferenceSession.create(subject.bytes, opts);
  sessions.push(seq);
  const xSeq = new ort.Tensor("float32", x, dims(steps));
  const frame = x.subarray(0, I);
  const engine: Engine = { sequence: () => seq.run({ [subject.input]: xSeq }) };
  if (streaming) {
    const stream = await ort.InferenceSession.create(streaming.bytes, opts);
    sessions.push(stream);
    const zeros = (dims: readonly number[]) => new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    const feeds: Record<string, OrtTensor> = { [subject.input]: new ort.Tensor("float32", frame, dims(1)) };
    for (const st of streaming.states) {
      feeds[st.hIn] = zeros(st.dims);
      feeds[st.cIn] = zeros(st.dims);
    }
    engine.step = async () => {
      const r = await stream.run(feeds);
      for (const st of streaming.states) {
        feeds[st.hIn] = r[st.hOut]!;
        feeds[st.cIn] = r[st.cOut]!;
      }
    };
  } else {
    const xStep = new ort.Tensor("float32", frame, dims(1));
    engine.step = () => seq.run({ [subject.input]: xStep });
  }
  // One run of each now, so that a model onnxruntime cannot run fails here (and becomes a note), not mid-timing.
  await engine.sequence();
  await engine.step?.();
  return engine;
}

/** Rounds run and discarded before the timed ones, and the pause after them (see benchWasm). */
const WARMUP_ROUNDS = 5;
/** …and for at least this long: the first onnxruntime-node session of a process ran 2–4× slower for its first few hundred ms. */
const WARMUP_MS = 1000;
const WARMUP_PAUSE_MS = 200;

/** The fastest round: on a shared machine, interference only ever adds time, so the minimum is the stable figure. */
const summary = (a: readonly number[]): number => Math.min(...a);
const median = (a: readonly number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/**
 * Mean ms per call over a batch of n calls: the smaller of the CPU time of this process (user + system) and the
 * wall-clock time. Each engine computes on one thread at a time, so either figure holds its whole work, and each
 * is inflated by something else: wall-clock time by the process being descheduled on a shared machine, CPU time by
 * other threads of the process running meanwhile (V8 compiling WebAssembly in the background, a busy onnxruntime
 * or libuv thread). The smaller one is the closer to the engine's own cost.
 */
async function batch(fn: () => unknown, n: number): Promise<number> {
  const w0 = performance.now();
  const t0 = process.cpuUsage();
  for (let k = 0; k < n; k++) await fn();
  const d = process.cpuUsage(t0);
  const wall = performance.now() - w0;
  return Math.min((d.user + d.system) / 1000, wall) / n;
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
  /** Timing rounds (default 15). */
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
  // Every engine runs as two instances, timed alike, their samples pooled: now and then one onnxruntime session
  // of a process ran 2–4× slower than another for its whole life (seen with onnxruntime-node on the smallest
  // models), and the fastest round of two instances is not fooled by that. lstm-gen gets two module instances,
  // so that each engine has as many rounds to be fastest in.
  const engines = new Map<WasmEngineName, Engine[]>();
  engines.set("lstm-gen scalar", await lstmGenEngines(qm, xq, steps, false, 2));
  engines.set("lstm-gen simd", await lstmGenEngines(qm, xq, steps, true, 2));
  const sessions: OrtSession[] = [];
  if (onnx === undefined) {
    notes.push("the model is not ONNX, so onnxruntime was not compared");
  } else {
    const x32 = Float32Array.from(x);
    const canStream = qm.layers.every((l) => l.direction === "forward");
    const streaming = canStream ? streamingOnnx(onnx.bytes) : undefined;
    if (canStream && !streaming) {
      notes.push("onnxruntime per step: a one-step sequence from the zero state (lstm-gen could not give the ONNX model state inputs)");
    }
    for (const [name, web] of [
      ["onnxruntime-node", false],
      ["onnxruntime-web", true],
    ] as const) {
      const ort = await importOrt(name, notes);
      if (!ort) continue;
      try {
        const a = await ortEngine(ort, web, onnx, streaming, x32, I, steps, sessions);
        engines.set(name, [a, await ortEngine(ort, web, onnx, streaming, x32, I, steps, sessions)]);
      } catch (e) {
        notes.push(`${name} could not load or run the model: ${oneLine(e instanceof Error ? e.message : String(e)).slice(0, 200)}`);
      }
    }
  }
  try {
    const rounds = opts.rounds ?? 15;
    const ms = opts.batchMs ?? 4;
    const plan = new Map<WasmEngineName, { seqN: number; stepN: number }>();
    for (const [k, [e]] of engines) {
      plan.set(k, { seqN: await batchSize(() => e!.sequence(), ms), stepN: e!.step ? await batchSize(() => e!.step!(), ms) : 0 });
    }
    const samples = new Map<WasmEngineName, { seq: number[]; step: number[] }>([...engines.keys()].map((k) => [k, { seq: [], step: [] }]));
    // Warm-up rounds, discarded, then a pause: V8 tiers WebAssembly up to optimized code on background threads
    // (onnxruntime-web's module, and each new lstm-gen module), and that compile time is CPU time of this process,
    // which would be charged to whichever engine is being timed meanwhile.
    const warmUntil = performance.now() + WARMUP_MS;
    for (let r = 0; r < WARMUP_ROUNDS || performance.now() < warmUntil; r++) {
      for (const [k, list] of engines) {
        const p = plan.get(k)!;
        for (const e of list) {
          await batch(() => e.sequence(), p.seqN);
          if (e.step) await batch(() => e.step!(), p.stepN);
        }
      }
    }
    await new Promise((done) => setTimeout(done, WARMUP_PAUSE_MS));
    for (let r = 0; r < rounds; r++) {
      for (const [k, list] of engines) {
        const p = plan.get(k)!;
        const s = samples.get(k)!;
        for (const e of list) {
          s.seq.push(await batch(() => e.sequence(), p.seqN));
          if (e.step) s.step.push(await batch(() => e.step!(), p.stepN));
        }
      }
    }
    const streaming = engines.get("lstm-gen scalar")![0]!.step !== undefined;
    const timings: EngineTiming[] = [...samples].map(([engine, s]) => ({
      engine,
      stepUs: streaming && s.step.length ? summary(s.step) * 1000 : null,
      sequenceUs: summary(s.seq) * 1000,
      stepUsMedian: streaming && s.step.length ? median(s.step) * 1000 : null,
      sequenceUsMedian: median(s.seq) * 1000,
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
