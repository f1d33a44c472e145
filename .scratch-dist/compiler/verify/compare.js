import { headOutputSize, numDirections } from "../ir/validate.js";
import { TRACE_KEYS } from "../reference/float.js";
export const QUANTITY_LABELS = {
    i: "gate 'input' (i)",
    f: "gate 'forget' (f)",
    g: "gate 'cell' (g)",
    o: "gate 'output' (o)",
    c: "cell state (c)",
    h: "hidden state (h)",
    output: "output",
};
/** Which tolerance key judges each quantity. */
export const TOLERANCE_OF = {
    i: "gates",
    f: "gates",
    g: "gates",
    o: "gates",
    c: "cell",
    h: "hidden",
    output: "output",
};
/** Largest number of points kept in an error-over-time series. */
export const MAX_SERIES_POINTS = 500;
/**
 * Smallest cell range used to scale the cell tolerance: one Q0.15 step. A cell that never moved during
 * calibration would otherwise get a tolerance of exactly 0.
 */
export const CELL_RANGE_FLOOR = 2 ** -15;
/** Describe the model's primary output (the head, or the last layer's output); undefined for an empty model. */
export function describeOutput(model) {
    if (model.head) {
        const width = headOutputSize(model);
        const perStep = model.head.reads === "every";
        const last = model.head.layers[model.head.layers.length - 1];
        const named = model.outputs.find((o) => o.source.kind === "head");
        return {
            source: "head",
            name: named ? `output '${named.name}'` : "head output",
            width,
            perStep,
            classifier: width > 1 && (last?.activation === "softmax" || !perStep),
        };
    }
    const L = model.layers.length;
    const last = model.layers[L - 1];
    if (!last)
        return undefined;
    const named = model.outputs.find((o) => o.source.kind === "sequence" && o.source.layer === L - 1);
    return {
        source: "lastLayer",
        name: named ? `output '${named.name}'` : `layer ${L - 1} output`,
        width: last.hiddenSize * numDirections(last),
        perStep: true,
        classifier: false,
    };
}
/** Direction name of cell `d` of layer `l`. */
export function directionName(model, l, d) {
    const layer = model.layers[l];
    return layer.direction === "reverse" || d === 1 ? "reverse" : "forward";
}
/** max|c| per layer and direction over traced runs (the calibration runs of the float model). */
export function cellRangeOf(model, runs) {
    const acc = cellRangeAccumulator(model);
    for (const run of runs)
        acc.add(run);
    return acc.value();
}
/** Incremental form of `cellRangeOf`, for one traced run at a time. */
export function cellRangeAccumulator(model) {
    const range = model.layers.map((layer) => new Array(numDirections(layer)).fill(0));
    return {
        add(run) {
            model.layers.forEach((_, l) => {
                const traces = run.layers[l]?.trace;
                if (!traces)
                    throw new Error(`cellRangeOf: the run of layer ${l} has no trace (run with {trace: true})`);
                const r = range[l];
                traces.forEach((t, d) => {
                    let m = r[d];
                    for (const v of t.c)
                        if (Math.abs(v) > m)
                            m = Math.abs(v);
                    r[d] = m;
                });
            });
        },
        value: () => range.map((r) => r.slice()),
    };
}
/** The float output values of one run (head, or last layer output), or undefined. */
function outputValues(info, run) {
    if (info.source === "head")
        return run.head;
    return run.layers[run.layers.length - 1]?.output;
}
/**
 * The output range that scales the output tolerance: max(y) - min(y) over all float output values (all
 * sequences, steps and units); if that is 0 (a constant output), max|y|; if that is 0 too, 1.
 */
export function outputRangeOf(min, max, maxAbs) {
    if (max - min > 0)
        return { value: max - min, basis: "max-min" };
    if (maxAbs > 0)
        return { value: maxAbs, basis: "max|y|" };
    return { value: 1, basis: "unit" };
}
/** Reduce a series to at most `maxPoints` by bucket maxima. */
export function downsampleMax(values, maxPoints = MAX_SERIES_POINTS, axis = "step") {
    const n = values.length;
    const bucket = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
    const x = [];
    const y = [];
    for (let s = 0; s < n; s += bucket) {
        let m = 0;
        const e = Math.min(n, s + bucket);
        for (let k = s; k < e; k++) {
            const v = values[k];
            if (v > m || Number.isNaN(v))
                m = Number.isNaN(v) ? Infinity : v;
        }
        x.push(s);
        y.push(m);
    }
    return { axis, bucket, x, y };
}
/** Compact number for messages and tables: 3 significant digits, exponent outside [1e-3, 1e5). */
export function formatNumber(v) {
    if (v === 0)
        return "0";
    if (Number.isNaN(v))
        return "nan";
    if (!Number.isFinite(v))
        return v > 0 ? "inf" : "-inf";
    const a = Math.abs(v);
    if (a >= 1e-3 && a < 1e5)
        return String(Number(v.toPrecision(3)));
    return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
}
/** Running statistics of one quantity. */
class Stat {
    layer;
    direction;
    quantity;
    max = 0;
    sumSq = 0;
    count = 0;
    at = null;
    /** Max error per step (or per sequence). */
    series = [];
    constructor(layer, direction, quantity) {
        this.layer = layer;
        this.direction = direction;
        this.quantity = quantity;
    }
    /** Compare `a` (float) with `b` (fixed), both [n, width]; row k is step `k` (or the sequence, if `perSequence`). */
    add(a, b, width, sequence, perSequence) {
        if (a.length !== b.length) {
            throw new Error(`verify: ${this.quantity} of sequence ${sequence} has ${b.length} fixed values but ${a.length} float values`);
        }
        const rows = width > 0 ? a.length / width : 0;
        for (let t = 0; t < rows; t++) {
            let rowMax = 0;
            const off = t * width;
            for (let u = 0; u < width; u++) {
                let e = Math.abs(b[off + u] - a[off + u]);
                if (Number.isNaN(e))
                    e = Infinity;
                this.sumSq += e * e;
                if (e > rowMax)
                    rowMax = e;
                if (this.at === null || e > this.max) {
                    this.max = e;
                    this.at = { sequence, step: perSequence ? null : t, unit: u };
                }
            }
            this.count += width;
            const x = perSequence ? sequence : t;
            while (this.series.length <= x)
                this.series.push(0);
            if (rowMax > this.series[x])
                this.series[x] = rowMax;
        }
    }
}
function argmax(v, off, width) {
    let best = 0;
    for (let u = 1; u < width; u++)
        if (v[off + u] > v[off + best])
            best = u;
    return best;
}
/**
 * Streaming comparison: `add` one (float, fixed) pair of traced runs per sequence, in sequence order, then
 * `finish`. The float runs must be traced (`{trace: true}`), and so must the fixed runs.
 */
export class Comparison {
    model;
    ctx;
    stats = [];
    output;
    info;
    sequences = 0;
    totalSteps = 0;
    maxSteps = 0;
    yMin = Infinity;
    yMax = -Infinity;
    yAbs = 0;
    vectors = 0;
    disagreements = 0;
    examples = [];
    constructor(model, ctx) {
        this.model = model;
        this.ctx = ctx;
        model.layers.forEach((layer, l) => {
            const dirs = numDirections(layer);
            const range = ctx.cellRange[l];
            if (!range || range.length !== dirs) {
                throw new Error(`verify: cellRange has no entry for every direction of layer ${l} (expected ${dirs})`);
            }
            for (let d = 0; d < dirs; d++)
                for (const k of TRACE_KEYS)
                    this.stats.push(new Stat(l, d, k));
        });
        this.info = ctx.outputs ?? describeOutput(model);
        this.output = this.info ? new Stat(null, null, "output") : undefined;
    }
    add(float, fixed) {
        const seq = this.sequences++;
        if (float.steps !== fixed.steps) {
            throw new Error(`verify: sequence ${seq} has ${float.steps} float steps but ${fixed.steps} fixed steps`);
        }
        this.totalSteps += float.steps;
        this.maxSteps = Math.max(this.maxSteps, float.steps);
        for (const s of this.stats) {
            const l = s.layer;
            const d = s.direction;
            const ft = float.layers[l]?.trace?.[d];
            const qt = fixed.layers[l]?.trace?.[d];
            if (!ft || !qt)
                throw new Error(`verify: layer ${l} direction ${d} of sequence ${seq} was not traced (run with {trace: true})`);
            s.add(ft[s.quantity], qt[s.quantity], this.model.layers[l].hiddenSize, seq, false);
        }
        const info = this.info;
        if (!info || !this.output)
            return;
        const a = outputValues(info, float);
        const b = outputValues(info, fixed);
        if (!a || !b)
            throw new Error(`verify: sequence ${seq} has no ${info.source === "head" ? "head output" : "layer output"}`);
        this.output.add(a, b, info.width, seq, !info.perStep);
        for (const v of a) {
            if (v < this.yMin)
                this.yMin = v;
            if (v > this.yMax)
                this.yMax = v;
            if (Math.abs(v) > this.yAbs)
                this.yAbs = Math.abs(v);
        }
        if (info.classifier && info.width > 1) {
            const rows = a.length / info.width;
            for (let t = 0; t < rows; t++) {
                this.vectors++;
                const fa = argmax(a, t * info.width, info.width);
                const qa = argmax(b, t * info.width, info.width);
                if (fa !== qa) {
                    this.disagreements++;
                    if (this.examples.length < 10)
                        this.examples.push({ sequence: seq, step: info.perStep ? t : null, unit: fa });
                }
            }
        }
    }
    finish() {
        const { model, ctx } = this;
        const tol = ctx.tolerance;
        const outputRange = ctx.outputRange !== undefined ? { value: ctx.outputRange, basis: "given" } : outputRangeOf(this.yMin, this.yMax, this.yAbs);
        const results = [];
        const judge = (s) => {
            const key = TOLERANCE_OF[s.quantity];
            let basis;
            let bound;
            if (key === "cell") {
                const range = ctx.cellRange[s.layer][s.direction];
                const scale = Math.max(range, CELL_RANGE_FLOOR);
                basis = { key, value: tol.cell, relativeTo: { what: "max|c|", value: scale } };
                bound = tol.cell * scale;
            }
            else if (key === "output") {
                basis = { key, value: tol.output, relativeTo: { what: "output range", value: outputRange.value } };
                bound = tol.output * outputRange.value;
            }
            else {
                basis = { key, value: tol[key] };
                bound = tol[key];
            }
            const layer = s.layer === null ? null : model.layers[s.layer];
            const direction = s.layer === null ? null : directionName(model, s.layer, s.direction);
            const label = QUANTITY_LABELS[s.quantity];
            const name = s.layer === null ? (this.info?.name ?? "output") : `layer ${s.layer} ${direction} ${label}`;
            const ratio = s.max === 0 ? 0 : bound === 0 ? Infinity : s.max / bound;
            return {
                layer: s.layer,
                layerName: layer ? layer.name : null,
                direction,
                quantity: s.quantity,
                label,
                name,
                count: s.count,
                maxError: s.max,
                rmsError: s.count > 0 ? Math.sqrt(s.sumSq / s.count) : 0,
                at: s.at,
                tolerance: bound,
                basis,
                ratio,
                pass: s.max <= bound,
                series: downsampleMax(s.series, MAX_SERIES_POINTS, s.quantity === "output" && !this.info?.perStep ? "sequence" : "step"),
            };
        };
        for (const s of this.stats)
            results.push(judge(s));
        if (this.output)
            results.push(judge(this.output));
        let worstResult = null;
        for (const r of results)
            if (!worstResult || r.ratio > worstResult.ratio)
                worstResult = r;
        let argmaxResult;
        if (this.info?.classifier && this.info.width > 1) {
            const required = ctx.requireArgmax === true;
            argmaxResult = {
                vectors: this.vectors,
                disagreements: this.disagreements,
                examples: this.examples.slice(),
                required,
                pass: !required || this.disagreements === 0,
            };
        }
        const failures = results.filter((r) => !r.pass).map(describeResult);
        if (argmaxResult && !argmaxResult.pass)
            failures.push(describeArgmax(argmaxResult));
        return {
            pass: failures.length === 0,
            tolerance: { ...tol },
            results,
            ...(argmaxResult ? { argmax: argmaxResult } : {}),
            worstResult,
            worst: worstResult ? describeResult(worstResult) : "nothing to compare",
            failures,
            sequences: this.sequences,
            totalSteps: this.totalSteps,
            maxSteps: this.maxSteps,
            cellRange: ctx.cellRange.map((r) => r.slice()),
            outputRange,
        };
    }
}
/** `at sequence 3, step 17, unit 5` (no step for a once-per-sequence output). */
export function describeLocation(at) {
    return `sequence ${at.sequence}${at.step === null ? "" : `, step ${at.step}`}, unit ${at.unit}`;
}
/** One line: `layer 0 forward gate 'forget' (f): max error 0.031 > 0.02 at sequence 3, step 17, unit 5`. */
export function describeResult(r) {
    const cmp = r.pass ? "<=" : ">";
    const rel = r.basis.relativeTo
        ? ` (${r.basis.key}=${formatNumber(r.basis.value)} × ${r.basis.relativeTo.what} ${formatNumber(r.basis.relativeTo.value)})`
        : "";
    const where = r.at ? ` at ${describeLocation(r.at)}` : "";
    return `${r.name}: max error ${formatNumber(r.maxError)} ${cmp} ${formatNumber(r.tolerance)}${rel}${where}`;
}
export function describeArgmax(a) {
    const first = a.examples[0];
    const ex = first ? ` (first at ${describeLocation(first).replace(/, unit \d+$/, "")}, float class ${first.unit})` : "";
    return `argmax differs from the float model on ${a.disagreements} of ${a.vectors} output vectors${ex}`;
}
/**
 * Compare float runs with fixed runs, sequence by sequence (same order, same lengths, both traced), and judge
 * every layer/direction/quantity against `ctx.tolerance`.
 */
export function verifyRuns(model, float, fixed, ctx) {
    if (float.length !== fixed.length)
        throw new Error(`verifyRuns: ${float.length} float runs but ${fixed.length} fixed runs`);
    const cmp = new Comparison(model, ctx);
    float.forEach((f, k) => cmp.add(f, fixed[k]));
    return cmp.finish();
}
