import { inputError } from "../errors.js";
import { runSequence } from "../reference/float.js";
import { cellRangeAccumulator, Comparison } from "./compare.js";
import { createProgress } from "./progress.js";
/** max|c| per layer and direction, as recorded by `calibrate`. */
export function cellRangeFromCalibration(cal) {
    return cal.layers.map((l) => l.cells.map((c) => c.c));
}
function resolveCellRange(model, src, opts) {
    if (Array.isArray(src))
        return src.map((r) => r.slice());
    if ("features" in src)
        return cellRangeFromData(model, src, opts);
    return cellRangeFromCalibration(src);
}
function checkFeatures(model, set) {
    if (set.features !== model.inputSize) {
        throw inputError(set.file, `has ${set.features} features per step but the model expects ${model.inputSize}`);
    }
    if (set.sequences.length === 0)
        throw inputError(set.file, "has no sequences");
    const empty = set.sequences.findIndex((s) => s.steps < 1);
    if (empty >= 0)
        throw inputError(set.file, `sequence ${empty} has no time steps`);
}
/** max|c| per layer and direction over the float model's run of `set` (the calibration data). */
export function cellRangeFromData(model, set, opts = {}) {
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
    }
    finally {
        progress.done();
    }
    return acc.value();
}
/**
 * Verify a fixed-point engine against the float reference on `data`. `runFixed` must return traced runs (the
 * same CellTrace layout as the float reference, values dequantized).
 */
export function verifyWith(model, runFixed, data, calibration, opts) {
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
    }
    finally {
        progress.done();
    }
    return cmp.finish();
}
