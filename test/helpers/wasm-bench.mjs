// Benchmark of the WebAssembly target (docs/generated-wasm-api.md, "Measured"): for an LSTM(I → H) + dense(10) head
// on the final h (the (8,32) and (40,128) sizes by default), the compile time and the median time per sequence and
// per streamed step of the generated module (scalar and SIMD) against onnxruntime-web (wasm backend) and
// onnxruntime-node on the same ONNX model, in one Node process, one thread each, interleaved rounds. The timing logic
// is targets/wasm/bench.ts (benchWasm); this script builds the models and prints ratios.
//
// Run:  npm run build && node test/helpers/wasm-bench.mjs [--steps 100] [--reps 20] [--rounds 15] [--sizes 8x32,40x128]
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "..", "..");
const dist = (p) => import(pathToFileURL(join(ROOT, "dist", p)).href);
const { importOnnx } = await dist("compiler/import/onnx/index.js");
const { calibrate } = await dist("compiler/quantize/calibrate.js");
const { quantizeModel } = await dist("compiler/quantize/quantize.js");
const { quantizeInput } = await dist("compiler/golden/golden.js");
const { benchWasm, benchOnnxModel, seededUniform, tempOnnxFile } = await dist("targets/wasm/bench.js");

const arg = (name, dflt) => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? process.argv[k + 1] : dflt;
};
const T = Number(arg("steps", "100"));
const reps = Number(arg("reps", "20"));
const rounds = Number(arg("rounds", "15"));
const sizes = arg("sizes", "8x32,40x128").split(",").map((s) => s.split("x").map(Number));
const C = 10;

const us = (v) => `${v.toFixed(1)} µs`;
for (const [I, H] of sizes) {
  const models = benchOnnxModel(I, H, C);
  const tmp = tempOnnxFile(models.sequence);
  const ir = await Promise.resolve(importOnnx(tmp.file));
  tmp.dispose();
  const uniform = seededUniform(777);
  const seqs = Array.from({ length: 8 }, () => ({ steps: T, data: Float64Array.from(uniform(T * I, 1)) }));
  const qm = quantizeModel(ir, calibrate(ir, { file: "random", features: I, sequences: seqs }), { weights: "int8" });
  const xq = quantizeInput(qm, seqs[0].data);
  const r = await benchWasm(qm, models.sequence, { xq, x: Float32Array.from(seqs[0].data), steps: T, onnxStep: models.step, reps, rounds });
  console.log(`\nLSTM ${I}→${H} + dense ${C}, int8 weights, T = ${T}, one thread, Node ${r.node}, load average ${r.loadBefore.map((l) => l.toFixed(2)).join(" ")} → ${r.loadAfter.map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`compile (emit + asc -O3 + check), first in process / median of the rest: scalar ${r.compileMs.scalar.first.toFixed(0)} / ${r.compileMs.scalar.median.toFixed(0)} ms, SIMD ${r.compileMs.simd.first.toFixed(0)} / ${r.compileMs.simd.median.toFixed(0)} ms; module ${r.moduleBytes.scalar} / ${r.moduleBytes.simd} bytes`);
  console.log("engine              per sequence   per step");
  for (const [k, e] of Object.entries(r.engines)) console.log(`${k.padEnd(20)}${us(e.sequenceUs).padStart(12)}${us(e.stepUs).padStart(12)}`);
  for (const [k, why] of Object.entries(r.missing)) console.log(`${k}: not loaded (${why})`);
  console.log("speed-up (onnxruntime time / lstm-gen time; > 1 means lstm-gen is faster):");
  for (const v of ["lstm-gen scalar", "lstm-gen simd"]) {
    for (const o of ["onnxruntime-web", "onnxruntime-node"]) {
      const a = r.engines[v];
      const b = r.engines[o];
      if (a && b) console.log(`  ${v} vs ${o}: sequence ${(b.sequenceUs / a.sequenceUs).toFixed(2)}×, step ${(b.stepUs / a.stepUs).toFixed(2)}×`);
    }
  }
}
