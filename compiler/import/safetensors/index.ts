/**
 * PyTorch `state_dict`s saved as `.safetensors`: one `nn.LSTM` (any prefix, any number of layers, optionally
 * bidirectional) and optionally one `nn.Linear` head.
 *
 * PyTorch layout: `<p>.weight_ih_l<k>[_reverse]` [4H, I], `<p>.weight_hh_l<k>[_reverse]` [4H, H],
 * `<p>.bias_ih_l<k>[_reverse]` and `<p>.bias_hh_l<k>[_reverse]` [4H]; row blocks are gates i, f, g, o; the two
 * biases are summed. The Linear head is `<m>.weight` [O, D·H] and `<m>.bias` [O].
 *
 * What the weights cannot tell comes from options: whether the head reads the last step or every step
 * (`head`, required when there is a Linear), the activation after it (`headActivation`, default linear), and
 * batch_first (`batchFirst`, PyTorch's default false; it only labels the output axes).
 */
import { inputError } from "../../errors.js";
import {
  GATE_NAMES,
  type DenseActivation,
  type DenseLayer,
  type Gate,
  type GateName,
  type Head,
  type LstmCell,
  type LstmLayer,
  type Model,
  type ModelOutput,
  type OutputAxis,
} from "../../ir/model.js";
import { matrix, validateModel } from "../../ir/validate.js";
import { readModelBytes } from "../keras/files.js";
import { parseSafetensors, type StTensor } from "./read.js";

export interface TorchOptions {
  readonly head?: "last" | "every";
  readonly batchFirst?: boolean;
  readonly headActivation?: DenseActivation;
}

const LSTM_KEY = /^(?:(.*)\.)?(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/;

function shapeText(t: StTensor): string {
  return `[${t.shape.join(", ")}]`;
}

export function importSafetensors(file: string, opts: TorchOptions = {}, bytes = readModelBytes(file)): Model {
  const fail = (p: string) => inputError(file, p);
  const { tensors, metadata } = parseSafetensors(file, bytes);
  if (tensors.size === 0) throw fail("has no tensors");

  // Find the LSTM's tensors and its module prefix.
  const prefixes = new Set<string>();
  const rest: StTensor[] = [];
  for (const t of tensors.values()) {
    const m = LSTM_KEY.exec(t.name);
    if (m) prefixes.add(m[1] ?? "");
    else rest.push(t);
  }
  if (prefixes.size === 0) throw fail(`has no nn.LSTM weights (keys like 'lstm.weight_ih_l0'); found: ${[...tensors.keys()].slice(0, 8).join(", ")}`);
  if (prefixes.size > 1) throw fail(`has recurrent weights under several modules (${[...prefixes].map((p) => `'${p}'`).join(", ")}); lstm-gen reads one nn.LSTM`);
  const prefix = [...prefixes][0]!;
  const key = (kind: string, k: number, rev: boolean) => `${prefix ? prefix + "." : ""}${kind}_l${k}${rev ? "_reverse" : ""}`;
  const get = (kind: string, k: number, rev: boolean) => tensors.get(key(kind, k, rev));

  if ([...tensors.keys()].some((n) => LSTM_KEY.exec(n)?.[2] === "weight_hr")) throw fail("has projection weights (weight_hr_l*: nn.LSTM proj_size > 0); not supported");
  let numLayers = 0;
  while (get("weight_ih", numLayers, false)) numLayers++;
  for (const n of tensors.keys()) {
    const m = LSTM_KEY.exec(n);
    if (m && Number(m[3]) >= numLayers) throw fail(`has '${n}' but no '${key("weight_ih", numLayers, false)}'; the layers are not numbered 0..L-1`);
  }
  const bidirectional = get("weight_ih", 0, true) !== undefined;

  const layers: LstmLayer[] = [];
  let width = 0;
  for (let k = 0; k < numLayers; k++) {
    const cells: LstmCell[] = [];
    let H = 0;
    for (const rev of bidirectional ? [false, true] : [false]) {
      const need = (kind: string) => {
        const t = get(kind, k, rev);
        if (!t) throw fail(`has no '${key(kind, k, rev)}'`);
        return t;
      };
      const wih = need("weight_ih");
      const whh = need("weight_hh");
      const bih = get("bias_ih", k, rev);
      const bhh = get("bias_hh", k, rev);
      if (whh.shape.length !== 2 || wih.shape.length !== 2) throw fail(`'${whh.name}' and '${wih.name}' must be matrices`);
      const [rows, h] = whh.shape as [number, number];
      if (rows === 3 * h) throw fail(`'${whh.name}' has shape ${shapeText(whh)} (3H rows): this looks like nn.GRU, which is not supported (lstm-gen compiles LSTMs)`);
      if (rows === h) throw fail(`'${whh.name}' has shape ${shapeText(whh)} (H rows): this looks like nn.RNN, which is not supported`);
      if (rows !== 4 * h) throw fail(`'${whh.name}' has shape ${shapeText(whh)}; an nn.LSTM has [4H, H]`);
      H = h;
      const I = wih.shape[1]!;
      if (wih.shape[0] !== 4 * H) throw fail(`'${wih.name}' has shape ${shapeText(wih)}, expected [${4 * H}, inputs]`);
      if (k === 0) width = I;
      else if (I !== width) throw fail(`'${wih.name}' takes ${I} inputs but layer ${k - 1} outputs ${width}`);
      if ((bih === undefined) !== (bhh === undefined)) throw fail(`has only one of '${key("bias_ih", k, rev)}' and '${key("bias_hh", k, rev)}'`);
      for (const b of [bih, bhh]) if (b && (b.shape.length !== 1 || b.shape[0] !== 4 * H)) throw fail(`'${b.name}' has shape ${shapeText(b)}, expected [${4 * H}]`);
      // PyTorch row blocks: i, f, g, o — the IR's input, forget, cell, output.
      const gate = (g: number): Gate => {
        const W = matrix(H, I, wih.data.subarray(g * H * I, (g + 1) * H * I));
        const R = matrix(H, H, whh.data.subarray(g * H * H, (g + 1) * H * H));
        const bias = new Float64Array(H);
        for (let r = 0; r < H; r++) bias[r] = (bih?.data[g * H + r] ?? 0) + (bhh?.data[g * H + r] ?? 0);
        return { W, R, bias };
      };
      const gates = Object.fromEntries(GATE_NAMES.map((name, g) => [name, gate(g)])) as Record<GateName, Gate>;
      cells.push({ gates, activations: { gate: { kind: "sigmoid" }, cell: { kind: "tanh" }, hidden: { kind: "tanh" } } });
    }
    layers.push({
      kind: "lstm",
      name: `${prefix || "lstm"} layer ${k}`,
      inputSize: width,
      hiddenSize: H,
      direction: bidirectional ? "bidirectional" : "forward",
      cells,
      inputForget: false,
    });
    width = H * (bidirectional ? 2 : 1);
  }
  const inputSize = layers[0]!.inputSize;

  // The optional Linear head: every other tensor must belong to it.
  const modules = new Map<string, { weight?: StTensor; bias?: StTensor }>();
  for (const t of rest) {
    const m = /^(?:(.*)\.)?(weight|bias)$/.exec(t.name);
    if (!m) throw fail(`has tensor '${t.name}' that is neither nn.LSTM nor nn.Linear; lstm-gen reads an nn.LSTM with an optional nn.Linear head`);
    const mod = modules.get(m[1] ?? "") ?? {};
    mod[m[2] as "weight" | "bias"] = t;
    modules.set(m[1] ?? "", mod);
  }
  if (modules.size > 1) {
    throw fail(`has several other modules (${[...modules.keys()].map((n) => `'${n}'`).join(", ")}); lstm-gen reads one nn.Linear head, since the activations between layers are not in a state_dict`);
  }
  const conventions = [
    "PyTorch gate order i,f,g,o mapped to input,forget,cell,output; weight_ih/weight_hh row blocks used as per-gate W/R; bias = bias_ih + bias_hh",
    "activations sigmoid/tanh/tanh (nn.LSTM has no other)",
  ];
  if (bidirectional) conventions.push("'_reverse' weights → the reverse cell of a bidirectional layer; output = [forward, reverse] per step");
  let head: Head | undefined;
  const [modName, mod] = [...modules.entries()][0] ?? [];
  if (mod) {
    const w = mod.weight;
    if (!w || w.shape.length !== 2) throw fail(`module '${modName}' has no 2-D weight; it is not an nn.Linear`);
    const [O, nIn] = w.shape as [number, number];
    if (nIn !== width) throw fail(`Linear '${modName}' takes ${nIn} inputs but the LSTM outputs ${width}`);
    if (mod.bias && (mod.bias.shape.length !== 1 || mod.bias.shape[0] !== O)) throw fail(`'${mod.bias.name}' has shape ${shapeText(mod.bias)}, expected [${O}]`);
    if (!opts.head) {
      throw fail(`has an nn.Linear head '${modName}' ${shapeText(w)}; its weights cannot tell whether it reads the last step or every step: give head 'last' or 'every' (--head)`);
    }
    const activation = opts.headActivation ?? "linear";
    const dense: DenseLayer = { name: modName || "linear", W: matrix(O, nIn, w.data), bias: mod.bias ? Float64Array.from(mod.bias.data) : new Float64Array(O), activation };
    head = { reads: opts.head, layers: [dense] };
    conventions.push(`Linear '${modName}' is the head; it reads ${opts.head === "last" ? "out[:, -1] (the last step)" : "every step"} (given as an option), activation ${activation}${opts.headActivation ? " (given as an option)" : " (default; give headActivation if a softmax/sigmoid follows)"}`);
  } else if (opts.head) {
    head = { reads: opts.head, layers: [] };
    conventions.push(`no Linear head; the output is the LSTM's ${opts.head === "last" ? "last step" : "every step"} (given as an option)`);
  }
  if (opts.headActivation && !mod) throw fail(`headActivation '${opts.headActivation}' was given but the state_dict has no Linear head`);

  const batchFirst = opts.batchFirst ?? false;
  conventions.push(batchFirst ? "batch_first=True (given as an option)" : "batch_first=False (PyTorch's default) assumed for the output axes");
  const seqAxes: OutputAxis[] = batchFirst ? ["batch", "time", "unit"] : ["time", "batch", "unit"];
  const output: ModelOutput = head
    ? { name: "output", source: { kind: "head" }, axes: head.reads === "every" ? seqAxes : ["batch", "unit"] }
    : { name: "output", source: { kind: "sequence", layer: layers.length - 1, mergeDirections: true }, axes: seqAxes };
  const producer = metadata["format"] === "pt" ? "pytorch (safetensors format 'pt')" : undefined;
  return validateModel({
    inputName: "input",
    inputSize,
    layers,
    ...(head ? { head } : {}),
    outputs: [output],
    source: { format: "safetensors", file, ...(producer ? { producer } : {}), conventions },
  });
}
