/**
 * Model loading: picks the importer from the file's extension. Each importer turns one framework's file into the
 * IR and is the only place that knows that framework's conventions.
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import type { Model } from "../ir/model.js";
import { importOnnx } from "./onnx/index.js";

export interface ImportOptions {
  /** Extra facts the weights cannot tell (used by weight-only formats). */
  readonly head?: "last" | "every";
  readonly batchFirst?: boolean;
}

type Importer = (file: string, opts: ImportOptions) => Model;

const IMPORTERS: Readonly<Record<string, Importer>> = {
  ".onnx": (file) => importOnnx(file),
};

/** Formats lstm-gen reads, for messages and `--help`. */
export const MODEL_FORMATS = Object.keys(IMPORTERS);

export function loadModel(file: string, opts: ImportOptions = {}): Model {
  if (!existsSync(file)) throw inputError(file, "no such file");
  if (!statSync(file).isFile()) throw inputError(file, "is not a regular file");
  const ext = extname(file).toLowerCase();
  const importer = IMPORTERS[ext];
  if (!importer) {
    throw inputError(file, `unsupported model format "${ext || "(no extension)"}"; supported: ${MODEL_FORMATS.join(", ")}`);
  }
  return importer(file, opts);
}
