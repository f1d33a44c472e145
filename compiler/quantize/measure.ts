/**
 * Error measurement of the fixed-point pipeline against the float reference: quantize a model with a
 * calibration set, run the golden model and the float model with traces over a data set, and report the
 * maximum absolute error per gate (i, f, g, o), cell state, hidden state and model output. The figures in
 * docs/fixed-point.md §8 come from here (see test/quantize-measure.test.ts for the command).
 */
import type { SequenceSet } from "../data/sequences.js";
import type { Model } from "../ir/model.js";
import { runFixed } from "../golden/golden.js";
import { runSequence, TRACE_KEYS, type SequenceRun, type TraceKey } from "../reference/float.js";
import { calibrate } from "./calibrate.js";
import type { QuantizedModel } from "./qmodel.js";
import { quantizeModel, type QuantizeOptions } from "./quantize.js";

export interface ErrorStats {
  /** Max |fixed - float| over every layer, direction, step, unit and sequence. */
  readonly trace: Readonly<Record<TraceKey, number>>;
  /** Max |float c| (to read the cell error relative to the cell's range). */
  readonly cRange: number;
  /** Max |fixed - float| of the model output (head, or the last layer's h without a head). */
  readonly output: number;
  /** max - min of the float output over the data. */
  readonly outputRange: number;
  /** Sequences whose argmax of the output differs (meaningful for classifiers with a last/final head). */
  readonly argmaxMismatches: number;
  readonly sequences: number;
}

/** The model output of a run as one flat array ([T, O] or [O]). */
export function outputOf(run: SequenceRun): Float64Array {
  return run.head ?? run.layers[run.layers.length - 1]!.output;
}

function argmax(v: ArrayLike<number>): number {
  let k = 0;
  for (let j = 1; j < v.length; j++) if (v[j]! > v[k]!) k = j;
  return k;
}

/** Compare the golden model (through `runFixed`) with the float reference over `data`. */
export function measureErrors(model: Model, qm: QuantizedModel, data: SequenceSet): ErrorStats {
  const trace: Record<TraceKey, number> = { i: 0, f: 0, g: 0, o: 0, c: 0, h: 0 };
  let cRange = 0;
  let output = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let argmaxMismatches = 0;
  const perSequenceHead = model.head !== undefined && model.head.reads !== "every";
  for (const s of data.sequences) {
    const ref = runSequence(model, s.data, s.steps, { trace: true });
    const fix = runFixed(qm, s.data, s.steps, { trace: true });
    ref.layers.forEach((lr, l) => {
      lr.trace!.forEach((tr, d) => {
        const ft = fix.layers[l]!.trace![d]!;
        for (const key of TRACE_KEYS) {
          const a = tr[key];
          const b = ft[key];
          for (let j = 0; j < a.length; j++) trace[key] = Math.max(trace[key], Math.abs(a[j]! - b[j]!));
        }
        for (const c of tr.c) cRange = Math.max(cRange, Math.abs(c));
      });
    });
    const yr = outputOf(ref);
    const yf = outputOf(fix);
    for (let j = 0; j < yr.length; j++) {
      output = Math.max(output, Math.abs(yr[j]! - yf[j]!));
      lo = Math.min(lo, yr[j]!);
      hi = Math.max(hi, yr[j]!);
    }
    if (perSequenceHead && argmax(yr) !== argmax(yf)) argmaxMismatches++;
  }
  return { trace, cRange, output, outputRange: hi - lo, argmaxMismatches, sequences: data.sequences.length };
}

/** Max |fixed - float| of the output over steps [from, to) of one sequence with a per-step output. */
export function outputErrorOverSteps(model: Model, qm: QuantizedModel, x: Float64Array, steps: number, from: number, to: number): number {
  const yr = outputOf(runSequence(model, x, steps));
  const yf = outputOf(runFixed(qm, x, steps));
  const width = yr.length / steps;
  let e = 0;
  for (let j = from * width; j < to * width; j++) e = Math.max(e, Math.abs(yr[j]! - yf[j]!));
  return e;
}

export interface MeasureRow {
  readonly name: string;
  readonly options: QuantizeOptions;
  readonly stats: ErrorStats;
  /** Whether the argmax column means anything (a classifier with one output vector per sequence). */
  readonly classification: boolean;
}

/** Calibrate on `calib`, quantize with each option set, measure on `data`. */
export function measureModel(
  name: string,
  model: Model,
  calib: SequenceSet,
  data: SequenceSet,
  options: readonly QuantizeOptions[],
  classification = false,
): MeasureRow[] {
  const cal = calibrate(model, calib);
  return options.map((o) => ({ name, options: o, stats: measureErrors(model, quantizeModel(model, cal, o), data), classification }));
}

const e = (v: number) => v.toExponential(1);

/** The §8 table: one Markdown row per model and option set. */
export function formatErrorTable(rows: readonly MeasureRow[]): string {
  const head = [
    "| model | weights | cell | i | f | g | o | c (abs) | c / max\\|c\\| | h | output | output / range | argmax |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const body = rows.map(({ name, options, stats: s, classification }) =>
    [
      name,
      options.weights ?? "int8",
      options.cell ?? "int16",
      e(s.trace.i),
      e(s.trace.f),
      e(s.trace.g),
      e(s.trace.o),
      e(s.trace.c),
      `${((100 * s.trace.c) / (s.cRange || 1)).toFixed(2)}%`,
      e(s.trace.h),
      e(s.output),
      `${((100 * s.output) / (s.outputRange || 1)).toFixed(3)}%`,
      classification ? `${s.sequences - s.argmaxMismatches}/${s.sequences}` : "–",
    ].join(" | "),
  );
  return [...head, ...body.map((b) => `| ${b} |`)].join("\n");
}
