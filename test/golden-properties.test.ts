/**
 * Property tests of the golden model (docs/fixed-point.md §6): random small models with every supported feature,
 * driven by inputs up to 100× outside the calibrated range and by arbitrary int16 frames, never leave the proven
 * ranges; step-by-step streaming equals the whole-sequence run.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dequantizeRun, goldenInit, goldenStep, quantizeInput, runGolden, runFixed } from "../compiler/golden/golden.js";
import { calibrate } from "../compiler/quantize/calibrate.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import { runSequence } from "../compiler/reference/float.js";
import { assembleOutputs } from "../compiler/reference/outputs.js";
import { boundsProbe, prng, randomModel, randomSequences, type LayerSpec, type ModelSpec } from "./golden-helpers.js";


const layerArb: fc.Arbitrary<LayerSpec> = fc.record({
  hidden: fc.integer({ min: 1, max: 8 }),
  direction: fc.constantFrom("forward" as const, "reverse" as const, "bidirectional" as const),
  peephole: fc.boolean(),
  clip: fc.option(fc.constantFrom(0.5, 3, 50), { nil: undefined }),
  inputForget: fc.boolean(),
  gate: fc.constantFrom("sigmoid" as const, "hardSigmoid" as const),
  cell: fc.constantFrom("tanh" as const, "relu" as const, "sigmoid" as const, "hardSigmoid" as const),
  hiddenAct: fc.constantFrom("tanh" as const, "relu" as const, "sigmoid" as const, "hardSigmoid" as const),
  initialState: fc.boolean(),
});

const specArb: fc.Arbitrary<ModelSpec> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  inputSize: fc.integer({ min: 1, max: 8 }),
  layers: fc.array(layerArb, { minLength: 1, maxLength: 2 }),
  head: fc.option(
    fc.record({
      reads: fc.constantFrom("every" as const, "last" as const, "final" as const),
      dense: fc.array(
        fc.record({
          size: fc.integer({ min: 1, max: 6 }),
          activation: fc.constantFrom("linear" as const, "relu" as const, "tanh" as const, "sigmoid" as const, "softmax" as const),
        }),
        { maxLength: 2 },
      ),
    }),
    { nil: undefined },
  ),
  weightScale: fc.constantFrom(0.05, 0.5, 2, 8),
});

const caseArb = fc.record({
  spec: specArb,
  weights: fc.constantFrom("int8" as const, "int16" as const),
  cell: fc.constantFrom("int16" as const, "int32" as const),
  steps: fc.integer({ min: 1, max: 14 }),
});


function gRange(kind: string): [number, number] {
  switch (kind) {
    case "tanh":
      return [-32767, 32767];
    case "sigmoid":
      return [1, 32767];
    default:
      return [0, 32767]; // hardSigmoid, relu
  }
}

/** Check every traced value of a run against its range; returns problems. */
function checkRun(qm: QuantizedModel, xq: Int16Array, steps: number, problems: string[]): Int16Array {
  const run = runGolden(qm, xq, steps, { trace: true, probe: boundsProbe(problems) });
  run.layers.forEach((lr, l) => {
    const q = qm.layers[l]!;
    const [glo, ghi] = gRange(q.cellActivation.kind);
    lr.trace!.forEach((tr, d) => {
      const where = `layer ${l} dir ${d}`;
      for (const [name, arr, lo, hi] of [
        ["i", tr.i, 0, 32767],
        ["f", tr.f, q.inputForget ? 1 : 0, 32767],
        ["o", tr.o, 0, 32767],
        ["g", tr.g, glo, ghi],
      ] as const) {
        for (const v of arr) if (v < lo || v > hi) problems.push(`${where}: ${name} = ${v} outside [${lo}, ${hi}]`);
      }
      if (q.hiddenActivation.kind !== "tanh") for (const v of tr.h) if (v < 0) problems.push(`${where}: h = ${v} < 0 with ${q.hiddenActivation.kind}`);
      if (q.clip !== undefined) {
        for (const z of [tr.z.i, tr.z.g, tr.z.o]) for (const v of z) if (Math.abs(v) > q.clip) problems.push(`${where}: |z| = ${v} beyond clip`);
      }
    });
  });
  const last = qm.head?.layers[qm.head.layers.length - 1];
  if (last?.activation.kind === "softmax") for (const v of run.output) if (v < 0) problems.push(`softmax output ${v} < 0`);
  return run.output;
}

/** Streaming equals whole runs: per step for reads=every (or no head), at every prefix end for last/final. */
function checkStreaming(qm: QuantizedModel, xq: Int16Array, steps: number): void {
  const I = qm.input.size;
  const O = qm.outputSize;
  const whole = runGolden(qm, xq, steps);
  const st = goldenInit(qm);
  const out = new Int16Array(O);
  const every = !qm.head || qm.head.reads === "every";
  for (let t = 0; t < steps; t++) {
    goldenStep(qm, st, xq.subarray(t * I, (t + 1) * I), out);
    const expected = every ? whole.output.subarray(t * O, (t + 1) * O) : runGolden(qm, xq.subarray(0, (t + 1) * I), t + 1).output;
    expect(Array.from(out)).toEqual(Array.from(expected));
  }
  expect(st.steps).toBe(steps);
  const top = whole.layers.length - 1;
  expect(Array.from(st.h[top]!)).toEqual(Array.from(whole.layers[top]!.finalH[0]!));
  expect(Array.from(st.c[top]!)).toEqual(Array.from(whole.layers[top]!.finalC[0]!));
}

describe("golden model: random models never leave the §6 ranges", () => {
  it("inputs within, and 100× outside, the calibrated range; arbitrary int16 frames", () => {
    let streamed = 0;
    fc.assert(
      fc.property(caseArb, ({ spec, weights, cell, steps }) => {
        const model = randomModel(spec);
        const rnd = prng(spec.seed ^ 0x5a5a);
        const ranges = Array.from({ length: spec.inputSize }, () => 10 ** (rnd() * 4 - 2)); // 0.01 .. 100
        const cal = calibrate(model, randomSequences(spec.seed + 1, ranges, 3, 10));
        const qm = quantizeModel(model, cal, { weights, cell });
        const problems: string[] = [];
        const inputs: Int16Array[] = [];
        // within range, 100× outside (with spikes), infinities
        for (const s of randomSequences(spec.seed + 2, ranges, 1, steps).sequences) inputs.push(quantizeInput(qm, s.data));
        for (const s of randomSequences(spec.seed + 3, ranges, 1, steps, 100).sequences) inputs.push(quantizeInput(qm, s.data));
        const inf = new Float64Array(steps * spec.inputSize).map((_, j) => (j % 3 === 0 ? Infinity : -Infinity));
        inputs.push(quantizeInput(qm, inf));
        // arbitrary int16 frames, including the extremes -32768 / 32767
        inputs.push(Int16Array.from({ length: steps * spec.inputSize }, () => (rnd() < 0.5 ? (rnd() < 0.5 ? -32768 : 32767) : Math.floor(rnd() * 65536) - 32768)));
        for (const xq of inputs) {
          const out = checkRun(qm, xq, steps, problems);
          expect(out.length).toBe(qm.head && qm.head.reads !== "every" ? qm.outputSize : steps * qm.outputSize);
          // deterministic
          expect(Array.from(runGolden(qm, xq, steps).output)).toEqual(Array.from(out));
        }
        expect(problems).toEqual([]);
        if (qm.layers.every((l) => l.direction === "forward")) {
          for (const xq of inputs) checkStreaming(qm, xq, steps);
          streamed++;
        }
      }),
      { seed: 424242, numRuns: 150 },
    );
    expect(streamed).toBeGreaterThan(10);
  });

  it("the float view of a golden run assembles into the same output tensors as the float reference", () => {
    fc.assert(
      fc.property(caseArb, ({ spec, weights, cell, steps }) => {
        const model = randomModel(spec);
        const data = randomSequences(spec.seed + 1, Array(spec.inputSize).fill(1), 2, steps);
        const qm = quantizeModel(model, calibrate(model, data), { weights, cell });
        const float = assembleOutputs(model, data.sequences.map((s) => runSequence(model, s.data, s.steps, { trace: true })), "x");
        const fixedRuns = data.sequences.map((s) => runFixed(qm, s.data, s.steps, { trace: true }));
        const fixed = assembleOutputs(model, fixedRuns, "x");
        expect(fixed.map((t) => t.shape)).toEqual(float.map((t) => t.shape));
        // the dequantized trace has the float trace's layout
        const ref = runSequence(model, data.sequences[0]!.data, steps, { trace: true });
        fixedRuns[0]!.layers.forEach((lr, l) => {
          expect(lr.trace!.length).toBe(ref.layers[l]!.trace!.length);
          expect(lr.trace![0]!.c.length).toBe(ref.layers[l]!.trace![0]!.c.length);
          expect(lr.output.length).toBe(ref.layers[l]!.output.length);
        });
        // dequantizeRun is the identity on formats: output · 2^outputFrac gives back the integers
        const run = runGolden(qm, quantizeInput(qm, data.sequences[0]!.data), steps);
        const view = dequantizeRun(qm, run);
        const back = (view.head ?? view.layers[view.layers.length - 1]!.output).map((v) => v * 2 ** qm.outputFrac);
        expect(Array.from(back)).toEqual(Array.from(run.output));
      }),
      { seed: 99, numRuns: 40 },
    );
  });
});

describe("golden model: streaming", () => {
  it("refuses reverse and bidirectional layers, naming the layer", () => {
    const model = randomModel({
      seed: 3,
      inputSize: 2,
      layers: [{ hidden: 3, direction: "bidirectional", peephole: false, inputForget: false, gate: "sigmoid", cell: "tanh", hiddenAct: "tanh", initialState: false }],
      weightScale: 0.5,
    });
    const qm = quantizeModel(model, calibrate(model, randomSequences(1, [1, 1], 2, 5)));
    expect(() => goldenInit(qm)).toThrow(/layer 0 \('lstm_0'\) is bidirectional/);
  });
});

describe("golden model: speed", () => {
  it("a 2000-step sequence through an H=32 layer runs well under a second", () => {
    const model = randomModel({
      seed: 11,
      inputSize: 4,
      layers: [{ hidden: 32, direction: "forward", peephole: false, inputForget: false, gate: "sigmoid", cell: "tanh", hiddenAct: "tanh", initialState: false }],
      head: { reads: "every", dense: [{ size: 2, activation: "linear" }] },
      weightScale: 0.3,
    });
    const data = randomSequences(5, [1, 2, 3, 4], 1, 2000);
    const qm = quantizeModel(model, calibrate(model, data));
    const xq = quantizeInput(qm, data.sequences[0]!.data);
    runGolden(qm, xq, 2000); // warm-up
    const t0 = performance.now();
    runGolden(qm, xq, 2000);
    const ms = performance.now() - t0;
    console.log(`golden model: 2000 steps, H=32, I=4: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(500);
  });
});
