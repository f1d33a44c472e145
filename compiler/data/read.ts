/**
 * Read input sequences from a `.npy`, `.json` or `.csv` file (chosen by extension, case-insensitively).
 * Every problem with the file is reported as a one-line input error that starts with the file name.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { parseJson } from "./json.js";
import { parseNpy } from "./npy.js";
import type { SequenceSet } from "./sequences.js";

export interface ReadOptions {
  /** The model's input size; a file with a different number of features per step is refused. */
  readonly features?: number;
  /** Steps every sequence must have (a model whose head flattens a fixed number of steps); others are refused. */
  readonly steps?: number;
}

/** The read options a model imposes on its data: its input size and, for a flattening head, the sequence length. */
export function dataOptionsFor(model: { readonly inputSize: number; readonly head?: { readonly reads: string; readonly steps?: number } }): ReadOptions {
  const steps = model.head?.reads === "flatten" ? model.head.steps : undefined;
  return { features: model.inputSize, ...(steps !== undefined ? { steps } : {}) };
}

export function readSequences(file: string, opts: ReadOptions = {}): SequenceSet {
  const ext = extname(file).toLowerCase();
  const formats = ".npy, .json or .csv";
  let parse: (bytes: Uint8Array) => SequenceSet;
  switch (ext) {
    case ".npy":
      parse = (bytes) => parseNpy(file, bytes);
      break;
    case ".json":
      parse = (bytes) => parseJson(file, decodeText(file, bytes));
      break;
    case ".csv":
      parse = (bytes) => parseCsv(file, decodeText(file, bytes));
      break;
    case ".npz":
      throw inputError(file, `.npz archives are not supported; save one array with numpy.save as ${formats}`);
    case "":
      throw inputError(file, `has no extension to tell its format; supported data formats are ${formats}`);
    default:
      throw inputError(file, `has unsupported data format "${ext}"; supported data formats are ${formats}`);
  }

  const set = parse(readBytes(file));
  if (opts.features !== undefined && set.features !== opts.features) {
    throw inputError(file, `has ${set.features} features per step but the model expects ${opts.features}`);
  }
  if (opts.steps !== undefined) {
    const k = set.sequences.findIndex((q) => q.steps !== opts.steps);
    if (k >= 0) {
      const n = set.sequences[k]!.steps;
      throw inputError(file, `sequence ${k} has ${n} step${n === 1 ? "" : "s"}, but the model's head flattens exactly ${opts.steps} (every sequence must have ${opts.steps})`);
    }
  }
  return set;
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    switch (code) {
      case "ENOENT":
        throw inputError(file, "no such file");
      case "EISDIR":
        throw inputError(file, "is a directory, not a data file");
      case "EACCES":
      case "EPERM":
        throw inputError(file, "cannot be read (permission denied)");
      case "ERR_FS_FILE_TOO_LARGE":
        throw inputError(file, "is too large to read");
      default:
        throw inputError(file, `cannot be read (${code ?? (e instanceof Error ? e.message : String(e))})`);
    }
  }
}

function decodeText(file: string, bytes: Uint8Array): string {
  try {
    // fatal: reject invalid UTF-8 instead of inventing U+FFFD; a leading byte-order mark is dropped.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw inputError(file, "is too large to read as text");
    throw inputError(file, "is not valid UTF-8 text");
  }
}
