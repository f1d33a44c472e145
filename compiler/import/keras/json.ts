/**
 * `.json` models: three formats share the extension, told apart by their keys —
 * TF.js layers model (`modelTopology`/`weightsManifest`), RTNeural (`in_shape` + `layers`), Keras architecture
 * JSON (`class_name` + `config`, weights from an HDF5 file).
 */
import { inputError } from "../../errors.js";
import type { Model } from "../../ir/model.js";
import { importRtNeural } from "../rtneural/index.js";
import { importTfjs } from "../tfjs/index.js";
import { isObject, parseJsonText } from "./config.js";
import { decodeUtf8, readModelBytes } from "./files.js";
import { importKerasJson, type KerasJsonOptions } from "./index.js";

/** Largest model JSON read (256 MiB). */
const MAX_JSON_BYTES = 256 << 20;

export async function importModelJson(file: string, opts: KerasJsonOptions = {}): Promise<Model> {
  const bytes = readModelBytes(file);
  if (bytes.length > MAX_JSON_BYTES) throw inputError(file, `is ${bytes.length} bytes; model JSON files over ${MAX_JSON_BYTES} bytes are refused`);
  const json = parseJsonText(file, decodeUtf8(file, bytes, "the file"), "the file");
  if (isObject(json) && ("modelTopology" in json || "weightsManifest" in json)) return importTfjs(file, json);
  if (isObject(json) && "in_shape" in json && Array.isArray(json["layers"])) return importRtNeural(file, json);
  if (isObject(json) && typeof json["class_name"] === "string") return importKerasJson(file, json, opts);
  throw inputError(file, "is not a model JSON lstm-gen knows (TF.js layers model.json, Keras model.to_json() architecture, or RTNeural JSON)");
}
