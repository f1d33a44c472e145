import { runFixed } from "../golden/golden.js";
import { verifyWith } from "./engine.js";
export * from "./compare.js";
export * from "./engine.js";
export * from "./progress.js";
export * from "./report.js";
export * from "./tolerance.js";
/**
 * Verify `qm` (quantized from `model`) against `model` on `data`. The cell tolerance is relative to max|c| per
 * layer and direction, taken from `calibration`: the `Calibration` the model was quantized with, the calibration
 * data itself, or the ranges directly.
 */
export function verify(model, qm, data, calibration, opts) {
    const report = verifyWith(model, (x, steps) => runFixed(qm, x, steps, { trace: true }), data, calibration, opts);
    return { ...report, weights: qm.weights, cell: qm.cell };
}
