/** `lstm-gen inspect`: what the importer understood, in words or JSON. */
import type { Activation, DenseLayer, Model } from "../ir/model.js";
import { headOutputSize, layerOutputSize } from "../ir/validate.js";
import { oneLine } from "../errors.js";

export interface DenseSummary {
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: string;
  readonly parameters: number;
}

function denseSummary(d: DenseLayer): DenseSummary {
  return { name: d.name, inputs: d.W.cols, outputs: d.W.rows, activation: d.activation, parameters: d.W.rows * d.W.cols + d.bias.length };
}

export interface Summary {
  readonly source: Model["source"];
  readonly input: { readonly name: string; readonly size: number };
  /** Dense layers applied at every step before the first LSTM. */
  readonly inputDense: readonly DenseSummary[];
  readonly layers: readonly {
    readonly type: "lstm";
    readonly name: string;
    readonly inputSize: number;
    readonly hiddenSize: number;
    readonly direction: string;
    readonly activations: { readonly gate: string; readonly cell: string; readonly hidden: string };
    readonly peepholes: boolean;
    readonly clip: number | null;
    readonly inputForget: boolean;
    readonly initialState: boolean;
    readonly parameters: number;
  }[];
  readonly head: {
    readonly reads: string;
    readonly steps?: number;
    readonly layers: readonly DenseSummary[];
  } | null;
  readonly outputs: readonly { readonly name: string; readonly source: string; readonly axes: readonly string[] }[];
  readonly outputSize: number;
  readonly parameters: number;
  /** Bytes of the weights as float32. */
  readonly float32Bytes: number;
}

export function activationName(a: Activation): string {
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

export function summarize(model: Model): Summary {
  const layers = model.layers.map((l) => {
    const H = l.hiddenSize;
    const perCell = 4 * H * (l.inputSize + H + 1) + (l.cells[0]?.peephole ? 3 * H : 0);
    const act = l.cells[0]!.activations;
    return {
      type: "lstm" as const,
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
        ...(model.head.steps !== undefined ? { steps: model.head.steps } : {}),
        layers: model.head.layers.map(denseSummary),
      }
    : null;
  const inputDense = (model.inputDense ?? []).map(denseSummary);
  const parameters =
    inputDense.reduce((s, d) => s + d.parameters, 0) +
    layers.reduce((s, l) => s + l.parameters, 0) +
    (head?.layers.reduce((s, d) => s + d.parameters, 0) ?? 0);
  return {
    source: model.source,
    input: { name: model.inputName, size: model.inputSize },
    inputDense,
    layers,
    head,
    outputs: model.outputs.map((o) => ({
      name: o.name,
      source: o.source.kind === "head" ? "head" : `${o.source.kind} of layer ${o.source.layer}`,
      axes: o.axes,
    })),
    outputSize: model.head ? headOutputSize(model) : layerOutputSize(model.layers[model.layers.length - 1]!),
    parameters,
    float32Bytes: parameters * 4,
  };
}

export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  lines.push(`model      ${oneLine(s.source.file)}`);
  lines.push(`format     ${s.source.format}${s.source.producer ? ` (${oneLine(s.source.producer)})` : ""}`);
  for (const c of s.source.conventions) lines.push(`           ${oneLine(c)}`);
  lines.push(`input      '${oneLine(s.input.name)}': ${s.input.size} feature(s) per step`);
  for (const d of s.inputDense) lines.push(`pre-dense  '${oneLine(d.name)}' ${d.inputs} → ${d.outputs}, ${d.activation} at every step; ${d.parameters} parameters`);
  s.layers.forEach((l, k) => {
    lines.push(
      `layer ${k}    LSTM '${oneLine(l.name)}' ${l.inputSize} → ${l.hiddenSize} ${l.direction}; gates ${l.activations.gate}, cell ${l.activations.cell}, hidden ${l.activations.hidden}` +
        `${l.peepholes ? "; peepholes" : ""}${l.clip !== null ? `; clip ${l.clip}` : ""}${l.inputForget ? "; coupled input-forget" : ""}` +
        `${l.initialState ? "; initial state" : ""}; ${l.parameters} parameters`,
    );
  });
  if (s.head) {
    const reads: Record<string, string> = {
      every: "the output at every step",
      last: "the output at the last step",
      final: "the final hidden state",
      flatten: `all ${s.head.steps ?? "T"} steps' outputs, flattened`,
    };
    lines.push(`head       reads ${reads[s.head.reads] ?? s.head.reads}`);
    for (const d of s.head.layers) lines.push(`           dense '${oneLine(d.name)}' ${d.inputs} → ${d.outputs}, ${d.activation}; ${d.parameters} parameters`);
  } else {
    lines.push("head       none");
  }
  for (const o of s.outputs) lines.push(`output     '${oneLine(o.name)}': ${o.source}, axes [${o.axes.join(", ")}]`);
  lines.push(`parameters ${s.parameters} (${s.float32Bytes} bytes as float32)`);
  return lines.join("\n");
}
