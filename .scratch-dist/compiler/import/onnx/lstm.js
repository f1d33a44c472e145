/**
 * The ONNX LSTM operator → one IR `LstmLayer`. This is the only place that knows the ONNX gate order:
 * W [dirs, 4H, I], R [dirs, 4H, H] and B [dirs, 8H] (= Wb then Rb) hold the gates in the order i, o, f, c;
 * P [dirs, 3H] holds the peepholes in the order i, o, f. The two biases are summed into the IR's one bias.
 */
import { inputError } from "../../errors.js";
import { matrix } from "../../ir/validate.js";
/** ONNX gate blocks in storage order. */
const ONNX_GATES = ["input", "output", "forget", "cell"];
/** ONNX peephole blocks in storage order. */
const ONNX_PEEPHOLES = ["input", "output", "forget"];
export const GATE_CONVENTION = "ONNX gate order i,o,f,c → input, forget, cell, output; B = Wb + Rb summed";
export const PEEPHOLE_CONVENTION = "ONNX peephole order i,o,f → input, output, forget (i, f see c(t-1); o sees c(t))";
const KNOWN_ATTRIBUTES = new Set([
    "activation_alpha",
    "activation_beta",
    "activations",
    "clip",
    "direction",
    "hidden_size",
    "input_forget",
    "layout",
]);
/**
 * Activation names of the ONNX RNN operators, with which of alpha/beta they consume and the defaults of the
 * corresponding ONNX operators. ScaledTanh and Affine were experimental operators; their defaults here
 * (1, 1 and 1, 0) are lstm-gen's choice, noted in the conventions when used (onnxruntime uses 0 for every
 * parameter without a default, and 0 for ThresholdedRelu and Affine as well).
 */
const ACTIVATIONS = {
    sigmoid: { make: () => ({ kind: "sigmoid" }) },
    tanh: { make: () => ({ kind: "tanh" }) },
    relu: { make: () => ({ kind: "relu" }) },
    softsign: { make: () => ({ kind: "softsign" }) },
    softplus: { make: () => ({ kind: "softplus" }) },
    affine: { alpha: 1, beta: 0, make: (alpha, beta) => ({ kind: "affine", alpha, beta }) },
    leakyrelu: { alpha: 0.01, make: (alpha) => ({ kind: "leakyRelu", alpha }) },
    thresholdedrelu: { alpha: 1, make: (alpha) => ({ kind: "thresholdedRelu", alpha }) },
    scaledtanh: { alpha: 1, beta: 1, make: (alpha, beta) => ({ kind: "scaledTanh", alpha, beta }) },
    hardsigmoid: { alpha: 0.2, beta: 0.5, make: (alpha, beta) => ({ kind: "hardSigmoid", alpha, beta }) },
    elu: { alpha: 1, make: (alpha) => ({ kind: "elu", alpha }) },
};
/** Which defaults are lstm-gen's choice rather than an ONNX operator's (see ACTIVATIONS). */
const CHOSEN_DEFAULTS = new Set(["affine", "scaledtanh", "thresholdedrelu"]);
export function readLstmAttributes(file, where, attrs, notes) {
    for (const name of attrs.names()) {
        if (!KNOWN_ATTRIBUTES.has(name))
            throw inputError(file, `${where} has attribute '${name}', which lstm-gen does not know`);
    }
    const dirName = attrs.string("direction") ?? "forward";
    if (dirName !== "forward" && dirName !== "reverse" && dirName !== "bidirectional") {
        throw inputError(file, `${where} has direction '${dirName}'; expected forward, reverse or bidirectional`);
    }
    const direction = dirName;
    const dirs = direction === "bidirectional" ? 2 : 1;
    const layout = attrs.int("layout") ?? 0;
    if (layout !== 0 && layout !== 1)
        throw inputError(file, `${where} has layout ${layout}; expected 0 or 1`);
    const clip = attrs.float("clip");
    if (clip !== undefined && !(clip > 0 && Number.isFinite(clip))) {
        throw inputError(file, `${where} has clip ${clip}; expected a positive number`);
    }
    const hiddenSize = attrs.int("hidden_size");
    const inputForget = (attrs.int("input_forget") ?? 0) !== 0;
    let names = attrs.strings("activations") ?? [];
    if (names.length === 0)
        names = new Array(dirs).fill(["Sigmoid", "Tanh", "Tanh"]).flat();
    // onnxruntime accepts 3 names for a bidirectional layer and uses them for both directions.
    if (names.length === 3 && dirs === 2)
        names = [...names, ...names];
    if (names.length !== 3 * dirs) {
        throw inputError(file, `${where} lists ${names.length} activations; a ${direction} LSTM needs ${3 * dirs}`);
    }
    const alphas = attrs.floats("activation_alpha") ?? [];
    const betas = attrs.floats("activation_beta") ?? [];
    let ai = 0;
    let bi = 0;
    const acts = names.map((raw) => {
        const key = raw.toLowerCase();
        const spec = Object.hasOwn(ACTIVATIONS, key) ? ACTIVATIONS[key] : undefined;
        if (!spec)
            throw inputError(file, `${where} uses activation '${raw}', which lstm-gen does not support`);
        // Like onnxruntime: alpha/beta values are consumed in order, only by the functions that take them.
        let alpha = 0;
        let beta = 0;
        if (spec.alpha !== undefined) {
            if (ai < alphas.length)
                alpha = alphas[ai++];
            else {
                alpha = spec.alpha;
                if (CHOSEN_DEFAULTS.has(key))
                    notes.push(`${where}: activation ${raw} has no activation_alpha; used alpha = ${alpha}`);
            }
        }
        if (spec.beta !== undefined) {
            if (bi < betas.length)
                beta = betas[bi++];
            else {
                beta = spec.beta;
                if (CHOSEN_DEFAULTS.has(key))
                    notes.push(`${where}: activation ${raw} has no activation_beta; used beta = ${beta}`);
            }
        }
        return spec.make(alpha, beta);
    });
    if (ai < alphas.length || bi < betas.length) {
        throw inputError(file, `${where} has more activation_alpha/activation_beta values than its activations use`);
    }
    const activations = [];
    for (let d = 0; d < dirs; d++) {
        activations.push({ gate: acts[3 * d], cell: acts[3 * d + 1], hidden: acts[3 * d + 2] });
    }
    return {
        direction,
        dirs,
        layout,
        inputForget,
        activations,
        ...(hiddenSize !== undefined ? { hiddenSize } : {}),
        ...(clip !== undefined ? { clip } : {}),
    };
}
function expectDims(file, what, c, dims) {
    if (c.dims.length !== dims.length || c.dims.some((d, k) => d !== dims[k])) {
        throw inputError(file, `${what} has shape [${c.dims.join(", ")}], expected [${dims.join(", ")}]`);
    }
}
/**
 * Per-direction initial state (length H) from an ONNX initial_h / initial_c ([dirs, batch, H], or
 * [batch, dirs, H] with layout 1). lstm-gen gives every sequence the same initial state, so the rows of a
 * constant must agree across the batch. Returns undefined for an all-zero state.
 */
export function initialState(file, what, v, layout, dirs, H, notes) {
    const dAxis = layout === 0 ? 0 : 1;
    const bAxis = 1 - dAxis;
    if (v.kind === "fill") {
        const bad = v.dims.length !== 3 || v.dims[dAxis] !== dirs || v.dims[2] !== H;
        if (bad || typeof v.value !== "number") {
            throw inputError(file, `${what} does not have the shape of a ${layout === 0 ? "[directions, batch, hidden]" : "[batch, directions, hidden]"} state`);
        }
        const value = v.value;
        return value === 0 ? undefined : Array.from({ length: dirs }, () => new Float64Array(H).fill(value));
    }
    if (v.dims.length !== 3 || v.dims[dAxis] !== dirs || v.dims[2] !== H) {
        const want = layout === 0 ? `[${dirs}, batch, ${H}]` : `[batch, ${dirs}, ${H}]`;
        throw inputError(file, `${what} has shape [${v.dims.join(", ")}], expected ${want}`);
    }
    const batch = v.dims[bAxis];
    const at = (d, b, h) => v.data[(layout === 0 ? d * batch + b : b * dirs + d) * H + h];
    const states = [];
    for (let d = 0; d < dirs; d++) {
        const s = new Float64Array(H);
        for (let h = 0; h < H; h++)
            s[h] = at(d, 0, h);
        for (let b = 1; b < batch; b++) {
            for (let h = 0; h < H; h++) {
                if (at(d, b, h) !== s[h]) {
                    throw inputError(file, `${what} differs between batch rows 0 and ${b}; lstm-gen gives every sequence the same initial state`);
                }
            }
        }
        states.push(s);
    }
    if (batch > 1)
        notes.push(`${what}: the ${batch} batch rows are equal; every sequence starts from that state`);
    return states.every((s) => s.every((x) => x === 0)) ? undefined : states;
}
/** Build the IR layer from the node's attributes and constant inputs (shapes checked here). */
export function lstmLayer(file, where, name, attrs, t) {
    const D = attrs.dirs;
    if (t.W.dims.length !== 3 || t.R.dims.length !== 3) {
        throw inputError(file, `${where}: W and R must have rank 3, got [${t.W.dims.join(", ")}] and [${t.R.dims.join(", ")}]`);
    }
    const H = attrs.hiddenSize ?? t.R.dims[2];
    if (!(Number.isInteger(H) && H >= 1))
        throw inputError(file, `${where} has hidden_size ${H}`);
    const I = t.W.dims[2];
    expectDims(file, `${where} input W`, t.W, [D, 4 * H, I]);
    expectDims(file, `${where} input R`, t.R, [D, 4 * H, H]);
    if (t.B)
        expectDims(file, `${where} input B`, t.B, [D, 8 * H]);
    if (t.P)
        expectDims(file, `${where} input P`, t.P, [D, 3 * H]);
    const cells = [];
    for (let d = 0; d < D; d++) {
        const gates = {};
        ONNX_GATES.forEach((g, k) => {
            const W = matrix(H, I, t.W.data.subarray((d * 4 + k) * H * I, (d * 4 + k + 1) * H * I));
            const R = matrix(H, H, t.R.data.subarray((d * 4 + k) * H * H, (d * 4 + k + 1) * H * H));
            const bias = new Float64Array(H);
            if (t.B) {
                const wb = d * 8 * H + k * H;
                const rb = d * 8 * H + 4 * H + k * H;
                for (let r = 0; r < H; r++)
                    bias[r] = t.B.data[wb + r] + t.B.data[rb + r];
            }
            gates[g] = { W, R, bias };
        });
        const cell = {
            gates,
            activations: attrs.activations[d],
            ...(t.P ? { peephole: peephole(t.P.data, d, H) } : {}),
            ...(t.initialH ? { initialH: t.initialH[d] } : {}),
            ...(t.initialC ? { initialC: t.initialC[d] } : {}),
        };
        cells.push(cell);
    }
    return {
        kind: "lstm",
        name,
        inputSize: I,
        hiddenSize: H,
        direction: attrs.direction,
        cells,
        inputForget: attrs.inputForget,
        ...(attrs.clip !== undefined ? { clip: attrs.clip } : {}),
    };
}
function peephole(P, d, H) {
    const part = (name) => {
        const k = ONNX_PEEPHOLES.indexOf(name);
        return P.slice((d * 3 + k) * H, (d * 3 + k + 1) * H);
    };
    return { input: part("input"), forget: part("forget"), output: part("output") };
}
