/**
 * The quantizer (docs/fixed-point.md §1, §2.1, §3–§7 compile-time rules) and the calibration it reads.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import type { Activation, Model } from "../compiler/ir/model.js";
import { matrix } from "../compiler/ir/validate.js";
import { calibrate, calibrationFromInputRange, rangeSweep, RANGE_SWEEP } from "../compiler/quantize/calibrate.js";
import { rq } from "../compiler/quantize/primitives.js";
import {
  cellFracFor,
  normaliseMultiplier,
  outFracFor,
  preShiftFor,
  quantizeMatrix,
  quantizeModel,
} from "../compiler/quantize/quantize.js";
import { runSequence } from "../compiler/reference/float.js";
import { prng, randomModel, randomSequences, type LayerSpec } from "./golden-helpers.js";

const TWO31 = 2 ** 31;

const plainLayer: LayerSpec = {
  hidden: 4,
  direction: "forward",
  peephole: false,
  inputForget: false,
  gate: "sigmoid",
  cell: "tanh",
  hiddenAct: "tanh",
  initialState: false,
};

function expectInputError(f: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LstmGenError);
  const err = caught as LstmGenError;
  expect(err.kind).toBe("input");
  expect(err.message).not.toMatch(/[\r\n]/);
  for (const p of patterns) expect(err.message).toMatch(p);
}

describe("§2.1 per-row weight quantization", () => {
  const matrixArb = fc.record({
    rows: fc.integer({ min: 1, max: 6 }),
    cols: fc.integer({ min: 1, max: 40 }),
    seed: fc.integer({ min: 1, max: 1e9 }),
    scale: fc.constantFrom(1e-6, 1e-3, 0.1, 1, 30, 1000),
    weights: fc.constantFrom("int8" as const, "int16" as const),
    zeroRow: fc.boolean(),
  });

  it("weights within ±qmax with the row maximum at qmax, M in [2^30, 2^31), n in [1, 62], §6 bound and pre-shift", () => {
    fc.assert(
      fc.property(matrixArb, ({ rows, cols, seed, scale, weights, zeroRow }) => {
        const rnd = prng(seed);
        const W = matrix(rows, cols, Array.from({ length: rows * cols }, (_, j) => (zeroRow && j < cols ? 0 : (rnd() * 2 - 1) * scale)));
        const units = Array.from({ length: cols }, () => 10 ** (rnd() * 4 - 3));
        const m = quantizeMatrix(W, (k) => units[k]!, weights, "f", "W");
        const qmax = weights === "int8" ? 127 : 32767;
        let bound = 0;
        for (let r = 0; r < rows; r++) {
          const row = Array.from(m.q.subarray(r * cols, (r + 1) * cols));
          const peak = Math.max(...row.map(Math.abs));
          bound = Math.max(bound, row.reduce((s, v) => s + Math.abs(v), 0) * 32768);
          if (zeroRow && r === 0) {
            expect(peak).toBe(0);
            expect(m.mult[r]).toBe(0);
            continue;
          }
          expect(peak).toBe(qmax);
          expect(m.shift[r]! >= 1 && m.shift[r]! <= 62).toBe(true);
          if (m.shift[r]! < 62) expect(m.mult[r]! >= 2 ** 30 && m.mult[r]! < TWO31).toBe(true);
          // M·2^-n = S_r · 2^(16+p), S_r = max_k |W[r,k]·unit[k]| / qmax
          let rowMax = 0;
          for (let k = 0; k < cols; k++) rowMax = Math.max(rowMax, Math.abs(W.data[r * cols + k]! * units[k]!));
          const target = (rowMax / qmax) * 2 ** (16 + m.preShift);
          expect(Math.abs(m.mult[r]! * 2 ** -m.shift[r]! - target) / target).toBeLessThan(m.shift[r]! < 62 ? 2 ** -30 : 1);
        }
        expect(m.accBound).toBe(bound);
        if (bound <= TWO31 - 1) {
          expect([m.accBits, m.preShift]).toEqual([32, 0]);
        } else {
          // docs/fixed-point.md §6: p = ceil(log2((accBound + 1) / 2^31))
          expect(m.accBits).toBe(64);
          expect(m.preShift).toBe(Math.ceil(Math.log2((bound + 1) / TWO31)));
        }
      }),
      { seed: 1234, numRuns: 400 },
    );
  });

  it("the requantized product approximates W·v in Q15.16 within the weight rounding", () => {
    fc.assert(
      fc.property(matrixArb, fc.integer({ min: 1, max: 1e9 }), ({ rows, cols, seed, scale, weights }, vseed) => {
        const rnd = prng(seed);
        const W = matrix(rows, cols, Array.from({ length: rows * cols }, () => (rnd() * 2 - 1) * scale));
        const unit = 10 ** (prng(vseed)() * 2 - 3);
        const m = quantizeMatrix(W, () => unit, weights, "f", "W");
        const vr = prng(vseed + 1);
        const v = Array.from({ length: cols }, () => Math.floor(vr() * 65536) - 32768);
        const qmax = weights === "int8" ? 127 : 32767;
        for (let r = 0; r < rows; r++) {
          let acc = 0;
          let real = 0;
          let sumV = 0;
          let rowMax = 0;
          for (let k = 0; k < cols; k++) {
            acc += m.q[r * cols + k]! * v[k]!;
            real += W.data[r * cols + k]! * unit * v[k]!;
            sumV += Math.abs(v[k]!);
            rowMax = Math.max(rowMax, Math.abs(W.data[r * cols + k]! * unit));
          }
          const y = rq(acc, m.preShift, m.mult[r]!, m.shift[r]!) / 65536;
          if (Math.abs(real) >= 32767) continue; // saturated
          const S = rowMax / qmax;
          const tol = 0.5 * S * sumV + S * 2 ** m.preShift + 2 ** -15 + Math.abs(real) * 2 ** -28;
          expect(Math.abs(y - real)).toBeLessThanOrEqual(tol);
        }
      }),
      { seed: 77, numRuns: 300 },
    );
  });

  it("normalises multipliers at the edges and refuses scales beyond Q15.16", () => {
    expect(normaliseMultiplier(1)).toEqual({ mult: 2 ** 30, shift: 30 });
    expect(normaliseMultiplier(0.75)).toEqual({ mult: 3 * 2 ** 29, shift: 31 });
    expect(normaliseMultiplier(1 - 2 ** -40)).toEqual({ mult: 2 ** 30, shift: 30 }); // rounds up to 2^31 → renormalised
    expect(normaliseMultiplier(2 ** -40)).toEqual({ mult: 2 ** 22, shift: 62 }); // n would be 70: M shrinks instead
    expect(normaliseMultiplier(2 ** -100)).toEqual({ mult: 0, shift: 62 });
    expect(normaliseMultiplier(0)).toEqual({ mult: 0, shift: 1 });
    expect(normaliseMultiplier(2 ** 29)).toEqual({ mult: 2 ** 30, shift: 1 });
    expect(normaliseMultiplier(2 ** 30)).toBeUndefined();
    expectInputError(() => quantizeMatrix(matrix(1, 1, [1e12]), () => 1, "int8", "m.onnx", "layer 0 ('big') gate 'input' W"), /^m\.onnx: layer 0 \('big'\)/, /too large/);
  });

  it("pre-shift keeps rshr(±accBound, p) within int32 and is the smallest such p", () => {
    for (const bound of [TWO31, 2 ** 32, 3 * 2 ** 40 + 32768, 2 ** 46]) {
      const { accBits, preShift: p } = preShiftFor(bound);
      expect(accBits).toBe(64);
      expect(Math.floor((bound + 2 ** (p - 1)) / 2 ** p)).toBeLessThanOrEqual(TWO31 - 1);
      if (p > 1) expect(Math.floor((bound + 2 ** (p - 2)) / 2 ** (p - 1))).toBeGreaterThan(TWO31 - 1);
    }
    expect(preShiftFor(TWO31 - 1)).toEqual({ accBits: 32, preShift: 0 });
  });
});

describe("formats (§1, §3.3, §5)", () => {
  it("outFracFor keeps one bit of headroom; cellFracFor follows 1.5·max|c| < 2^m and cFrac ≤ gFrac", () => {
    expect(outFracFor(0)).toBe(15);
    expect(outFracFor(0.49)).toBe(15); // 0.98 < 2^0
    expect(outFracFor(0.5)).toBe(14);
    expect(outFracFor(3)).toBe(12); // 6 < 8
    expect(outFracFor(1e9)).toBe(0);
    expect(cellFracFor(0.5, "int16", 15)).toBe(15); // 0.75 < 1
    expect(cellFracFor(1, "int16", 15)).toBe(14); // 1.5 < 2
    expect(cellFracFor(20, "int16", 15)).toBe(10); // 30 < 32
    expect(cellFracFor(20, "int16", 8)).toBe(8);
    expect(cellFracFor(1e6, "int16", 15)).toBe(0);
    expect(cellFracFor(20, "int32", 15)).toBe(26);
    expect(cellFracFor(0.1, "int32", 15)).toBe(31);
    expect(cellFracFor(0.1, "int32", 10)).toBe(26);
  });

  it("derives the input scales, formats, biases and activations of a model from its calibration", () => {
    const model = randomModel({
      seed: 5,
      inputSize: 3,
      layers: [{ ...plainLayer, hidden: 5, cell: "relu", clip: 3 }, { ...plainLayer, gate: "hardSigmoid", hiddenAct: "relu" }],
      head: { reads: "last", dense: [{ size: 3, activation: "relu" }, { size: 2, activation: "linear" }] },
      weightScale: 0.8,
    });
    const data = randomSequences(9, [40, 0, 0.5], 4, 20); // feature 1 is always 0
    const cal = calibrate(model, data);
    const before = structuredClone(model);
    for (const cell of ["int16", "int32"] as const) {
      const qm = quantizeModel(model, cal, { weights: "int16", cell, inputHeadroom: 3 });
      expect(model).toEqual(before); // never mutates the user's model
      expect(qm.input.headroomBits).toBe(3);
      expect(qm.input.scale[0]).toBeCloseTo((cal.input[0]! * 8) / 32767, 15);
      expect(qm.input.scale[1]).toBeCloseTo(8 / 32767, 15); // a feature that is always 0 counts as max|x| = 1
      const [l0, l1] = qm.layers;
      expect(l0!.gFrac).toBe(outFracFor(cal.layers[0]!.cells[0]!.g));
      expect(l0!.cellActivation).toEqual({ kind: "relu", outFrac: l0!.gFrac });
      expect(l0!.cFrac).toBe(cellFracFor(cal.layers[0]!.cells[0]!.c, cell, l0!.gFrac));
      if (cell === "int16") expect(l0!.cFrac).toBeLessThanOrEqual(l0!.gFrac);
      expect(l0!.hFrac).toBe(15);
      expect(l0!.clip).toBe(3 * 65536);
      expect(l0!.cellBits).toBe(cell === "int16" ? 16 : 32);
      expect(l1!.hFrac).toBe(outFracFor(cal.layers[1]!.cells[0]!.hidden));
      expect(l1!.hiddenActivation).toEqual({ kind: "relu", outFrac: l1!.hFrac });
      const hs = model.layers[1]!.cells[0]!.activations.gate as Extract<Activation, { kind: "hardSigmoid" }>;
      expect(l1!.gateActivation).toEqual({ kind: "hardSigmoid", alpha: Math.round(hs.alpha * 32768), beta: Math.round(hs.beta * 32768) });
      const b = model.layers[0]!.cells[0]!.gates.forget.bias;
      expect(Array.from(l0!.cells[0]!.gates.forget.bias)).toEqual(Array.from(b, (v) => Math.round(v * 65536)));
      const dense = qm.head!.layers;
      expect(dense[0]!.outFrac).toBe(outFracFor(cal.dense[0]!.out));
      expect(dense[1]!.outFrac).toBe(outFracFor(cal.dense[1]!.out));
      expect(qm.outputFrac).toBe(dense[1]!.outFrac);
      expect(qm.outputSize).toBe(2);
      expect(qm.head!.reads).toBe("last");
      // the second layer's W is quantized for inputs in the first layer's hFrac
      const W = model.layers[1]!.cells[0]!.gates.cell.W;
      const qW = l1!.cells[0]!.gates.cell.W;
      const r = 0;
      const k = W.data.slice(0, W.cols).reduce((best, v, j, a) => (Math.abs(v) > Math.abs(a[best]!) ? j : best), 0);
      const recon = (qW.q[k]! * qW.mult[r]! * 2 ** -qW.shift[r]!) / 2 ** (16 + qW.preShift);
      expect(recon).toBeCloseTo(W.data[k]! * 2 ** -l0!.hFrac, 12);
    }
  });

  it("peepholes, initial states and coupled gates", () => {
    const model = randomModel({ seed: 8, inputSize: 2, layers: [{ ...plainLayer, peephole: true, initialState: true, inputForget: true }], weightScale: 0.5 });
    const cal = calibrate(model, randomSequences(2, [1, 1], 2, 10));
    const qm = quantizeModel(model, cal);
    const cell = qm.layers[0]!.cells[0]!;
    const src = model.layers[0]!.cells[0]!;
    expect(cell.peepholeFrac).toBe(15); // |p| ≤ 1 → round(|p|·2^15) ≤ 32767 unless |p| rounds to 1
    expect(Array.from(cell.gates.input.peephole!)).toEqual(Array.from(src.peephole!.input, (v) => Math.min(32767, Math.round(v * 32768))));
    expect(cell.gates.cell.peephole).toBeUndefined();
    expect(Array.from(cell.initialH)).toEqual(Array.from(src.initialH!, (v) => Math.round(v * 32768)));
    expect(Array.from(cell.initialC)).toEqual(Array.from(src.initialC!, (v) => Math.round(v * 2 ** qm.layers[0]!.cFrac)));
    expect(qm.layers[0]!.inputForget).toBe(true);
  });
});

describe("refusals", () => {
  const base = () => randomModel({ seed: 1, inputSize: 2, layers: [plainLayer], weightScale: 0.5 });
  const withActs = (acts: Partial<Record<"gate" | "cell" | "hidden", Activation>>): Model => {
    const m = base();
    const layer = m.layers[0]!;
    const cell = layer.cells[0]!;
    return { ...m, layers: [{ ...layer, name: "enc/lstm", cells: [{ ...cell, activations: { ...cell.activations, ...acts } }] }] };
  };
  const cal = (m: Model) => calibrate(m, randomSequences(3, [1, 1], 2, 5));

  it.each([
    ["gate", { gate: { kind: "tanh" } }, /gate activation 'tanh'/],
    ["cell", { cell: { kind: "softsign" } }, /cell activation 'softsign'/],
    ["hidden", { hidden: { kind: "elu", alpha: 1 } }, /hidden activation 'elu'/],
    ["gate (relu)", { gate: { kind: "relu" } }, /gate activation 'relu'/],
  ] as const)("refuses an unsupported %s activation, naming the layer", (_role, acts, pattern) => {
    const m = withActs(acts as Partial<Record<"gate" | "cell" | "hidden", Activation>>);
    expectInputError(() => quantizeModel(m, cal(m)), /^random-model-1: layer 0 \('enc\/lstm'\)/, pattern, /float engine/);
  });

  it("refuses calibration data whose every input value is 0, naming the data file", () => {
    const m = base();
    const zeros = { file: "zeros.npy", features: 2, sequences: [{ steps: 4, data: new Float64Array(8) }] };
    expectInputError(() => calibrate(m, zeros), /^zeros\.npy: every input value is 0/, /--input-range/);
  });

  it("refuses hard-sigmoid parameters beyond int32 in Q0.15", () => {
    const m = withActs({ gate: { kind: "hardSigmoid", alpha: 70000, beta: 0.5 } });
    expectInputError(() => quantizeModel(m, cal(m)), /layer 0 \('enc\/lstm'\)/, /alpha/);
  });

  it("refuses bad options as usage errors", () => {
    const m = base();
    const c = cal(m);
    for (const o of [{ inputHeadroom: 9 }, { inputHeadroom: 1.5 }, { weights: "int4" }, { cell: "int8" }]) {
      let caught: unknown;
      try {
        quantizeModel(m, c, o as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LstmGenError);
      expect((caught as LstmGenError).kind).toBe("usage");
    }
  });
});

describe("calibration", () => {
  it("records the maxima of the float run; pre-activations agree with the inverse activations of the trace", () => {
    const model = randomModel({
      seed: 21,
      inputSize: 3,
      layers: [{ ...plainLayer, direction: "bidirectional", peephole: true }, { ...plainLayer, hidden: 3 }],
      head: { reads: "every", dense: [{ size: 2, activation: "tanh" }] },
      weightScale: 0.3,
    });
    const data = randomSequences(4, [2, 0.5, 7], 3, 15);
    const cal = calibrate(model, data);
    expect(cal.sequences).toBe(3);
    expect(cal.steps).toBe(45);
    expect(cal.source).toBe(data.file);
    const inMax = [0, 0, 0];
    data.sequences.forEach((s) => s.data.forEach((v, j) => (inMax[j % 3] = Math.max(inMax[j % 3]!, Math.abs(v)))));
    expect(Array.from(cal.input)).toEqual(inMax);
    const max = { c: [[0, 0], [0]], h: [[0, 0], [0]], g: [[0, 0], [0]], zg: [[0, 0], [0]], zi: [[0, 0], [0]] };
    let denseOut = 0;
    for (const s of data.sequences) {
      const run = runSequence(model, s.data, s.steps, { trace: true });
      run.layers.forEach((lr, l) =>
        lr.trace!.forEach((tr, d) => {
          const upd = (key: keyof typeof max, v: number) => (max[key][l]![d] = Math.max(max[key][l]![d]!, Math.abs(v)));
          tr.c.forEach((v) => upd("c", v));
          tr.h.forEach((v) => upd("h", v));
          tr.g.forEach((v) => upd("g", v));
          tr.g.forEach((v) => upd("zg", Math.atanh(v))); // g = tanh(z_g)
          tr.i.forEach((v) => upd("zi", Math.log(v / (1 - v)))); // i = σ(z_i)
        }),
      );
      run.head!.forEach((v) => (denseOut = Math.max(denseOut, Math.abs(v))));
    }
    cal.layers.forEach((lc, l) =>
      lc.cells.forEach((cc, d) => {
        expect(cc.c).toBe(max.c[l]![d]);
        expect(cc.h).toBe(max.h[l]![d]);
        expect(cc.g).toBe(max.g[l]![d]);
        expect(cc.z.cell).toBeCloseTo(max.zg[l]![d]!, 8);
        expect(cc.z.input).toBeCloseTo(max.zi[l]![d]!, 8);
        expect(cc.hidden).toBeCloseTo(Math.tanh(cc.c), 12);
      }),
    );
    expect(cal.layers[0]!.cells).toHaveLength(2);
    expect(cal.dense[0]!.out).toBe(denseOut);
    expect(cal.dense[0]!.pre).toBeCloseTo(Math.atanh(denseOut), 8);
  });

  it("refuses data with the wrong number of features, naming the file", () => {
    const model = randomModel({ seed: 1, inputSize: 2, layers: [plainLayer], weightScale: 0.5 });
    expectInputError(() => calibrate(model, { ...randomSequences(1, [1, 1, 1], 1, 3), file: "cal.npy" }), /^cal\.npy: has 3 features/);
  });

  it("--input-range: a seeded sweep within [lo, hi], max|x| = max(|lo|, |hi|) for every feature", () => {
    const model = randomModel({ seed: 2, inputSize: 3, layers: [plainLayer], head: { reads: "last", dense: [{ size: 2, activation: "softmax" }] }, weightScale: 0.5 });
    const a = calibrationFromInputRange(model, -3, 5);
    const b = calibrationFromInputRange(model, -3, 5);
    expect(a).toEqual(b);
    expect(Array.from(a.input)).toEqual([5, 5, 5]);
    expect(a.sequences).toBe(RANGE_SWEEP.sequences);
    expect(a.steps).toBe(RANGE_SWEEP.sequences * RANGE_SWEEP.steps);
    const sweep = rangeSweep(3, -3, 5);
    const all = sweep.sequences.flatMap((s) => Array.from(s.data));
    expect(Math.min(...all)).toBe(-3);
    expect(Math.max(...all)).toBe(5);
    expect(a.layers[0]!.cells[0]!.c).toBeGreaterThan(0);
    for (const [lo, hi] of [[1, 1], [2, 1], [NaN, 1], [0, Infinity]]) {
      let caught: unknown;
      try {
        calibrationFromInputRange(model, lo!, hi!);
      } catch (e) {
        caught = e;
      }
      expect((caught as LstmGenError).kind).toBe("usage");
    }
  });
});
