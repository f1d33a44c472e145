/**
 * TensorFlow.js layers models: `model.json` (`format: "layers-model"`, a Keras `modelTopology` and a
 * `weightsManifest`) plus binary weight shards next to it.
 *
 * Each manifest group's shards are concatenated in `paths` order; the group's weights lie back to back in it, in
 * manifest order. Weights are found **by name** (`<layer name>/…/kernel`, `…/recurrent_kernel`, `…/bias`), since
 * converters may list them alphabetically. float32 weights are read as is; `quantization` {uint8, uint16: q·scale +
 * min; float16} is dequantized. The layers are then built exactly as for Keras (`buildKerasModel`), with TF.js's
 * own hard_sigmoid (clip(0.2x + 0.5, 0, 1)).
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { inputError } from "../../errors.js";
import type { Model } from "../../ir/model.js";
import { MAX_ELEMENTS } from "../../ir/validate.js";
import { buildKerasModel, KERAS2_HARD_SIGMOID, type KerasWeights, type WeightTensor } from "../keras/build.js";
import { isObject, kerasMajor, parseModelConfig, type Json, type JsonObject, type KerasLayer } from "../keras/config.js";
import { readModelBytes } from "../keras/files.js";
import { halfToFloat } from "../float16.js";

interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
  readonly group: number;
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

function readManifest(file: string, m: Json | undefined): ManifestEntry[] {
  if (!Array.isArray(m)) throw inputError(file, "has no weightsManifest list");
  const out: ManifestEntry[] = [];
  m.forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g["weights"]) || !Array.isArray(g["paths"])) throw inputError(file, `weightsManifest group ${gi} has no 'paths' and 'weights'`);
    for (const w of g["weights"]) {
      if (!isObject(w) || typeof w["name"] !== "string" || !Array.isArray(w["shape"])) throw inputError(file, `weightsManifest group ${gi} has an entry without name or shape`);
      const shape = w["shape"];
      if (!shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) throw inputError(file, `weight '${w["name"]}' has a bad shape ${JSON.stringify(shape)}`);
      const dtype = typeof w["dtype"] === "string" ? w["dtype"] : "float32";
      const q = w["quantization"];
      const quantization = isObject(q) && typeof q["dtype"] === "string"
        ? { dtype: q["dtype"], ...(typeof q["scale"] === "number" ? { scale: q["scale"] } : {}), ...(typeof q["min"] === "number" ? { min: q["min"] } : {}) }
        : undefined;
      out.push({ name: w["name"], shape: shape as number[], dtype, ...(quantization ? { quantization } : {}), group: gi });
    }
  });
  return out;
}

/** Read all weights of the manifest from the shards next to `file`. */
function readWeights(file: string, manifest: Json, entries: readonly ManifestEntry[]): Map<string, WeightTensor> {
  const dir = dirname(file);
  const out = new Map<string, WeightTensor>();
  (manifest as readonly JsonObject[]).forEach((g, gi) => {
    const paths = g["paths"] as readonly Json[];
    const parts: Uint8Array[] = [];
    for (const p of paths) {
      if (typeof p !== "string" || p === "" || isAbsolute(p) || normalize(p).split(sep).includes("..") || p.includes("://")) {
        throw inputError(file, `weightsManifest group ${gi} names shard ${JSON.stringify(p)}; only relative paths next to the model.json are read`);
      }
      const shard = join(dir, p);
      if (!existsSync(shard)) throw inputError(file, `weight shard '${p}' is missing (looked for ${shard})`);
      parts.push(readModelBytes(shard, "the weight shard"));
    }
    const total = parts.reduce((n, b) => n + b.length, 0);
    const buf = new Uint8Array(total);
    let at = 0;
    for (const b of parts) {
      buf.set(b, at);
      at += b.length;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let offset = 0;
    for (const e of entries.filter((x) => x.group === gi)) {
      const count = e.shape.reduce((a, b) => a * b, 1);
      if (count > MAX_ELEMENTS) throw inputError(file, `weight '${e.name}' has ${count} values (more than ${MAX_ELEMENTS})`);
      const stored = e.quantization?.dtype ?? e.dtype;
      const size = BYTES[stored];
      if (size === undefined || (e.dtype !== "float32" && !e.quantization)) {
        throw inputError(file, `weight '${e.name}' has dtype '${stored}'; supported: float32, or quantized uint8/uint16/float16`);
      }
      const bytes = count * size;
      if (offset + bytes > total) throw inputError(file, `the weight shards of group ${gi} end before weight '${e.name}' (${total} bytes; is a shard truncated?)`);
      const data = new Float64Array(count);
      const q = e.quantization;
      for (let k = 0; k < count; k++) {
        const p = offset + k * size;
        let v: number;
        if (stored === "float32") v = view.getFloat32(p, true);
        else if (stored === "float16") v = halfToFloat(view.getUint16(p, true));
        else {
          const raw = stored === "uint8" ? view.getUint8(p) : view.getUint16(p, true);
          if (q?.scale === undefined || q.min === undefined) throw inputError(file, `weight '${e.name}' is ${stored}-quantized without scale and min`);
          v = raw * q.scale + q.min;
        }
        data[k] = v;
      }
      out.set(e.name, { name: e.name, shape: e.shape, data });
      offset += bytes;
    }
    if (offset !== total) throw inputError(file, `the weight shards of group ${gi} have ${total} bytes but the manifest describes ${offset}`);
  });
  return out;
}

/** Weights looked up by the `<layer name>/` prefix of their names. */
class NamedWeights implements KerasWeights {
  constructor(
    private readonly file: string,
    private readonly all: ReadonlyMap<string, WeightTensor>,
  ) {}

  get(layer: KerasLayer): readonly WeightTensor[] {
    const found = [...this.all.values()].filter((w) => w.name.startsWith(`${layer.name}/`));
    if (found.length === 0 && ["LSTM", "Bidirectional", "Dense", "TimeDistributed"].includes(layer.className)) {
      throw inputError(this.file, `has no weights named '${layer.name}/…' for layer '${layer.name}' (${layer.className}); manifest: ${[...this.all.keys()].join(", ")}`);
    }
    return found;
  }
}

/** A TF.js layers model; `json` is the parsed model.json. */
export function importTfjs(file: string, json: Json): Model {
  if (!isObject(json)) throw inputError(file, "is not a TF.js model.json object");
  const format = json["format"];
  if (format === "graph-model") throw inputError(file, "is a TF.js graph model; lstm-gen reads TF.js layers models (format 'layers-model')");
  if (format !== undefined && format !== "layers-model") throw inputError(file, `has TF.js format '${String(format)}'; lstm-gen reads 'layers-model'`);
  const topo = json["modelTopology"];
  if (!isObject(topo)) throw inputError(file, "has no modelTopology");
  const modelConfig = isObject(topo["model_config"]) ? topo["model_config"] : topo;
  const cfg = parseModelConfig(file, modelConfig);
  const entries = readManifest(file, json["weightsManifest"]);
  const weights = readWeights(file, json["weightsManifest"]!, entries);
  const version = typeof topo["keras_version"] === "string" ? topo["keras_version"] : undefined;
  const conventions = ["weights found by name in the TF.js weightsManifest (<layer>/…/kernel, recurrent_kernel, bias)"];
  if (entries.some((e) => e.quantization)) conventions.push("quantized weights dequantized (uint8/uint16: q·scale + min; float16 widened)");
  let rule = "TF.js rule: hard_sigmoid = clip(0.2x + 0.5, 0, 1) (what the TF.js runtime computes)";
  if ((kerasMajor(version) ?? 0) >= 3) rule += `; note the model came from keras_version ${version}, whose own hard_sigmoid is clip(x/6 + 0.5, 0, 1)`;
  const producer = [json["generatedBy"], json["convertedBy"]].filter((s): s is string => typeof s === "string").join(", ");
  return buildKerasModel(
    { file, format: "tfjs-layers", ...(producer ? { producer } : {}), conventions, hardSigmoid: { ...KERAS2_HARD_SIGMOID, rule } },
    cfg,
    new NamedWeights(file, weights),
  );
}
