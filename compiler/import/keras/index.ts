/**
 * Keras importers:
 * - `importKerasH5`: a legacy full-model HDF5 file (`model.save('m.h5')`): `model_config` attribute + `model_weights`;
 * - `importKerasJson`: an architecture JSON (`model.to_json()`) + an HDF5 weights file (`save_weights`), given with
 *   `ImportOptions.weights` or found next to the JSON;
 * - `importKerasArchive`: a Keras 3 `.keras` zip (`config.json` + `model.weights.h5` + `metadata.json`).
 * Each only locates the config and the weights; `buildKerasModel` turns them into the IR. Optimizer state, training
 * config and unknown groups are never read.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { inputError } from "../../errors.js";
import type { Model } from "../../ir/model.js";
import { buildKerasModel, hardSigmoidFor } from "./build.js";
import { isObject, kerasMajor, parseJsonText, parseModelConfig, type Json } from "./config.js";
import { decodeUtf8, readModelBytes } from "./files.js";
import { Hdf5Reader } from "./hdf5.js";
import { weightsFromH5 } from "./weights.js";
import { ZipReader } from "./zip.js";

export interface KerasJsonOptions {
  /** The HDF5 weights file for an architecture JSON. */
  readonly weights?: string;
}

function producerOf(version: string | undefined, backend: string | undefined): string | undefined {
  if (!version) return undefined;
  return backend ? `keras ${version} (${backend} backend)` : `keras ${version}`;
}

function weightsOnlyHint(file: string): string {
  return `is a Keras weights-only file (save_weights); give the architecture JSON (model.to_json()) as the model and this file as its weights (--weights-file ${basename(file)})`;
}

/** A legacy Keras full-model HDF5 file. */
export async function importKerasH5(file: string, bytes = readModelBytes(file)): Promise<Model> {
  const h5 = await Hdf5Reader.open(file, bytes, "a Keras HDF5 file");
  try {
    const configText = h5.stringAttr("/", "model_config");
    if (configText === undefined) {
      const top = h5.keys("/");
      if (h5.attr("/", "layer_names") !== undefined || top.includes("layers") || top.includes("vars")) throw inputError(file, weightsOnlyHint(file));
      throw inputError(file, "is an HDF5 file without a Keras 'model_config' attribute; is it a Keras model saved with model.save('m.h5')?");
    }
    const cfg = parseModelConfig(file, parseJsonText(file, configText, "the model_config attribute"));
    if (h5.kind("model_weights") !== "group") throw inputError(file, "has a model_config but no 'model_weights' group");
    const version = h5.stringAttr("/", "keras_version") ?? h5.stringAttr("model_weights", "keras_version");
    const backend = h5.stringAttr("/", "backend") ?? h5.stringAttr("model_weights", "backend");
    const conventions: string[] = [];
    const weights = weightsFromH5(h5, "model_weights", cfg.layers, conventions);
    return buildKerasModel(
      { file, format: "keras-h5", producer: producerOf(version, backend), conventions, hardSigmoid: hardSigmoidFor(version, kerasMajor(version), 2, "the file") },
      cfg,
      weights,
    );
  } finally {
    h5.close();
  }
}

/** Sibling weights files tried for `dir/stem.json`, in order. */
export function weightsCandidates(file: string): string[] {
  const dir = dirname(file);
  const stem = basename(file).replace(/\.json$/i, "");
  return [`${stem}.weights.h5`, `${stem}.h5`, `${stem}_weights.h5`, "weights.h5", "model.weights.h5"].map((n) => join(dir, n));
}

/** A Keras architecture JSON (`model.to_json()`) plus its HDF5 weights. */
export async function importKerasJson(file: string, json: Json, opts: KerasJsonOptions = {}): Promise<Model> {
  if (!isObject(json)) throw inputError(file, "is not a Keras model JSON object");
  const cfg = parseModelConfig(file, json);
  let weightsFile = opts.weights;
  const conventions: string[] = [];
  if (weightsFile === undefined) {
    const candidates = weightsCandidates(file);
    weightsFile = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (weightsFile === undefined) {
      throw inputError(
        file,
        `is a Keras architecture JSON without weights; give the HDF5 weights file (--weights-file <file.h5>) or put it next to the JSON as one of: ${candidates.map((c) => basename(c)).join(", ")}`,
      );
    }
    conventions.push(`weights read from ${basename(weightsFile)}, found next to the architecture JSON`);
  } else {
    conventions.push(`weights read from ${weightsFile}`);
  }
  const version = typeof json["keras_version"] === "string" ? json["keras_version"] : undefined;
  const backend = typeof json["backend"] === "string" ? json["backend"] : undefined;
  const h5 = await Hdf5Reader.open(weightsFile, readModelBytes(weightsFile, "the weights"), "a Keras HDF5 weights file");
  try {
    const fileVersion = version ?? h5.stringAttr("/", "keras_version");
    const weights = weightsFromH5(h5, "", cfg.layers, conventions);
    return buildKerasModel(
      {
        file,
        format: "keras-json+h5",
        producer: producerOf(fileVersion, backend ?? h5.stringAttr("/", "backend")),
        conventions,
        hardSigmoid: hardSigmoidFor(fileVersion, kerasMajor(fileVersion), 2, "the JSON or the weights"),
      },
      cfg,
      weights,
    );
  } finally {
    h5.close();
  }
}

/** A Keras 3 `.keras` archive. */
export async function importKerasArchive(file: string, bytes = readModelBytes(file)): Promise<Model> {
  const zip = new ZipReader(file, bytes);
  if (!zip.has("config.json")) throw inputError(file, "has no config.json; is it a Keras 3 .keras archive?");
  const config = parseJsonText(file, decodeUtf8(file, zip.read("config.json"), "config.json"), "config.json");
  let version: string | undefined;
  if (zip.has("metadata.json")) {
    const meta = parseJsonText(file, decodeUtf8(file, zip.read("metadata.json"), "metadata.json"), "metadata.json");
    if (isObject(meta) && typeof meta["keras_version"] === "string") version = meta["keras_version"];
  }
  const cfg = parseModelConfig(file, config);
  if (!zip.has("model.weights.h5")) {
    if (zip.has("model.weights.npz")) throw inputError(file, "stores its weights as model.weights.npz; only model.weights.h5 is supported");
    throw inputError(file, "has no model.weights.h5");
  }
  const h5 = await Hdf5Reader.open(`${file}:model.weights.h5`, zip.read("model.weights.h5"), "a Keras HDF5 weights file");
  try {
    const conventions: string[] = [];
    const weights = weightsFromH5(h5, "", cfg.layers, conventions);
    return buildKerasModel(
      {
        file,
        format: "keras-v3",
        producer: producerOf(version, undefined),
        conventions,
        hardSigmoid: hardSigmoidFor(version, kerasMajor(version), 3, "metadata.json"),
      },
      cfg,
      weights,
    );
  } finally {
    h5.close();
  }
}
