import { readSequences } from "../data/read.js";
import { usageError } from "../errors.js";
import { calibrate, calibrationFromInputRange } from "../quantize/calibrate.js";
import { quantizeModel } from "../quantize/quantize.js";
export function addQuantizeOptions(cmd) {
    return cmd
        .option("--calibrate <file>", "calibration sequences (.npy, .json, .csv) used to choose the fixed-point formats")
        .option("--input-range <lo,hi>", "calibrate from a synthetic input range instead of data")
        .option("--weights <mode>", "weight precision: int8 or int16", "int8")
        .option("--cell <mode>", "cell-state storage: int16 or int32", "int16")
        .option("--input-headroom <bits>", "bits of headroom above the calibrated input range", "2");
}
function parseMode(flag, value, allowed) {
    if (!allowed.includes(value)) {
        throw usageError(`${flag} must be one of ${allowed.join(", ")}, got '${value}'`);
    }
    return value;
}
export function quantizeFromOptions(model, o) {
    const weights = parseMode("--weights", o.weights, ["int8", "int16"]);
    const cell = parseMode("--cell", o.cell, ["int16", "int32"]);
    const inputHeadroom = Number(o.inputHeadroom);
    if (!Number.isInteger(inputHeadroom) || inputHeadroom < 0 || inputHeadroom > 8) {
        throw usageError(`--input-headroom must be an integer from 0 to 8, got '${o.inputHeadroom}'`);
    }
    const opts = { weights, cell, inputHeadroom };
    if (o.calibrate !== undefined) {
        const set = readSequences(o.calibrate, { features: model.inputSize });
        const calibration = calibrate(model, set);
        return { qm: quantizeModel(model, calibration, opts), calibration, calibrationData: set };
    }
    if (o.inputRange !== undefined) {
        const m = /^\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*$/.exec(o.inputRange);
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2]) : NaN;
        if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
            throw usageError(`--input-range must be 'lo,hi' with lo < hi, got '${o.inputRange}'`);
        }
        const calibration = calibrationFromInputRange(model, lo, hi);
        return { qm: quantizeModel(model, calibration, opts), calibration };
    }
    throw usageError("the fixed-point formats are chosen from calibration data: give --calibrate <file> (or --input-range lo,hi)");
}
