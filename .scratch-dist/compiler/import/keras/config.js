/**
 * Keras model configurations (the JSON of `model.to_json()`, the `model_config` attribute of a legacy HDF5 file,
 * `config.json` in a Keras 3 archive, `modelTopology` in a TF.js model.json) → the list of layers from the input to
 * the output.
 *
 * Accepted: `Sequential` (Keras 2.0–2.1 list form, tf.keras dict form, Keras 3 form) and `Functional`/`Model`
 * graphs that are a single chain (one input, one output, every layer called once on the previous one's output).
 */
import { inputError } from "../../errors.js";
export function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
/** Parse JSON text, mapping a syntax error to an input error. */
export function parseJsonText(file, text, what) {
    try {
        return JSON.parse(text);
    }
    catch (e) {
        throw inputError(file, `${what} is not valid JSON (${e.message})`);
    }
}
/** Keras's major version from a `keras_version` string ("2.4.0", "3.3.3", "tfjs-layers 4.22.0"); undefined if unknown. */
export function kerasMajor(version) {
    const m = version === undefined ? null : /^(\d+)\./.exec(version.trim());
    return m ? Number(m[1]) : undefined;
}
function layerName(entry, config, k) {
    const n = entry["name"] ?? config["name"];
    return typeof n === "string" ? n : `layer_${k}`;
}
function toLayer(file, entry, k) {
    if (!isObject(entry) || typeof entry["class_name"] !== "string") {
        throw inputError(file, `the model config's layer ${k} has no class_name`);
    }
    const config = isObject(entry["config"]) ? entry["config"] : {};
    return { className: entry["class_name"], name: layerName(entry, config, k), config, entry };
}
function shapeOf(v) {
    if (!Array.isArray(v))
        return undefined;
    if (!v.every((d) => d === null || (typeof d === "number" && Number.isInteger(d) && d >= 0)))
        return undefined;
    return v;
}
/** The batch input shape stated by an InputLayer or the first layer (Keras 2: batch_input_shape; Keras 3: batch_shape). */
function statedInputShape(layers, modelConfig) {
    for (const l of layers.slice(0, 2)) {
        const s = shapeOf(l.config["batch_input_shape"]) ?? shapeOf(l.config["batch_shape"]);
        if (s)
            return s;
    }
    return shapeOf(modelConfig?.["build_input_shape"]);
}
/** Parse a model config object: `{class_name, config, ...}` at the top. */
export function parseModelConfig(file, top) {
    if (!isObject(top) || typeof top["class_name"] !== "string") {
        throw inputError(file, "the model config has no class_name; is this a Keras model?");
    }
    const cls = top["class_name"];
    const config = top["config"];
    if (cls === "Sequential")
        return parseSequential(file, config);
    if (cls === "Functional" || cls === "Model")
        return parseFunctional(file, cls, config);
    throw inputError(file, `the model is a '${cls}'; lstm-gen reads Sequential and Functional Keras models`);
}
function parseSequential(file, config) {
    // Keras 2.0–2.1 wrote the layer list directly as the config.
    const list = Array.isArray(config) ? config : isObject(config) ? config["layers"] : undefined;
    if (!Array.isArray(list))
        throw inputError(file, "the Sequential model config has no layer list");
    const layers = list.map((e, k) => toLayer(file, e, k));
    if (layers.length === 0)
        throw inputError(file, "the Sequential model has no layers");
    const first = layers[0];
    const last = layers[layers.length - 1];
    const shape = statedInputShape(layers, isObject(config) ? config : undefined);
    return {
        modelClass: "Sequential",
        layers: layers.map(({ className, name, config: c }) => ({ className, name, config: c })),
        ...(shape ? { inputShape: shape } : {}),
        inputName: first.className === "InputLayer" ? first.name : "input",
        outputName: last.name,
    };
}
/** Normalize `input_layers`/`output_layers`: [[name, node, tensor], …] or (Keras 3, one tensor) [name, node, tensor]. */
function endpoints(v) {
    if (!Array.isArray(v))
        return [];
    if (typeof v[0] === "string")
        return [v[0]];
    return v.map((e) => (Array.isArray(e) && typeof e[0] === "string" ? e[0] : "")).filter((s) => s !== "");
}
/** Names of the layers whose outputs feed one call of a layer (Keras 2 and Keras 3 inbound_nodes forms). */
function inboundNodes(file, layer) {
    const nodes = layer.entry["inbound_nodes"];
    if (!Array.isArray(nodes))
        return [];
    return nodes.map((node) => {
        // Keras 2: [[name, node_index, tensor_index, kwargs], …]
        if (Array.isArray(node)) {
            return node.map((t) => {
                if (!Array.isArray(t) || typeof t[0] !== "string") {
                    throw inputError(file, `layer '${layer.name}' has an unreadable inbound node`);
                }
                const kwargs = t[3];
                if (isObject(kwargs) && Object.keys(kwargs).some((k) => k !== "training" && k !== "mask")) {
                    throw inputError(file, `layer '${layer.name}' (${layer.className}) is called with extra inputs (${Object.keys(kwargs).join(", ")}); not supported`);
                }
                return t[0];
            });
        }
        // Keras 3: {args: [...keras tensors...], kwargs: {...}}
        if (isObject(node)) {
            const names = [];
            collectHistory(node["args"], names);
            const extra = [];
            collectHistory(node["kwargs"], extra);
            if (extra.length > 0) {
                throw inputError(file, `layer '${layer.name}' (${layer.className}) is called with extra tensor arguments; not supported`);
            }
            return names;
        }
        throw inputError(file, `layer '${layer.name}' has an unreadable inbound node`);
    });
}
function collectHistory(v, out) {
    if (Array.isArray(v)) {
        for (const x of v)
            collectHistory(x, out);
    }
    else if (isObject(v)) {
        const cfg = v["config"];
        if (v["class_name"] === "__keras_tensor__" && isObject(cfg) && Array.isArray(cfg["keras_history"])) {
            const n = cfg["keras_history"][0];
            if (typeof n === "string")
                out.push(n);
            return;
        }
        for (const x of Object.values(v))
            collectHistory(x, out);
    }
}
function parseFunctional(file, cls, config) {
    if (!isObject(config) || !Array.isArray(config["layers"])) {
        throw inputError(file, `the ${cls} model config has no layer list`);
    }
    const all = config["layers"].map((e, k) => toLayer(file, e, k));
    const byName = new Map(all.map((l) => [l.name, l]));
    const inputs = endpoints(config["input_layers"]);
    const outputs = endpoints(config["output_layers"]);
    if (inputs.length !== 1 || outputs.length !== 1) {
        throw inputError(file, `the ${cls} model has ${inputs.length} input(s) and ${outputs.length} output(s); lstm-gen reads models with one of each`);
    }
    const chain = [];
    let at = byName.get(outputs[0]);
    const seen = new Set();
    while (at) {
        if (seen.has(at.name))
            throw inputError(file, `the ${cls} model has a cycle at layer '${at.name}'`);
        seen.add(at.name);
        chain.push(at);
        const nodes = inboundNodes(file, at);
        if (nodes.length === 0)
            break;
        if (nodes.length > 1)
            throw inputError(file, `layer '${at.name}' (${at.className}) is called ${nodes.length} times (shared layers are not supported)`);
        const ins = nodes[0];
        if (ins.length !== 1)
            throw inputError(file, `layer '${at.name}' (${at.className}) takes ${ins.length} inputs; lstm-gen reads a single chain of layers`);
        const prev = byName.get(ins[0]);
        if (!prev)
            throw inputError(file, `layer '${at.name}' reads from unknown layer '${ins[0]}'`);
        at = prev;
    }
    if (!at)
        throw inputError(file, `the ${cls} model's output layer '${outputs[0]}' is not in its layer list`);
    chain.reverse();
    if (chain[0].name !== inputs[0]) {
        throw inputError(file, `the ${cls} model's chain starts at '${chain[0].name}', not at its input '${inputs[0]}'`);
    }
    const off = all.find((l) => !seen.has(l.name));
    if (off)
        throw inputError(file, `layer '${off.name}' (${off.className}) is not on the path from input to output; lstm-gen reads a single chain of layers`);
    const shape = statedInputShape(chain, config);
    return {
        modelClass: cls,
        layers: chain.map(({ className, name, config: c }) => ({ className, name, config: c })),
        ...(shape ? { inputShape: shape } : {}),
        inputName: chain[0].name,
        outputName: chain[chain.length - 1].name,
    };
}
