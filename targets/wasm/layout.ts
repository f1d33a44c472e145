/**
 * The shape of a generated WebAssembly module: which entry points it has, how its state region is laid out and how
 * large its buffers are. The emitter (emit.ts), the JS wrapper (wrapper.ts) and the engine (engine.ts) all read it
 * from here, so they cannot disagree.
 */
import { createHash } from "node:crypto";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";

/** Longest sequence `run()` accepts unless the caller asks for more (the input region holds this many frames). */
export const DEFAULT_MAX_STEPS = 1024;

/** Version of the exported function/constant set (bumped when an export changes meaning). 2: MODEL_TAG. */
export const WASM_ABI_VERSION = 2;

/**
 * The identity of a generated module, as a signed 32-bit value: the first 4 bytes of a SHA-256 over the export-set
 * version, MAX_STEPS, the source model's hash and the whole quantized model (every weight, multiplier, shift,
 * format and table). The module exports it as MODEL_TAG; the wrapper refuses a module with another tag (a .wasm
 * from another calibration of the same model, say) and writes it in front of saved states, so that restoreState()
 * refuses a state saved by another build.
 */
export function modelTag(qm: QuantizedModel, modelHash: string, maxSteps: number): number {
  // The integer model only: `float` (the source IR) holds the model's path as typed, which must not change the
  // bytes (modelHash already stands for the file's content).
  const { float: _float, ...integer } = qm;
  const canonical = JSON.stringify(integer, (_key, v: unknown) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === "bigint" ? x.toString() : x)) : v,
  );
  const digest = createHash("sha256").update(`lstm-gen wasm abi ${WASM_ABI_VERSION}\nmax steps ${maxSteps}\nmodel ${modelHash}\n`).update(canonical).digest();
  return digest.readInt32LE(0);
}

/** Where one direction of one layer keeps its state inside the state region (byte offsets from statePtr()). */
export interface DirectionState {
  readonly hOffset: number;
  readonly cOffset: number;
}

export interface LayerState {
  readonly hiddenSize: number;
  /** Bytes per cell value: 2 (int16 cells) or 4 (int32 cells). */
  readonly cellBytes: 2 | 4;
  /** One per direction, forward first. The directions' h vectors are contiguous: [h_fwd, h_bwd]. */
  readonly directions: readonly DirectionState[];
}

export interface WasmModelInfo {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputFrac: number;
  readonly maxSteps: number;
  /**
   * True when every layer runs forward: the module then exports `step()` and `feed()` and can be driven one frame
   * at a time. Reverse and bidirectional layers need the whole sequence: `run()` only.
   */
  readonly streaming: boolean;
  /** True when `run()` writes one output row per step ([T, O]); false when it writes one row ([O]). */
  readonly outputPerStep: boolean;
  /** Rows in the output region: maxSteps when outputPerStep, else 1. */
  readonly outputRows: number;
  readonly layers: readonly LayerState[];
  /**
   * §7.4 Streaming flattening head: the per-row exact accumulators of the head's first layer (i64 each) and the
   * number of steps taken since reset (i32), inside the state region so that save/restore covers them.
   */
  readonly flat?: { readonly T: number; readonly rows: number; readonly accOffset: number; readonly tOffset: number };
  /** Bytes of the state region (all h and c of every layer and direction), a multiple of 8. */
  readonly stateSize: number;
}

export function numDirs(direction: "forward" | "reverse" | "bidirectional"): number {
  return direction === "bidirectional" ? 2 : 1;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function wasmModelInfo(qm: QuantizedModel, maxSteps: number = DEFAULT_MAX_STEPS): WasmModelInfo {
  if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 1 << 20) {
    throw new RangeError(`maxSteps must be an integer in [1, 2^20], got ${maxSteps}`);
  }
  const layers: LayerState[] = [];
  let offset = 0;
  for (const layer of qm.layers) {
    const H = layer.hiddenSize;
    const dirs = numDirs(layer.direction);
    const cellBytes: 2 | 4 = layer.cellBits === 32 ? 4 : 2;
    const hBase = offset;
    const cBase = alignUp(hBase + dirs * H * 2, 4);
    const directions: DirectionState[] = [];
    for (let d = 0; d < dirs; d++) directions.push({ hOffset: hBase + d * H * 2, cOffset: cBase + d * H * cellBytes });
    offset = alignUp(cBase + dirs * H * cellBytes, 8);
    layers.push({ hiddenSize: H, cellBytes, directions });
  }
  const streaming = qm.layers.every((l) => l.direction === "forward");
  const outputPerStep = !qm.head || qm.head.reads === "every";
  let flat: WasmModelInfo["flat"];
  if (qm.head?.reads === "flatten" && streaming && qm.head.layers.length > 0) {
    const rows = qm.head.layers[0]!.W.rows;
    const accOffset = alignUp(offset, 8);
    const tOffset = accOffset + rows * 8;
    offset = alignUp(tOffset + 4, 8);
    flat = { T: qm.head.steps!, rows, accOffset, tOffset };
  }
  return {
    inputSize: qm.input.size,
    outputSize: qm.outputSize,
    outputFrac: qm.outputFrac,
    maxSteps,
    streaming,
    outputPerStep,
    outputRows: outputPerStep ? maxSteps : 1,
    layers,
    ...(flat ? { flat } : {}),
    stateSize: Math.max(8, offset),
  };
}
