/**
 * The float64 reference: evaluates the IR exactly as the ONNX LSTM operator defines it, one step at a time,
 * optionally recording every gate activation and state. The fixed-point verifier compares against the trace.
 *
 * One step of one direction (σ_f = gate activation, g_f = cell activation, h_f = hidden activation):
 *   i = σ_f(W_i x + R_i h + b_i + p_i ⊙ c)      f = σ_f(W_f x + R_f h + b_f + p_f ⊙ c)   (f = 1 - i if coupled)
 *   g = g_f(W_g x + R_g h + b_g)                c' = f ⊙ c + i ⊙ g
 *   o = σ_f(W_o x + R_o h + b_o + p_o ⊙ c')     h' = o ⊙ h_f(c')
 * With `clip`, every pre-activation is clamped to [-clip, clip] before its activation.
 */
import { inputError } from "../errors.js";
import { numDirections } from "../ir/validate.js";
export function activate(a, x) {
    switch (a.kind) {
        case "sigmoid":
            return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        case "tanh":
            return Math.tanh(x);
        case "relu":
            return x > 0 ? x : 0;
        case "linear":
            return x;
        case "softsign":
            return x / (1 + Math.abs(x));
        case "softplus":
            return x > 30 ? x : Math.log1p(Math.exp(x));
        case "hardSigmoid":
            return Math.min(1, Math.max(0, a.alpha * x + a.beta));
        case "leakyRelu":
            return x >= 0 ? x : a.alpha * x;
        case "thresholdedRelu":
            return x > a.alpha ? x : 0;
        case "scaledTanh":
            return a.alpha * Math.tanh(a.beta * x);
        case "affine":
            return a.alpha * x + a.beta;
        case "elu":
            return x >= 0 ? x : a.alpha * Math.expm1(x);
    }
}
export const TRACE_KEYS = ["i", "f", "g", "o", "c", "h"];
export function initialState(cell, hiddenSize) {
    const h = new Float64Array(hiddenSize);
    const c = new Float64Array(hiddenSize);
    if (cell.initialH)
        h.set(cell.initialH);
    if (cell.initialC)
        c.set(cell.initialC);
    return { h, c };
}
function preActivation(layer, cell, gate, x, xOff, h, r) {
    const { W, R, bias } = cell.gates[gate];
    let acc = bias[r];
    const I = layer.inputSize;
    const H = layer.hiddenSize;
    for (let k = 0; k < I; k++)
        acc += W.data[r * I + k] * x[xOff + k];
    for (let k = 0; k < H; k++)
        acc += R.data[r * H + k] * h[k];
    return acc;
}
/**
 * Advance one cell by one step in place; `x[xOff .. xOff+I)` is the input. Writes the gate activations into
 * `gates` (each length H).
 */
export function stepCell(layer, cell, state, x, xOff, gates) {
    const H = layer.hiddenSize;
    const clip = layer.clip;
    const clamp = (v) => (clip === undefined ? v : Math.min(clip, Math.max(-clip, v)));
    const act = cell.activations;
    const p = cell.peephole;
    const { h, c } = state;
    // All pre-activations read the previous h, so compute them before touching the state.
    for (let r = 0; r < H; r++) {
        let ai = preActivation(layer, cell, "input", x, xOff, h, r);
        let ag = preActivation(layer, cell, "cell", x, xOff, h, r);
        let ao = preActivation(layer, cell, "output", x, xOff, h, r);
        if (p)
            ai += p.input[r] * c[r];
        const iv = activate(act.gate, clamp(ai));
        let fv;
        if (layer.inputForget) {
            fv = 1 - iv;
        }
        else {
            let af = preActivation(layer, cell, "forget", x, xOff, h, r);
            if (p)
                af += p.forget[r] * c[r];
            fv = activate(act.gate, clamp(af));
        }
        const gv = activate(act.cell, clamp(ag));
        gates.i[r] = iv;
        gates.f[r] = fv;
        gates.g[r] = gv;
        // The output gate's peephole uses the new cell state, so keep the pre-activation for now.
        gates.o[r] = ao;
    }
    for (let r = 0; r < H; r++) {
        const cNew = gates.f[r] * c[r] + gates.i[r] * gates.g[r];
        c[r] = cNew;
        let ao = gates.o[r];
        if (p)
            ao += p.output[r] * cNew;
        const ov = activate(act.gate, clamp(ao));
        gates.o[r] = ov;
        h[r] = ov * activate(act.hidden, cNew);
    }
}
export function newGateValues(H) {
    return { i: new Float64Array(H), f: new Float64Array(H), g: new Float64Array(H), o: new Float64Array(H) };
}
/** Run one layer over a whole sequence `x` ([T, inputSize]). */
export function runLayer(layer, x, steps, opts = {}) {
    const H = layer.hiddenSize;
    const I = layer.inputSize;
    const dirs = numDirections(layer);
    const out = new Float64Array(steps * dirs * H);
    const finalH = [];
    const finalC = [];
    const traces = [];
    const gates = newGateValues(H);
    for (let d = 0; d < dirs; d++) {
        const cell = layer.cells[d];
        const reverse = layer.direction === "reverse" || d === 1;
        const state = initialState(cell, H);
        const tr = opts.trace
            ? {
                i: new Float64Array(steps * H),
                f: new Float64Array(steps * H),
                g: new Float64Array(steps * H),
                o: new Float64Array(steps * H),
                c: new Float64Array(steps * H),
                h: new Float64Array(steps * H),
            }
            : undefined;
        for (let s = 0; s < steps; s++) {
            const t = reverse ? steps - 1 - s : s;
            stepCell(layer, cell, state, x, t * I, gates);
            out.set(state.h, t * dirs * H + d * H);
            if (tr) {
                tr.i.set(gates.i, t * H);
                tr.f.set(gates.f, t * H);
                tr.g.set(gates.g, t * H);
                tr.o.set(gates.o, t * H);
                tr.c.set(state.c, t * H);
                tr.h.set(state.h, t * H);
            }
        }
        finalH.push(state.h);
        finalC.push(state.c);
        if (tr)
            traces.push(tr);
    }
    return opts.trace ? { output: out, finalH, finalC, trace: traces } : { output: out, finalH, finalC };
}
export function denseActivate(kind, v) {
    if (kind === "softmax") {
        let m = -Infinity;
        for (const x of v)
            m = Math.max(m, x);
        let s = 0;
        for (let k = 0; k < v.length; k++)
            s += v[k] = Math.exp(v[k] - m);
        for (let k = 0; k < v.length; k++)
            v[k] /= s;
        return;
    }
    for (let k = 0; k < v.length; k++) {
        const x = v[k];
        v[k] = kind === "relu" ? (x > 0 ? x : 0) : kind === "tanh" ? Math.tanh(x) : kind === "sigmoid" ? 1 / (1 + Math.exp(-x)) : x;
    }
}
/** Apply a stack of dense layers to one vector. */
export function runDenseStack(layers, features) {
    let v = features;
    for (const d of layers) {
        const o = new Float64Array(d.W.rows);
        for (let r = 0; r < d.W.rows; r++) {
            let acc = d.bias[r];
            for (let k = 0; k < d.W.cols; k++)
                acc += d.W.data[r * d.W.cols + k] * v[k];
            o[r] = acc;
        }
        denseActivate(d.activation, o);
        v = o;
    }
    return v;
}
/** Apply the head's dense layers to one feature vector. */
export function runHeadVector(model, features) {
    return runDenseStack(model.head?.layers ?? [], features);
}
/** The input as the first recurrent layer sees it: `x` itself, or `x` through the input dense layers at every step. */
export function applyInputDense(model, x, steps) {
    const dense = model.inputDense ?? [];
    if (dense.length === 0)
        return x;
    const I = model.inputSize;
    const O = dense[dense.length - 1].W.rows;
    const out = new Float64Array(steps * O);
    for (let t = 0; t < steps; t++)
        out.set(runDenseStack(dense, x.subarray(t * I, (t + 1) * I)), t * O);
    return out;
}
/** What the head reads for one sequence, as a list of feature vectors (one per step, or one). */
export function headFeatures(model, input, steps, layers) {
    const last = layers[layers.length - 1];
    const width = (last ? last.output.length : input.length) / Math.max(steps, 1);
    const seq = last ? last.output : input;
    const reads = model.head?.reads ?? "every";
    if (reads === "every") {
        return Array.from({ length: steps }, (_, t) => seq.subarray(t * width, (t + 1) * width));
    }
    if (reads === "flatten") {
        const n = model.head?.steps ?? 0;
        if (steps !== n) {
            throw inputError(model.source.file, `the model's head flattens exactly ${n} time steps, but a sequence has ${steps}`);
        }
        return [seq.slice(0, steps * width)];
    }
    if (reads === "last" || !last)
        return [seq.slice((steps - 1) * width, steps * width)];
    const v = new Float64Array(width);
    last.finalH.forEach((h, d) => v.set(h, d * h.length));
    return [v];
}
/** Run the whole model over one sequence `x` ([T, inputSize]). */
export function runSequence(model, x, steps, opts = {}) {
    if (steps < 1)
        throw new RangeError("runSequence: a sequence needs at least one step");
    const layers = [];
    const x0 = applyInputDense(model, x, steps);
    let input = x0;
    for (const layer of model.layers) {
        const run = runLayer(layer, input, steps, opts);
        layers.push(run);
        input = run.output;
    }
    if (!model.head)
        return { steps, layers };
    const outs = headFeatures(model, x0, steps, layers).map((f) => runHeadVector(model, f));
    const width = outs[0].length;
    const head = new Float64Array(outs.length * width);
    outs.forEach((o, k) => head.set(o, k * width));
    return { steps, layers, head };
}
