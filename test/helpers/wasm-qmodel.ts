/**
 * Hand-built QuantizedModels for the WebAssembly target's tests: random integer weights with the shapes, formats and
 * options a quantizer may produce (int8/int16 weights, int16/int32 cells, 32/64-bit accumulators with a pre-shift,
 * peepholes, clip, coupled input-forget, reverse and bidirectional layers, dense heads with every activation), and
 * the §3.1/§7.2 tables computed as docs/fixed-point.md defines them.
 */
import type { HeadReads, Model } from "../../compiler/ir/model.js";
import type {
  QActivation,
  QCell,
  QDenseLayer,
  QGate,
  QLstmLayer,
  QMatrix,
  QTables,
  QuantizedModel,
} from "../../compiler/quantize/qmodel.js";

/** mulberry32: a small seeded generator. */
export { prng as rng } from "../../compiler/prng.js";
import { prng as rng } from "../../compiler/prng.js";

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** §3.1 / §7.2 tables. */
export function specTables(): QTables {
  const make = (f: (k: number) => number): Int16Array =>
    Int16Array.from({ length: 513 }, (_, k) => Math.min(32767, roundHalfAway(f(k) * 32768)));
  return {
    sigmoid: make((k) => 1 / (1 + Math.exp(-k / 32))),
    tanh: make((k) => Math.tanh(k / 64)),
    expNeg: make((k) => Math.exp(-k / 32)),
  };
}

export interface LayerSpec {
  readonly hidden: number;
  readonly direction?: "forward" | "reverse" | "bidirectional";
  readonly peephole?: boolean;
  readonly clip?: number;
  readonly inputForget?: boolean;
  readonly gate?: QActivation;
  readonly cellAct?: QActivation;
  readonly hiddenAct?: QActivation;
  /** Initial states drawn at random instead of zeros. */
  readonly initialState?: boolean;
}

export interface DenseSpec {
  readonly rows: number;
  readonly activation: QActivation | { readonly kind: "softmax" };
}

export interface ModelSpec {
  readonly seed: number;
  readonly inputSize: number;
  readonly weights?: "int8" | "int16";
  readonly cell?: "int16" | "int32";
  readonly layers: readonly LayerSpec[];
  readonly head?: { readonly reads: HeadReads; readonly layers: readonly DenseSpec[] };
  /** Scale of the multipliers' shifts: larger gives larger pre-activations (more saturation). */
  readonly gain?: number;
}

function matrix(r: () => number, rows: number, cols: number, wide: boolean, gain: number): QMatrix {
  const qmax = wide ? 32767 : 127;
  const q = wide ? new Int16Array(rows * cols) : new Int8Array(rows * cols);
  for (let k = 0; k < q.length; k++) {
    // Mostly moderate weights, some at ±qmax (one per row reaches qmax as a real quantizer's rows do).
    q[k] = r() < 0.1 ? (r() < 0.5 ? -qmax : qmax) : randInt(r, -qmax, qmax);
  }
  const mult = new Int32Array(rows);
  const shift = new Uint8Array(rows);
  let bound = 0;
  for (let row = 0; row < rows; row++) {
    let s = 0;
    for (let k = 0; k < cols; k++) s += Math.abs(q[row * cols + k]!);
    bound = Math.max(bound, s * 32768);
    // y ≈ acc · M · 2^-n: aim |y| around a few units of Q15.16 for a typical accumulator.
    const typical = Math.max(1, Math.sqrt(cols) * qmax * 16384);
    mult[row] = randInt(r, 2 ** 30, 2 ** 31 - 1);
    shift[row] = Math.min(62, Math.max(1, Math.round(Math.log2(typical) + 31 - 17 - gain + randInt(r, -2, 2))));
  }
  if (r() < 0.05 && rows > 1) {
    // An all-zero row (multiplier 0) as the spec allows.
    for (let k = 0; k < cols; k++) q[k] = 0;
    mult[0] = 0;
  }
  const accBits: 32 | 64 = bound <= 2 ** 31 - 1 ? 32 : 64;
  const preShift = accBits === 32 ? 0 : Math.ceil(Math.log2((bound + 1) / 2 ** 31));
  return { rows, cols, q, mult, shift, accBound: bound, accBits, preShift } as QMatrix;
}

function int32s(r: () => number, n: number, mag: number): Int32Array {
  return Int32Array.from({ length: n }, () => randInt(r, -mag, mag));
}

function fracOf(a: QActivation): number {
  return a.kind === "relu" || a.kind === "linear" ? a.outFrac : 15;
}

/** A random QuantizedModel following `spec`. `float` is a stub: the integer targets never read it. */
export function randomQModel(spec: ModelSpec): QuantizedModel {
  const r = rng(spec.seed);
  const wide = spec.weights === "int16";
  const gain = spec.gain ?? 0;
  const cellBits: 16 | 32 = spec.cell === "int32" ? 32 : 16;
  const layers: QLstmLayer[] = [];
  let inSize = spec.inputSize;
  spec.layers.forEach((ls, l) => {
    const H = ls.hidden;
    const direction = ls.direction ?? "forward";
    const dirs = direction === "bidirectional" ? 2 : 1;
    const gateActivation = ls.gate ?? { kind: "sigmoid" };
    const cellActivation = ls.cellAct ?? { kind: "tanh" };
    const hiddenActivation = ls.hiddenAct ?? { kind: "tanh" };
    const gFrac = fracOf(cellActivation);
    const cFrac = cellBits === 32 ? randInt(r, 18, 26) : Math.min(gFrac, randInt(r, 9, 13));
    const cells: QCell[] = [];
    for (let d = 0; d < dirs; d++) {
      const gate = (peep: boolean): QGate => ({
        W: matrix(r, H, inSize, wide, gain),
        R: matrix(r, H, H, wide, gain),
        bias: int32s(r, H, 2 << 16),
        ...(peep ? { peephole: Int16Array.from({ length: H }, () => randInt(r, -32768, 32767)) } : {}),
      });
      const p = ls.peephole ?? false;
      const cMax = cellBits === 32 ? 2 ** 31 - 1 : 32767;
      cells.push({
        gates: { input: gate(p), forget: gate(p), cell: gate(false), output: gate(p) },
        peepholeFrac: randInt(r, 12, 16),
        initialH: Int16Array.from({ length: H }, () => (ls.initialState ? randInt(r, -32768, 32767) : 0)),
        initialC:
          cellBits === 32
            ? Int32Array.from({ length: H }, () => (ls.initialState ? randInt(r, -cMax - 1, cMax) : 0))
            : Int16Array.from({ length: H }, () => (ls.initialState ? randInt(r, -32768, 32767) : 0)),
      });
    }
    layers.push({
      name: `lstm_${l}`,
      inputSize: inSize,
      hiddenSize: H,
      direction,
      cells,
      inputForget: ls.inputForget ?? false,
      ...(ls.clip !== undefined ? { clip: ls.clip } : {}),
      gateActivation,
      cellActivation,
      hiddenActivation,
      gFrac,
      cellBits,
      cFrac,
      hFrac: fracOf(hiddenActivation),
    });
    inSize = dirs * H;
  });
  let head: QuantizedModel["head"];
  let outputSize = inSize;
  let outputFrac = layers[layers.length - 1]!.hFrac;
  if (spec.head) {
    const dl: QDenseLayer[] = [];
    for (const [k, d] of spec.head.layers.entries()) {
      const outFrac = d.activation.kind === "softmax" ? 15 : fracOf(d.activation);
      dl.push({ name: `dense_${k}`, W: matrix(r, d.rows, inSize, wide, gain), bias: int32s(r, d.rows, 4 << 16), activation: d.activation, outFrac });
      inSize = d.rows;
      outputFrac = outFrac;
    }
    head = { reads: spec.head.reads, layers: dl };
    outputSize = inSize;
  }
  return {
    weights: wide ? "int16" : "int8",
    cell: cellBits === 32 ? "int32" : "int16",
    input: { size: spec.inputSize, scale: Float64Array.from({ length: spec.inputSize }, (_, k) => 0.001 * (k + 1)), headroomBits: 2 },
    layers,
    ...(head ? { head } : {}),
    outputFrac,
    outputSize,
    tables: specTables(),
    float: { inputName: "x", inputSize: spec.inputSize, layers: [], outputs: [], source: { format: "test", file: "(hand-built)", conventions: [] } } as Model,
  };
}

/** Random int16 input [steps, size]; `extreme` draws mostly ±32767/-32768. */
export function randomInput(seed: number, steps: number, size: number, extreme = false): Int16Array {
  const r = rng(seed);
  return Int16Array.from({ length: steps * size }, () =>
    extreme ? [32767, -32768, -32767, 0][randInt(r, 0, 3)]! : randInt(r, -12000, 12000),
  );
}
