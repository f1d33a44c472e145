/**
 * Types of the integer golden model (docs/fixed-point.md implemented in plain TypeScript). Every integer target
 * (C, AssemblyScript/WASM) must reproduce `IntSequenceRun` values bit for bit.
 */

/** Integer values of one direction of one layer, each [T, H] row-major, indexed by input time step. */
export interface IntCellTrace {
  /** Gate activations, Q0.15 (g: the layer's gFrac). */
  readonly i: Int16Array;
  readonly f: Int16Array;
  readonly g: Int16Array;
  readonly o: Int16Array;
  /** Cell state after the step (cFrac), int16 or int32 per the cell mode. */
  readonly c: Int16Array | Int32Array;
  /** Hidden state after the step (hFrac). */
  readonly h: Int16Array;
  /** Gate pre-activations z (Q15.16) — for the overflow checks and the verify report. [T, H] per gate. */
  readonly z: { readonly i: Int32Array; readonly f: Int32Array; readonly g: Int32Array; readonly o: Int32Array };
}

export interface IntLayerRun {
  /** [T, dirs * H] hidden states (forward half first), format hFrac. */
  readonly output: Int16Array;
  readonly finalH: readonly Int16Array[];
  readonly finalC: readonly (Int16Array | Int32Array)[];
  readonly trace?: readonly IntCellTrace[];
}

export interface IntSequenceRun {
  readonly steps: number;
  /** The quantized input, [T, I]. */
  readonly input: Int16Array;
  readonly layers: readonly IntLayerRun[];
  /**
   * The model output in `outputFrac`: [T, O] when the head reads every step (or there is no head), [O] when it
   * reads the last step or final state.
   */
  readonly output: Int16Array;
}

export interface GoldenOptions {
  /** Record per-step gate values, states and pre-activations. */
  readonly trace?: boolean;
}
