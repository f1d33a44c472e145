/**
 * Accuracy of the fixed-point pipeline on the PyTorch-trained fixtures (test/fixtures/torch/<name>/): calibrate
 * on calib.npy, run input.npy through the golden model and the float reference, and hold the output error to
 * the stated tolerances:
 * - int8 weights: max |error| ≤ 2% of the float output's range, and the same argmax on every classification case
 *   (the per-row int8 weight step is 1/254 of a row's range; through two matrix products and the recurrence
 *   this measured below 1% on every fixture, so 2% leaves room without hiding a format bug, which shows as >10%);
 * - int16 weights: ≤ 0.2% (weight error vanishes; what is left is the Q0.15 activations and the tables);
 * - 2000-step sequences: the error over the last 200 steps is no worse than over the first 200 (no drift), and
 *   streaming step by step gives the whole-sequence output bit for bit.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSequences } from "../compiler/data/read.js";
import type { SequenceSet } from "../compiler/data/sequences.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import type { Model } from "../compiler/ir/model.js";
import { calibrate } from "../compiler/quantize/calibrate.js";
import { measureErrors, outputErrorOverSteps, outputOf } from "../compiler/quantize/measure.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import { runSequence } from "../compiler/reference/float.js";
import { goldenInit, goldenStep, quantizeInput, runGolden } from "../compiler/golden/golden.js";

const ROOT = join(import.meta.dirname, "fixtures", "torch");
const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;
const CLASSIFIERS = new Set(["stacked", "wide_range"]);

interface Fixture {
  readonly model: Model;
  readonly calib: SequenceSet;
  readonly input: SequenceSet;
  readonly expected: SequenceSet;
  readonly long?: SequenceSet;
}

function load(name: string): Fixture {
  const dir = join(ROOT, name);
  const model = importOnnx(join(dir, "model.onnx"));
  const longFile = join(dir, "long_input.npy");
  const base = {
    model,
    calib: readSequences(join(dir, "calib.npy"), { features: model.inputSize }),
    input: readSequences(join(dir, "input.npy"), { features: model.inputSize }),
    expected: readSequences(join(dir, "expected.npy")),
  };
  return existsSync(longFile) ? { ...base, long: readSequences(longFile, { features: model.inputSize }) } : base;
}

describe.each(FIXTURES)("fixture %s", (name) => {
  const fx = load(name);
  const cal = calibrate(fx.model, fx.calib);

  it("the imported float model reproduces PyTorch (sanity check of the comparison baseline)", () => {
    const flat = fx.expected.sequences.flatMap((s) => Array.from(s.data));
    const mine = fx.input.sequences.flatMap((s) => Array.from(outputOf(runSequence(fx.model, s.data, s.steps))));
    expect(mine.length).toBe(flat.length);
    mine.forEach((v, j) => expect(Math.abs(v - flat[j]!)).toBeLessThan(1e-4));
  });

  it.each([
    ["int8", 0.02],
    ["int16", 0.002],
  ] as const)("%s weights: output error within %s of the output range", (weights, tol) => {
    const qm = quantizeModel(fx.model, cal, { weights });
    const s = measureErrors(fx.model, qm, fx.input);
    const rel = s.output / s.outputRange;
    console.log(`${name} ${weights}: max |output error| ${s.output.toExponential(2)} = ${(100 * rel).toFixed(3)}% of range ${s.outputRange.toFixed(3)}`);
    expect(rel).toBeLessThan(tol);
    if (CLASSIFIERS.has(name)) expect(s.argmaxMismatches).toBe(0);
  });

  it("int32 cells are at least as accurate on the cell state as int16 cells", () => {
    const a = measureErrors(fx.model, quantizeModel(fx.model, cal, { weights: "int16", cell: "int16" }), fx.input);
    const b = measureErrors(fx.model, quantizeModel(fx.model, cal, { weights: "int16", cell: "int32" }), fx.input);
    expect(b.trace.c).toBeLessThanOrEqual(a.trace.c * 1.05);
    expect(b.output / b.outputRange).toBeLessThan(0.002);
  });
});

describe.each(["sine", "forget_bias"] as const)("fixture %s, 2000-step stream", (name) => {
  const fx = load(name);
  const cal = calibrate(fx.model, fx.calib);

  it.each(["int8", "int16"] as const)("%s weights: no drift (error over the last 200 steps ≤ the first 200's); streaming = whole run", (weights) => {
    const seq = fx.long!.sequences[0]!;
    expect(seq.steps).toBe(2000);
    const qm = quantizeModel(fx.model, cal, { weights });
    const first = outputErrorOverSteps(fx.model, qm, seq.data, seq.steps, 0, 200);
    const last = outputErrorOverSteps(fx.model, qm, seq.data, seq.steps, 1800, 2000);
    console.log(`${name} ${weights} 2000 steps: max |error| steps 0-199 ${first.toExponential(2)}, steps 1800-1999 ${last.toExponential(2)}`);
    // "no worse", allowing 25% for the sampling noise of a maximum over 200 steps (measured: within ±17%);
    // an accumulating error would grow it ten-fold over 2000 steps
    expect(last).toBeLessThanOrEqual(1.25 * first);
    const xq = quantizeInput(qm, seq.data);
    const whole = runGolden(qm, xq, seq.steps).output;
    const st = goldenInit(qm);
    const out = new Int16Array(qm.outputSize);
    const mismatches: number[] = [];
    for (let t = 0; t < seq.steps; t++) {
      goldenStep(qm, st, xq.subarray(t * qm.input.size, (t + 1) * qm.input.size), out);
      for (let k = 0; k < qm.outputSize; k++) if (out[k] !== whole[t * qm.outputSize + k]) mismatches.push(t);
    }
    expect(mismatches).toEqual([]);
  });
});
