/**
 * ONNX importer: a `.onnx` file with one or more LSTM nodes (and the glue that torch.onnx.export and tf2onnx
 * put around them) → the lstm-gen IR.
 *
 *   decode (proto.ts) → abstract interpretation of the graph (graph.ts; LSTM nodes via lstm.ts) → validateModel
 */
import { readFileSync } from "node:fs";
import { inputError } from "../../errors.js";
import type { Model } from "../../ir/model.js";
import { interpretModel } from "./graph.js";
import { decodeModel } from "./proto.js";

/** Import an ONNX model; reads `file` unless `bytes` are given (then `file` only names it in messages). */
export function importOnnx(file: string, bytes?: Uint8Array): Model {
  let data = bytes;
  if (!data) {
    try {
      data = readFileSync(file);
    } catch (e) {
      throw inputError(file, `cannot read the model: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return interpretModel(file, decodeModel(file, data), data.length);
}
