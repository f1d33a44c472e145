/**
 * Model loading: picks the importer from the file's extension. Each importer turns one framework's file into the
 * IR and is the only place that knows that framework's conventions.
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import type { DenseActivation, Model } from "../ir/model.js";
import { importKerasArchive, importKerasH5 } from "./keras/index.js";
import { importModelJson } from "./keras/json.js";
import { importOnnx } from "./onnx/index.js";
import { importSafetensors } from "./safetensors/index.js";
import { importTflite } from "./tflite/index.js";

export interface ImportOptions {
  /** Extra facts the weights cannot tell (used by weight-only formats). */
  readonly head?: "last" | "every";
  readonly batchFirst?: boolean;
  /** safetensors: the activation after the nn.Linear head (default linear; e.g. "softmax"). */
  readonly headActivation?: DenseActivation;
  /**
   * Keras architecture JSON (`model.to_json()`): its HDF5 weights file (`save_weights`). Without it the importer
   * looks next to the JSON for `<stem>.weights.h5`, `<stem>.h5`, `<stem>_weights.h5`, `weights.h5`, `model.weights.h5`.
   */
  readonly weights?: string;
}

type Importer = (file: string, opts: ImportOptions) => Model | Promise<Model>;

const IMPORTERS: Readonly<Record<string, Importer>> = {
  ".onnx": (file) => importOnnx(file),
  ".h5": (file) => importKerasH5(file),
  ".hdf5": (file) => importKerasH5(file),
  ".keras": (file) => importKerasArchive(file),
  ".json": (file, opts) => importModelJson(file, opts.weights !== undefined ? { weights: opts.weights } : {}),
  ".tflite": (file) => importTflite(file),
  ".safetensors": (file, opts) => importSafetensors(file, opts),
};

/** Formats lstm-gen reads, for messages and `--help`. */
export const MODEL_FORMATS = Object.keys(IMPORTERS);

export async function loadModel(file: string, opts: ImportOptions = {}): Promise<Model> {
  if (!existsSync(file)) throw inputError(file, "no such file");
  const st = statSync(file);
  if (!st.isFile()) throw inputError(file, "is not a regular file");
  const ext = extname(file).toLowerCase();
  const importer = IMPORTERS[ext];
  if (!importer) {
    throw inputError(file, `unsupported model format "${ext || "(no extension)"}"; supported: ${MODEL_FORMATS.join(", ")}`);
  }
  if (st.size === 0) throw inputError(file, "is empty (0 bytes)");
  return importer(file, opts);
}
