/**
 * The generated C, compiled for the host (`--engine c`), reproduces the golden model (`runGolden`) bit for bit:
 * on every PyTorch fixture, on synthetic models covering every feature of docs/fixed-point.md, on saturating
 * full-scale inputs, frame by frame (`<name>_step`) as well as per sequence (`<name>_run`), and with two state
 * instances interleaved. One build per model runs all of these under AddressSanitizer +
 * UndefinedBehaviorSanitizer (any report fails the run).
 *
 * A mismatch lists every differing position (sequence, index, C value, golden value).
 */
import { describe, expect, it } from "vitest";
import { goldenInit, goldenStep } from "../compiler/golden/golden.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { canStream } from "../targets/c/emit.js";
import { runCEngine, runCEngineModes, type CEngineOptions } from "../targets/c/engine.js";
import type { HarnessMode } from "../targets/c/harness.js";
import { expectBitExact } from "./helpers/c-compare.js";
import { FIXTURES, intSequences, loadFixture, synthModel, type IntSeq } from "./helpers/c-models.js";
import { C_EXTRA_SPECS, SYNTH_SPECS } from "./helpers/c-synth-specs.js";

/**
 * One sanitized build; every applicable mode must equal the golden model:
 * run (`_run`, chunked for streaming models), step (`_step` per frame), interleave (two instances alternating).
 */
async function checkAllModes(qm: QuantizedModel, seqs: readonly IntSeq[], opts: Omit<CEngineOptions, "mode"> = { sanitize: true }): Promise<void> {
  const modes: HarnessMode[] = canStream(qm) ? ["run", "step", "interleave"] : ["run", "interleave"];
  const outs = await runCEngineModes(qm, seqs, "c", modes, opts);
  modes.forEach((_, m) => expectBitExact(qm, seqs, outs[m]!));
}

describe.concurrent("--engine c is bit-exact with the golden model on the PyTorch fixtures", () => {
  for (const f of FIXTURES) {
    it(`${f}: input.npy and saturating full-scale inputs; run, step and two interleaved instances`, async () => {
      const { qm, seqs } = loadFixture(f);
      await checkAllModes(qm, [...seqs, ...intSequences(qm, 6, 40, 1000 + f.length, true)]);
    }, 120_000);
  }

  for (const f of ["sine", "forget_bias"] as const) {
    it(`${f}: long_input.npy (2000 steps, run in chunks)`, async () => {
      const { qm, long } = loadFixture(f);
      expect(long).toBeDefined();
      expectBitExact(qm, long!, await runCEngine(qm, long!, "c"));
    }, 60_000);
  }

  it("int16 weights and int32 cells on a fixture", async () => {
    const { qm, seqs } = loadFixture("stacked", { weights: "int16", cell: "int32" });
    await checkAllModes(qm, [...seqs.slice(0, 3), ...intSequences(qm, 3, 30, 7, true)]);
  }, 120_000);

  it("the same results at -O0 and -O3", async () => {
    const { qm, seqs } = loadFixture("wide_range");
    expectBitExact(qm, seqs.slice(0, 3), await runCEngine(qm, seqs.slice(0, 3), "c", { cflags: ["-O0"] }));
    expectBitExact(qm, seqs.slice(0, 3), await runCEngine(qm, seqs.slice(0, 3), "c", { cflags: ["-O3"] }));
  }, 60_000);

  it("the kernels' portable variants (word-extracted weights, 16-bit-piece high multiply) give the same results", async () => {
    // Without __BYTE_ORDER__ lstmgen_dot4_s8_s16_s32 takes its endian-neutral path, and LSTMGEN_MULHI_PIECES selects
    // the Cortex-M0 high-word multiply; the host build then runs the code paths no host build takes by default.
    const { qm, seqs } = loadFixture("stacked");
    const all = [...seqs.slice(0, 3), ...intSequences(qm, 3, 30, 77, true)];
    expectBitExact(qm, all, await runCEngine(qm, all, "c", { sanitize: true, cflags: ["-U__BYTE_ORDER__", "-DLSTMGEN_MULHI_PIECES"] }));
  }, 60_000);

  it("goldenStep agrees with the C step function on a long stream", async () => {
    const { qm, long } = loadFixture("forget_bias");
    const steps = 600;
    const xq = long![0]!.xq.subarray(0, steps * qm.input.size);
    const [got] = await runCEngine(qm, [{ xq, steps }], "c", { mode: "step" });
    const state = goldenInit(qm);
    const y = new Int16Array(qm.outputSize);
    const want = new Int16Array(steps * qm.outputSize);
    for (let t = 0; t < steps; t++) {
      goldenStep(qm, state, xq.subarray(t * qm.input.size, (t + 1) * qm.input.size), y);
      want.set(y, t * qm.outputSize);
    }
    expect(Array.from(got!)).toEqual(Array.from(want));
  }, 60_000);
});

describe.concurrent("--engine c is bit-exact on synthetic models (every feature of the spec)", () => {
  for (const spec of [...SYNTH_SPECS, ...C_EXTRA_SPECS]) {
    const features = spec.layers
      .map((l) => [l.direction ?? "forward", l.peephole ? "peephole" : "", l.clip ? "clip" : "", l.inputForget ? "coupled" : "", l.gate?.kind ?? "", l.cell?.kind ?? "", l.hiddenAct?.kind ?? ""].filter((s) => s).join("+"))
      .join(" | ") || "no recurrent layer";
    it(`${spec.name} (${features}; head ${spec.head?.reads ?? "none"}; ${spec.quantize?.weights ?? "int8"}/${spec.quantize?.cell ?? "int16"})`, async () => {
      const { qm } = synthModel(spec);
      await checkAllModes(qm, [...intSequences(qm, 4, 12, spec.seed), ...intSequences(qm, 4, 9, spec.seed + 1, true)]);
    }, 120_000);
  }

  it("the synthetic models reach the paths they are meant to test", () => {
    const mats = (qm: QuantizedModel) => [
      ...qm.layers.flatMap((l) => l.cells.flatMap((c) => Object.values(c.gates).flatMap((g) => [g.W, g.R]))),
      ...(qm.head?.layers ?? []).map((d) => d.W),
    ];
    const byName = new Map(SYNTH_SPECS.map((s) => [s.name, synthModel(s).qm]));
    expect(mats(byName.get("acc64_wide_int16")!).some((m) => m.accBits === 64 && m.preShift > 0)).toBe(true);
    expect(byName.get("peephole_clip_int32cell")!.layers[0]!.cellBits).toBe(32);
    expect(byName.get("peephole_clip_int32cell")!.layers[0]!.clip).toBeDefined();
    expect(byName.get("coupled_hardsigmoid_relu")!.layers[0]!.gFrac).toBeLessThan(15);
    expect(byName.get("reverse_final_int16w")!.layers[0]!.cells[0]!.initialC.some((v) => v !== 0)).toBe(true);
  });
});
