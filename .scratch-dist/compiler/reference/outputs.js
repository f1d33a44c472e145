/**
 * Assemble a model's graph outputs from per-sequence runs. Shared by every engine: an engine produces one
 * `SequenceRun` per input sequence (float or dequantized values) and this module lays them out as the source
 * model's output tensors, with the batch (sequence) axis first.
 */
import { inputError } from "../errors.js";
import { headOutputSize, numDirections } from "../ir/validate.js";
function source(model, out, steps) {
    const s = out.source;
    if (s.kind === "head") {
        const O = headOutputSize(model);
        const every = model.head?.reads === "every";
        return {
            sizes: every ? { time: steps, unit: O } : { unit: O },
            at: (run, i) => run.head[(every ? i.time * O : 0) + i.unit],
        };
    }
    const layer = model.layers[s.layer];
    const H = layer.hiddenSize;
    const D = numDirections(layer);
    if (s.kind === "sequence") {
        return {
            sizes: s.mergeDirections ? { time: steps, unit: D * H } : { time: steps, direction: D, unit: H },
            at: (run, i) => run.layers[s.layer].output[i.time * D * H + (i.direction ?? 0) * H + i.unit],
        };
    }
    const key = s.kind === "finalHidden" ? "finalH" : "finalC";
    return {
        sizes: { direction: D, unit: H },
        at: (run, i) => run.layers[s.layer][key][i.direction][i.unit],
    };
}
/** Lay out one output over all sequences. Every sequence must have the same length if the output has a time axis. */
export function assembleOutput(model, out, runs, file) {
    const steps = runs[0]?.steps ?? 0;
    const src = source(model, out, steps);
    if (src.sizes.time !== undefined && runs.some((r) => r.steps !== steps)) {
        throw inputError(file, `output '${out.name}' has a time axis but the sequences have different lengths; give sequences of one length`);
    }
    const axes = out.axes.filter((a) => a !== "batch");
    const dims = axes.map((a) => (a === "one" ? 1 : src.sizes[a] ?? 1));
    const per = dims.reduce((p, d) => p * d, 1);
    const data = new Float64Array(runs.length * per);
    // An axis the output does not have (squeezed away because it has size 1) reads at index 0.
    const idx = { time: 0, direction: 0, unit: 0 };
    runs.forEach((run, n) => {
        const counter = new Array(dims.length).fill(0);
        for (let k = 0; k < per; k++) {
            axes.forEach((a, j) => (idx[a] = counter[j]));
            data[n * per + k] = src.at(run, idx);
            for (let j = dims.length - 1; j >= 0; j--) {
                if (++counter[j] < dims[j])
                    break;
                counter[j] = 0;
            }
        }
    });
    return { name: out.name, shape: [runs.length, ...dims], data };
}
export function assembleOutputs(model, runs, file) {
    return model.outputs.map((o) => assembleOutput(model, o, runs, file));
}
