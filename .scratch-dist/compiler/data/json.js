/**
 * JSON sequence reader. Accepted shapes:
 * - `[[x, ...], ...]`: one sequence, `[steps][features]`;
 * - `[[[x, ...], ...], ...]`: several sequences, `[sequences][steps][features]`; sequences may differ in
 *   length but all steps have the same number of features;
 * - `{ "data": <either of the above> }` (other keys are ignored).
 * Errors name the offending element by its index path, e.g. `[2][5][1]`.
 */
import { inputError } from "../errors.js";
const SHAPES = "expected [steps][features] or [sequences][steps][features] nested arrays of numbers";
export function parseJson(file, text) {
    const fail = (problem) => inputError(file, problem);
    let root;
    try {
        root = JSON.parse(text);
    }
    catch (e) {
        throw fail(`is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    let prefix = "";
    if (isObject(root)) {
        if (!("data" in root))
            throw fail(`is a JSON object without a "data" key; ${SHAPES}`);
        root = root.data;
        prefix = ".data";
    }
    if (!Array.isArray(root))
        throw fail(`${where(prefix)}is ${kind(root)}; ${SHAPES}`);
    if (root.length === 0)
        throw fail(`${where(prefix)}is an empty array`);
    const depth = nestingDepth(root);
    if (depth === 1)
        throw fail(`${where(prefix)}is a flat list of numbers; ${SHAPES}`);
    if (depth > 3)
        throw fail(`${where(prefix)}is nested ${depth} deep; ${SHAPES}`);
    const reader = new Reader(fail, prefix);
    const sequences = depth === 2 ? [reader.sequence(root, "")] : root.map((s, n) => reader.sequence(s, `[${n}]`));
    return { file, features: reader.features ?? 0, sequences };
}
/** How deep the first elements nest: 1 for `[1]`, 2 for `[[1]]`, 3 for `[[[1]]]` (empty arrays stop it). */
function nestingDepth(v) {
    let depth = 1;
    let cur = v[0];
    while (Array.isArray(cur)) {
        depth++;
        cur = cur[0];
    }
    return depth;
}
class Reader {
    fail;
    prefix;
    /** Features per step, fixed by the first step read. */
    features;
    firstStep = "";
    constructor(fail, prefix) {
        this.fail = fail;
        this.prefix = prefix;
    }
    sequence(v, path) {
        if (!Array.isArray(v))
            throw this.fail(`${this.at(path)}is ${kind(v)}, expected an array of steps`);
        if (v.length === 0)
            throw this.fail(`${this.at(path)}is an empty sequence`);
        const steps = v.length;
        let data;
        for (let t = 0; t < steps; t++) {
            const stepPath = `${path}[${t}]`;
            const row = v[t];
            if (!Array.isArray(row))
                throw this.fail(`${this.at(stepPath)}is ${kind(row)}, expected an array of features`);
            if (this.features === undefined) {
                if (row.length === 0)
                    throw this.fail(`${this.at(stepPath)}is an empty step (no features)`);
                this.features = row.length;
                this.firstStep = stepPath;
            }
            else if (row.length !== this.features) {
                throw this.fail(`${this.at(stepPath)}has ${row.length} features but ${this.prefix}${this.firstStep} has ${this.features}`);
            }
            const features = this.features;
            data ??= new Float64Array(steps * features);
            for (let i = 0; i < features; i++) {
                const x = row[i];
                if (typeof x !== "number")
                    throw this.fail(`${this.at(`${stepPath}[${i}]`)}is ${kind(x)}, expected a number`);
                if (!Number.isFinite(x))
                    throw this.fail(`${this.at(`${stepPath}[${i}]`)}is not finite (${x})`);
                data[t * features + i] = x;
            }
        }
        return { steps, data: data ?? new Float64Array(0) };
    }
    at(path) {
        return where(this.prefix + path);
    }
}
function where(path) {
    return path === "" ? "" : `${path} `;
}
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
function kind(v) {
    if (v === null)
        return "null";
    if (Array.isArray(v))
        return "an array";
    if (typeof v === "string")
        return "a string";
    if (typeof v === "object")
        return "an object";
    return `a ${typeof v}`;
}
