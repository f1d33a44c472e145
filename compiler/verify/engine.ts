/**
 * The verification pass over a data file, independent of which integer engine produced the fixed-point runs:
 * for each sequence, run the float reference with a trace and the fixed engine with a trace, compare, and drop
 * both traces before the next sequence (memory stays at one sequence's traces: 2 × 6 × T × H float64 per
 * layer and direction, about 24 MB for T = 2000, H = 128).
 */
import type { SequenceSet } from "../data/sequences.js";
import { inputError } from "../errors.js";
import type { Model } from "../ir/model.js";
import type { Calibration } from "../quantize/calibrate.js";
import { runSequence, type SequenceRun } from "../reference/float.js";
import { cellRangeAccumulator, Comparison, type OutputInfo, type VerifyReport } from "./compare.js";
import { createProgress, type ProgressStream } from "../progress.js";
import type { Tolerance } from "./tolerance.js";

/** Runs the quantized model over one float sequence `x` ([T, I]) and returns its dequantized, traced run. */
export type FixedRunner = (x: Float64Array, steps: number) => SequenceRun;

/**
 * Where the cell ranges (max|c| per layer and direction) come from: given directly, taken from a `Calibration`
 * (its `layers[l].cells[d].c`, i.e. what the quantizer chose the cell formats from), or measured on calibration data.
 */
export type CellRangeSource = readonly (readonly number[])[] | Calibration | SequenceSet;

/** max|c| per layer and direction, as recorded by `calibrate`. */
export function cellRangeFromCalibration(cal: Calibration): number[][] {
  return cal.layers.map((l) => l.cells.map((c) => c.c));
}

function resolveCellRange(model: Model, src: CellRangeSource, opts: VerifyOptions): number[][] {
  if (Array.isArray(src)) return (src as readonly (readonly number[])[]).map((r) => r.slice());
  if ("features" in src) return cellRangeFromData(model, src, opts);
  return cellRangeFromCalibration(src as Calibration);
}

export interface VerifyOptions {
  readonly tolerance: Tolerance;
  /** Fail when the argmax of a classifier's output differs from the float model's on any vector. */
  readonly requireArgmax?: boolean;
  /** Scale of the output tolerance; default: max - min of the float output over `data`. */
  readonly outputRange?: number;
  /** Override what is compared as the output (default `describeOutput(model)`). */
  readonly outputs?: OutputInfo;
  /** Show progress on stderr when it is a terminal; default true. Pass false with --json. */
  readonly progress?: boolean;
  /** Where progress goes; default process.stderr. */
  readonly progressStream?: ProgressStream;
}

function checkFeatures(model: Model, set: SequenceSet): void {
  if (set.features !== model.inputSize) {
    throw inputError(set.file, `has ${set.features} features per step but the model expects ${model.inputSize}`);
  }
  if (set.sequences.length === 0) throw inputError(set.file, "has no sequences");
  const empty = set.sequences.findIndex((s) => s.steps < 1);
  if (empty >= 0) throw inputError(set.file, `sequence ${empty} has no time steps`);
}

/** max|c| per layer and direction over the float model's run of `set` (the calibration data). */
export function cellRangeFromData(model: Model, set: SequenceSet, opts: Pick<VerifyOptions, "progress" | "progressStream"> = {}): number[][] {
  checkFeatures(model, set);
  const acc = cellRangeAccumulator(model);
  const progress = createProgress("measuring cell ranges", set.sequences.length, "sequences", {
    enabled: opts.progress !== false,
    ...(opts.progressStream ? { stream: opts.progressStream } : {}),
  });
  try {
    set.sequences.forEach((s, k) => {
      acc.add(runSequence(model, s.data, s.steps, { trace: true }));
      progress.update(k + 1);
    });
  } finally {
    progress.done();
  }
  return acc.value();
}

/**
 * Verify a fixed-point engine against the float reference on `data`. `runFixed` must return traced runs (the
 * same CellTrace layout as the float reference, values dequantized).
 */
export function verifyWith(
  model: Model,
  runFixed: FixedRunner,
  data: SequenceSet,
  calibration: CellRangeSource,
  opts: VerifyOptions,
): VerifyReport {
  checkFeatures(model, data);
  const cellRange = resolveCellRange(model, calibration, opts);
  const cmp = new Comparison(model, {
    tolerance: opts.tolerance,
    cellRange,
    ...(opts.outputRange !== undefined ? { outputRange: opts.outputRange } : {}),
    ...(opts.outputs ? { outputs: opts.outputs } : {}),
    requireArgmax: opts.requireArgmax === true,
  });
  const progress = createProgress("verifying", data.sequences.length, "sequences", {
    enabled: opts.progress !== false,
    ...(opts.progressStream ? { stream: opts.progressStream } : {}),
  });
  try {
    data.sequences.forEach((s, k) => {
      const float = runSequence(model, s.data, s.steps, { trace: true });
      const fixed = runFixed(s.data, s.steps);
      cmp.add(float, fixed);
      progress.update(k + 1);
    });
  } finally {
    progress.done();
  }
  return cmp.finish();
}
