import { headOutputSize, layerOutputSize } from "../ir/validate.js";
import { oneLine } from "../errors.js";
export function activationName(a) {
    switch (a.kind) {
        case "hardSigmoid":
        case "scaledTanh":
        case "affine":
            return `${a.kind}(${a.alpha}, ${a.beta})`;
        case "leakyRelu":
        case "thresholdedRelu":
        case "elu":
            return `${a.kind}(${a.alpha})`;
        default:
            return a.kind;
    }
}
export function summarize(model) {
    const layers = model.layers.map((l) => {
        const H = l.hiddenSize;
        const perCell = 4 * H * (l.inputSize + H + 1) + (l.cells[0]?.peephole ? 3 * H : 0);
        const act = l.cells[0].activations;
        return {
            type: "lstm",
            name: l.name,
            inputSize: l.inputSize,
            hiddenSize: H,
            direction: l.direction,
            activations: { gate: activationName(act.gate), cell: activationName(act.cell), hidden: activationName(act.hidden) },
            peepholes: l.cells.some((c) => c.peephole !== undefined),
            clip: l.clip ?? null,
            inputForget: l.inputForget,
            initialState: l.cells.some((c) => c.initialH !== undefined || c.initialC !== undefined),
            parameters: perCell * l.cells.length,
        };
    });
    const head = model.head
        ? {
            reads: model.head.reads,
            layers: model.head.layers.map((d) => ({
                name: d.name,
                inputs: d.W.cols,
                outputs: d.W.rows,
                activation: d.activation,
                parameters: d.W.rows * d.W.cols + d.bias.length,
            })),
        }
        : null;
    const parameters = layers.reduce((s, l) => s + l.parameters, 0) + (head?.layers.reduce((s, d) => s + d.parameters, 0) ?? 0);
    return {
        source: model.source,
        input: { name: model.inputName, size: model.inputSize },
        layers,
        head,
        outputs: model.outputs.map((o) => ({
            name: o.name,
            source: o.source.kind === "head" ? "head" : `${o.source.kind} of layer ${o.source.layer}`,
            axes: o.axes,
        })),
        outputSize: model.head ? headOutputSize(model) : layerOutputSize(model.layers[model.layers.length - 1]),
        parameters,
        float32Bytes: parameters * 4,
    };
}
export function formatSummary(s) {
    const lines = [];
    lines.push(`model      ${oneLine(s.source.file)}`);
    lines.push(`format     ${s.source.format}${s.source.producer ? ` (${oneLine(s.source.producer)})` : ""}`);
    for (const c of s.source.conventions)
        lines.push(`           ${oneLine(c)}`);
    lines.push(`input      '${oneLine(s.input.name)}': ${s.input.size} feature(s) per step`);
    s.layers.forEach((l, k) => {
        lines.push(`layer ${k}    LSTM '${oneLine(l.name)}' ${l.inputSize} → ${l.hiddenSize} ${l.direction}; gates ${l.activations.gate}, cell ${l.activations.cell}, hidden ${l.activations.hidden}` +
            `${l.peepholes ? "; peepholes" : ""}${l.clip !== null ? `; clip ${l.clip}` : ""}${l.inputForget ? "; coupled input-forget" : ""}` +
            `${l.initialState ? "; initial state" : ""}; ${l.parameters} parameters`);
    });
    if (s.head) {
        lines.push(`head       reads the ${s.head.reads === "every" ? "output at every step" : s.head.reads === "last" ? "output at the last step" : "final hidden state"}`);
        for (const d of s.head.layers)
            lines.push(`           dense '${oneLine(d.name)}' ${d.inputs} → ${d.outputs}, ${d.activation}; ${d.parameters} parameters`);
    }
    else {
        lines.push("head       none");
    }
    for (const o of s.outputs)
        lines.push(`output     '${oneLine(o.name)}': ${o.source}, axes [${o.axes.join(", ")}]`);
    lines.push(`parameters ${s.parameters} (${s.float32Bytes} bytes as float32)`);
    return lines.join("\n");
}
