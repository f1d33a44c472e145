/**
 * `lstm-gen verify`: does the quantized model stay close to the float one?
 *
 * `verify` runs the float reference and the integer golden model (dequantized) over every sequence of a data
 * file, both traced, and compares every gate, cell and hidden state of every layer and direction, and the model
 * output, against a tolerance (tolerance.ts). The report (compare.ts) renders as text, JSON or a self-contained
 * HTML page (report.ts). A failed verification is `report.pass === false` (the CLI exits with 1), not an error.
 */
import type { SequenceSet } from "../data/sequences.js";
import { runFixed } from "../golden/golden.js";
import type { Model } from "../ir/model.js";
import type { QuantizedModel } from "../quantize/qmodel.js";
import type { VerifyReport } from "./compare.js";
import { verifyWith, type CellRangeSource, type VerifyOptions } from "./engine.js";

export * from "./compare.js";
export * from "./engine.js";
export * from "../progress.js";
export * from "./report.js";
export * from "./tolerance.js";

/**
 * Verify `qm` (quantized from `model`) against `model` on `data`. The cell tolerance is relative to max|c| per
 * layer and direction, taken from `calibration`: the `Calibration` the model was quantized with, the calibration
 * data itself, or the ranges directly.
 */
export function verify(
  model: Model,
  qm: QuantizedModel,
  data: SequenceSet,
  calibration: CellRangeSource,
  opts: VerifyOptions,
): VerifyReport {
  const report = verifyWith(model, (x, steps) => runFixed(qm, x, steps, { trace: true }), data, calibration, opts);
  return { ...report, weights: qm.weights, cell: qm.cell };
}
