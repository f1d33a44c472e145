/**
 * The comparison logic of `lstm-gen verify`, on float runs against copies with known injected errors: every
 * statistic (max, RMS, location, series) is checked against the value the injection implies.
 */
import { describe, expect, it } from "vitest";
import type { SequenceSet } from "../compiler/data/sequences.js";
import type { DenseActivation, Direction, HeadReads, LstmCell, Model } from "../compiler/ir/model.js";
import { matrix } from "../compiler/ir/validate.js";
import { calibrate } from "../compiler/quantize/calibrate.js";
import { runSequence, type SequenceRun, type TraceKey } from "../compiler/reference/float.js";
import {
  CELL_RANGE_FLOOR,
  cellRangeOf,
  describeOutput,
  downsampleMax,
  formatNumber,
  MAX_SERIES_POINTS,
  verifyRuns,
  type CompareContext,
  type QuantityResult,
  type VerifyReport,
} from "../compiler/verify/compare.js";
import { cellRangeFromCalibration, cellRangeFromData, verifyWith } from "../compiler/verify/engine.js";
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from "../compiler/verify/tolerance.js";

// ---------------------------------------------------------------------------------------------------------------
// A small seeded model builder

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelSpec {
  readonly I: number;
  readonly H: number;
  readonly layers?: number;
  readonly direction?: Direction;
  readonly head?: { readonly reads: HeadReads; readonly outputs: number; readonly activation: DenseActivation };
  readonly seed?: number;
  readonly names?: readonly string[];
}

function buildModel(spec: ModelSpec): Model {
  const rnd = prng(spec.seed ?? 1);
  const u = (scale: number) => (rnd() * 2 - 1) * scale;
  const vec = (n: number, scale: number) => Float64Array.from({ length: n }, () => u(scale));
  const dirs = spec.direction === "bidirectional" ? 2 : 1;
  const cell = (I: number, H: number): LstmCell => {
    const gate = () => ({ W: matrix(H, I, vec(H * I, 0.8)), R: matrix(H, H, vec(H * H, 0.5)), bias: vec(H, 0.3) });
    return {
      gates: { input: gate(), forget: gate(), cell: gate(), output: gate() },
      activations: { gate: { kind: "sigmoid" }, cell: { kind: "tanh" }, hidden: { kind: "tanh" } },
    };
  };
  const layers = [];
  let width = spec.I;
  for (let l = 0; l < (spec.layers ?? 1); l++) {
    layers.push({
      kind: "lstm" as const,
      name: spec.names?.[l] ?? `lstm${l}`,
      inputSize: width,
      hiddenSize: spec.H,
      direction: spec.direction ?? "forward",
      cells: Array.from({ length: dirs }, () => cell(width, spec.H)),
      inputForget: false,
    });
    width = spec.H * dirs;
  }
  const h = spec.head;
  return {
    inputName: "x",
    inputSize: spec.I,
    layers,
    ...(h
      ? {
          head: {
            reads: h.reads,
            layers: [{ name: "fc", W: matrix(h.outputs, width, vec(h.outputs * width, 1)), bias: vec(h.outputs, 0.2), activation: h.activation }],
          },
        }
      : {}),
    outputs: h
      ? [{ name: "y", source: { kind: "head" }, axes: h.reads === "every" ? ["batch", "time", "unit"] : ["batch", "unit"] }]
      : [{ name: "Y", source: { kind: "sequence", layer: layers.length - 1, mergeDirections: true }, axes: ["batch", "time", "unit"] }],
    source: { format: "test", file: "test-model", conventions: [] },
  };
}

function dataSet(I: number, steps: readonly number[], seed = 7): SequenceSet {
  const rnd = prng(seed);
  return {
    file: "test-data",
    features: I,
    sequences: steps.map((T) => ({ steps: T, data: Float64Array.from({ length: T * I }, () => rnd() * 4 - 2) })),
  };
}

function floatRuns(model: Model, set: SequenceSet): SequenceRun[] {
  return set.sequences.map((s) => runSequence(model, s.data, s.steps, { trace: true }));
}

/** A deep copy of a run, to inject errors into. */
function copyRun(r: SequenceRun): SequenceRun {
  return {
    steps: r.steps,
    layers: r.layers.map((l) => ({
      output: l.output.slice(),
      finalH: l.finalH.map((v) => v.slice()),
      finalC: l.finalC.map((v) => v.slice()),
      ...(l.trace
        ? { trace: l.trace.map((t) => ({ i: t.i.slice(), f: t.f.slice(), g: t.g.slice(), o: t.o.slice(), c: t.c.slice(), h: t.h.slice() })) }
        : {}),
    })),
    ...(r.head ? { head: r.head.slice() } : {}),
  };
}

function traceOf(run: SequenceRun, layer: number, dir: number, key: TraceKey): Float64Array {
  return run.layers[layer]!.trace![dir]![key];
}

function row(report: VerifyReport, layer: number | null, direction: string | null, quantity: string): QuantityResult {
  const r = report.results.find((x) => x.layer === layer && x.direction === direction && x.quantity === quantity);
  if (!r) throw new Error(`no result for ${layer}/${direction}/${quantity}`);
  return r;
}

function ctxFor(model: Model, runs: readonly SequenceRun[], tolerance: Tolerance, extra: Partial<CompareContext> = {}): CompareContext {
  return { tolerance, cellRange: cellRangeOf(model, runs), ...extra };
}

const LOOSE: Tolerance = { gates: 1, cell: 1, hidden: 1, output: 1 };

// ---------------------------------------------------------------------------------------------------------------

describe("verifyRuns: statistics of an injected error", () => {
  const model = buildModel({ I: 3, H: 6, head: { reads: "every", outputs: 1, activation: "linear" } });
  const set = dataSet(3, [20, 20, 20, 20]);
  const float = floatRuns(model, set);

  it("reports zero error and passes on identical runs", () => {
    const report = verifyRuns(model, float, float.map(copyRun), ctxFor(model, float, parseTolerance("gates=0,cell=0,hidden=0,output=0", "int8")));
    expect(report.pass).toBe(true);
    expect(report.failures).toEqual([]);
    for (const r of report.results) {
      expect(r.maxError).toBe(0);
      expect(r.rmsError).toBe(0);
      expect(r.ratio).toBe(0);
      expect(r.pass).toBe(true);
    }
    // one row per gate/c/h of the single direction, then the output
    expect(report.results.map((r) => r.quantity)).toEqual(["i", "f", "g", "o", "c", "h", "output"]);
    expect(report.sequences).toBe(4);
    expect(report.totalSteps).toBe(80);
    expect(report.maxSteps).toBe(20);
  });

  it("finds the max, its location, the RMS and the per-step series, and names the worst offender", () => {
    const fixed = float.map(copyRun);
    traceOf(fixed[3]!, 0, 0, "f")[17 * 6 + 5]! += 0.031;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...DEFAULT_TOLERANCE.int8, gates: 0.02 }));
    const f = row(report, 0, "forward", "f");
    expect(f.maxError).toBeCloseTo(0.031, 12);
    expect(f.at).toEqual({ sequence: 3, step: 17, unit: 5 });
    expect(f.count).toBe(4 * 20 * 6);
    expect(f.rmsError).toBeCloseTo(0.031 / Math.sqrt(480), 12);
    expect(f.tolerance).toBe(0.02);
    expect(f.basis).toEqual({ key: "gates", value: 0.02 });
    expect(f.pass).toBe(false);
    expect(f.ratio).toBeCloseTo(1.55, 9);
    expect(f.series.axis).toBe("step");
    expect(f.series.bucket).toBe(1);
    expect(f.series.x).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(f.series.y.map((v, k) => (k === 17 ? Math.round(v * 1000) / 1000 : v))).toEqual(
      Array.from({ length: 20 }, (_, k) => (k === 17 ? 0.031 : 0)),
    );
    // the other quantities were not touched
    for (const q of ["i", "g", "o", "c", "h", "output"]) expect(row(report, q === "output" ? null : 0, q === "output" ? null : "forward", q).maxError).toBe(0);
    expect(report.pass).toBe(false);
    expect(report.worst).toBe("layer 0 forward gate 'forget' (f): max error 0.031 > 0.02 at sequence 3, step 17, unit 5");
    expect(report.worstResult).toBe(f);
    expect(report.failures).toEqual([report.worst]);
  });

  it("passes an error just under the tolerance and keeps the first location of a repeated maximum", () => {
    const fixed = float.map(copyRun);
    traceOf(fixed[1]!, 0, 0, "h")[4 * 6 + 2]! -= 0.0195;
    traceOf(fixed[2]!, 0, 0, "h")[9 * 6 + 0]! += 0.0195;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, hidden: 0.02 }));
    const h = row(report, 0, "forward", "h");
    expect(h.pass).toBe(true);
    expect(h.at).toEqual({ sequence: 1, step: 4, unit: 2 });
    expect(h.series.y[4]).toBeCloseTo(0.0195, 12);
    expect(h.series.y[9]).toBeCloseTo(0.0195, 12);
    expect(report.pass).toBe(true);
    expect(report.worst).toMatch(/^layer 0 forward hidden state \(h\): max error 0\.0195 <= 0\.02 at sequence 1, step 4, unit 2$/);
  });

  it("picks the worst offender by error/tolerance ratio, not by absolute error", () => {
    const fixed = float.map(copyRun);
    traceOf(fixed[0]!, 0, 0, "i")[0]! += 0.04; // ratio 0.8 of gates=0.05
    traceOf(fixed[0]!, 0, 0, "h")[0]! += 0.03; // ratio 3 of hidden=0.01
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, gates: 0.05, hidden: 0.01 }));
    expect(report.worstResult?.quantity).toBe("h");
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(/^layer 0 forward hidden state \(h\)/);
  });

  it("judges the cell state relative to the calibrated max|c| of the layer and direction", () => {
    const cellRange = cellRangeOf(model, float);
    const range = cellRange[0]![0]!;
    expect(range).toBeGreaterThan(0);
    const tol = { ...LOOSE, cell: 0.05 };
    const under = float.map(copyRun);
    traceOf(under[0]!, 0, 0, "c")[3]! += 0.9 * 0.05 * range;
    const ok = verifyRuns(model, float, under, { tolerance: tol, cellRange });
    const c = row(ok, 0, "forward", "c");
    expect(c.tolerance).toBeCloseTo(0.05 * range, 12);
    expect(c.basis).toEqual({ key: "cell", value: 0.05, relativeTo: { what: "max|c|", value: range } });
    expect(c.pass).toBe(true);
    const over = float.map(copyRun);
    traceOf(over[0]!, 0, 0, "c")[3]! += 1.1 * 0.05 * range;
    const bad = verifyRuns(model, float, over, { tolerance: tol, cellRange });
    expect(row(bad, 0, "forward", "c").pass).toBe(false);
    expect(bad.worst).toContain(`layer 0 forward cell state (c): max error ${formatNumber(1.1 * 0.05 * range)} > ${formatNumber(0.05 * range)} (cell=0.05 × max|c| ${formatNumber(range)}) at sequence 0, step 0, unit 3`);
  });

  it("floors a zero cell range at one Q0.15 step", () => {
    const report = verifyRuns(model, float, float.map(copyRun), { tolerance: LOOSE, cellRange: [[0]] });
    expect(row(report, 0, "forward", "c").tolerance).toBe(CELL_RANGE_FLOOR);
    expect(report.cellRange).toEqual([[0]]);
  });

  it("judges the output relative to max - min of the float output, or a given range", () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of float) for (const v of r.head!) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const fixed = float.map(copyRun);
    fixed[2]!.head![11]! += 0.01;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, output: 0.02 }));
    expect(report.outputRange).toEqual({ value: hi - lo, basis: "max-min" });
    const out = row(report, null, null, "output");
    expect(out.name).toBe("output 'y'");
    expect(out.tolerance).toBeCloseTo(0.02 * (hi - lo), 12);
    expect(out.at).toEqual({ sequence: 2, step: 11, unit: 0 });
    expect(out.series.axis).toBe("step");
    expect(out.maxError).toBeCloseTo(0.01, 12);
    const given = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, output: 0.02 }, { outputRange: 0.1 }));
    expect(given.outputRange).toEqual({ value: 0.1, basis: "given" });
    expect(row(given, null, null, "output").pass).toBe(false);
    expect(given.worst).toBe(`output 'y': max error 0.01 > 0.002 (output=0.02 × output range 0.1) at sequence 2, step 11, unit 0`);
  });

  it("fails on a NaN in the fixed run, reporting an infinite error", () => {
    const fixed = float.map(copyRun);
    traceOf(fixed[0]!, 0, 0, "g")[7]! = NaN;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, LOOSE));
    const g = row(report, 0, "forward", "g");
    expect(g.maxError).toBe(Infinity);
    expect(g.pass).toBe(false);
    expect(g.at).toEqual({ sequence: 0, step: 1, unit: 1 });
    expect(report.worst).toContain("max error inf > 1");
  });

  it("gives an infinite ratio to any error against a zero tolerance", () => {
    const fixed = float.map(copyRun);
    traceOf(fixed[0]!, 0, 0, "o")[0]! += 1e-12;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, gates: 0 }));
    expect(row(report, 0, "forward", "o").ratio).toBe(Infinity);
    expect(report.pass).toBe(false);
  });

  it("refuses runs without a trace, mismatched lengths or a missing cell range", () => {
    const untraced = set.sequences.map((s) => runSequence(model, s.data, s.steps));
    expect(() => verifyRuns(model, float, untraced, ctxFor(model, float, LOOSE))).toThrow(/trace/);
    expect(() => verifyRuns(model, float, float.slice(1), ctxFor(model, float, LOOSE))).toThrow(/3 fixed runs/);
    const short = runSequence(model, set.sequences[0]!.data.subarray(0, 3 * 10), 10, { trace: true });
    expect(() => verifyRuns(model, [float[0]!], [short], ctxFor(model, float, LOOSE))).toThrow(/20 float steps but 10 fixed steps/);
    expect(() => verifyRuns(model, float, float, { tolerance: LOOSE, cellRange: [] })).toThrow(/cellRange/);
  });
});

describe("verifyRuns: layers and directions", () => {
  it("names the reverse half of a bidirectional layer and the layer of a stacked model", () => {
    const model = buildModel({ I: 2, H: 4, layers: 2, direction: "bidirectional", seed: 3 });
    const set = dataSet(2, [12, 12, 12]);
    const float = floatRuns(model, set);
    const fixed = float.map(copyRun);
    traceOf(fixed[2]!, 1, 1, "i")[5 * 4 + 3]! += 0.5;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, gates: 0.1 }));
    // 2 layers × 2 directions × 6 quantities + output (the last layer's Y: no head)
    expect(report.results).toHaveLength(25);
    expect(report.results.filter((r) => r.direction === "reverse")).toHaveLength(12);
    const out = row(report, null, null, "output");
    expect(out.name).toBe("output 'Y'");
    expect(out.count).toBe(3 * 12 * 8);
    expect(report.worst).toBe("layer 1 reverse gate 'input' (i): max error 0.5 > 0.1 at sequence 2, step 5, unit 3");
    expect(report.cellRange.map((r) => r.length)).toEqual([2, 2]);
  });

  it("names the only cell of a reverse layer 'reverse'", () => {
    const model = buildModel({ I: 2, H: 3, direction: "reverse", seed: 4 });
    const float = floatRuns(model, dataSet(2, [5]));
    const fixed = float.map(copyRun);
    traceOf(fixed[0]!, 0, 0, "g")[0]! += 0.2;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, gates: 0.1 }));
    expect(report.worst).toMatch(/^layer 0 reverse gate 'cell' \(g\): max error 0\.2 > 0\.1 at sequence 0, step 0, unit 0$/);
  });

  it("accepts sequences of different lengths; the series runs to the longest", () => {
    const model = buildModel({ I: 1, H: 2, seed: 5 });
    const float = floatRuns(model, dataSet(1, [3, 9, 5]));
    const fixed = float.map(copyRun);
    traceOf(fixed[1]!, 0, 0, "h")[8 * 2 + 1]! += 0.25;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, LOOSE));
    const h = row(report, 0, "forward", "h");
    expect(h.series.x).toHaveLength(9);
    expect(h.series.y[8]).toBeCloseTo(0.25, 12);
    expect(h.count).toBe((3 + 9 + 5) * 2);
    expect(report.totalSteps).toBe(17);
    expect(report.maxSteps).toBe(9);
  });
});

describe("error series downsampling", () => {
  it("keeps short series as they are", () => {
    const s = downsampleMax([0, 1, 2], 500);
    expect(s).toEqual({ axis: "step", bucket: 1, x: [0, 1, 2], y: [0, 1, 2] });
  });

  it("reduces a long series to at most 500 bucket maxima", () => {
    const v = new Float64Array(2000);
    v[1003] = 5;
    v[1999] = 1;
    const s = downsampleMax(v);
    expect(s.bucket).toBe(4);
    expect(s.x).toHaveLength(500);
    expect(s.y).toHaveLength(500);
    expect(s.x[250]).toBe(1000);
    expect(s.y[250]).toBe(5);
    expect(s.y[499]).toBe(1);
    expect(s.y.filter((y) => y > 0)).toHaveLength(2);
    const odd = downsampleMax(new Float64Array(1001));
    expect(odd.bucket).toBe(3);
    expect(odd.x).toHaveLength(334);
    expect(odd.x[333]).toBe(999);
  });

  it("downsamples the series of a 1200-step run and keeps the peak", () => {
    const model = buildModel({ I: 1, H: 2, seed: 6 });
    const float = floatRuns(model, dataSet(1, [1200]));
    const fixed = float.map(copyRun);
    traceOf(fixed[0]!, 0, 0, "c")[1000 * 2 + 1]! += 0.125;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, LOOSE));
    const c = row(report, 0, "forward", "c");
    expect(c.series.bucket).toBe(3);
    expect(c.series.x.length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    expect(c.series.x).toHaveLength(400);
    expect(c.series.x[333]).toBe(999);
    expect(c.series.y[333]).toBeCloseTo(0.125, 12);
    expect(c.at).toEqual({ sequence: 0, step: 1000, unit: 1 });
  });
});

describe("classification agreement", () => {
  const model = buildModel({ I: 2, H: 5, head: { reads: "last", outputs: 3, activation: "softmax" }, seed: 8 });
  const float = floatRuns(model, dataSet(2, [10, 10, 10, 10], 9));

  /** A copy of the runs whose sequence-1 output picks a different class than the float one. */
  function flipped(): SequenceRun[] {
    const fixed = float.map(copyRun);
    const y = fixed[1]!.head!;
    const best = y.indexOf(Math.max(...y));
    y[(best + 1) % 3] = y[best]! + 0.01;
    return fixed;
  }

  it("describes a softmax or last-step head with more than one unit as a classifier", () => {
    expect(describeOutput(model)).toEqual({ source: "head", name: "output 'y'", width: 3, perStep: false, classifier: true });
    const reg = buildModel({ I: 1, H: 2, head: { reads: "every", outputs: 2, activation: "linear" } });
    expect(describeOutput(reg)?.classifier).toBe(false);
    const seqSoftmax = buildModel({ I: 1, H: 2, head: { reads: "every", outputs: 2, activation: "softmax" } });
    expect(describeOutput(seqSoftmax)?.classifier).toBe(true);
    const single = buildModel({ I: 1, H: 2, head: { reads: "last", outputs: 1, activation: "sigmoid" } });
    expect(describeOutput(single)?.classifier).toBe(false);
  });

  it("counts disagreements as information by default", () => {
    const report = verifyRuns(model, float, flipped(), ctxFor(model, float, LOOSE));
    expect(report.argmax).toMatchObject({ vectors: 4, disagreements: 1, required: false, pass: true });
    expect(report.argmax!.examples).toHaveLength(1);
    expect(report.argmax!.examples[0]!.sequence).toBe(1);
    expect(report.argmax!.examples[0]!.step).toBeNull();
    expect(report.pass).toBe(true);
  });

  it("fails on a disagreement with requireArgmax", () => {
    const report = verifyRuns(model, float, flipped(), ctxFor(model, float, LOOSE, { requireArgmax: true }));
    expect(report.argmax!.pass).toBe(false);
    expect(report.pass).toBe(false);
    expect(report.failures.at(-1)).toMatch(/^argmax differs from the float model on 1 of 4 output vectors \(first at sequence 1, float class \d\)$/);
  });

  it("passes requireArgmax when every class agrees", () => {
    const report = verifyRuns(model, float, float.map(copyRun), ctxFor(model, float, LOOSE, { requireArgmax: true }));
    expect(report.argmax).toMatchObject({ vectors: 4, disagreements: 0, pass: true });
    expect(report.pass).toBe(true);
  });

  it("plots a once-per-sequence output against the sequence and locates it without a step", () => {
    const fixed = float.map(copyRun);
    fixed[2]!.head![1]! += 0.004;
    const report = verifyRuns(model, float, fixed, ctxFor(model, float, { ...LOOSE, output: 0.001 }));
    const out = row(report, null, null, "output");
    expect(out.series.axis).toBe("sequence");
    expect(out.series.x).toEqual([0, 1, 2, 3]);
    expect(out.series.y[2]).toBeCloseTo(0.004, 12);
    expect(out.at).toEqual({ sequence: 2, step: null, unit: 1 });
    expect(report.worst).toMatch(/^output 'y': max error 0\.004 > .* at sequence 2, unit 1$/);
  });

  it("gives no argmax section for a one-unit regression output", () => {
    const reg = buildModel({ I: 1, H: 3, head: { reads: "every", outputs: 1, activation: "linear" } });
    const runs = floatRuns(reg, dataSet(1, [4]));
    expect(verifyRuns(reg, runs, runs.map(copyRun), ctxFor(reg, runs, LOOSE)).argmax).toBeUndefined();
  });
});

describe("formatNumber", () => {
  it("gives three significant digits and exponents for very small or large values", () => {
    expect(formatNumber(0.031)).toBe("0.031");
    expect(formatNumber(0.0312345)).toBe("0.0312");
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(1e-9)).toBe("1e-9");
    expect(formatNumber(3.1e-5)).toBe("3.1e-5");
    expect(formatNumber(123456)).toBe("1.23e5");
    expect(formatNumber(Infinity)).toBe("inf");
    expect(formatNumber(NaN)).toBe("nan");
  });
});

describe("verifyWith: the pass over a data file", () => {
  const model = buildModel({ I: 2, H: 8, head: { reads: "every", outputs: 1, activation: "linear" }, seed: 11 });
  const set = dataSet(2, [30, 30, 30], 12);
  const calib = dataSet(2, [40, 40, 40, 40], 13);

  /** A stand-in for the quantized model: the float model with every weight nudged by up to `eps`. */
  function nudged(eps: number): Model {
    const rnd = prng(99);
    const bump = (a: Float64Array) => a.map((v) => v + (rnd() * 2 - 1) * eps);
    return {
      ...model,
      layers: model.layers.map((l) => ({
        ...l,
        cells: l.cells.map((c) => ({
          ...c,
          gates: Object.fromEntries(
            Object.entries(c.gates).map(([k, g]) => [k, { W: { ...g.W, data: bump(g.W.data) }, R: { ...g.R, data: bump(g.R.data) }, bias: bump(g.bias) }]),
          ) as unknown as LstmCell["gates"],
        })),
      })),
    };
  }
  const runner = (m: Model) => (x: Float64Array, steps: number) => runSequence(m, x, steps, { trace: true });

  it("measures cell ranges from calibration data as calibrate() does", () => {
    const fromData = cellRangeFromData(model, calib, { progress: false });
    expect(fromData).toEqual(cellRangeFromCalibration(calibrate(model, calib)));
    expect(fromData).toEqual(cellRangeOf(model, floatRuns(model, calib)));
  });

  it("passes a small perturbation with the int8 defaults and fails it with gates=1e-9, naming a gate", () => {
    const close = verifyWith(model, runner(nudged(1e-4)), set, calib, { tolerance: DEFAULT_TOLERANCE.int8, progress: false });
    expect(close.pass).toBe(true);
    expect(close.results.every((r) => r.maxError > 0)).toBe(true);
    const tight = verifyWith(model, runner(nudged(1e-4)), set, calib, { tolerance: parseTolerance("gates=1e-9", "int8"), progress: false });
    expect(tight.pass).toBe(false);
    expect(tight.worst).toMatch(/^layer 0 forward gate '(input|forget|cell|output)' \([ifgo]\): max error \S+ > 1e-9 at sequence \d, step \d+, unit \d$/);
    expect(tight.failures.length).toBeGreaterThanOrEqual(4);
  });

  it("accepts the cell ranges directly or as a Calibration, with identical results", () => {
    const run = runner(nudged(1e-3));
    const opts = { tolerance: DEFAULT_TOLERANCE.int16, progress: false };
    const a = verifyWith(model, run, set, calib, opts);
    const b = verifyWith(model, run, set, cellRangeFromData(model, calib), opts);
    const c = verifyWith(model, run, set, calibrate(model, calib), opts);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it("refuses data with the wrong number of features, naming the file", () => {
    const bad = dataSet(3, [5]);
    expect(() => verifyWith(model, runner(model), bad, calib, { tolerance: LOOSE, progress: false })).toThrow(/^test-data: has 3 features per step but the model expects 2$/);
  });

  it("refuses an empty file and a sequence without steps", () => {
    const none: SequenceSet = { file: "none.npy", features: 2, sequences: [] };
    expect(() => verifyWith(model, runner(model), none, calib, { tolerance: LOOSE, progress: false })).toThrow(/^none\.npy: has no sequences$/);
    const hole: SequenceSet = { ...set, sequences: [set.sequences[0]!, { steps: 0, data: new Float64Array(0) }] };
    expect(() => verifyWith(model, runner(model), hole, calib, { tolerance: LOOSE, progress: false })).toThrow(/^test-data: sequence 1 has no time steps$/);
  });

  it("shows progress on a terminal only, and clears it", () => {
    let written = "";
    const tty = { isTTY: true, write: (s: string) => void (written += s) };
    verifyWith(model, runner(model), set, calib, { tolerance: LOOSE, progressStream: tty });
    expect(written).toContain("\rverifying: 3/3 sequences (100%)");
    expect(written).toContain("\rmeasuring cell ranges: 4/4 sequences (100%)");
    expect(written.endsWith("\r")).toBe(true);
    written = "";
    verifyWith(model, runner(model), set, calib, { tolerance: LOOSE, progressStream: tty, progress: false });
    expect(written).toBe("");
    const pipe = { isTTY: false, write: (s: string) => void (written += s) };
    verifyWith(model, runner(model), set, calib, { tolerance: LOOSE, progressStream: pipe });
    expect(written).toBe("");
  });
});
