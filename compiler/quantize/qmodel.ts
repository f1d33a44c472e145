/**
 * The quantized model: the contract between the quantizer and every integer implementation (the TypeScript
 * golden model, the C target, the AssemblyScript target). Everything here is an integer or a format; the
 * arithmetic that consumes it is specified in docs/fixed-point.md, section by section, and each field names the
 * section it belongs to.
 *
 * Notation: a *format* F is a number of fractional bits: integer value q stands for q · 2^-F.
 * "Q15.16" is int32 with F = 16.
 */
import type { HeadReads, Model } from "../ir/model.js";

export type WeightMode = "int8" | "int16";
export type CellMode = "int16" | "int32";

/** §3 Activation units: how a pre-activation z (Q15.16) becomes an int16 value of format `outFrac`. */
export type QActivation =
  /** §3.1 table lookup, sigmoid: odd-symmetric about (0, 1/2), output Q0.15 in [1, 32767]. */
  | { readonly kind: "sigmoid" }
  /** §3.1 table lookup, tanh: odd, output Q0.15 in [-32767, 32767]. */
  | { readonly kind: "tanh" }
  /** §3.2 clamp(alpha·z + beta, 0, 1) with alpha, beta in Q0.15 (alpha may exceed 1: int32). */
  | { readonly kind: "hardSigmoid"; readonly alpha: number; readonly beta: number }
  /** §3.3 max(0, z) converted to `outFrac`, saturated to int16. */
  | { readonly kind: "relu"; readonly outFrac: number }
  /** §3.3 z converted to `outFrac`, saturated to int16 (dense layers only). */
  | { readonly kind: "linear"; readonly outFrac: number };

/** §2 One requantized matrix product: y_r = sat32(rshr(rshr(Σ_k q[r,k] · v[k], preShift) · mult[r], shift[r])). */
export interface QMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major integer weights, int8 or int16 per the weight mode. */
  readonly q: Int8Array | Int16Array;
  /** Per-row multiplier M_r in [2^30, 2^31) (or 0 for an all-zero row). */
  readonly mult: Int32Array;
  /** Per-row right shift n_r in [1, 62]. */
  readonly shift: Uint8Array;
  /** §6 Pre-shift p (all rows): the accumulator is rounded right by p bits before the multiply; 0 when accBits = 32. */
  readonly preShift: number;
  /** §6 Proven bound on |Σ_k q[r,k] · v[k]| for any int16 v (|v| ≤ 32768); the accumulator width follows from it. */
  readonly accBound: number;
  /** The width the implementations must use for this accumulator: 32 when accBound < 2^31, else 64. */
  readonly accBits: 32 | 64;
}

/** §4 One gate of one direction. */
export interface QGate {
  /** W x part (input side). */
  readonly W: QMatrix;
  /** R h part (recurrent side). */
  readonly R: QMatrix;
  /** Bias in Q15.16 (int32). */
  readonly bias: Int32Array;
  /** §4.2 Peephole weights, int16 with format `peepholeFrac` (input, forget, output gates only). */
  readonly peephole?: Int16Array;
}

export interface QCell {
  readonly gates: { readonly input: QGate; readonly forget: QGate; readonly cell: QGate; readonly output: QGate };
  /** Format of the peephole weights of this cell (shared by its three peephole vectors). */
  readonly peepholeFrac: number;
  /** Initial states in the layer's h and c formats. */
  readonly initialH: Int16Array;
  readonly initialC: Int16Array | Int32Array;
}

export interface QLstmLayer {
  readonly name: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly direction: "forward" | "reverse" | "bidirectional";
  readonly cells: readonly QCell[];
  readonly inputForget: boolean;
  /** §4.1 Clip of the pre-activations in Q15.16, or undefined. */
  readonly clip?: number;
  readonly gateActivation: QActivation;
  readonly cellActivation: QActivation;
  readonly hiddenActivation: QActivation;
  /** Format of g (the cell candidate): 15 for tanh/sigmoid/hardSigmoid, calibrated for relu. */
  readonly gFrac: number;
  /** Cell state storage and format (§5). */
  readonly cellBits: 16 | 32;
  readonly cFrac: number;
  /** Format of h: the hidden activation's output format (15 for tanh). Also the next layer's input format. */
  readonly hFrac: number;
}

export interface QDenseLayer {
  readonly name: string;
  /** Weights per row, requantized straight to Q15.16 (§7). */
  readonly W: QMatrix;
  /** Bias in Q15.16. */
  readonly bias: Int32Array;
  /** Activation from Q15.16 to int16; softmax is §7.2 (output Q0.15). */
  readonly activation: QActivation | { readonly kind: "softmax" };
  /** Format of this layer's int16 output. */
  readonly outFrac: number;
}

export interface QInput {
  readonly size: number;
  /**
   * Per-feature input scale: real value = q · scale[k] (symmetric, zero point 0). Arbitrary float, chosen from
   * the calibrated range with `headroomBits` of headroom; folded into the first layer's W at compile time.
   */
  readonly scale: Float64Array;
  readonly headroomBits: number;
}

/** §3.1 The activation tables (shared by all layers). */
export interface QTables {
  /** sigmoid(x) for x = k / 32, k = 0..512, in Q0.15, saturated to 32767. */
  readonly sigmoid: Int16Array;
  /** tanh(x) for x = k / 64, k = 0..512, in Q0.15, saturated to 32767. */
  readonly tanh: Int16Array;
  /** exp(-x) for x = k / 32, k = 0..512, in Q0.15 (softmax, §7.2). */
  readonly expNeg: Int16Array;
}

export interface QuantizedModel {
  readonly weights: WeightMode;
  readonly cell: CellMode;
  readonly input: QInput;
  /**
   * §7.3 Dense layers applied to the input at every step before the first LSTM layer (absent or empty: none).
   * The first reads the quantized input (per-feature scales folded into its weights, §2.1); the first LSTM layer
   * reads the last one's int16 output with unit 2^-outFrac.
   */
  readonly inputDense?: readonly QDenseLayer[];
  readonly layers: readonly QLstmLayer[];
  /**
   * §7 The head. `reads = "flatten"` (§7.4): the first layer's W has `steps` × (top width) columns, Y[0] first, and
   * the model runs sequences of exactly `steps` steps.
   */
  readonly head?: { readonly reads: HeadReads; readonly steps?: number; readonly layers: readonly QDenseLayer[] };
  /** Format of the model's int16 output (the head's last layer, or the last layer's h). */
  readonly outputFrac: number;
  readonly outputSize: number;
  readonly tables: QTables;
  /** The float model this was quantized from (for reports and output layout). */
  readonly float: Model;
}
