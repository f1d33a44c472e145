/**
 * targets/wasm/bench.ts: benchWasm runs every engine on the benchmark model in one process and returns finite
 * medians, after checking each lstm-gen build bit-exact against the golden model. A tiny run (few repetitions):
 * this tests the harness, not the speed (docs/generated-wasm-api.md, "Measured", has the figures).
 */
import { expect, it } from "vitest";
import { quantizeInput } from "../compiler/golden/golden.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { calibrate } from "../compiler/quantize/calibrate.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import { benchOnnxModel, benchWasm, seededUniform, tempOnnxFile } from "../targets/wasm/bench.js";

it("benchWasm times lstm-gen (scalar, SIMD) and onnxruntime (web, node) on the same model", async () => {
  const [I, H, T] = [4, 8, 12];
  const models = benchOnnxModel(I, H, 3);
  const tmp = tempOnnxFile(models.sequence);
  const ir = await Promise.resolve(importOnnx(tmp.file));
  tmp.dispose();
  const uniform = seededUniform(5);
  const seqs = Array.from({ length: 4 }, () => ({ steps: T, data: Float64Array.from(uniform(T * I, 1)) }));
  const qm = quantizeModel(ir, calibrate(ir, { file: "random", features: I, sequences: seqs }), { weights: "int8" });
  const r = await benchWasm(qm, models.sequence, {
    xq: quantizeInput(qm, seqs[0]!.data),
    x: Float32Array.from(seqs[0]!.data),
    steps: T,
    onnxStep: models.step,
    reps: 2,
    rounds: 3,
    compileReps: 2,
  });
  for (const e of ["lstm-gen scalar", "lstm-gen simd", "onnxruntime-web", "onnxruntime-node"] as const) {
    if (r.missing[e]) continue; // onnxruntime is a devDependency; an install without it reports it missing
    expect(r.engines[e]!.sequenceUs, e).toBeGreaterThan(0);
    expect(r.engines[e]!.stepUs, e).toBeGreaterThan(0);
  }
  expect(r.engines["lstm-gen simd"]).toBeDefined();
  expect(r.compileMs.simd.median).toBeGreaterThan(0);
  expect(r.moduleBytes.simd).toBeGreaterThan(0);
}, 60_000);
