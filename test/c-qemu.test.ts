/**
 * The generated C is bit-exact with the golden model on microcontroller instruction sets, run in QEMU:
 * Cortex-M0 (micro:bit, 16 KiB RAM), Cortex-M4F (MPS2 AN386), Cortex-M7 (MPS2 AN500), RV32IMC (virt) and Xtensa
 * LX106 (sim; the ESP8266's core, the one Xtensa core with a compiler and an emulator in Debian).
 * Runs are kept short (a few sequences each); the host suite covers the long and exhaustive cases.
 */
import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { canStream } from "../targets/c/emit.js";
import { runCEngineModes, type CEngine } from "../targets/c/engine.js";
import type { HarnessMode } from "../targets/c/harness.js";
import { expectBitExact } from "./helpers/c-compare.js";
import { FIXTURES, intSequences, loadFixture, synthModel, type IntSeq } from "./helpers/c-models.js";
import { SYNTH_SPECS } from "./helpers/c-synth-specs.js";

const QEMU: readonly CEngine[] = ["qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc", "qemu:xtensa-lx106"];

async function check(qm: QuantizedModel, seqs: readonly IntSeq[], engine: CEngine): Promise<void> {
  const modes: HarnessMode[] = canStream(qm) ? ["run", "step", "interleave"] : ["run", "interleave"];
  const outs = await runCEngineModes(qm, seqs, engine, modes);
  modes.forEach((_, m) => expectBitExact(qm, seqs, outs[m]!));
}

for (const engine of QEMU) {
  describe.concurrent(`--engine ${engine} is bit-exact with the golden model`, () => {
    for (const f of FIXTURES) {
      it(`${f}: 2 sequences of input.npy + 1 saturating; run, step, interleaved instances`, async () => {
        const { qm, seqs } = loadFixture(f);
        await check(qm, [...seqs.slice(0, 2), ...intSequences(qm, 1, 24, 31, true)], engine);
      }, 120_000);
    }

    for (const [i, h] of [[40, 128], [9, 24], [3, 48]] as const) {
      it(`one (${i}, ${h}) layer of random int8 weights (the fast kernels; inputs at word-aligned and odd halfword addresses)`, async () => {
        const { qm } = synthModel({ name: `perf_${i}_${h}`, seed: 100 + i * 1000 + h, inputSize: i, layers: [{ hidden: h }], weightScale: 0.4 });
        await check(qm, [...intSequences(qm, 1, 6, 7 + h), ...intSequences(qm, 1, 5, 3, true)], engine);
      }, 120_000);
    }

    for (const name of ["acc64_wide_int16", "bidir_final_int32", "coupled_hardsigmoid_relu"]) {
      it(`${name}: 64-bit accumulators / int32 cells / hard sigmoid on this ISA`, async () => {
        const { qm } = synthModel(SYNTH_SPECS.find((s) => s.name === name)!);
        await check(qm, [...intSequences(qm, 2, 10, 5), ...intSequences(qm, 2, 8, 6, true)], engine);
      }, 120_000);
    }
  });
}

describe.concurrent("the C loops on Arm (-DLSTMGEN_NO_ASM: what clang, big-endian and r9-reserving builds run)", () => {
  for (const engine of ["qemu:cortex-m0", "qemu:cortex-m4"] as const) {
    it(`${engine}: wide_range (softmax head) and a (40, 128) layer, bit-exact`, async () => {
      const { qm, seqs } = loadFixture("wide_range");
      const outs = await runCEngineModes(qm, seqs.slice(0, 2), engine, ["run"], { cflags: ["-DLSTMGEN_NO_ASM"] });
      expectBitExact(qm, seqs.slice(0, 2), outs[0]!);
      const big = synthModel({ name: "perf_40_128", seed: 100 + 40 * 1000 + 128, inputSize: 40, layers: [{ hidden: 128 }], weightScale: 0.4 }).qm;
      const bigSeqs = [...intSequences(big, 1, 4, 7), ...intSequences(big, 1, 3, 3, true)];
      const bigOuts = await runCEngineModes(big, bigSeqs, engine, ["run"], { cflags: ["-DLSTMGEN_NO_ASM"] });
      expectBitExact(big, bigSeqs, bigOuts[0]!);
    }, 120_000);
  }
});

describe.concurrent("board limits", () => {
  it("a data set larger than the micro:bit's flash is split into several images and stays bit-exact", async () => {
    const { qm, long } = loadFixture("forget_bias");
    // 500 steps x 2 features = 2 KB per sequence; 36 of them exceed the 64 KB per-image budget of a 256 KiB flash.
    const seqs = Array.from({ length: 36 }, (_, k) => ({ xq: long![0]!.xq.subarray(k * 50, k * 50 + 1000), steps: 500 }));
    const [outs] = await runCEngineModes(qm, seqs, "qemu:cortex-m0", ["run"]);
    expectBitExact(qm, seqs, outs!);
  }, 180_000);

  it("a whole-sequence model whose buffers exceed the micro:bit's RAM is a one-line usage error", async () => {
    // A head on every step keeps the whole sequence (the bidir fixture's head reads the last step: one row).
    const { qm } = synthModel(SYNTH_SPECS.find((s) => s.name === "stacked_bidir_every")!);
    const seqs = intSequences(qm, 1, 1500, 3);
    let caught: unknown;
    try {
      await runCEngineModes(qm, seqs, "qemu:cortex-m0", ["run"]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LstmGenError);
    expect((caught as LstmGenError).message).toMatch(/do not fit the BBC micro:bit .* 16 KiB of RAM \(the state holds buffers for 1500 steps; give shorter sequences\)$/);
    expect((caught as LstmGenError).message).not.toMatch(/\n/);
  }, 60_000);

  it("a model whose weights exceed the board's flash is a one-line usage error (micro:bit and Xtensa image)", async () => {
    // 4 · 256 · (40 + 256) int16 weights: 606 KB, over the 256 KiB of both boards.
    const { qm } = synthModel({ name: "too_big", seed: 7, inputSize: 40, layers: [{ hidden: 256 }], weightScale: 0.2, quantize: { weights: "int16" } });
    for (const engine of ["qemu:cortex-m0", "qemu:xtensa-lx106"] as const) {
      let caught: unknown;
      try {
        await runCEngineModes(qm, intSequences(qm, 1, 2, 3), engine, ["run"]);
      } catch (e) {
        caught = e;
      }
      expect(caught, engine).toBeInstanceOf(LstmGenError);
      expect((caught as LstmGenError).message).toMatch(new RegExp(`^engine ${engine}: the model's constant data and code do not fit in the 256 KiB of flash of the .*\\(int8 weights take half the bytes: --weights int8\\)$`));
    }
  }, 120_000);
});
