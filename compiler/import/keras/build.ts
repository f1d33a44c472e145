/**
 * A chain of Keras layers plus their weights → the lstm-gen IR. Shared by every Keras-family importer (legacy
 * HDF5, architecture JSON + weights, Keras 3 `.keras`, TF.js layers models); each of them only finds the weights.
 *
 * The one place that knows Keras's LSTM layout: `kernel [I, 4H]`, `recurrent_kernel [H, 4H]`, `bias [4H]`, gate
 * blocks in the order i, f, c, o along the last axis; `recurrent_activation` is the gate activation, `activation`
 * the cell and hidden activation.
 */
import { inputError, type LstmGenError } from "../../errors.js";
import {
  GATE_NAMES,
  type Activation,
  type DenseActivation,
  type DenseLayer,
  type Gate,
  type GateName,
  type HeadReads,
  type LstmCell,
  type LstmLayer,
  type Model,
} from "../../ir/model.js";
import { matrix, validateModel } from "../../ir/validate.js";
import { isObject, type Json, type JsonObject, type KerasLayer, type KerasModelConfig } from "./config.js";

/** One weight array as stored: its name in the file (may be an index), shape and values. */
export interface WeightTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Where a format keeps its weights. */
export interface KerasWeights {
  /** The weights of chain layer `layer` (position `index` in the chain) in Keras order, or [] if it has none. */
  get(layer: KerasLayer, index: number): readonly WeightTensor[];
}

/** hard_sigmoid = clip(alpha·x + beta, 0, 1); which definition applies depends on the runtime that trained the model. */
export interface HardSigmoidRule {
  readonly alpha: number;
  readonly beta: number;
  /** Why, for `source.conventions`, e.g. "Keras 2 (keras_version 2.4.0): hard_sigmoid = clip(0.2x+0.5, 0, 1)". */
  readonly rule: string;
}

export const KERAS2_HARD_SIGMOID = { alpha: 0.2, beta: 0.5 } as const;
export const KERAS3_HARD_SIGMOID = { alpha: 1 / 6, beta: 0.5 } as const;

/** hard_sigmoid for a `keras_version` string: Keras 3 is relu6(x+3)/6, earlier versions 0.2x+0.5. */
export function hardSigmoidFor(version: string | undefined, major: number | undefined, fallback: 2 | 3, where: string): HardSigmoidRule {
  const m = major ?? fallback;
  const v = version === undefined ? `no keras_version in ${where}, Keras ${fallback} assumed` : `keras_version ${version}`;
  return m >= 3
    ? { ...KERAS3_HARD_SIGMOID, rule: `Keras 3 rule (${v}): hard_sigmoid = relu6(x+3)/6 = clip(x/6 + 0.5, 0, 1)` }
    : { ...KERAS2_HARD_SIGMOID, rule: `Keras 2 rule (${v}): hard_sigmoid = clip(0.2x + 0.5, 0, 1)` };
}

export interface KerasBuild {
  readonly file: string;
  /** `source.format`, e.g. "keras-h5". */
  readonly format: string;
  readonly producer?: string;
  /** Conventions already applied while reading the file (how weights were found). */
  readonly conventions: readonly string[];
  readonly hardSigmoid: HardSigmoidRule;
}

/** Layers that do nothing at inference. */
const NO_OPS = new Set(["Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization"]);
const OTHER_RNNS = new Set(["GRU", "SimpleRNN", "CuDNNGRU", "CuDNNLSTM", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "RNN", "GRUV1", "LSTMV1"]);
const DENSE_ACTIVATIONS: readonly DenseActivation[] = ["linear", "relu", "tanh", "sigmoid", "softmax"];

function activationName(v: Json | undefined): string | undefined {
  if (v === null) return "linear";
  if (typeof v === "string") return v;
  // Keras 3 may serialize a built-in activation as {"module": "keras.activations", "class_name": "tanh", ...}.
  if (isObject(v) && typeof v["class_name"] === "string" && !isObject(v["config"])) return v["class_name"];
  if (isObject(v) && typeof v["config"] === "string") return v["config"];
  return undefined;
}

/** Read a Keras activation for an LSTM (any of the IR's activations). */
export function lstmActivation(fail: (p: string) => LstmGenError, field: string, v: Json | undefined, hs: HardSigmoidRule): Activation {
  const name = activationName(v);
  switch (name) {
    case "tanh":
      return { kind: "tanh" };
    case "sigmoid":
      return { kind: "sigmoid" };
    case "relu":
      return { kind: "relu" };
    case "linear":
      return { kind: "linear" };
    case "softsign":
      return { kind: "softsign" };
    case "softplus":
      return { kind: "softplus" };
    case "hard_sigmoid":
      return { kind: "hardSigmoid", alpha: hs.alpha, beta: hs.beta };
    case "elu":
      return { kind: "elu", alpha: 1 };
    case undefined:
      throw fail(`${field} ${JSON.stringify(v) ?? "(missing)"} is not a Keras activation name`);
    default:
      throw fail(`${field} '${name}' is not supported (supported: tanh, sigmoid, hard_sigmoid, relu, linear, softsign, softplus, elu)`);
  }
}

export function denseActivation(fail: (p: string) => LstmGenError, v: Json | undefined): DenseActivation {
  const name = activationName(v ?? null);
  if (name !== undefined && (DENSE_ACTIVATIONS as readonly string[]).includes(name)) return name as DenseActivation;
  throw fail(`activation '${name ?? JSON.stringify(v)}' is not supported after a dense layer (supported: ${DENSE_ACTIVATIONS.join(", ")})`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

export function expectShape(fail: (p: string) => LstmGenError, what: string, t: WeightTensor, shape: readonly number[]): void {
  if (!sameShape(t.shape, shape)) throw fail(`${what} '${t.name}' has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
}

/**
 * One LSTM cell from Keras-layout arrays: kernel [I, 4H], recurrent [H, 4H], bias [4H] (or absent), gate blocks
 * i, f, c, o. Per-gate matrices are transposed to the IR's [H, I] and [H, H].
 */
export function kerasLstmCell(
  I: number,
  H: number,
  kernel: ArrayLike<number>,
  recurrent: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  activations: LstmCell["activations"],
): LstmCell {
  const G = 4 * H;
  const gate = (g: number): Gate => {
    const W = matrix(H, I);
    const R = matrix(H, H);
    const b = new Float64Array(H);
    for (let r = 0; r < H; r++) {
      for (let k = 0; k < I; k++) W.data[r * I + k] = kernel[k * G + g * H + r]!;
      for (let k = 0; k < H; k++) R.data[r * H + k] = recurrent[k * G + g * H + r]!;
      b[r] = bias ? bias[g * H + r]! : 0;
    }
    return { W, R, bias: b };
  };
  // Keras's gate blocks are in the IR's order: i, f, c, o.
  const gates = Object.fromEntries(GATE_NAMES.map((name, g) => [name, gate(g)])) as Record<GateName, Gate>;
  return { gates, activations };
}

/** A dense layer from a Keras kernel [in, out] and bias [out] (transposed to the IR's [out, in]). */
export function kerasDense(name: string, nIn: number, nOut: number, kernel: ArrayLike<number>, bias: ArrayLike<number> | undefined, activation: DenseActivation): DenseLayer {
  const W = matrix(nOut, nIn);
  for (let r = 0; r < nOut; r++) for (let k = 0; k < nIn; k++) W.data[r * nIn + k] = kernel[k * nOut + r]!;
  const b = new Float64Array(nOut);
  if (bias) b.set(Array.from(bias));
  return { name, W, bias: b, activation };
}

const ROLES = ["kernel", "recurrent_kernel", "bias"] as const;
type Role = (typeof ROLES)[number];

/** The role of a weight from its name ("lstm_9/lstm_cell_9/recurrent_kernel:0" → recurrent_kernel), if it says. */
function roleOf(name: string): Role | undefined {
  const seg = name.split("/").pop()!.replace(/:\d+$/, "");
  return (ROLES as readonly string[]).includes(seg) ? (seg as Role) : undefined;
}

/** Assign weights to roles: by name when every name states its role, else in Keras order. */
function byRole(fail: (p: string) => LstmGenError, tensors: readonly WeightTensor[], roles: readonly Role[], required: readonly Role[]): Partial<Record<Role, WeightTensor>> {
  const out: Partial<Record<Role, WeightTensor>> = {};
  if (tensors.length > 0 && tensors.every((t) => roleOf(t.name) !== undefined)) {
    for (const t of tensors) {
      const r = roleOf(t.name)!;
      if (!roles.includes(r)) throw fail(`has an unexpected weight '${t.name}'`);
      if (out[r]) throw fail(`has two '${r}' weights ('${out[r]!.name}', '${t.name}')`);
      out[r] = t;
    }
  } else {
    if (tensors.length > roles.length) throw fail(`has ${tensors.length} weight arrays, expected at most ${roles.length} (${roles.join(", ")})`);
    tensors.forEach((t, k) => (out[roles[k]!] = t));
  }
  for (const r of required) if (!out[r]) throw fail(`has no '${r}' weight (found ${tensors.length}: ${tensors.map((t) => t.name).join(", ") || "none"})`);
  return out;
}

/** Split a Bidirectional layer's weights into forward and backward: by the `forward_…`/`backward_…` path segment, else by halves. */
function splitDirections(fail: (p: string) => LstmGenError, tensors: readonly WeightTensor[]): [WeightTensor[], WeightTensor[]] {
  const dir = (name: string): "f" | "b" | undefined => {
    const segs = name.split("/");
    if (segs.some((s) => s.startsWith("forward_"))) return "f";
    if (segs.some((s) => s.startsWith("backward_"))) return "b";
    return undefined;
  };
  if (tensors.length > 0 && tensors.every((t) => dir(t.name) !== undefined)) {
    return [tensors.filter((t) => dir(t.name) === "f"), tensors.filter((t) => dir(t.name) === "b")];
  }
  if (tensors.length % 2 !== 0) throw fail(`has ${tensors.length} weight arrays; a Bidirectional LSTM has an even number`);
  return [tensors.slice(0, tensors.length / 2), tensors.slice(tensors.length / 2)];
}

function bool(v: Json | undefined, dflt: boolean): boolean {
  return typeof v === "boolean" ? v : dflt;
}

/** Build and validate the IR for a chain of Keras layers. */
export function buildKerasModel(b: KerasBuild, cfg: KerasModelConfig, weights: KerasWeights): Model {
  const { file } = b;
  // Notes made while building; the weight sources may add to b.conventions meanwhile (they match lazily).
  const notes: string[] = [];
  const note = (s: string) => {
    if (!notes.includes(s)) notes.push(s);
  };

  const stated = cfg.inputShape;
  let inputSize: number | undefined = stated && stated.length >= 2 ? stated[stated.length - 1] ?? undefined : undefined;
  const steps = stated && stated.length === 3 ? stated[1] ?? undefined : undefined;
  let width = inputSize;
  let kind: "seq" | "vec" = "seq";
  /** Whether the Keras sequence at this point runs backwards in input time (after a go_backwards layer). */
  let reversed = false;
  const inputDense: DenseLayer[] = [];
  const layers: LstmLayer[] = [];
  const head: DenseLayer[] = [];
  let reads: HeadReads | undefined;
  let flattenSteps: number | undefined;
  let flattenReversed = false;
  /** The list whose last element is the dense layer just added (for a following Activation/Softmax). */
  let lastDense: DenseLayer[] | undefined;
  let usedHardSigmoid = false;

  const hs = b.hardSigmoid;

  cfg.layers.forEach((layer, index) => {
    const fail = (problem: string) => inputError(file, `layer '${layer.name}' (${layer.className}): ${problem}`);
    const c = layer.config;
    const cls = layer.className;

    const checkWidth = (nIn: number) => {
      if (width === undefined) {
        inputSize ??= nIn;
        width = nIn;
      } else if (nIn !== width) {
        throw fail(`its weights take ${nIn} inputs but it receives ${width}`);
      }
    };

    const dense = (dc: JsonObject, tensors: readonly WeightTensor[]): DenseLayer => {
      const useBias = bool(dc["use_bias"], true);
      const w = byRole(fail, tensors, ["kernel", "bias"], useBias ? ["kernel", "bias"] : ["kernel"]);
      const kernel = w.kernel!;
      if (kernel.shape.length !== 2) throw fail(`kernel '${kernel.name}' has shape [${kernel.shape.join(", ")}], expected [inputs, units]`);
      const [nIn, nOut] = kernel.shape as [number, number];
      if (typeof dc["units"] === "number" && dc["units"] !== nOut) throw fail(`has units=${dc["units"]} but its kernel has ${nOut} columns`);
      checkWidth(nIn);
      if (w.bias) expectShape(fail, "bias", w.bias, [nOut]);
      let d = kerasDense(layer.name, nIn, nOut, kernel.data, w.bias?.data, denseActivation(fail, dc["activation"]));
      if (flattenSteps !== undefined && head.length === 0 && flattenReversed) d = reverseFlattenedColumns(d, flattenSteps);
      return d;
    };

    const addDense = (d: DenseLayer, timeDistributed: boolean) => {
      if (kind === "seq") {
        if (layers.length === 0) {
          inputDense.push(d);
          lastDense = inputDense;
        } else {
          reads = "every";
          head.push(d);
          lastDense = head;
        }
      } else {
        if (timeDistributed) throw fail("TimeDistributed needs a sequence input, but the previous layer outputs one vector");
        head.push(d);
        lastDense = head;
      }
      width = d.W.rows;
    };

    const lstmCell = (lc: JsonObject, tensors: readonly WeightTensor[], where: string): { cell: LstmCell; H: number } => {
      const f = (p: string) => fail(where ? `${where}: ${p}` : p);
      const H = lc["units"];
      if (typeof H !== "number" || !Number.isInteger(H) || H < 1) throw f("has no valid 'units' (Keras 1 configs are not supported)");
      if (bool(lc["return_state"], false)) throw f("return_state=True is not supported");
      if (bool(lc["time_major"], false)) throw f("time_major=True is not supported");
      const useBias = bool(lc["use_bias"], true);
      const w = byRole(f, tensors, ROLES, useBias ? ROLES : ["kernel", "recurrent_kernel"]);
      const kernel = w.kernel!;
      if (kernel.shape.length !== 2) throw f(`kernel '${kernel.name}' has shape [${kernel.shape.join(", ")}], expected [inputs, ${4 * H}]`);
      const I = kernel.shape[0]!;
      expectShape(f, "kernel", kernel, [I, 4 * H]);
      expectShape(f, "recurrent_kernel", w.recurrent_kernel!, [H, 4 * H]);
      if (w.bias) expectShape(f, "bias", w.bias, [4 * H]);
      checkWidth(I);
      const gate = lstmActivation(f, "recurrent_activation", lc["recurrent_activation"], hs);
      const act = lstmActivation(f, "activation", lc["activation"], hs);
      if (gate.kind === "hardSigmoid" || act.kind === "hardSigmoid") usedHardSigmoid = true;
      if (!useBias) note(`layer '${layer.name}': use_bias=False, so every gate bias is 0`);
      if (bool(lc["stateful"], false)) {
        note(
          `layer '${layer.name}': stateful=True — Keras carries (h, c) from one call to the next; lstm-gen starts every sequence from zero state (to continue a stream, set the cell's initialH/initialC to the previous run's final state)`,
        );
      }
      const cell = kerasLstmCell(I, H, kernel.data, w.recurrent_kernel!.data, w.bias?.data, { gate, cell: act, hidden: act });
      return { cell, H };
    };

    if (cls === "InputLayer") return;
    if (NO_OPS.has(cls)) {
      note(`${cls} layers are identities at inference and were skipped`);
      return;
    }
    if (OTHER_RNNS.has(cls)) throw fail(`${cls} layers are not supported (lstm-gen compiles Keras LSTM layers)`);

    switch (cls) {
      case "LSTM": {
        if (kind !== "seq") throw fail("receives one vector per sequence (the previous recurrent layer has return_sequences=False)");
        if (head.length > 0) throw fail("dense layers between recurrent layers are not supported");
        const nIn = width;
        const { cell, H } = lstmCell(c, weights.get(layer, index), "");
        const goBackwards = bool(c["go_backwards"], false);
        reversed = reversed !== goBackwards;
        if (goBackwards) {
          note(
            `layer '${layer.name}': go_backwards=True → direction 'reverse' (it reads x[T-1] first); Keras returns its sequence in processing order, so Keras step s is lstm-gen step T-1-s`,
          );
        }
        layers.push({
          kind: "lstm",
          name: layer.name,
          inputSize: nIn ?? width!,
          hiddenSize: H,
          direction: reversed ? "reverse" : "forward",
          cells: [cell],
          inputForget: false,
        });
        lastDense = undefined;
        width = H;
        if (!bool(c["return_sequences"], false)) {
          kind = "vec";
          reads = "final";
        }
        return;
      }
      case "Bidirectional": {
        if (kind !== "seq") throw fail("receives one vector per sequence (the previous recurrent layer has return_sequences=False)");
        if (head.length > 0) throw fail("dense layers between recurrent layers are not supported");
        if (reversed) throw fail("a Bidirectional layer after a go_backwards layer with return_sequences=True is not supported");
        const inner = c["layer"];
        if (!isObject(inner) || typeof inner["class_name"] !== "string") throw fail("has no wrapped layer");
        if (inner["class_name"] !== "LSTM") throw fail(`wraps a ${inner["class_name"]}; only Bidirectional(LSTM) is supported`);
        const mode = c["merge_mode"] ?? "concat";
        if (mode !== "concat") throw fail(`merge_mode '${String(mode)}' is not supported (only 'concat')`);
        const fc = isObject(inner["config"]) ? inner["config"] : {};
        const back = c["backward_layer"];
        const bc = isObject(back) && isObject(back["config"]) ? back["config"] : fc;
        if (isObject(back) && back["class_name"] !== "LSTM") throw fail(`has a ${String(back["class_name"])} backward layer; only LSTM is supported`);
        if (bool(fc["go_backwards"], false)) throw fail("wraps an LSTM with go_backwards=True; not supported");
        const [ft, bt] = splitDirections(fail, weights.get(layer, index));
        const nIn = width;
        const fwd = lstmCell(fc, ft, "forward layer");
        const bwd = lstmCell(bc, bt, "backward layer");
        if (fwd.H !== bwd.H) throw fail(`forward and backward layers have different units (${fwd.H}, ${bwd.H})`);
        const rs = bool(fc["return_sequences"], false);
        if (isObject(back) && bool(bc["return_sequences"], false) !== rs) throw fail("forward and backward layers disagree on return_sequences");
        layers.push({
          kind: "lstm",
          name: layer.name,
          inputSize: nIn ?? width!,
          hiddenSize: fwd.H,
          direction: "bidirectional",
          cells: [fwd.cell, bwd.cell],
          inputForget: false,
        });
        note(`layer '${layer.name}': Bidirectional(LSTM), merge_mode concat → direction 'bidirectional', forward half first`);
        lastDense = undefined;
        width = 2 * fwd.H;
        if (!rs) {
          kind = "vec";
          reads = "final";
        }
        return;
      }
      case "Dense":
        addDense(dense(c, weights.get(layer, index)), false);
        if (kind === "seq") note("a Dense layer on a sequence is applied at every step (as TimeDistributed(Dense))");
        return;
      case "TimeDistributed": {
        const inner = c["layer"];
        if (!isObject(inner) || inner["class_name"] !== "Dense") {
          throw fail(`wraps a ${isObject(inner) ? String(inner["class_name"]) : "missing layer"}; only TimeDistributed(Dense) is supported`);
        }
        addDense(dense(isObject(inner["config"]) ? inner["config"] : {}, weights.get(layer, index)), true);
        return;
      }
      case "Activation":
      case "Softmax": {
        let act: DenseActivation;
        if (cls === "Softmax") {
          const axis = c["axis"];
          if (!(axis === undefined || axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1))) {
            throw fail(`softmax over axis ${JSON.stringify(axis)} is not supported (only the last axis)`);
          }
          act = "softmax";
        } else {
          act = denseActivation(fail, c["activation"]);
        }
        if (act === "linear") return;
        const list = lastDense;
        const prev = list?.[list.length - 1];
        if (!list || !prev) throw fail("an activation layer is supported only right after a Dense layer");
        if (prev.activation !== "linear") throw fail(`follows Dense layer '${prev.name}', which already has activation '${prev.activation}'`);
        list[list.length - 1] = { ...prev, activation: act };
        note(`${cls} layer '${layer.name}' merged into dense layer '${prev.name}' as its activation (${act})`);
        return;
      }
      case "Flatten": {
        if (kind === "vec") {
          note(`Flatten layer '${layer.name}' on a vector is a no-op`);
          return;
        }
        if (layers.length === 0) throw fail("Flatten before the first recurrent layer is not supported");
        if (head.length > 0) throw fail("Flatten after per-step dense layers is not supported");
        if (steps === undefined) throw fail("Flatten of a sequence needs a fixed sequence length, but the model's input shape does not state one");
        reads = "flatten";
        flattenSteps = steps;
        flattenReversed = reversed;
        kind = "vec";
        width = width! * steps;
        lastDense = undefined;
        note(`Flatten layer '${layer.name}' of a ${steps}-step sequence → the head reads all ${steps} steps concatenated (the model then runs only ${steps}-step sequences)`);
        if (reversed) note(`the flattened sequence is in Keras processing order; the next dense layer's weight blocks were reordered to lstm-gen's input-time order`);
        return;
      }
      case "Masking":
        throw fail("Masking is not supported (lstm-gen runs every step of every sequence)");
      default:
        throw fail(`${cls} layers are not supported (lstm-gen reads LSTM, Bidirectional(LSTM), Dense, TimeDistributed(Dense), Activation, Softmax, Flatten, Dropout, InputLayer)`);
    }
  });

  if (layers.length === 0) throw inputError(file, "the model has no LSTM layer");
  if (reads === "flatten" && head.length === 0 && flattenReversed) {
    throw inputError(file, "a Flatten of a go_backwards sequence at the model output is not supported");
  }
  const headReads: HeadReads = reads ?? "every";
  if (headReads === "every" && reversed) {
    note(
      "the model outputs a sequence produced by a go_backwards layer: Keras gives it in processing order (its step 0 read x[T-1]); lstm-gen gives every step in input-time order, i.e. lstm-gen step t = Keras step T-1-t",
    );
  }
  note("Keras gate order i,f,c,o mapped to input,forget,cell,output; kernel [I,4H] and recurrent_kernel [H,4H] split per gate and transposed; recurrent_activation → gate activation, activation → cell and hidden activations");
  if (usedHardSigmoid) note(hs.rule);
  if (inputDense.length > 0) note(`${inputDense.length} dense layer(s) before the first LSTM are applied to the input at every step (IR inputDense)`);

  const model: Model = {
    inputName: cfg.inputName,
    inputSize: inputSize ?? 0,
    ...(inputDense.length > 0 ? { inputDense } : {}),
    layers,
    head: { reads: headReads, ...(flattenSteps !== undefined ? { steps: flattenSteps } : {}), layers: head },
    outputs: [{ name: cfg.outputName, source: { kind: "head" }, axes: headReads === "every" ? ["batch", "time", "unit"] : ["batch", "unit"] }],
    source: { format: b.format, file, ...(b.producer ? { producer: b.producer } : {}), conventions: [...b.conventions, ...notes] },
  };
  return validateModel(model);
}

/** The first dense layer after a Flatten of a reversed sequence: its column block t reads Keras step t = IR step T-1-t. */
function reverseFlattenedColumns(d: DenseLayer, steps: number): DenseLayer {
  const cols = d.W.cols;
  const w = cols / steps;
  const W = matrix(d.W.rows, cols);
  for (let r = 0; r < d.W.rows; r++) {
    for (let t = 0; t < steps; t++) {
      for (let k = 0; k < w; k++) W.data[r * cols + (steps - 1 - t) * w + k] = d.W.data[r * cols + t * w + k]!;
    }
  }
  return { ...d, W };
}
