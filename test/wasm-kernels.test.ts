/**
 * The three LSTM step implementations of the WebAssembly target against the golden model, bit for bit, in the scalar
 * and the SIMD build:
 * - "matvec": the per-matrix kernels (`fused: false`, or a matrix with 64-bit accumulators: matvec.ts /
 *   matvec_simd.ts into the ACC_* sums);
 * - "unit": the fused per-unit step (the four gate rows of W and of R in one pass each; any layer whose matrices are
 *   all A32);
 * - "block": the four-unit block step of the common cell (runtime/as/lstm_simd.ts: lstmStepSimd / lstmStepBlkScalar,
 *   one requantization shift per block and gate, no saturation), which the emitter selects only after proving its
 *   bounds (emit.ts, `fusedData`).
 * Each case asserts which path the emitter took, so a change in the selection cannot silently drop a path from the
 * tests. Inputs include saturating frames (±32767, -32768) and models with large gains (saturated gates).
 */
import { describe, expect, it } from "vitest";
import { runGolden } from "../compiler/golden/golden.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { checkWasm } from "../targets/wasm/check.js";
import { compileWasm } from "../targets/wasm/compile.js";
import { emitAssemblyScript } from "../targets/wasm/emit.js";
import { intSequences, loadFixture, type IntSeq } from "./helpers/c-models.js";
import { expectSameInts } from "./helpers/wasm-compare.js";
import { randomInput, randomQModel, type ModelSpec } from "./helpers/wasm-qmodel.js";

type Path = "matvec" | "unit" | "block";

interface Exports {
  readonly memory: WebAssembly.Memory;
  run(steps: number): number;
  inputPtr(): number;
  outputPtr(): number;
}

/** Paths the generated source uses for its LSTM layers. */
function pathsOf(source: string): Set<Path> {
  const p = new Set<Path>();
  if (/^\s*lstmStep4\(/m.test(source)) p.add("block");
  if (/^\s*dot4I16\(/m.test(source)) p.add("unit");
  if (/^\s*mvAcc\w+\(ACC_[IFGO]/m.test(source)) p.add("matvec");
  return p;
}

async function expectExact(qm: QuantizedModel, seqs: readonly IntSeq[], fused: boolean, expectPaths: readonly Path[]): Promise<void> {
  const maxSteps = Math.max(...seqs.map((s) => s.steps));
  const source = emitAssemblyScript(qm, { name: "model", version: "0.0.0-test", modelHash: "test", maxSteps, fused });
  expect([...pathsOf(source)].sort()).toEqual([...expectPaths].sort());
  for (const simd of [false, true]) {
    const bytes = await compileWasm(source, { simd });
    checkWasm(bytes, { simd });
    const { instance } = await WebAssembly.instantiate(bytes, {});
    const ex = instance.exports as unknown as Exports;
    seqs.forEach((s, k) => {
      new Int16Array(ex.memory.buffer, ex.inputPtr(), s.xq.length).set(s.xq);
      const n = ex.run(s.steps);
      const out = new Int16Array(ex.memory.buffer, ex.outputPtr(), n);
      expectSameInts(out, runGolden(qm, s.xq, s.steps).output, qm.outputSize, `sequence ${k}, fused ${fused}, ${simd ? "SIMD" : "scalar"}`);
    });
  }
}

describe.each(["sine", "stacked", "wide_range", "forget_bias"] as const)("fixture %s (int8 weights)", (name) => {
  const fx = loadFixture(name, { weights: "int8" });
  const seqs = [...fx.seqs.slice(0, 3), ...intSequences(fx.qm, 3, 30, 7, true)];
  it("per-matrix kernels", async () => {
    await expectExact(fx.qm, seqs, false, ["matvec"]);
  });
  it("fused steps (per unit, or per block of four units where the emitter proves its bounds)", async () => {
    const source = emitAssemblyScript(fx.qm, { name: "model", version: "0", modelHash: "t", maxSteps: 64 });
    await expectExact(fx.qm, seqs, true, [...pathsOf(source)]);
    expect(pathsOf(source).has("matvec")).toBe(false);
  });
});

it("the sine fixture (int8, H = 32) takes the block step", () => {
  const fx = loadFixture("sine", { weights: "int8" });
  expect(pathsOf(emitAssemblyScript(fx.qm, { name: "model", version: "0", modelHash: "t" })).has("block")).toBe(true);
});

const RANDOM: readonly (ModelSpec & { readonly name: string; readonly paths: readonly Path[] })[] = [
  { name: "H = 12, I = 5 (padded columns), moderate gains", seed: 41, inputSize: 5, layers: [{ hidden: 12 }], paths: ["block"] },
  { name: "H = 16, I = 16, large gains (saturated gates), stacked", seed: 42, inputSize: 16, gain: 6, layers: [{ hidden: 16 }, { hidden: 8 }], paths: ["block"] },
  { name: "H = 10 (not a multiple of 4): per-unit step", seed: 43, inputSize: 3, layers: [{ hidden: 10 }], paths: ["unit"] },
  { name: "peepholes and clip: per-unit step", seed: 44, inputSize: 6, layers: [{ hidden: 8, peephole: true, clip: 3 << 16 }], paths: ["unit"] },
  { name: "coupled input-forget gate, int32 cells", seed: 45, inputSize: 6, cell: "int32", layers: [{ hidden: 8, inputForget: true }], paths: ["unit"] },
  { name: "int8 with 64-bit accumulators (1200 inputs): per-matrix kernels", seed: 46, inputSize: 1200, layers: [{ hidden: 4 }], paths: ["matvec"] },
];

describe.each(RANDOM)("random model: $name", (spec) => {
  const qm = randomQModel(spec);
  const seqs = [
    ...[0, 1].map((k) => ({ xq: randomInput(spec.seed * 10 + k, 19 + k, spec.inputSize), steps: 19 + k })),
    ...[2, 3].map((k) => ({ xq: randomInput(spec.seed * 10 + k, 17, spec.inputSize, true), steps: 17 })),
  ];
  it("default emitter paths", async () => {
    await expectExact(qm, seqs, true, spec.paths);
  });
  it("per-matrix kernels", async () => {
    await expectExact(qm, seqs, false, ["matvec"]);
  });
});

it("a bias near 2^31 defeats the block step's no-saturation proof: the emitter falls back, still exact", async () => {
  const qm = randomQModel({ seed: 47, inputSize: 4, layers: [{ hidden: 8 }] });
  (qm.layers[0]!.cells[0]!.gates.input.bias as Int32Array)[3] = 2 ** 31 - 5;
  const seqs = [{ xq: randomInput(470, 15, 4, true), steps: 15 }];
  await expectExact(qm, seqs, true, ["unit"]);
});
