// Benchmark of the WebAssembly target (docs/generated-wasm-api.md, "Measured"): compile time of a 40-input,
// 128-hidden LSTM with a 10-class head, and the time per sequence and per streamed step of the generated module
// (scalar and SIMD) against onnxruntime-node and onnxruntime-web (wasm backend) on the same ONNX model, all in one
// Node process, one thread each. Prints ratios (and the medians they come from).
//
// Run:  npm run build && node test/helpers/wasm-bench.mjs [--steps 100] [--reps 300]
// It uses the compiled lstm-gen in dist/ and builds its ONNX models with onnx-proto (no Python needed).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import onnxPkg from "onnx-proto";

const ROOT = resolve(import.meta.dirname, "..", "..");
const dist = (p) => import(pathToFileURL(join(ROOT, "dist", p)).href);
const { importOnnx } = await dist("compiler/import/onnx/index.js");
const { calibrate } = await dist("compiler/quantize/calibrate.js");
const { quantizeModel } = await dist("compiler/quantize/quantize.js");
const { quantizeInput, runGolden } = await dist("compiler/golden/golden.js");
const { emitAssemblyScript } = await dist("targets/wasm/emit.js");
const { compileWasm } = await dist("targets/wasm/compile.js");
const { checkWasm } = await dist("targets/wasm/check.js");

const arg = (name, dflt) => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? Number(process.argv[k + 1]) : dflt;
};
const I = 40;
const H = 128;
const C = 10;
const T = arg("steps", 100);
const REPS = arg("reps", 300);

// ---- the model: LSTM(40 → 128) + Linear(128 → 10) on the final hidden state, random weights ----
const { onnx } = onnxPkg;
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const uniform = (n, s) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
const tensor = (name, dims, values, dataType = 1) => ({
  name,
  dims,
  dataType,
  rawData: new Uint8Array(dataType === 7 ? BigInt64Array.from(values, BigInt).buffer : Float32Array.from(values).buffer),
});
const vi = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } } });
const s = 1 / Math.sqrt(H);
const weights = [
  tensor("W", [1, 4 * H, I], uniform(4 * H * I, s)),
  tensor("R", [1, 4 * H, H], uniform(4 * H * H, s)),
  tensor("B", [1, 8 * H], uniform(8 * H, s)),
  tensor("Wd", [C, H], uniform(C * H, s)),
  tensor("bd", [C], uniform(C, s)),
  tensor("axes0", [1], [0], 7),
];
/** streaming: initial_h / initial_c as graph inputs and Y_h / Y_c as outputs (how a stateless runtime streams). */
function model(streaming) {
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
}

const dir = mkdtempSync(join(tmpdir(), "lstm-gen-bench-"));
const file = join(dir, "bench.onnx");
writeFileSync(file, model(false));
const ir = await Promise.resolve(importOnnx(file));
const seqs = Array.from({ length: 8 }, () => ({ steps: T, data: Float64Array.from(uniform(T * I, 1)) }));
const qm = quantizeModel(ir, calibrate(ir, { file: "random", features: I, sequences: seqs }), { weights: "int8" });
const x = seqs[0].data;
const xq = quantizeInput(qm, x);

// ---- compile time ----
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const compileTimes = { scalar: [], simd: [] };
const bytes = {};
for (let k = 0; k < 4; k++) {
  for (const simd of [false, true]) {
    const t0 = performance.now();
    const src = emitAssemblyScript(qm, { name: "bench", version: "bench", modelHash: "bench", maxSteps: Math.max(T, 1) });
    const w = await compileWasm(src, { simd });
    checkWasm(w, { simd });
    compileTimes[simd ? "simd" : "scalar"].push(performance.now() - t0);
    bytes[simd ? "simd" : "scalar"] = w;
  }
}

// ---- engines: each is { sequence(), step() }; timed in interleaved rounds so that a change in machine load
// affects every engine alike ----
const engines = {};
const golden = runGolden(qm, xq, T).output;
for (const v of ["scalar", "simd"]) {
  const { instance } = await WebAssembly.instantiate(bytes[v], {});
  const ex = instance.exports;
  const input = new Int16Array(ex.memory.buffer, ex.inputPtr(), T * I);
  const out = new Int16Array(ex.memory.buffer, ex.outputPtr(), C);
  input.set(xq);
  ex.run(T);
  if (out.some((q, k) => q !== golden[k])) throw new Error(`${v}: output differs from the golden model`);
  engines[`lstm-gen ${v}`] = {
    sequence() {
      input.set(xq);
      ex.run(T);
    },
    step() {
      input.set(xq.subarray(0, I));
      ex.step();
    },
  };
}

const ortNode = await import("onnxruntime-node");
const ortWeb = await import("onnxruntime-web");
ortWeb.env.wasm.numThreads = 1;
const x32 = Float32Array.from(x);
const sessions = [];
for (const [name, ort, opts] of [
  ["onnxruntime-node", ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" }],
  ["onnxruntime-web", ortWeb, { executionProviders: ["wasm"] }],
]) {
  const seq = await ort.InferenceSession.create(model(false), opts);
  const stream = await ort.InferenceSession.create(model(true), opts);
  sessions.push(seq, stream);
  let h = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
  let c = new ort.Tensor("float32", new Float32Array(H), [1, 1, H]);
  engines[name] = {
    sequence: () => seq.run({ X: new ort.Tensor("float32", x32, [T, 1, I]) }),
    async step() {
      const r = await stream.run({ X: new ort.Tensor("float32", x32.subarray(0, I), [1, 1, I]), h0: h, c0: c });
      h = r.Y_h;
      c = r.Y_c;
    },
  };
}

const ROUNDS = 15;
const samples = Object.fromEntries(Object.keys(engines).map((k) => [k, { sequence: [], step: [] }]));
const batch = async (fn, n) => {
  const t0 = performance.now();
  for (let k = 0; k < n; k++) await fn();
  return (performance.now() - t0) / n;
};
for (const e of Object.values(engines)) {
  await batch(e.sequence, 30);
  await batch(e.step, 300);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, e] of Object.entries(engines)) {
    samples[k].sequence.push(await batch(e.sequence, Math.ceil(REPS / ROUNDS)));
    samples[k].step.push(await batch(e.step, Math.ceil((REPS * 20) / ROUNDS)));
  }
}
const results = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { sequence: median(v.sequence), step: median(v.step) }]));
for (const s of sessions) await s.release?.();
rmSync(dir, { recursive: true, force: true });

const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
console.log(`LSTM ${I}→${H} + dense ${C}, int8 weights, T = ${T}, one thread, Node ${process.versions.node}`);
console.log(`compile (emit + asc -O3 + check), first in process / median of the rest: scalar ${compileTimes.scalar[0].toFixed(0)} / ${median(compileTimes.scalar.slice(1)).toFixed(0)} ms, SIMD ${compileTimes.simd[0].toFixed(0)} / ${median(compileTimes.simd.slice(1)).toFixed(0)} ms`);
console.log(`module size: scalar ${bytes.scalar.length} bytes, SIMD ${bytes.simd.length} bytes`);
console.log("engine              per sequence   per step");
for (const [k, r] of Object.entries(results)) console.log(`${k.padEnd(20)}${us(r.sequence).padStart(12)}${us(r.step).padStart(12)}`);
console.log("ratios (time of lstm-gen / time of onnxruntime; < 1 means lstm-gen is faster):");
for (const v of ["lstm-gen scalar", "lstm-gen simd"]) {
  for (const o of ["onnxruntime-node", "onnxruntime-web"]) {
    console.log(`  ${v} / ${o}: sequence ${(results[v].sequence / results[o].sequence).toFixed(2)}, step ${(results[v].step / results[o].step).toFixed(2)}`);
  }
}
