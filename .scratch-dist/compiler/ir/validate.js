/**
 * Construction-time validation of the IR. Importers build a `Model` and pass it through `validateModel`,
 * which checks every shape and value and throws an input error naming the layer and tensor.
 */
import { inputError } from "../errors.js";
import { GATE_NAMES, } from "./model.js";
/** Largest dimension lstm-gen accepts anywhere (a guard against absurd sizes before allocating). */
export const MAX_DIM = 1 << 16;
/** Largest number of weights in one tensor. */
export const MAX_ELEMENTS = 1 << 26;
export function matrix(rows, cols, data) {
    const d = new Float64Array(rows * cols);
    if (data)
        d.set(data);
    return { rows, cols, data: d };
}
export function numDirections(layer) {
    return layer.direction === "bidirectional" ? 2 : 1;
}
/** Width of a layer's output per step (directions concatenated). */
export function layerOutputSize(layer) {
    return layer.hiddenSize * numDirections(layer);
}
/** Width of the first recurrent layer's input: the last input dense layer's outputs, or the model input. */
export function recurrentInputSize(model) {
    const dense = model.inputDense ?? [];
    const last = dense[dense.length - 1];
    return last ? last.W.rows : model.inputSize;
}
/**
 * Width of what the head reads per step (the last layer's output, or the input if there are no layers); for a
 * head that flattens `steps` steps, the width of the whole flattened vector.
 */
export function headInputSize(model) {
    const last = model.layers[model.layers.length - 1];
    const width = last ? layerOutputSize(last) : recurrentInputSize(model);
    return model.head?.reads === "flatten" ? width * (model.head.steps ?? 0) : width;
}
/** Width of the head's output (or of its input when it has no dense layers). */
export function headOutputSize(model) {
    const layers = model.head?.layers ?? [];
    const last = layers[layers.length - 1];
    return last ? last.W.rows : headInputSize(model);
}
function checkDim(file, what, n) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_DIM) {
        throw inputError(file, `${what} must be an integer in 1..${MAX_DIM}, got ${n}`);
    }
}
function checkFinite(file, what, data) {
    for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) {
            throw inputError(file, `${what} has a non-finite value (${data[i]}) at index ${i}`);
        }
    }
}
function checkMatrix(file, what, m, rows, cols) {
    if (m.rows !== rows || m.cols !== cols || m.data.length !== rows * cols) {
        throw inputError(file, `${what} has shape [${m.rows}, ${m.cols}], expected [${rows}, ${cols}]`);
    }
    checkFinite(file, what, m.data);
}
function checkVector(file, what, v, n) {
    if (v === undefined)
        return;
    if (v.length !== n)
        throw inputError(file, `${what} has length ${v.length}, expected ${n}`);
    checkFinite(file, what, v);
}
function checkCell(file, where, cell, inputSize, hiddenSize) {
    for (const g of GATE_NAMES) {
        const gate = cell.gates[g];
        if (!gate)
            throw inputError(file, `${where}: gate '${g}' is missing`);
        checkMatrix(file, `${where} gate '${g}' W`, gate.W, hiddenSize, inputSize);
        checkMatrix(file, `${where} gate '${g}' R`, gate.R, hiddenSize, hiddenSize);
        checkVector(file, `${where} gate '${g}' bias`, gate.bias, hiddenSize);
    }
    if (cell.peephole) {
        checkVector(file, `${where} peephole 'input'`, cell.peephole.input, hiddenSize);
        checkVector(file, `${where} peephole 'forget'`, cell.peephole.forget, hiddenSize);
        checkVector(file, `${where} peephole 'output'`, cell.peephole.output, hiddenSize);
    }
    checkVector(file, `${where} initial h`, cell.initialH, hiddenSize);
    checkVector(file, `${where} initial c`, cell.initialC, hiddenSize);
}
function checkDense(file, where, d, inputs) {
    checkDim(file, `${where} output size`, d.W.rows);
    checkMatrix(file, `${where} W`, d.W, d.W.rows, inputs);
    checkVector(file, `${where} bias`, d.bias, d.W.rows);
}
/** Validate a model; returns it unchanged so importers can `return validateModel(...)`. */
export function validateModel(model) {
    const file = model.source.file;
    checkDim(file, "model input size", model.inputSize);
    let width = model.inputSize;
    (model.inputDense ?? []).forEach((d, k) => {
        checkDense(file, `input dense layer ${k} ('${d.name}')`, d, width);
        width = d.W.rows;
    });
    model.layers.forEach((layer, k) => {
        const where = `layer ${k} ('${layer.name}')`;
        checkDim(file, `${where} hidden size`, layer.hiddenSize);
        if (layer.inputSize !== width) {
            throw inputError(file, `${where} expects ${layer.inputSize} inputs but receives ${width}`);
        }
        const dirs = numDirections(layer);
        if (layer.cells.length !== dirs) {
            throw inputError(file, `${where} is ${layer.direction} but has ${layer.cells.length} cell(s)`);
        }
        if (layer.clip !== undefined && !(layer.clip > 0 && Number.isFinite(layer.clip))) {
            throw inputError(file, `${where} clip must be a positive number, got ${layer.clip}`);
        }
        layer.cells.forEach((cell, d) => checkCell(file, dirs === 2 ? `${where} ${d === 0 ? "forward" : "reverse"}` : where, cell, layer.inputSize, layer.hiddenSize));
        width = layerOutputSize(layer);
    });
    if (model.head) {
        if (model.head.reads !== "every" && model.layers.length === 0) {
            throw inputError(file, `the head reads the '${model.head.reads}' step but the model has no recurrent layer`);
        }
        if (model.head.reads === "flatten") {
            checkDim(file, "the number of steps the head flattens", model.head.steps ?? 0);
            width *= model.head.steps;
        }
        model.head.layers.forEach((d, k) => {
            checkDense(file, `dense layer ${k} ('${d.name}')`, d, width);
            width = d.W.rows;
        });
    }
    if (model.outputs.length === 0)
        throw inputError(file, "the model has no outputs");
    for (const out of model.outputs) {
        const s = out.source;
        if (s.kind === "head" && !model.head)
            throw inputError(file, `output '${out.name}' reads a head the model does not have`);
        if (s.kind !== "head" && !(s.layer >= 0 && s.layer < model.layers.length)) {
            throw inputError(file, `output '${out.name}' reads layer ${s.layer}, which does not exist`);
        }
    }
    return model;
}
