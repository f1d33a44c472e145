/** The quantization options shared by `run`, `verify`, `compile` and `bench`, and the step that applies them. */
import type { Command } from "commander";
import { dataOptionsFor, readSequences } from "../data/read.js";
import type { SequenceSet } from "../data/sequences.js";
import { usageError } from "../errors.js";
import type { Model } from "../ir/model.js";
import { calibrate, calibrationFromInputRange, type Calibration } from "../quantize/calibrate.js";
import type { CellMode, QuantizedModel, WeightMode } from "../quantize/qmodel.js";
import { quantizeModel } from "../quantize/quantize.js";

export interface QuantizeCliOptions {
  readonly calibrate?: string;
  readonly inputRange?: string;
  readonly weights: string;
  readonly cell: string;
  readonly inputHeadroom: string;
}

export function addQuantizeOptions(cmd: Command): Command {
  return cmd
    .option("--calibrate <file>", "calibration sequences (.npy, .json, .csv) used to choose the fixed-point formats")
    .option("--input-range <lo,hi>", "calibrate from a synthetic input range instead of data")
    .option("--weights <mode>", "weight precision: int8 or int16", "int8")
    .option("--cell <mode>", "cell-state storage: int16 or int32", "int16")
    .option("--input-headroom <bits>", "bits of headroom above the calibrated input range", "2");
}

export interface Quantized {
  readonly qm: QuantizedModel;
  /** The ranges the formats were chosen from. */
  readonly calibration: Calibration;
  /** The calibration data, when given as a file. */
  readonly calibrationData?: SequenceSet;
}

function parseMode<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`${flag} must be one of ${allowed.join(", ")}, got '${value}'`);
  }
  return value as T;
}

/**
 * Validate the quantization options up front, in every command that takes them, whether or not the chosen engine
 * quantizes (a bad --weights must not pass silently with --engine float).
 */
export function checkQuantizeOptions(o: QuantizeCliOptions): { weights: WeightMode; cell: CellMode; inputHeadroom: number } {
  const weights = parseMode<WeightMode>("--weights", o.weights, ["int8", "int16"]);
  const cell = parseMode<CellMode>("--cell", o.cell, ["int16", "int32"]);
  const inputHeadroom = Number(o.inputHeadroom);
  if (!Number.isInteger(inputHeadroom) || inputHeadroom < 0 || inputHeadroom > 8) {
    throw usageError(`--input-headroom must be an integer from 0 to 8, got '${o.inputHeadroom}'`);
  }
  if (o.calibrate !== undefined && o.inputRange !== undefined) {
    throw usageError("give one of --calibrate <file> and --input-range lo,hi, not both");
  }
  return { weights, cell, inputHeadroom };
}

/** `progress`: show calibration progress on a terminal (off for --json). */
export function quantizeFromOptions(model: Model, o: QuantizeCliOptions, progress = false): Quantized {
  const opts = checkQuantizeOptions(o);
  if (o.calibrate !== undefined) {
    const set = readSequences(o.calibrate, dataOptionsFor(model));
    const calibration = calibrate(model, set, set.file, { progress });
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
