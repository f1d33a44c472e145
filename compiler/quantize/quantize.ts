/**
 * The quantizer: float IR + calibration → `QuantizedModel`, exactly as docs/fixed-point.md §1–§7 prescribe.
 * This is the "prepare" step: every float scale becomes an integer multiplier and shift here, once, so the
 * golden model and the generated code only ever touch integers.
 */
import { inputError, LstmGenError, usageError } from "../errors.js";
import type { Activation, DenseLayer, LstmCell, LstmLayer, Matrix, Model } from "../ir/model.js";
import { GATE_NAMES } from "../ir/model.js";
import { headOutputSize } from "../ir/validate.js";
import type { Calibration, CellCalibration } from "./calibrate.js";
import { buildTables, roundHalfAway, sat16, sat32 } from "./primitives.js";
import type {
  CellMode,
  QActivation,
  QCell,
  QDenseLayer,
  QGate,
  QLstmLayer,
  QMatrix,
  QuantizedModel,
  WeightMode,
} from "./qmodel.js";

export interface QuantizeOptions {
  /** Weight storage (§2): int8 (default) or int16. */
  readonly weights?: WeightMode;
  /** Cell state storage (§5): int16 (default) or int32. */
  readonly cell?: CellMode;
  /** Input headroom in bits (§1), an integer in 0..8; default 2. */
  readonly inputHeadroom?: number;
}

export const DEFAULT_INPUT_HEADROOM = 2;

const TWO31 = 2147483648;

/** §6 The proven bound and the pre-shift that keeps `rshr(acc, p)` within int32. */
export function preShiftFor(accBound: number): { accBits: 32 | 64; preShift: number } {
  if (accBound <= TWO31 - 1) return { accBits: 32, preShift: 0 };
  // The smallest p with |rshr(±accBound, p)| ≤ 2^31 - 1; it equals ceil(log2((accBound + 1) / 2^31)) (§6).
  let p = Math.max(1, Math.ceil(Math.log2((accBound + 1) / TWO31)) - 1);
  while (Math.floor((accBound + 2 ** (p - 1)) / 2 ** p) > TWO31 - 1) p++;
  return { accBits: 64, preShift: p };
}

/**
 * §2.1 Normalise a positive real multiplier `target` (= S_r · 2^(16+p)) to M · 2^-n with M in [2^30, 2^31) and
 * n in [1, 62]; when n would exceed 62, n = 62 and M is smaller (possibly 0). Returns undefined when n would be
 * below 1 (the weights are too large to requantize into Q15.16).
 */
export function normaliseMultiplier(target: number): { mult: number; shift: number } | undefined {
  if (!(target > 0)) return { mult: 0, shift: 1 };
  let e = Math.floor(Math.log2(target));
  if (target * 2 ** (30 - e) >= TWO31) e++;
  if (target * 2 ** (30 - e) < 2 ** 30) e--;
  let n = 30 - e;
  if (n > 62) return { mult: roundHalfAway(target * 2 ** 62), shift: 62 };
  let m = roundHalfAway(target * 2 ** n);
  if (m === TWO31) {
    m = 2 ** 30;
    n -= 1;
  }
  if (n < 1) return undefined;
  return { mult: m, shift: n };
}

/**
 * §2 Quantize `W` ([rows, cols]) for an int16 input vector whose element k stands for `unit[k]` real units:
 * per-row scales over the folded weights W[r,k]·unit[k].
 */
export function quantizeMatrix(W: Matrix, unit: (k: number) => number, weights: WeightMode, file: string, where: string): QMatrix {
  const { rows, cols } = W;
  const qmax = weights === "int8" ? 127 : 32767;
  const q = weights === "int8" ? new Int8Array(rows * cols) : new Int16Array(rows * cols);
  const rowMax = new Float64Array(rows);
  let accBound = 0;
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let k = 0; k < cols; k++) m = Math.max(m, Math.abs(W.data[r * cols + k]! * unit(k)));
    rowMax[r] = m;
    let sum = 0;
    if (m > 0) {
      for (let k = 0; k < cols; k++) {
        const v = roundHalfAway(((W.data[r * cols + k]! * unit(k)) / m) * qmax);
        const c = Math.max(-qmax, Math.min(qmax, v));
        q[r * cols + k] = c;
        sum += Math.abs(c);
      }
    }
    accBound = Math.max(accBound, sum * 32768);
  }
  const { accBits, preShift } = preShiftFor(accBound);
  const mult = new Int32Array(rows);
  const shift = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    // S_r = rowMax / qmax real units per unit of q·v; in Q15.16 after the pre-shift: S_r · 2^(16+p).
    const norm = normaliseMultiplier((rowMax[r]! / qmax) * 2 ** (16 + preShift));
    if (!norm) {
      throw inputError(file, `${where}: row ${r} has weights too large for the fixed-point range (|W·unit| = ${rowMax[r]!.toExponential(3)})`);
    }
    mult[r] = norm.mult;
    shift[r] = norm.shift;
  }
  return { rows, cols, q, mult, shift, preShift, accBound, accBits };
}

/** Q15.16 int32 from a real value (bias, clip), saturated. */
function q1516(v: number): number {
  return sat32(roundHalfAway(v * 65536));
}

/**
 * §3.3 The format of a calibrated int16 quantity with one bit of headroom: F = 15 - m, m the smallest integer
 * ≥ 0 with 2 · maxAbs < 2^m, clamped to [0, 15].
 */
export function outFracFor(maxAbs: number): number {
  return Math.max(0, Math.min(15, 15 - smallestExponent(2 * maxAbs)));
}

/** The smallest integer m ≥ 0 with v < 2^m. */
function smallestExponent(v: number): number {
  let m = 0;
  while (m < 1100 && v >= 2 ** m) m++;
  return m;
}

/**
 * §5 Cell format: `cFrac = 15 - m` (int16) or `31 - m` (int32), m the smallest integer ≥ 0 with
 * 1.5 · max|c| < 2^m, clamped to ≥ 0, and to ≤ gFrac (int16 cells) or ≤ gFrac + 16 (int32 cells, which keeps
 * conv(i·g) < 2^46, §6).
 */
export function cellFracFor(maxC: number, cell: CellMode, gFrac: number): number {
  const m = smallestExponent(1.5 * maxC);
  return cell === "int16" ? Math.max(0, Math.min(gFrac, 15 - m)) : Math.max(0, Math.min(gFrac + 16, 31 - m));
}

/** §4.1 Peephole format: the largest F in [0, 15] with round(max|P| · 2^F) ≤ 32767. */
export function peepholeFracFor(maxP: number): number | undefined {
  for (let f = 15; f >= 0; f--) if (roundHalfAway(maxP * 2 ** f) <= 32767) return f;
  return undefined;
}

/** §3.2 alpha_q = round(alpha · 2^15), beta_q = round(beta · 2^15), refused unless both fit int32. */
function hardSigmoid(a: { alpha: number; beta: number }, file: string, where: string): QActivation {
  const alpha = roundHalfAway(a.alpha * 32768);
  const beta = roundHalfAway(a.beta * 32768);
  if (Math.abs(alpha) > TWO31 - 1 || Math.abs(beta) > TWO31 - 1) {
    throw inputError(file, `${where}: hardSigmoid alpha=${a.alpha}, beta=${a.beta} are outside the fixed-point range (|alpha|, |beta| < 65536)`);
  }
  return { kind: "hardSigmoid", alpha, beta };
}

type Role = "gate" | "cell" | "hidden";
const SUPPORTED: Readonly<Record<Role, readonly string[]>> = {
  gate: ["sigmoid", "hardSigmoid"],
  cell: ["tanh", "sigmoid", "hardSigmoid", "relu"],
  hidden: ["tanh", "sigmoid", "hardSigmoid", "relu"],
};

/** §4.2 Map an LSTM activation to its activation unit, or refuse it naming the layer. */
function lstmActivation(a: Activation, role: Role, reluFrac: number, file: string, where: string): QActivation {
  if (!SUPPORTED[role].includes(a.kind)) {
    throw inputError(
      file,
      `${where}: the ${role} activation '${a.kind}' has no fixed-point implementation (supported: ${SUPPORTED[role].join(", ")}); the float engine can run this model`,
    );
  }
  switch (a.kind) {
    case "sigmoid":
      return { kind: "sigmoid" };
    case "tanh":
      return { kind: "tanh" };
    case "hardSigmoid":
      return hardSigmoid(a, file, where);
    default:
      return { kind: "relu", outFrac: reluFrac };
  }
}

function quantizeGateCell(
  layer: LstmLayer,
  cell: LstmCell,
  inputUnit: (k: number) => number,
  fmt: { hFrac: number; cFrac: number; cellBits: 16 | 32; peepholeFrac: number },
  weights: WeightMode,
  file: string,
  where: string,
): QCell {
  const H = layer.hiddenSize;
  const hUnit = 2 ** -fmt.hFrac;
  const peep = (v: Float64Array) => {
    const out = new Int16Array(H);
    for (let r = 0; r < H; r++) out[r] = sat16(roundHalfAway(v[r]! * 2 ** fmt.peepholeFrac));
    return out;
  };
  const gate = (name: (typeof GATE_NAMES)[number]): QGate => {
    const g = cell.gates[name];
    const bias = new Int32Array(H);
    for (let r = 0; r < H; r++) bias[r] = q1516(g.bias[r]!);
    const base = {
      W: quantizeMatrix(g.W, inputUnit, weights, file, `${where} gate '${name}' W`),
      R: quantizeMatrix(g.R, () => hUnit, weights, file, `${where} gate '${name}' R`),
      bias,
    };
    const p = cell.peephole;
    if (!p || name === "cell") return base;
    return { ...base, peephole: peep(p[name]) };
  };
  const initialH = new Int16Array(H);
  const initialC = fmt.cellBits === 16 ? new Int16Array(H) : new Int32Array(H);
  const satC = fmt.cellBits === 16 ? sat16 : sat32;
  for (let r = 0; r < H; r++) {
    initialH[r] = sat16(roundHalfAway((cell.initialH?.[r] ?? 0) * 2 ** fmt.hFrac));
    initialC[r] = satC(roundHalfAway((cell.initialC?.[r] ?? 0) * 2 ** fmt.cFrac));
  }
  return {
    gates: { input: gate("input"), forget: gate("forget"), cell: gate("cell"), output: gate("output") },
    peepholeFrac: fmt.peepholeFrac,
    initialH,
    initialC,
  };
}

function maxOver(cells: readonly CellCalibration[], f: (c: CellCalibration) => number): number {
  return cells.reduce((m, c) => Math.max(m, f(c)), 0);
}

function quantizeLstm(
  layer: LstmLayer,
  index: number,
  cal: readonly CellCalibration[],
  inputUnit: (k: number) => number,
  opts: Required<QuantizeOptions>,
  file: string,
): QLstmLayer {
  const where = `layer ${index} ('${layer.name}')`;
  const acts = layer.cells[0]!.activations;
  for (const c of layer.cells) {
    for (const role of ["gate", "cell", "hidden"] as const) {
      if (JSON.stringify(c.activations[role]) !== JSON.stringify(acts[role])) {
        throw inputError(file, `${where}: the two directions use different ${role} activations; lstm-gen's fixed-point layers need them equal`);
      }
    }
  }
  const gFrac = acts.cell.kind === "relu" ? outFracFor(maxOver(cal, (c) => c.g)) : 15;
  const hFrac = acts.hidden.kind === "relu" ? outFracFor(maxOver(cal, (c) => c.hidden)) : 15;
  const gateActivation = lstmActivation(acts.gate, "gate", 15, file, where);
  const cellActivation = lstmActivation(acts.cell, "cell", gFrac, file, where);
  const hiddenActivation = lstmActivation(acts.hidden, "hidden", hFrac, file, where);
  const cellBits = opts.cell === "int16" ? 16 : 32;
  const cFrac = cellFracFor(maxOver(cal, (c) => c.c), opts.cell, gFrac);
  const cells = layer.cells.map((cell, d) => {
    const cw = layer.cells.length === 2 ? `${where} ${d === 0 ? "forward" : "reverse"}` : where;
    let peepholeFrac = 15;
    if (cell.peephole) {
      let m = 0;
      for (const v of [cell.peephole.input, cell.peephole.forget, cell.peephole.output]) for (const x of v) m = Math.max(m, Math.abs(x));
      const f = peepholeFracFor(m);
      if (f === undefined) throw inputError(file, `${cw}: peephole weights (max |p| = ${m}) exceed the int16 range`);
      peepholeFrac = f;
    }
    return quantizeGateCell(layer, cell, inputUnit, { hFrac, cFrac, cellBits, peepholeFrac }, opts.weights, file, cw);
  });
  const base = {
    name: layer.name,
    inputSize: layer.inputSize,
    hiddenSize: layer.hiddenSize,
    direction: layer.direction,
    cells,
    inputForget: layer.inputForget,
    gateActivation,
    cellActivation,
    hiddenActivation,
    gFrac,
    cellBits,
    cFrac,
    hFrac,
  } as const;
  return layer.clip === undefined ? base : { ...base, clip: q1516(layer.clip) };
}

function quantizeDense(
  d: DenseLayer,
  index: number,
  cal: { pre: number; out: number },
  inputUnit: (k: number) => number,
  weights: WeightMode,
  file: string,
  kind = "dense layer",
): QDenseLayer {
  const where = `${kind} ${index} ('${d.name}')`;
  const bias = new Int32Array(d.W.rows);
  for (let r = 0; r < d.W.rows; r++) bias[r] = q1516(d.bias[r]!);
  const W = quantizeMatrix(d.W, inputUnit, weights, file, `${where} W`);
  switch (d.activation) {
    case "relu":
    case "linear": {
      const outFrac = outFracFor(cal.out);
      return { name: d.name, W, bias, activation: { kind: d.activation, outFrac }, outFrac };
    }
    case "sigmoid":
    case "tanh":
      return { name: d.name, W, bias, activation: { kind: d.activation }, outFrac: 15 };
    case "softmax":
      return { name: d.name, W, bias, activation: { kind: "softmax" }, outFrac: 15 };
  }
}

/**
 * The first layer's input weights are scaled by the calibrated input range (§2.1). When that product leaves the
 * fixed-point range, the weights alone are fine and the range is to blame: say so, naming the calibration source.
 */
function checkInputRange(model: Model, scale: Float64Array, weights: WeightMode, calibration: Calibration, headroom: number): void {
  const first = model.layers[0];
  const mats = model.inputDense?.[0]
    ? [model.inputDense[0].W]
    : first
      ? first.cells.flatMap((c) => GATE_NAMES.map((g) => c.gates[g].W))
      : model.head?.layers[0]
        ? [model.head.layers[0].W]
        : [];
  // A flattening head on the raw input (no LSTM, no input dense) repeats the per-feature scales every I columns.
  const I = model.inputSize;
  const fits = (W: Matrix, unit: (k: number) => number) => {
    try {
      quantizeMatrix(W, unit, weights, "", "");
      return true;
    } catch (e) {
      if (e instanceof LstmGenError) return false;
      throw e;
    }
  };
  const unitRange = 2 ** headroom / 32767;
  for (const W of mats) {
    // With inputs of range 1 the weights alone fit: then the calibrated range is what overflows.
    if (!fits(W, (k) => scale[k % I]!) && fits(W, () => unitRange)) {
      let k = 0;
      calibration.input.forEach((m, j) => (k = m > calibration.input[k]! ? j : k));
      throw inputError(
        calibration.source,
        `input feature ${k} reaches |x| = ${calibration.input[k]!.toExponential(3)}; scaled by the model's first-layer weights this exceeds the fixed-point range (check the calibration data for extreme values)`,
      );
    }
  }
}

/** Quantize `model` with the ranges in `calibration` (docs/fixed-point.md §1–§7). Never mutates the model. */
export function quantizeModel(model: Model, calibration: Calibration, options: QuantizeOptions = {}): QuantizedModel {
  const opts: Required<QuantizeOptions> = {
    weights: options.weights ?? "int8",
    cell: options.cell ?? "int16",
    inputHeadroom: options.inputHeadroom ?? DEFAULT_INPUT_HEADROOM,
  };
  if (opts.weights !== "int8" && opts.weights !== "int16") throw usageError(`--weights must be int8 or int16, got '${String(opts.weights)}'`);
  if (opts.cell !== "int16" && opts.cell !== "int32") throw usageError(`--cell must be int16 or int32, got '${String(opts.cell)}'`);
  if (!Number.isInteger(opts.inputHeadroom) || opts.inputHeadroom < 0 || opts.inputHeadroom > 8) {
    throw usageError(`--input-headroom must be an integer number of bits in 0..8, got ${opts.inputHeadroom}`);
  }
  const file = model.source.file;
  if (model.layers.length === 0 && (model.head?.layers.length ?? 0) === 0) {
    throw inputError(file, "the model has neither recurrent nor dense layers; there is nothing to quantize");
  }
  if (
    calibration.input.length !== model.inputSize ||
    calibration.layers.length !== model.layers.length ||
    calibration.dense.length !== (model.head?.layers.length ?? 0) ||
    (calibration.inputDense?.length ?? 0) !== (model.inputDense?.length ?? 0) ||
    calibration.layers.some((l, k) => l.cells.length !== model.layers[k]!.cells.length)
  ) {
    throw new Error("quantizeModel: the calibration was measured on a different model");
  }

  // §1 Per-feature input scales; a feature that is 0 throughout the calibration data gets the scale of max|x| = 1.
  const scale = new Float64Array(model.inputSize);
  calibration.input.forEach((m, k) => (scale[k] = ((m > 0 ? m : 1) * 2 ** opts.inputHeadroom) / 32767));

  checkInputRange(model, scale, opts.weights, calibration, opts.inputHeadroom);

  let unit: (k: number) => number = (k) => scale[k]!;
  // §7.3 Input dense layers: §7's arithmetic at every step; the first LSTM reads the last one's output (2^-outFrac).
  const inputDense = (model.inputDense ?? []).map((d, k) => {
    const q = quantizeDense(d, k, calibration.inputDense![k]!, unit, opts.weights, file, "input dense layer");
    const u = 2 ** -q.outFrac;
    unit = () => u;
    return q;
  });
  const layers = model.layers.map((layer, l) => {
    const q = quantizeLstm(layer, l, calibration.layers[l]!.cells, unit, opts, file);
    const u = 2 ** -q.hFrac;
    unit = () => u;
    return q;
  });
  let outputFrac = layers[layers.length - 1]?.hFrac ?? 15;
  let head: QuantizedModel["head"];
  if (model.head) {
    const flatten = model.head.reads === "flatten";
    const dense = model.head.layers.map((d, k) => {
      // §7.4 A flattening head's first layer reads T copies of the top width, Y[0] first: column j has the unit of
      // element j mod width of one step.
      const width = model.layers.length > 0 || inputDense.length > 0 ? 0 : model.inputSize;
      const prev = unit;
      const u0 = flatten && k === 0 && width > 0 ? (j: number) => prev(j % width) : unit;
      const q = quantizeDense(d, k, calibration.dense[k]!, u0, opts.weights, file);
      const u = 2 ** -q.outFrac;
      unit = () => u;
      return q;
    });
    if (dense.length > 0) outputFrac = dense[dense.length - 1]!.outFrac;
    head = flatten ? { reads: model.head.reads, steps: model.head.steps!, layers: dense } : { reads: model.head.reads, layers: dense };
  }
  return {
    weights: opts.weights,
    cell: opts.cell,
    input: { size: model.inputSize, scale, headroomBits: opts.inputHeadroom },
    ...(inputDense.length > 0 ? { inputDense } : {}),
    layers,
    ...(head ? { head } : {}),
    outputFrac,
    outputSize: headOutputSize(model),
    tables: buildTables(),
    float: model,
  };
}
