/**
 * No undefined behaviour in generated code: `lstm-gen run --engine c --sanitize` (ASan + UBSan, no recovery) over
 * random and extreme inputs, 100,000+ steps in total, must report nothing and equal the golden model bit for bit.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpy, writeNpy } from "../compiler/data/npy.js";
import { cli, TORCH } from "./helpers/cli.js";
import { prng } from "../compiler/prng.js";

const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;
const SEQUENCES = 6;
const STEPS = 3500; // 5 fixtures × 6 × 3500 = 105,000 steps

/** Inputs per sequence kind: in range, 10× out of range, full-scale square waves, huge spikes, constants. */
function inputs(features: number, calibMax: Float64Array, seed: number): Float64Array {
  const rnd = prng(seed);
  const data = new Float64Array(SEQUENCES * STEPS * features);
  for (let n = 0; n < SEQUENCES; n++) {
    for (let t = 0; t < STEPS; t++) {
      for (let k = 0; k < features; k++) {
        const m = calibMax[k]! || 1;
        const u = rnd() * 2 - 1;
        const v = [
          u * m,
          u * m * 10,
          (Math.floor(t / 7) % 2 ? 1 : -1) * m * 1e3,
          rnd() < 0.02 ? (u < 0 ? -1e9 : 1e9) : u * m * 0.1,
          n % 2 ? m * 4 : -m * 4,
          u * 1e30,
        ][n % 6]!;
        data[(n * STEPS + t) * features + k] = v;
      }
    }
  }
  return data;
}

describe("generated C under AddressSanitizer and UndefinedBehaviorSanitizer", () => {
  const tmp = mkdtempSync(join(tmpdir(), "lstm-gen-sanitize-"));
  let total = 0;

  for (const [i, name] of FIXTURES.entries()) {
    it(`'${name}': ${SEQUENCES * STEPS} random and saturating steps, no reports, bit-exact with the golden model`, async () => {
      const dir = join(TORCH, name);
      const calib = parseNpy("calib.npy", readFileSync(join(dir, "calib.npy")));
      const I = calib.features;
      const max = new Float64Array(I);
      for (const s of calib.sequences) for (let j = 0; j < s.data.length; j++) max[j % I] = Math.max(max[j % I]!, Math.abs(s.data[j]!));
      const file = join(tmp, `${name}.npy`);
      writeFileSync(file, writeNpy(inputs(I, max, 1000 + i), [SEQUENCES, STEPS, I], "<f8"));
      const args = ["run", join(dir, "model.onnx"), "--input", file, "--calibrate", join(dir, "calib.npy"), "--json"];
      const c = await cli(...args, "--engine", "c", "--sanitize");
      expect(c.stderr).toBe("");
      expect(c.code).toBe(0);
      const golden = await cli(...args, "--engine", "fixed");
      expect(c.stdout).toBe(golden.stdout);
      total += SEQUENCES * STEPS;
    });
  }

  it("ran at least 100,000 steps in total", () => {
    expect(total).toBeGreaterThanOrEqual(100_000);
  });
});
