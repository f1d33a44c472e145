/**
 * Model loading: picks the importer from the file's extension. Each importer turns one framework's file into the
 * IR and is the only place that knows that framework's conventions.
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import { importOnnx } from "./onnx/index.js";
const IMPORTERS = {
    ".onnx": (file) => importOnnx(file),
};
/** Formats lstm-gen reads, for messages and `--help`. */
export const MODEL_FORMATS = Object.keys(IMPORTERS);
export function loadModel(file, opts = {}) {
    if (!existsSync(file))
        throw inputError(file, "no such file");
    if (!statSync(file).isFile())
        throw inputError(file, "is not a regular file");
    const ext = extname(file).toLowerCase();
    const importer = IMPORTERS[ext];
    if (!importer) {
        throw inputError(file, `unsupported model format "${ext || "(no extension)"}"; supported: ${MODEL_FORMATS.join(", ")}`);
    }
    return importer(file, opts);
}
