/**
 * The integer golden model: docs/fixed-point.md executed in TypeScript, bit for bit. Every integer target must
 * reproduce `runGolden`'s `IntSequenceRun`.
 *
 * All values are plain numbers: every intermediate is an integer whose bound (§6) is below 2^53, except the
 * requantization product `rshr(acc, p) · M` (< 2^62) and the hard-sigmoid product, which go through the exact
 * limb split of `mulShr` (compiler/quantize/primitives.ts).
 *
 * Layout: `quantizeInput` (host-side float → int16), `runGolden` (whole sequences, all layers and directions),
 * `dequantizeRun` (the float view for reports and output assembly), and a streaming API (`goldenInit`,
 * `goldenStep`) for unidirectional stacks, which must agree with `runGolden` step for step.
 */
import { usageError } from "../errors.js";
import type { CellTrace, LayerRun, SequenceRun } from "../reference/float.js";
import {
  conv,
  hardSigmoidQ,
  linearQ,
  reluQ,
  roundHalfAway,
  rq,
  rshr,
  sat16,
  sat32,
  sigmoidQ,
  softmaxQ,
  tanhQ,
} from "../quantize/primitives.js";
import type { QActivation, QCell, QDenseLayer, QLstmLayer, QMatrix, QTables, QuantizedModel } from "../quantize/qmodel.js";
import type { GoldenOptions, IntCellTrace, IntLayerRun, IntSequenceRun } from "./types.js";

/**
 * Observers of the intermediates whose widths §6 proves, for the property tests. Each receives the exact
 * integer value (before any saturation that follows it).
 */
export interface GoldenProbe {
  /** §2 `acc = Σ q·v` of one row of `m` (bound: m.accBound). */
  accumulator?(m: QMatrix, acc: number): void;
  /** §4 / §7 `bias + y(W) + y(R)` (or `bias + y(W)` for dense) before `sat32` (bound: 3·2^31). */
  preActivationSum?(v: number): void;
  /** §4.1 `P · c` and its conversion to Q15.16. */
  peephole?(layer: QLstmLayer, product: number, converted: number): void;
  /** §5 `f · c`, `conv(i · g)` and their sum, before the rounding shift. */
  cellUpdate?(layer: QLstmLayer, fc: number, ig: number): void;
  /** §5 `o · a` before the rounding shift. */
  hiddenProduct?(layer: QLstmLayer, oa: number): void;
}

export interface GoldenRunOptions extends GoldenOptions {
  readonly probe?: GoldenProbe;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------------------

/**
 * §1 Host-side input quantization of x ([T, I] row-major): `q = sat16(round(x / scale[k]))`, round half away
 * from zero. ±∞ saturate; NaN becomes 0.
 */
export function quantizeInput(qm: QuantizedModel, x: Float64Array): Int16Array {
  const I = qm.input.size;
  if (x.length % I !== 0) throw new RangeError(`quantizeInput: ${x.length} values is not a whole number of ${I}-feature steps`);
  const out = new Int16Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const v = x[j]! / qm.input.scale[j % I]!;
    out[j] = Number.isNaN(v) ? 0 : sat16(roundHalfAway(v));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Execution plan: activation closures and scratch, built once per model
// ---------------------------------------------------------------------------------------------------------------

type Act = (z: number) => number;

function activationUnit(a: QActivation, t: QTables): Act {
  switch (a.kind) {
    case "sigmoid":
      return (z) => sigmoidQ(z, t.sigmoid);
    case "tanh":
      return (z) => tanhQ(z, t.tanh);
    case "hardSigmoid":
      return (z) => hardSigmoidQ(z, a.alpha, a.beta);
    case "relu":
      return (z) => reluQ(z, a.outFrac);
    case "linear":
      return (z) => linearQ(z, a.outFrac);
  }
}

interface LayerPlan {
  readonly q: QLstmLayer;
  readonly dirs: number;
  readonly gate: Act;
  readonly cell: Act;
  readonly hidden: Act;
  /** Pre-activations of the current step (before peepholes), and the new h. */
  readonly zi: Float64Array;
  readonly zf: Float64Array;
  readonly zg: Float64Array;
  readonly zo: Float64Array;
  readonly hNew: Int16Array;
}

interface DensePlan {
  readonly q: QDenseLayer;
  readonly act: Act | undefined;
  readonly z: Float64Array;
  readonly out: Int16Array;
}

interface Plan {
  readonly inputDense: readonly DensePlan[];
  readonly layers: readonly LayerPlan[];
  readonly dense: readonly DensePlan[];
}

function densePlan(q: QDenseLayer, t: QTables): DensePlan {
  return { q, act: q.activation.kind === "softmax" ? undefined : activationUnit(q.activation, t), z: new Float64Array(q.W.rows), out: new Int16Array(q.W.rows) };
}

const plans = new WeakMap<QuantizedModel, Plan>();

function plan(qm: QuantizedModel): Plan {
  let p = plans.get(qm);
  if (p) return p;
  const t = qm.tables;
  p = {
    layers: qm.layers.map((q) => {
      const H = q.hiddenSize;
      return {
        q,
        dirs: q.direction === "bidirectional" ? 2 : 1,
        gate: activationUnit(q.gateActivation, t),
        cell: activationUnit(q.cellActivation, t),
        hidden: activationUnit(q.hiddenActivation, t),
        zi: new Float64Array(H),
        zf: new Float64Array(H),
        zg: new Float64Array(H),
        zo: new Float64Array(H),
        hNew: new Int16Array(H),
      };
    }),
    dense: (qm.head?.layers ?? []).map((q) => densePlan(q, t)),
    inputDense: (qm.inputDense ?? []).map((q) => densePlan(q, t)),
  };
  plans.set(qm, p);
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// §2 Requantized row product
// ---------------------------------------------------------------------------------------------------------------

/** y_r(m, v[off ..]) in Q15.16. */
function rowProduct(m: QMatrix, r: number, v: ArrayLike<number>, off: number, probe: GoldenProbe | undefined): number {
  const q = m.q;
  const cols = m.cols;
  const base = r * cols;
  let acc = 0; // |acc| ≤ accBound < 2^47 (int16 · int16 · 65536 columns): exact
  for (let k = 0; k < cols; k++) acc += q[base + k]! * v[off + k]!;
  if (probe?.accumulator) probe.accumulator(m, acc);
  return rq(acc, m.preShift, m.mult[r]!, m.shift[r]!);
}

// ---------------------------------------------------------------------------------------------------------------
// §4–§5 One step of one direction
// ---------------------------------------------------------------------------------------------------------------

interface StepRecord {
  readonly trace: IntCellTrace;
  readonly t: number;
}

function gateSum(v: number, probe: GoldenProbe | undefined): number {
  if (probe?.preActivationSum) probe.preActivationSum(v);
  return sat32(v);
}

/**
 * Advance one cell by one step in place: `x[xOff .. xOff + I)` is the int16 input, `h` (hFrac) and `c` (cFrac)
 * the state. Writes per-row values to `rec` when tracing.
 */
function stepCell(
  L: LayerPlan,
  cell: QCell,
  h: Int16Array,
  c: Int16Array | Int32Array,
  x: ArrayLike<number>,
  xOff: number,
  probe: GoldenProbe | undefined,
  rec: StepRecord | undefined,
): void {
  const q = L.q;
  const H = q.hiddenSize;
  const { input: gi, forget: gf, cell: gg, output: go } = cell.gates;
  const coupled = q.inputForget;
  const { zi, zf, zg, zo, hNew } = L;
  // §4: every pre-activation reads the old h, so compute them all before touching the state.
  for (let r = 0; r < H; r++) {
    zi[r] = gateSum(gi.bias[r]! + rowProduct(gi.W, r, x, xOff, probe) + rowProduct(gi.R, r, h, 0, probe), probe);
    zf[r] = coupled ? 0 : gateSum(gf.bias[r]! + rowProduct(gf.W, r, x, xOff, probe) + rowProduct(gf.R, r, h, 0, probe), probe);
    zg[r] = gateSum(gg.bias[r]! + rowProduct(gg.W, r, x, xOff, probe) + rowProduct(gg.R, r, h, 0, probe), probe);
    zo[r] = gateSum(go.bias[r]! + rowProduct(go.W, r, x, xOff, probe) + rowProduct(go.R, r, h, 0, probe), probe);
  }
  const clip = q.clip;
  const clamp = (z: number) => (clip === undefined ? z : z > clip ? clip : z < -clip ? -clip : z);
  const pFrac = cell.peepholeFrac + q.cFrac;
  const peep = (p: Int16Array | undefined, r: number, cv: number, z: number): number => {
    if (!p) return z;
    const prod = p[r]! * cv; // int16 · int16 < 2^30; int16 · int32 < 2^46
    const cvt = conv(prod, pFrac, 16);
    if (probe?.peephole) probe.peephole(q, prod, cvt);
    return sat32(z + cvt);
  };
  const satC = q.cellBits === 16 ? sat16 : sat32;
  const gFrac = q.gFrac;
  const cFrac = q.cFrac;
  for (let r = 0; r < H; r++) {
    const cOld = c[r]!;
    // §4.1 peepholes (old c for i and f), then the clip.
    const zir = clamp(peep(gi.peephole, r, cOld, zi[r]!));
    const i = L.gate(zir);
    let f: number;
    let zfr = 0;
    if (coupled) {
      f = Math.min(32767, 32768 - i);
    } else {
      zfr = clamp(peep(gf.peephole, r, cOld, zf[r]!));
      f = L.gate(zfr);
    }
    const zgr = clamp(zg[r]!);
    const g = L.cell(zgr);
    // §5 cell update.
    const fc = f * cOld;
    const ig = conv(i * g, 15 + gFrac, 15 + cFrac);
    if (probe?.cellUpdate) probe.cellUpdate(q, fc, ig);
    const cNew = satC(rshr(fc + ig, 15));
    c[r] = cNew;
    // §4.1 the output gate's peephole sees the new c.
    const zor = clamp(peep(go.peephole, r, cNew, zo[r]!));
    const o = L.gate(zor);
    const a = L.hidden(sat32(conv(cNew, cFrac, 16)));
    const oa = o * a;
    if (probe?.hiddenProduct) probe.hiddenProduct(q, oa);
    hNew[r] = sat16(rshr(oa, 15));
    if (rec) {
      const j = rec.t * H + r;
      const tr = rec.trace;
      tr.i[j] = i;
      tr.f[j] = f;
      tr.g[j] = g;
      tr.o[j] = o;
      tr.c[j] = cNew;
      tr.z.i[j] = zir;
      tr.z.f[j] = zfr;
      tr.z.g[j] = zgr;
      tr.z.o[j] = zor;
    }
  }
  h.set(hNew);
  if (rec) rec.trace.h.set(hNew, rec.t * H);
}

// ---------------------------------------------------------------------------------------------------------------
// §7 The dense head
// ---------------------------------------------------------------------------------------------------------------

/**
 * Apply a dense stack (§7, or the §7.3 input stack) to one int16 vector `v`; the result is the last layer's `out`
 * scratch (`v` itself for an empty stack). `first`, when given, supplies the first layer's y_r(W, v) (§7.4
 * streaming: the requantized per-row accumulators).
 */
function denseStack(
  qm: QuantizedModel,
  stack: readonly DensePlan[],
  v: Int16Array,
  probe: GoldenProbe | undefined,
  first?: (r: number) => number,
): Int16Array {
  let cur = v;
  stack.forEach((d, j) => {
    const { W, bias } = d.q;
    for (let r = 0; r < W.rows; r++) {
      const y = j === 0 && first ? first(r) : rowProduct(W, r, cur, 0, probe);
      d.z[r] = gateSum(bias[r]! + y, probe);
    }
    if (d.act) {
      for (let r = 0; r < W.rows; r++) d.out[r] = d.act(d.z[r]!);
    } else {
      softmaxQ(d.z, W.rows, d.out, qm.tables.expNeg);
    }
    cur = d.out;
  });
  return cur;
}

/** Apply the dense layers to one int16 vector; returns a fresh array (the vector itself without dense layers). */
function runHead(qm: QuantizedModel, p: Plan, v: Int16Array, probe: GoldenProbe | undefined): Int16Array {
  return denseStack(qm, p.dense, v, probe).slice();
}

/** §7.3 The input as the first LSTM layer sees it: `xq` through the input dense layers at every step. */
function applyInputDenseQ(qm: QuantizedModel, p: Plan, xq: Int16Array, steps: number, probe: GoldenProbe | undefined): Int16Array {
  if (p.inputDense.length === 0) return xq;
  const I = qm.input.size;
  const O = p.inputDense[p.inputDense.length - 1]!.q.W.rows;
  const out = new Int16Array(steps * O);
  for (let t = 0; t < steps; t++) out.set(denseStack(qm, p.inputDense, xq.subarray(t * I, (t + 1) * I), probe), t * O);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Whole sequences
// ---------------------------------------------------------------------------------------------------------------

function newTrace(steps: number, H: number, cellBits: 16 | 32): IntCellTrace {
  const n = steps * H;
  return {
    i: new Int16Array(n),
    f: new Int16Array(n),
    g: new Int16Array(n),
    o: new Int16Array(n),
    c: cellBits === 16 ? new Int16Array(n) : new Int32Array(n),
    h: new Int16Array(n),
    z: { i: new Int32Array(n), f: new Int32Array(n), g: new Int32Array(n), o: new Int32Array(n) },
  };
}


/**
 * Run the integer model over one quantized sequence `xq` ([steps, I], from `quantizeInput`). The output follows
 * `IntSequenceRun`: [T, O] when the head reads every step (or there is no head), [O] otherwise.
 */
export function runGolden(qm: QuantizedModel, xq: Int16Array, steps: number, opts: GoldenRunOptions = {}): IntSequenceRun {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError("runGolden: a sequence needs at least one step");
  const I = qm.input.size;
  if (xq.length !== steps * I) throw new RangeError(`runGolden: expected ${steps * I} input values ([${steps}, ${I}]), got ${xq.length}`);
  const p = plan(qm);
  const probe = opts.probe;
  const flatSteps = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
  if (flatSteps !== undefined && steps !== flatSteps) {
    throw usageError(`the model's head flattens exactly ${flatSteps} time steps, but a sequence has ${steps}`);
  }
  const layers: IntLayerRun[] = [];
  const x0 = applyInputDenseQ(qm, p, xq, steps, probe);
  let input: Int16Array = x0;
  for (const L of p.layers) {
    const q = L.q;
    const H = q.hiddenSize;
    const Iq = q.inputSize;
    const D = L.dirs;
    const out = new Int16Array(steps * D * H);
    const finalH: Int16Array[] = [];
    const finalC: (Int16Array | Int32Array)[] = [];
    const traces: IntCellTrace[] = [];
    for (let d = 0; d < D; d++) {
      const cell = q.cells[d]!;
      const reverse = q.direction === "reverse" || d === 1;
      const h = cell.initialH.slice();
      const c = cell.initialC.slice();
      const trace = opts.trace ? newTrace(steps, H, q.cellBits) : undefined;
      for (let s = 0; s < steps; s++) {
        const t = reverse ? steps - 1 - s : s;
        stepCell(L, cell, h, c, input, t * Iq, probe, trace ? { trace, t } : undefined);
        out.set(h, t * D * H + d * H);
      }
      finalH.push(h);
      finalC.push(c);
      if (trace) traces.push(trace);
    }
    layers.push(opts.trace ? { output: out, finalH, finalC, trace: traces } : { output: out, finalH, finalC });
    input = out;
  }

  const top = layers[layers.length - 1];
  const seq = top ? top.output : x0;
  const width = seq.length / steps;
  if (!qm.head) return { steps, input: xq, layers, output: seq.slice() };
  const reads = qm.head.reads;
  let output: Int16Array;
  if (reads === "flatten") {
    // §7.4 One row product over all T · width columns (exact), one requantization.
    output = runHead(qm, p, seq, probe);
  } else if (reads === "every") {
    output = new Int16Array(steps * qm.outputSize);
    for (let t = 0; t < steps; t++) output.set(runHead(qm, p, seq.subarray(t * width, (t + 1) * width), probe), t * qm.outputSize);
  } else if (reads === "last" || !top) {
    output = runHead(qm, p, seq.slice((steps - 1) * width, steps * width), probe);
  } else {
    const v = new Int16Array(width);
    top.finalH.forEach((h, d) => v.set(h, d * h.length));
    output = runHead(qm, p, v, probe);
  }
  return { steps, input: xq, layers, output };
}

// ---------------------------------------------------------------------------------------------------------------
// The float view
// ---------------------------------------------------------------------------------------------------------------

function scaled(v: Int16Array | Int32Array, frac: number): Float64Array {
  const out = new Float64Array(v.length);
  const s = 2 ** -frac;
  for (let k = 0; k < v.length; k++) out[k] = v[k]! * s;
  return out;
}

/**
 * Dequantize an integer run into the float engines' `SequenceRun` (states, traces and head output in real
 * units), so reports and `assembleOutputs` treat it like the float reference.
 */
export function dequantizeRun(qm: QuantizedModel, run: IntSequenceRun): SequenceRun {
  const layers: LayerRun[] = run.layers.map((lr, l) => {
    const q = qm.layers[l]!;
    const base = {
      output: scaled(lr.output, q.hFrac),
      finalH: lr.finalH.map((h) => scaled(h, q.hFrac)),
      finalC: lr.finalC.map((c) => scaled(c, q.cFrac)),
    };
    if (!lr.trace) return base;
    const trace: CellTrace[] = lr.trace.map((tr) => ({
      i: scaled(tr.i, 15),
      f: scaled(tr.f, 15),
      g: scaled(tr.g, q.gFrac),
      o: scaled(tr.o, 15),
      c: scaled(tr.c, q.cFrac),
      h: scaled(tr.h, q.hFrac),
    }));
    return { ...base, trace };
  });
  return qm.head ? { steps: run.steps, layers, head: scaled(run.output, qm.outputFrac) } : { steps: run.steps, layers };
}

/** The fixed-point engine's float view of one sequence: `dequantizeRun(runGolden(quantizeInput(x)))`. */
export function runFixed(qm: QuantizedModel, x: Float64Array, steps: number, opts: GoldenOptions = {}): SequenceRun {
  return dequantizeRun(qm, runGolden(qm, quantizeInput(qm, x), steps, opts));
}

// ---------------------------------------------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------------------------------------------

/** The state of a streaming run: per layer h (hFrac) and c (cFrac), and the number of steps taken. */
export interface GoldenState {
  readonly h: readonly Int16Array[];
  readonly c: readonly (Int16Array | Int32Array)[];
  steps: number;
  /** §7.4 Flattening head only: per row of the first head layer, Σ over the steps so far of W_t · h_t (exact). */
  readonly acc?: Float64Array;
}

/** The initial streaming state. Only forward (unidirectional) stacks can stream. */
export function goldenInit(qm: QuantizedModel): GoldenState {
  qm.layers.forEach((q, l) => {
    if (q.direction !== "forward") {
      throw usageError(`layer ${l} ('${q.name}') is ${q.direction}; step-by-step (streaming) execution needs forward layers only`);
    }
  });
  if (qm.layers.length === 0) throw usageError("step-by-step (streaming) execution needs at least one recurrent layer");
  if (qm.head?.reads === "flatten" && qm.head.layers.length === 0) {
    throw usageError("step-by-step (streaming) execution of a flattening head needs at least one dense layer");
  }
  const h = qm.layers.map((q) => q.cells[0]!.initialH.slice());
  const c = qm.layers.map((q) => q.cells[0]!.initialC.slice());
  if (qm.head?.reads === "flatten" && qm.head.layers.length > 0) return { h, c, steps: 0, acc: new Float64Array(qm.head.layers[0]!.W.rows) };
  return { h, c, steps: 0 };
}

/**
 * Advance a streaming run by one frame `xq` (I int16 values). When `out` is given, writes the model output for
 * this step (outputSize values, outputFrac): the head applied to the current top h — for reads = last/final this
 * is what `runGolden` returns for a sequence that ends here — or the top h itself without a head.
 */
export function goldenStep(qm: QuantizedModel, state: GoldenState, xq: Int16Array, out?: Int16Array, opts: { readonly probe?: GoldenProbe } = {}): void {
  if (xq.length !== qm.input.size) throw new RangeError(`goldenStep: expected ${qm.input.size} input values, got ${xq.length}`);
  const p = plan(qm);
  const probe = opts.probe;
  const flatSteps = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
  if (flatSteps !== undefined && state.steps >= flatSteps) {
    throw usageError(`the model's head flattens exactly ${flatSteps} time steps; a stream cannot run past step ${flatSteps}`);
  }
  let x: Int16Array = denseStack(qm, p.inputDense, xq, probe);
  p.layers.forEach((L, l) => {
    const h = state.h[l]!;
    stepCell(L, L.q.cells[0]!, h, state.c[l]!, x, 0, probe, undefined);
    x = h;
  });
  const t = state.steps;
  state.steps++;
  if (flatSteps === undefined) {
    if (out) out.set(qm.head ? runHead(qm, p, x, probe) : x);
    return;
  }
  // §7.4 Streaming flatten: add this step's columns W_t · h_t to the per-row accumulators; output only at step T.
  const acc = state.acc;
  if (!acc) {
    // A flattening head without dense layers outputs the concatenation, which only exists at the end.
    if (out) out.fill(0);
    return;
  }
  const W = qm.head!.layers[0]!.W;
  const width = x.length;
  for (let r = 0; r < W.rows; r++) {
    const base = r * W.cols + t * width;
    let a = 0;
    for (let k = 0; k < width; k++) a += W.q[base + k]! * x[k]!;
    acc[r] = acc[r]! + a;
    if (probe?.accumulator) probe.accumulator(W, acc[r]!);
  }
  if (!out) return;
  if (state.steps < flatSteps) {
    out.fill(0);
    return;
  }
  out.set(denseStack(qm, p.dense, x, probe, (r) => rq(acc[r]!, W.preShift, W.mult[r]!, W.shift[r]!)));
}
