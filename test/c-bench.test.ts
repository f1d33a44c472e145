/**
 * Instruction counts per step under QEMU with the TCG counting plugin: exact and repeatable, so they can be
 * compared between builds (they are instruction counts, not cycles).
 */
import { describe, expect, it } from "vitest";
import { countInstructions } from "../targets/c/bench.js";
import { loadFixture } from "./helpers/c-models.js";

describe.concurrent("countInstructions", () => {
  it("counts a streaming model per step, identically on every run (Cortex-M4)", async () => {
    const { qm, seqs } = loadFixture("forget_bias");
    const seq = { xq: seqs[0]!.xq.subarray(0, 12 * qm.input.size), steps: 12 };
    const a = await countInstructions(qm, seq, "cortex-m4");
    const b = await countInstructions(qm, seq, "cortex-m4");
    expect(a).toEqual(b);
    expect(a.streaming).toBe(true);
    expect(a.minStep).toBeLessThanOrEqual(a.perStep);
    expect(a.maxStep).toBeGreaterThanOrEqual(a.perStep);
    // 4 gates x 16 rows x (2 + 16) int8 MACs = 1152 MACs: at least a few instructions each, and not absurdly many.
    expect(a.perStep).toBeGreaterThan(5_000);
    expect(a.perStep).toBeLessThan(40_000);
  }, 120_000);

  it("counts a whole-sequence model per run; Cortex-M0 needs more instructions than Cortex-M4", async () => {
    const { qm, seqs } = loadFixture("bidir");
    const seq = { xq: seqs[0]!.xq.subarray(0, 10 * qm.input.size), steps: 10 };
    const m4 = await countInstructions(qm, seq, "cortex-m4");
    const m0 = await countInstructions(qm, seq, "cortex-m0");
    expect(m4.streaming).toBe(false);
    expect(m4.total).toBe(Math.round(m4.perStep * 10));
    expect(m0.perStep).toBeGreaterThan(m4.perStep);
  }, 120_000);
});
