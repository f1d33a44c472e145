/**
 * The golden model on the IR extensions of docs/fixed-point.md §7.3 (input dense layers) and §7.4 (flattening head):
 * - the real models that use them — RTNeural's lstm.json (TimeDistributed Dense tanh → LSTM(8) → Dense(1)) and the
 *   tflite-micro MNIST LSTM (LSTM(20) → Flatten(28 × 20) → Dense(10) softmax) — run close to the float reference;
 * - random small models with these features keep every intermediate inside the §6 bounds, stream step by step
 *   like whole runs (test/c-extensions.test.ts and test/wasm-extensions.test.ts check the targets against this).
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SequenceSet } from "../compiler/data/sequences.js";
import { goldenInit, goldenStep, quantizeInput, runFixed, runGolden, type GoldenProbe } from "../compiler/golden/golden.js";
import { loadModel } from "../compiler/import/index.js";
import type { Model } from "../compiler/ir/model.js";
import { calibrate, calibrationFromInputRange } from "../compiler/quantize/calibrate.js";
import type { QuantizedModel, WeightMode } from "../compiler/quantize/qmodel.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import { runSequence } from "../compiler/reference/float.js";
import { boundsProbe, prng, randomModel, randomSequences, type ModelSpec } from "./golden-helpers.js";
import { decodeGrayPng, shared } from "./import-helpers.js";

const RT = "jatinchowdhury18__RTNeural";
const MNIST = "tensorflow__tflite-micro/tensorflow/lite/micro/examples/mnist_lstm";

const csv = (path: string) => Float64Array.from(readFileSync(shared(path), "utf8").trim().split("\n").map(Number));

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  return best;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

function range(v: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < v.length; k++) {
    lo = Math.min(lo, v[k]!);
    hi = Math.max(hi, v[k]!);
  }
  return hi - lo;
}

/** Streaming equals whole runs: per step for reads=every; zeros before step T and the whole output at T for flatten. */
function checkStreaming(qm: QuantizedModel, xq: Int16Array, steps: number, probe?: GoldenProbe): void {
  const I = qm.input.size;
  const O = qm.outputSize;
  const whole = runGolden(qm, xq, steps);
  const st = goldenInit(qm);
  const out = new Int16Array(O);
  const reads = qm.head?.reads ?? "every";
  for (let t = 0; t < steps; t++) {
    out.fill(-1);
    goldenStep(qm, st, xq.subarray(t * I, (t + 1) * I), out, probe ? { probe } : {});
    let expected: ArrayLike<number>;
    if (reads === "every") expected = whole.output.subarray(t * O, (t + 1) * O);
    else if (reads === "flatten") expected = t === steps - 1 ? whole.output : new Int16Array(O);
    else expected = runGolden(qm, xq.subarray(0, (t + 1) * I), t + 1).output;
    expect(Array.from(out)).toEqual(Array.from(expected));
  }
  const top = whole.layers.length - 1;
  expect(Array.from(st.h[top]!)).toEqual(Array.from(whole.layers[top]!.finalH[0]!));
  if (reads === "flatten") {
    expect(() => goldenStep(qm, st, xq.subarray(0, I), out)).toThrow(/flattens exactly \d+ time steps/);
  }
}

describe("golden model: RTNeural lstm.json (input dense layer, §7.3)", () => {
  it("runs close to the float reference and streams like whole runs", async () => {
    const model = await loadModel(shared(`${RT}/models/lstm.json`));
    expect(model.inputDense?.length).toBe(1);
    const x = csv(`${RT}/test_data/lstm_x_python.csv`);
    const T = x.length;
    const set: SequenceSet = { file: "lstm_x_python.csv", features: 1, sequences: [{ steps: T, data: x }] };
    const cal = calibrate(model, set);
    expect(cal.inputDense?.length).toBe(1);
    const float = runSequence(model, x, T).head!;
    const errs: Record<string, number> = {};
    for (const weights of ["int8", "int16"] as WeightMode[]) {
      const qm = quantizeModel(model, cal, { weights });
      expect(qm.inputDense?.[0]).toMatchObject({ outFrac: 15, activation: { kind: "tanh" } });
      const err = maxAbs(runFixed(qm, x, T).head!, float) / range(float);
      errs[weights] = err;
      expect(err).toBeLessThan(weights === "int8" ? 0.02 : 0.002);
      checkStreaming(qm, quantizeInput(qm, x), T);
    }
    console.log(`RTNeural lstm.json: max |fixed - float| / output range: int8 ${(100 * errs.int8!).toFixed(3)}%, int16 ${(100 * errs.int16!).toFixed(4)}%`);
  });
});

describe("golden model: tflite-micro MNIST LSTM (flattening head, §7.4)", () => {
  it("int8 and int16 weights classify sample0..9.png like the float model", async () => {
    const model = await loadModel(shared(`${MNIST}/trained_lstm.tflite`));
    expect(model.head).toMatchObject({ reads: "flatten", steps: 28 });
    const samples = Array.from({ length: 10 }, (_, d) => {
      const png = decodeGrayPng(readFileSync(shared(`${MNIST}/samples/sample${d}.png`)));
      return Float64Array.from(png.pixels, (p) => p / 255);
    });
    const set: SequenceSet = { file: "samples", features: 28, sequences: samples.map((data) => ({ steps: 28, data })) };
    const cal = calibrate(model, set);
    const floats = samples.map((s) => runSequence(model, s, 28).head!);
    expect(floats.map(argmax)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const errs: Record<string, number> = {};
    for (const weights of ["int8", "int16"] as WeightMode[]) {
      const qm = quantizeModel(model, cal, { weights });
      expect(qm.head).toMatchObject({ reads: "flatten", steps: 28 });
      expect(qm.head!.layers[0]!.W.cols).toBe(560);
      let err = 0;
      const labels = samples.map((s, d) => {
        const y = runFixed(qm, s, 28).head!;
        err = Math.max(err, maxAbs(y, floats[d]!));
        return argmax(y);
      });
      errs[weights] = err;
      expect(labels).toEqual(floats.map(argmax));
      expect(err).toBeLessThan(weights === "int8" ? 0.05 : 0.005);
      checkStreaming(qm, quantizeInput(qm, samples[3]!), 28);
      expect(() => runFixed(qm, samples[0]!.subarray(0, 27 * 28), 27)).toThrow(/flattens exactly 28 time steps, but a sequence has 27/);
      // --input-range calibrates on a synthetic sweep of T-step sequences for such a head; it classifies too.
      const qr = quantizeModel(model, calibrationFromInputRange(model, 0, 1), { weights });
      expect(samples.map((s) => argmax(runFixed(qr, s, 28).head!))).toEqual(floats.map(argmax));
    }
    console.log(`MNIST LSTM: max |fixed - float| of the softmax probabilities: int8 ${errs.int8!.toExponential(2)}, int16 ${errs.int16!.toExponential(2)}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Random models: §6 bounds and streaming
// ---------------------------------------------------------------------------------------------------------------


const denseArb = fc.record({
  size: fc.integer({ min: 1, max: 6 }),
  activation: fc.constantFrom("linear" as const, "relu" as const, "tanh" as const, "sigmoid" as const, "softmax" as const),
});

const caseArb = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    inputSize: fc.integer({ min: 1, max: 6 }),
    inputDense: fc.array(denseArb, { maxLength: 2 }),
    hidden: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
    flatten: fc.boolean(),
    head: fc.array(denseArb, { minLength: 1, maxLength: 2 }),
    weightScale: fc.constantFrom(0.05, 0.5, 2, 8),
    weights: fc.constantFrom("int8" as const, "int16" as const),
    cell: fc.constantFrom("int16" as const, "int32" as const),
    steps: fc.integer({ min: 1, max: 12 }),
  })
  .filter((c) => c.inputDense.length > 0 || c.flatten);

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function specOf(c: Case): ModelSpec {
  return {
    seed: c.seed,
    inputSize: c.inputSize,
    inputDense: c.inputDense,
    layers: c.hidden.map((hidden) => ({
      hidden,
      direction: "forward" as const,
      peephole: false,
      inputForget: false,
      gate: "sigmoid" as const,
      cell: "tanh" as const,
      hiddenAct: "tanh" as const,
      initialState: false,
    })),
    head: c.flatten ? { reads: "flatten", steps: c.steps, dense: c.head } : { reads: "every", dense: c.head },
    weightScale: c.weightScale,
  };
}

describe("golden model: random models with input dense layers and flattening heads", () => {
  it("never leave the §6 ranges (in range, 100× outside, ±∞, arbitrary int16) and stream like whole runs", () => {
    let flattened = 0;
    let dense = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const model: Model = randomModel(specOf(c));
        const rnd = prng(c.seed ^ 0x5a5a);
        const ranges = Array.from({ length: c.inputSize }, () => 10 ** (rnd() * 4 - 2));
        const cal = calibrate(model, randomSequences(c.seed + 1, ranges, 3, c.steps));
        const qm = quantizeModel(model, cal, { weights: c.weights, cell: c.cell });
        const problems: string[] = [];
        const inputs: Int16Array[] = [];
        for (const s of randomSequences(c.seed + 2, ranges, 1, c.steps).sequences) inputs.push(quantizeInput(qm, s.data));
        for (const s of randomSequences(c.seed + 3, ranges, 1, c.steps, 100).sequences) inputs.push(quantizeInput(qm, s.data));
        inputs.push(quantizeInput(qm, new Float64Array(c.steps * c.inputSize).map((_, j) => (j % 3 === 0 ? Infinity : -Infinity))));
        inputs.push(Int16Array.from({ length: c.steps * c.inputSize }, () => (rnd() < 0.5 ? (rnd() < 0.5 ? -32768 : 32767) : Math.floor(rnd() * 65536) - 32768)));
        for (const xq of inputs) {
          const run = runGolden(qm, xq, c.steps, { trace: true, probe: boundsProbe(problems) });
          expect(run.output.length).toBe(c.flatten ? qm.outputSize : c.steps * qm.outputSize);
          checkStreaming(qm, xq, c.steps, boundsProbe(problems));
        }
        expect(problems).toEqual([]);
        if (c.flatten) flattened++;
        if (c.inputDense.length > 0) dense++;
      }),
      { seed: 737373, numRuns: 80 },
    );
    expect(flattened).toBeGreaterThan(10);
    expect(dense).toBeGreaterThan(10);
  });
});
