/**
 * `lstm-gen bench`: exact instruction counts under QEMU (repeat exactly), host counts under callgrind, the --json
 * schema, and one-line usage errors. The WebAssembly timing is exercised once, on a small fixture.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildLstm } from "../compiler/bench/models.js";
import type { BenchReport } from "../compiler/cli/bench.js";
import { cli, expectOneLineError, TORCH } from "./helpers/cli.js";

const DIR = join(TORCH, "forget_bias");
const model = join(DIR, "model.onnx");
const calib = join(DIR, "calib.npy");

function parse(stdout: string): BenchReport {
  return JSON.parse(stdout) as BenchReport;
}

describe.concurrent("lstm-gen bench", () => {
  it("cortex-m4: a positive instruction count per step that repeats exactly, and the sizes", async () => {
    const a = await cli("bench", model, "--target", "cortex-m4", "--calibrate", calib, "--steps", "8", "--json");
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const b = await cli("bench", model, "--target", "cortex-m4", "--calibrate", calib, "--steps", "8", "--json");
    expect(b.code).toBe(0);
    const ra = parse(a.stdout);
    expect(parse(b.stdout)).toEqual(ra);
    expect(ra).toMatchObject({ schema: "lstm-gen-bench/1", model: "model.onnx", target: "cortex-m4", weights: "int8", cell: "int16", steps: 8 });
    expect(ra.host).toBeUndefined();
    expect(ra.wasm).toBeUndefined();
    const m = ra.mcu!;
    expect(m.mcu).toBe("cortex-m4");
    expect(m.streaming).toBe(true);
    expect(m.steps).toBe(8);
    expect(m.instructionsPerStep).toBeGreaterThan(0);
    expect(m.minStep).toBeLessThanOrEqual(m.instructionsPerStep);
    expect(m.maxStep).toBeGreaterThanOrEqual(m.instructionsPerStep);
    expect(m.compiler).toMatch(/^arm-none-eabi-gcc \d+\.\d+.* -O2$/);
    for (const k of ["flashWeights", "flashCode", "ramState", "ramScratch", "stackWorst"] as const) {
      expect(Number.isInteger(m[k]), k).toBe(true);
      expect(m[k], k).toBeGreaterThan(0);
    }
    // 2 → 16 LSTM: 4 gates × 16 rows × 18 int8 weights, plus the head.
    expect(m.flashWeights).toBeGreaterThanOrEqual(4 * 16 * 18);
  }, 120_000);

  it("cortex-m4: the text report names the figures", async () => {
    const r = await cli("bench", model, "--target", "cortex-m4", "--calibrate", calib, "--steps", "4");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model\.onnx on cortex-m4 \(weights int8, cell int16; 4-step sequence\)$/m);
    expect(r.stdout).toMatch(/instructions per step +[\d,]+ \(min [\d,]+, max [\d,]+\)/);
    expect(r.stdout).toMatch(/flash +[\d,]+ bytes \(weights [\d,]+, code [\d,]+\)/);
    expect(r.stdout).toMatch(/RAM +[\d,]+ bytes \(state [\d,]+, scratch [\d,]+\)/);
    expect(r.stdout).toMatch(/worst stack +[\d,]+ bytes/);
  }, 120_000);

  it("host: callgrind's instruction count repeats exactly; the time is reported alongside", async () => {
    const a = parse((await cli("bench", model, "--target", "host", "--calibrate", calib, "--steps", "8", "--json")).stdout);
    const b = parse((await cli("bench", model, "--target", "host", "--calibrate", calib, "--steps", "8", "--json")).stdout);
    expect(a.host!.instructionsPerStep).toBeGreaterThan(0);
    expect(b.host!.instructionsPerStep).toBe(a.host!.instructionsPerStep);
    expect(a.host!.nsPerStep).toBeGreaterThan(0);
    expect(a.mcu).toBeUndefined();
  }, 120_000);

  it("wasm: times lstm-gen (scalar, SIMD) and onnxruntime on the same ONNX model, as ratios", async () => {
    const r = await cli("bench", model, "--target", "wasm", "--calibrate", calib, "--steps", "8", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const w = parse(r.stdout).wasm!;
    expect(w.streaming).toBe(true);
    expect(w.engines.map((e) => e.engine)).toEqual(["lstm-gen scalar", "lstm-gen simd", "onnxruntime-node", "onnxruntime-web"]);
    for (const e of w.engines) {
      expect(e.sequenceUs, e.engine).toBeGreaterThan(0);
      expect(e.stepUs, e.engine).toBeGreaterThan(0);
    }
    expect(w.ratios).toHaveLength(4);
    for (const q of w.ratios) expect(q.sequence).toBeCloseTo(w.engines.find((e) => e.engine === q.engine)!.sequenceUs / w.engines.find((e) => e.engine === q.versus)!.sequenceUs, 9);
    expect(w.notes).toEqual([]);
  }, 120_000);

  it("a target it does not know: exit 2, one line naming the choices", async () => {
    const r = await cli("bench", model, "--target", "cortex-m33", "--calibrate", calib);
    expectOneLineError(r, 2, "cortex-m33", "cortex-m4", "wasm", "host");
    expect(r.stdout).toBe("");
  });

  it("a model larger than the board's flash: exit 2, one line naming the board and the int8 remedy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lstm-gen-bench-big-"));
    try {
      const big = join(dir, "big.onnx");
      writeFileSync(big, buildLstm({ inputSize: 40, hiddenSize: 256, seed: 5 }).onnx);
      const r = await cli("bench", big, "--target", "cortex-m0", "--weights", "int16", "--input-range", "-1,1", "--steps", "2");
      expectOneLineError(r, 2, "counting instructions on cortex-m0", "256 KiB of flash", "micro:bit", "--weights int8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("no target, a bad --steps, or no calibration: exit 2, one line", async () => {
    expectOneLineError(await cli("bench", model, "--calibrate", calib), 2, "--target");
    expectOneLineError(await cli("bench", model, "--target", "cortex-m4", "--calibrate", calib, "--steps", "0"), 2, "--steps");
    expectOneLineError(await cli("bench", model, "--target", "cortex-m4"), 2, "--calibrate");
  });
});
