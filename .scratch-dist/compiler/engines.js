import { usageError } from "./errors.js";
import { dequantizeRun, quantizeInput, runGolden } from "./golden/golden.js";
import { runSequence } from "./reference/float.js";
import { assembleOutputs } from "./reference/outputs.js";
import { runCEngine } from "../targets/c/engine.js";
export const C_ENGINES = ["c", "qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc"];
export const ENGINES = ["float", "fixed", ...C_ENGINES];
export function parseEngine(name) {
    if (!ENGINES.includes(name)) {
        throw usageError(`unknown engine '${name}'; engines: ${ENGINES.join(", ")}`);
    }
    return name;
}
export function isIntegerEngine(e) {
    return e !== "float";
}
/**
 * An integer target returns only the model output, which must equal the golden model's bit for bit. Graph outputs
 * are built from the target's values only: the head output, or (without a head) the last layer's hidden sequence.
 * Outputs that need other states (a final cell state, an inner layer) are refused rather than silently taken from
 * the golden model.
 */
function targetRun(model, engine, golden, output) {
    const lastLayer = model.layers.length - 1;
    for (const o of model.outputs) {
        const s = o.source;
        const fromOutput = s.kind === "head" || (!model.head && s.kind === "sequence" && s.layer === lastLayer);
        if (!fromOutput) {
            throw usageError(`engine '${engine}' computes only the model's output; graph output '${o.name}' needs --engine fixed`);
        }
    }
    if (model.head)
        return { ...golden, output };
    const layers = golden.layers.map((l, k) => (k === lastLayer ? { ...l, output } : l));
    return { ...golden, layers, output };
}
export async function runEngine(engine, model, set, qm, opts = {}) {
    let runs;
    if (engine === "float") {
        runs = set.sequences.map((s) => runSequence(model, s.data, s.steps));
    }
    else {
        if (!qm)
            throw usageError(`engine '${engine}' needs a quantized model`);
        const golden = set.sequences.map((s) => runGolden(qm, quantizeInput(qm, s.data), s.steps));
        let ints = golden;
        if (engine !== "fixed") {
            const outs = await runCEngine(qm, golden.map((g) => ({ xq: g.input, steps: g.steps })), engine, { sanitize: opts.sanitize ?? false });
            ints = golden.map((g, k) => targetRun(model, engine, g, outs[k]));
        }
        runs = ints.map((r) => dequantizeRun(qm, r));
    }
    return assembleOutputs(model, runs, set.file);
}
