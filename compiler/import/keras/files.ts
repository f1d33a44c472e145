/** Reading model files with one-line errors (shared by the Keras, TF.js, RTNeural, TFLite and safetensors importers). */
import { readFileSync } from "node:fs";
import { inputError } from "../../errors.js";

/** Largest model file read into memory (2 GiB, Node's Buffer limit). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

export function readModelBytes(file: string, what = "the model"): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw inputError(file, "no such file");
    if (code === "EISDIR") throw inputError(file, "is a directory, not a file");
    if (code === "ERR_FS_FILE_TOO_LARGE") throw inputError(file, `is too large to read (more than ${MAX_MODEL_BYTES} bytes)`);
    throw inputError(file, `cannot read ${what}: ${code ?? (e as Error).message}`);
  }
}

export function decodeUtf8(file: string, bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw inputError(file, `${what} is not UTF-8 text`);
  }
}
