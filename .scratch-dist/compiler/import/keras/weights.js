/**
 * Where Keras HDF5 files keep layer weights.
 *
 * - Legacy layout (Keras 2 `model.save('m.h5')` under `model_weights/`, `save_weights('w.h5')` at the root):
 *   attribute `layer_names` lists the layers in model order; each layer group has `weight_names` listing its
 *   datasets in Keras order (`lstm_9/lstm_cell_9/kernel:0`, …).
 * - Keras 3 layout (`model.weights.h5` in a `.keras` archive, `save_weights('m.weights.h5')`):
 *   `layers/<snake_case class name>[_<n>]/…/vars/<k>`, numbered per class in model order; the LSTM's variables
 *   are under `cell/`, a Bidirectional's under `forward_layer/cell/` and `backward_layer/cell/`, a
 *   TimeDistributed's under `layer/`. (Keras 2.13–2.15 archives use `_layer_checkpoint_dependencies/`.)
 */
import { inputError } from "../../errors.js";
/** Classes that never have weights (so they are skipped when weights are matched by order). */
const WEIGHTLESS = new Set([
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
    "Activation",
    "Softmax",
    "Flatten",
    "Masking",
    "Reshape",
    "Permute",
    "RepeatVector",
    "Lambda",
]);
function join(...parts) {
    return parts.filter((p) => p !== "" && p !== "/").join("/");
}
/** Legacy Keras HDF5 weights (full model under `model_weights`, or a save_weights file at the root). */
export class LegacyH5Weights {
    h5;
    root;
    chain;
    conventions;
    map;
    fileLayers;
    constructor(h5, root, chain, 
    /** Receives a note on how layers were matched. */
    conventions) {
        this.h5 = h5;
        this.root = root;
        this.chain = chain;
        this.conventions = conventions;
        const names = h5.stringListAttr(root || "/", "layer_names");
        if (names.length === 0)
            throw inputError(h5.file, `has no 'layer_names' attribute${root ? ` on '${root}'` : ""}; is it a Keras weights file?`);
        this.fileLayers = names.map((name) => ({ name, weights: h5.kind(join(root, name)) === "group" ? h5.stringListAttr(join(root, name), "weight_names") : [] }));
    }
    /** Match chain layers to file layers once: by name when every weighted chain layer is in the file, else by order. */
    match() {
        if (this.map)
            return this.map;
        const withWeights = this.fileLayers.filter((l) => l.weights.length > 0);
        const wanted = this.chain.filter((l) => !WEIGHTLESS.has(l.className));
        const fileNames = new Set(withWeights.map((l) => l.name));
        const map = new Map();
        if (wanted.every((l) => fileNames.has(l.name))) {
            for (const l of wanted)
                map.set(l.name, l.name);
            this.conventions.push("weights matched to layers by name");
        }
        else if (wanted.length === withWeights.length) {
            wanted.forEach((l, k) => map.set(l.name, withWeights[k].name));
            const pairs = wanted.map((l, k) => `${l.name}←${withWeights[k].name}`).join(", ");
            this.conventions.push(`layer names differ between architecture and weights, so weights were matched by layer order (as Keras load_weights(by_name=False)): ${pairs}`);
        }
        else {
            throw inputError(this.h5.file, `has ${withWeights.length} layer(s) with weights (${withWeights.map((l) => l.name).join(", ")}) but the model has ${wanted.length} (${wanted.map((l) => l.name).join(", ")}); their names differ, so they cannot be matched`);
        }
        this.map = map;
        return map;
    }
    get(layer) {
        const group = this.match().get(layer.name);
        if (group === undefined)
            return [];
        const entry = this.fileLayers.find((l) => l.name === group);
        return entry.weights.map((w) => ({ name: w, ...this.h5.dataset(join(this.root, group, w)) }));
    }
}
/** keras.src.utils.naming.to_snake_case. */
export function toSnakeCase(name) {
    return name
        .replace(/\W+/g, "")
        .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
        .replace(/([a-z])([A-Z])/g, "$1_$2")
        .toLowerCase();
}
/** Keras 3 weights (`layers/<class>_<n>/…/vars/<k>`). */
export class Keras3Weights {
    h5;
    root;
    paths = new Map();
    constructor(h5, chain) {
        this.h5 = h5;
        const top = h5.keys("/");
        this.root = top.includes("layers") ? "layers" : top.includes("_layer_checkpoint_dependencies") ? "_layer_checkpoint_dependencies" : "";
        if (!this.root)
            throw inputError(h5.file, `has no 'layers' group (found: ${top.join(", ") || "nothing"}); is it a Keras 3 weights file?`);
        // Keras names each layer's group after its class, numbered per class in model order (not after layer.name).
        const used = new Map();
        for (const l of chain) {
            const base = toSnakeCase(l.className);
            const n = used.get(base);
            used.set(base, n === undefined ? 0 : n + 1);
            this.paths.set(l.name, n === undefined ? base : `${base}_${n + 1}`);
        }
    }
    vars(path) {
        if (this.h5.kind(path) !== "group")
            return [];
        const keys = this.h5.keys(path).filter((k) => /^\d+$/.test(k));
        keys.sort((a, b) => Number(a) - Number(b));
        return keys.map((k) => ({ name: `${path}/${k}`, ...this.h5.dataset(`${path}/${k}`) }));
    }
    get(layer) {
        let base = join(this.root, this.paths.get(layer.name) ?? layer.name);
        if (this.h5.kind(base) !== "group" && this.h5.kind(join(this.root, layer.name)) === "group")
            base = join(this.root, layer.name);
        if (this.h5.kind(base) !== "group") {
            if (WEIGHTLESS.has(layer.className))
                return [];
            throw inputError(this.h5.file, `has no weights for layer '${layer.name}' (${layer.className}) at '${base}' (found: ${this.h5.keys(this.root).join(", ")})`);
        }
        switch (layer.className) {
            case "LSTM":
                return this.vars(`${base}/cell/vars`);
            case "Bidirectional":
                return [...this.vars(`${base}/forward_layer/cell/vars`), ...this.vars(`${base}/backward_layer/cell/vars`)];
            case "TimeDistributed":
                return this.vars(`${base}/layer/vars`);
            default:
                return this.vars(`${base}/vars`);
        }
    }
}
/** The weights of a Keras HDF5 weights file in whichever layout it uses. */
export function weightsFromH5(h5, root, chain, conventions) {
    if (h5.attr(root || "/", "layer_names") !== undefined)
        return new LegacyH5Weights(h5, root, chain, conventions);
    conventions.push("Keras 3 weights layout: layers/<class>_<n>/vars, matched to layers by class and order");
    return new Keras3Weights(h5, chain);
}
