/**
 * Calibration: the ranges the quantizer needs (docs/fixed-point.md §1, §3.3, §5), measured by running the float
 * reference over representative data.
 *
 * `calibrate` runs `runSequence` with a trace over every sequence and records, per input feature, max|x|; per
 * layer and direction, max|z| of each gate pre-activation (recomputed from the trace: z at step t only needs
 * x[t], the previous h and c, and the new c, all of which the trace holds), max|g|, max|c|, max|act_hidden(c)|
 * and max|h|; per dense layer, max|pre-activation| and max|output|.
 *
 * `calibrationFromInputRange` is for users who have no data, only a range (`--input-range lo,hi`): it runs the
 * float model on a seeded synthetic set that sweeps the range (see its comment) and records the input range
 * itself as max|x| for every feature.
 */
import { inputError, usageError } from "../errors.js";
import type { Sequence, SequenceSet } from "../data/sequences.js";
import { GATE_NAMES, type GateName, type LstmCell, type LstmLayer, type Model } from "../ir/model.js";
import { applyInputDense, headFeatures, runSequence, activate, denseActivate, type CellTrace } from "../reference/float.js";
import type { DenseLayer } from "../ir/model.js";
import { numDirections } from "../ir/validate.js";
import { createProgress } from "../progress.js";
import { prng } from "../prng.js";

/** Ranges of one direction of one LSTM layer (all maxima of absolute values over the calibration data). */
export interface CellCalibration {
  /** Gate pre-activations as the activation sees them (after peepholes and clip). 0 for a coupled forget gate. */
  readonly z: Readonly<Record<GateName, number>>;
  /** Cell candidate g = act_cell(z_g). */
  readonly g: number;
  /** Cell state c. */
  readonly c: number;
  /** act_hidden(c), the value multiplied by the output gate. */
  readonly hidden: number;
  /** Hidden state h. */
  readonly h: number;
}

export interface LayerCalibration {
  /** One per direction (forward first). */
  readonly cells: readonly CellCalibration[];
}

export interface DenseCalibration {
  /** Pre-activation W v + b. */
  readonly pre: number;
  /** Output after the activation. */
  readonly out: number;
}

export interface Calibration {
  /** max|x_k| per input feature. */
  readonly input: Float64Array;
  readonly layers: readonly LayerCalibration[];
  /** Per dense layer of the head. */
  readonly dense: readonly DenseCalibration[];
  /** Per input dense layer (`Model.inputDense`, applied at every step before the first LSTM); absent: none. */
  readonly inputDense?: readonly DenseCalibration[];
  /** What the ranges were measured on (a file name, or a description of the synthetic sweep). */
  readonly source: string;
  readonly sequences: number;
  /** Total number of time steps over all sequences. */
  readonly steps: number;
}

interface CellMax {
  z: Record<GateName, number>;
  g: number;
  c: number;
  hidden: number;
  h: number;
}

const absMax = (m: number, v: number) => Math.max(m, Math.abs(v));

/** Fold one direction's trace into `acc`, recomputing the pre-activations from x, the previous state and c'. */
function foldCell(layer: LstmLayer, cell: LstmCell, reverse: boolean, x: Float64Array, steps: number, tr: CellTrace, acc: CellMax): void {
  const H = layer.hiddenSize;
  const I = layer.inputSize;
  const clip = layer.clip;
  const clamp = (v: number) => (clip === undefined ? v : Math.min(clip, Math.max(-clip, v)));
  const p = cell.peephole;
  const h0 = cell.initialH ?? new Float64Array(H);
  const c0 = cell.initialC ?? new Float64Array(H);
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    const prev = s === 0 ? -1 : reverse ? t + 1 : t - 1;
    const hp = prev < 0 ? h0 : tr.h.subarray(prev * H, (prev + 1) * H);
    const cp = prev < 0 ? c0 : tr.c.subarray(prev * H, (prev + 1) * H);
    for (let r = 0; r < H; r++) {
      for (const gate of GATE_NAMES) {
        if (gate === "forget" && layer.inputForget) continue;
        const { W, R, bias } = cell.gates[gate];
        let z = bias[r]!;
        for (let k = 0; k < I; k++) z += W.data[r * I + k]! * x[t * I + k]!;
        for (let k = 0; k < H; k++) z += R.data[r * H + k]! * hp[k]!;
        if (p && gate === "input") z += p.input[r]! * cp[r]!;
        if (p && gate === "forget") z += p.forget[r]! * cp[r]!;
        if (p && gate === "output") z += p.output[r]! * tr.c[t * H + r]!;
        acc.z[gate] = absMax(acc.z[gate], clamp(z));
      }
      const c = tr.c[t * H + r]!;
      acc.g = absMax(acc.g, tr.g[t * H + r]!);
      acc.c = absMax(acc.c, c);
      acc.hidden = absMax(acc.hidden, activate(cell.activations.hidden, c));
      acc.h = absMax(acc.h, tr.h[t * H + r]!);
    }
  }
}

/**
 * The inputs are finite (the readers refuse others), so a non-finite value inside the float model is an overflow:
 * caused by the model's weights and activations, or by extreme calibration values. Name both files.
 */
function checkFinite(file: string, what: string, v: number, modelFile?: string): number {
  if (!Number.isFinite(v)) {
    if (modelFile === undefined) throw inputError(file, `calibration: the float model produced a non-finite ${what}`);
    throw inputError(modelFile, `the float model overflows (a non-finite ${what}) when run on the calibration data ${file}`);
  }
  return v;
}

/** Measure every range the quantizer needs by running the float reference over `set`. */
export function calibrate(model: Model, set: SequenceSet, source: string = set.file, opts: { readonly progress?: boolean } = {}): Calibration {
  if (set.features !== model.inputSize) {
    throw inputError(set.file, `has ${set.features} features per step but the model expects ${model.inputSize}`);
  }
  if (set.sequences.length === 0) throw inputError(set.file, "has no sequences to calibrate on");
  const input = new Float64Array(model.inputSize);
  const cells: CellMax[][] = model.layers.map((layer) =>
    Array.from({ length: numDirections(layer) }, () => ({
      z: { input: 0, forget: 0, cell: 0, output: 0 },
      g: 0,
      c: 0,
      hidden: 0,
      h: 0,
    })),
  );
  const dense = (model.head?.layers ?? []).map(() => ({ pre: 0, out: 0 }));
  const inputDense = (model.inputDense ?? []).map(() => ({ pre: 0, out: 0 }));
  /** Run a dense stack over one vector, folding each layer's max|pre-activation| and max|output| into `acc`. */
  const foldDense = (layers: readonly DenseLayer[], acc: { pre: number; out: number }[], f: Float64Array) => {
    let v = f;
    layers.forEach((d, j) => {
      const o = new Float64Array(d.W.rows);
      for (let r = 0; r < d.W.rows; r++) {
        let a = d.bias[r]!;
        for (let k = 0; k < d.W.cols; k++) a += d.W.data[r * d.W.cols + k]! * v[k]!;
        o[r] = a;
        acc[j]!.pre = absMax(acc[j]!.pre, a);
      }
      denseActivate(d.activation, o);
      for (const y of o) acc[j]!.out = absMax(acc[j]!.out, y);
      v = o;
    });
  };
  let steps = 0;
  const progress = createProgress("calibrating", set.sequences.length, "sequences", { enabled: opts.progress ?? false });
  for (const [n, seq] of set.sequences.entries()) {
    progress.update(n);
    if (seq.steps < 1) continue;
    steps += seq.steps;
    const I = model.inputSize;
    for (let k = 0; k < seq.steps * I; k++) input[k % I] = absMax(input[k % I]!, seq.data[k]!);
    const run = runSequence(model, seq.data, seq.steps, { trace: true });
    if (inputDense.length > 0) {
      for (let t = 0; t < seq.steps; t++) foldDense(model.inputDense!, inputDense, seq.data.subarray(t * I, (t + 1) * I));
    }
    const x0 = applyInputDense(model, seq.data, seq.steps);
    let x = x0;
    model.layers.forEach((layer, l) => {
      const lr = run.layers[l]!;
      layer.cells.forEach((cell, d) => {
        const reverse = layer.direction === "reverse" || d === 1;
        foldCell(layer, cell, reverse, x, seq.steps, lr.trace![d]!, cells[l]![d]!);
      });
      x = lr.output;
    });
    if (model.head) {
      for (const f of headFeatures(model, x0, seq.steps, run.layers)) foldDense(model.head.layers, dense, f);
    }
  }
  progress.done();
  if (steps === 0) throw inputError(set.file, "has no time steps to calibrate on");
  const file = set.file;
  input.forEach((v) => checkFinite(file, "input", v));
  if (input.every((v) => v === 0)) {
    throw inputError(file, "every input value is 0: calibration needs data that varies like the real inputs (or use --input-range lo,hi)");
  }
  return {
    input,
    layers: cells.map((dirs) => ({
      cells: dirs.map((m) => ({
        z: {
          input: checkFinite(file, "pre-activation", m.z.input, model.source.file),
          forget: checkFinite(file, "pre-activation", m.z.forget, model.source.file),
          cell: checkFinite(file, "pre-activation", m.z.cell, model.source.file),
          output: checkFinite(file, "pre-activation", m.z.output, model.source.file),
        },
        g: checkFinite(file, "cell candidate", m.g, model.source.file),
        c: checkFinite(file, "cell state", m.c, model.source.file),
        hidden: checkFinite(file, "hidden activation", m.hidden, model.source.file),
        h: checkFinite(file, "hidden state", m.h, model.source.file),
      })),
    })),
    dense: dense.map((d) => ({ pre: checkFinite(file, "dense pre-activation", d.pre, model.source.file), out: checkFinite(file, "dense output", d.out, model.source.file) })),
    ...(inputDense.length > 0
      ? { inputDense: inputDense.map((d) => ({ pre: checkFinite(file, "input dense pre-activation", d.pre, model.source.file), out: checkFinite(file, "input dense output", d.out, model.source.file) })) }
      : {}),
    source,
    sequences: set.sequences.length,
    steps,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Calibration from a range only
// ---------------------------------------------------------------------------------------------------------------

/** Sequences and steps of the synthetic sweep used by `calibrationFromInputRange`. */
export const RANGE_SWEEP = { sequences: 32, steps: 200, seed: 0x15_7a_6e_e1 } as const;

/**
 * The synthetic set behind `--input-range lo,hi`: `RANGE_SWEEP.sequences` sequences of `RANGE_SWEEP.steps`
 * steps, every value in [lo, hi], from a fixed seed. Per sequence kind (cycled): 0 uniform noise per feature and
 * step; 1 a random walk (steps of 5% of the range, clamped); 2 a sine per feature with random period (4–64
 * steps) and phase, spanning the whole range; 3 a square wave between lo and hi with random period; 4 a constant
 * held at lo, hi or a random level (long constant inputs drive cell states to their extremes); 5 sparse spikes to
 * lo or hi on a background at the range's midpoint.
 */
export function rangeSweep(inputSize: number, lo: number, hi: number, steps: number = RANGE_SWEEP.steps): SequenceSet {
  const rnd = prng(RANGE_SWEEP.seed);
  const T = steps;
  const span = hi - lo;
  const mid = (lo + hi) / 2;
  const sequences: Sequence[] = [];
  for (let n = 0; n < RANGE_SWEEP.sequences; n++) {
    const data = new Float64Array(T * inputSize);
    for (let k = 0; k < inputSize; k++) {
      const period = 4 + rnd() * 60;
      const phase = rnd() * 2 * Math.PI;
      const level = [lo, hi, lo + rnd() * span][Math.floor(rnd() * 3)]!;
      let walk = lo + rnd() * span;
      for (let t = 0; t < T; t++) {
        let v: number;
        switch (n % 6) {
          case 0:
            v = lo + rnd() * span;
            break;
          case 1:
            walk = Math.min(hi, Math.max(lo, walk + (rnd() - 0.5) * 0.1 * span));
            v = walk;
            break;
          case 2:
            v = mid + (span / 2) * Math.sin((2 * Math.PI * t) / period + phase);
            break;
          case 3:
            v = Math.floor((t + phase * period) / (period / 2)) % 2 === 0 ? lo : hi;
            break;
          case 4:
            v = level;
            break;
          default:
            v = rnd() < 0.05 ? (rnd() < 0.5 ? lo : hi) : mid;
        }
        data[t * inputSize + k] = Math.min(hi, Math.max(lo, v));
      }
    }
    sequences.push({ steps: T, data });
  }
  return { file: `--input-range ${lo},${hi}`, features: inputSize, sequences };
}

/** Steps per sequence of the synthetic sweep for `model`: T for a head that flattens T steps (§7.4), else RANGE_SWEEP.steps. */
export function sweepSteps(model: Model): number {
  return model.head?.reads === "flatten" ? model.head.steps! : RANGE_SWEEP.steps;
}

/**
 * Calibrate from an input range alone (`--input-range lo,hi`, the same range for every feature): run the float
 * model on `rangeSweep` and take max|x_k| = max(|lo|, |hi|) for every feature.
 */
export function calibrationFromInputRange(model: Model, lo: number, hi: number): Calibration {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw usageError(`--input-range needs two finite numbers lo < hi, got ${lo},${hi}`);
  }
  // A flattening head (docs/fixed-point.md §7.4) runs sequences of exactly its T steps only.
  const T = sweepSteps(model);
  const set = rangeSweep(model.inputSize, lo, hi, T);
  const cal = calibrate(model, set, `synthetic sweep of [${lo}, ${hi}] (${RANGE_SWEEP.sequences}×${T} steps, seeded)`);
  return { ...cal, input: new Float64Array(model.inputSize).fill(Math.max(Math.abs(lo), Math.abs(hi))) };
}
