/**
 * The lstm-gen intermediate representation (IR).
 *
 * This is the one contract between importers, the float reference, the quantizer and the emitters.
 * Gates are addressed by *name*; no code outside an importer knows how a framework orders them.
 *
 * All weights are float64, row-major. A matrix `W [H, I]` has `rows = H`, `cols = I` and element
 * (r, c) at `data[r * cols + c]`, so `W x` computes one output per row.
 */

export const GATE_NAMES = ["input", "forget", "cell", "output"] as const;
export type GateName = (typeof GATE_NAMES)[number];

/** Dense row-major float64 matrix. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * An element-wise activation. `alpha`/`beta` follow the ONNX operator definitions:
 * - hardSigmoid: clamp(alpha*x + beta, 0, 1)   (Keras 2: alpha=0.2, beta=0.5; Keras 3: 1/6, 0.5)
 * - leakyRelu:   x >= 0 ? x : alpha*x
 * - thresholdedRelu: x > alpha ? x : 0
 * - scaledTanh:  alpha * tanh(beta * x)
 * - affine:      alpha * x + beta
 * - elu:         x >= 0 ? x : alpha*(exp(x)-1)
 */
export type Activation =
  | { readonly kind: "sigmoid" }
  | { readonly kind: "tanh" }
  | { readonly kind: "relu" }
  | { readonly kind: "linear" }
  | { readonly kind: "softsign" }
  | { readonly kind: "softplus" }
  | { readonly kind: "hardSigmoid"; readonly alpha: number; readonly beta: number }
  | { readonly kind: "leakyRelu"; readonly alpha: number }
  | { readonly kind: "thresholdedRelu"; readonly alpha: number }
  | { readonly kind: "scaledTanh"; readonly alpha: number; readonly beta: number }
  | { readonly kind: "affine"; readonly alpha: number; readonly beta: number }
  | { readonly kind: "elu"; readonly alpha: number };

/** One gate: pre-activation = W x + R h + bias (+ peephole ⊙ c for input/forget/output). */
export interface Gate {
  /** Input weights, [H, I]. */
  readonly W: Matrix;
  /** Recurrent weights, [H, H]. */
  readonly R: Matrix;
  /** One bias of length H: the sum of the framework's input and recurrent biases. */
  readonly bias: Float64Array;
}

/**
 * The three activation functions of an LSTM cell, as named in the ONNX spec:
 * - `gate` (f): applied to the input, forget and output gates (normally sigmoid);
 * - `cell` (g): applied to the cell candidate (normally tanh);
 * - `hidden` (h): applied to the cell state before the output gate (normally tanh).
 */
export interface LstmActivations {
  readonly gate: Activation;
  readonly cell: Activation;
  readonly hidden: Activation;
}

/** The weights and settings of one direction of an LSTM layer. */
export interface LstmCell {
  readonly gates: Readonly<Record<GateName, Gate>>;
  /** Peephole weights (length H each), ONNX semantics: i and f see c(t-1), o sees c(t). */
  readonly peephole?: { readonly input: Float64Array; readonly forget: Float64Array; readonly output: Float64Array };
  readonly activations: LstmActivations;
  /** Initial hidden state (length H); zeros when absent. */
  readonly initialH?: Float64Array;
  /** Initial cell state (length H); zeros when absent. */
  readonly initialC?: Float64Array;
}

export type Direction = "forward" | "reverse" | "bidirectional";

export interface LstmLayer {
  readonly kind: "lstm";
  /** Human-readable name from the source model (never used as an identifier in generated code). */
  readonly name: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly direction: Direction;
  /** One cell for forward/reverse, two (forward, reverse) for bidirectional. */
  readonly cells: readonly LstmCell[];
  /** Cell clip threshold: gate pre-activations are clamped to [-clip, clip] (ONNX `clip`). */
  readonly clip?: number;
  /** Coupled input-forget gate: f = 1 - i (ONNX `input_forget`). The forget gate's weights are then unused. */
  readonly inputForget: boolean;
}

/** A recurrent layer. Only LSTM today; the union leaves room for GRU. */
export type RecurrentLayer = LstmLayer;

export type DenseActivation = "linear" | "relu" | "tanh" | "sigmoid" | "softmax";

export interface DenseLayer {
  readonly name: string;
  /** [outputs, inputs]. */
  readonly W: Matrix;
  readonly bias: Float64Array;
  readonly activation: DenseActivation;
}

/**
 * What the dense head reads from the last recurrent layer:
 * - `every`: the layer's output at every step (sequence-to-sequence);
 * - `last`:  the layer's output at the last time step, Y[T-1] (for a bidirectional layer the reverse half
 *            is then the reverse cell's *first* output; this is what `out[:, -1, :]` in PyTorch reads);
 * - `final`: the final hidden state of each direction (ONNX Y_h, Keras return_sequences=False); equal to
 *            `last` except for reverse and bidirectional layers.
 * - `flatten`: the layer's outputs at all `Head.steps` steps concatenated in time order, Y[0] first (Keras
 *            `Flatten` after return_sequences=True, TFLite RESHAPE to [1, T*H]); the model then only runs
 *            sequences of exactly `steps` steps. (Extension added for the Keras/TFLite importers.)
 */
export type HeadReads = "every" | "last" | "final" | "flatten";

export interface Head {
  readonly reads: HeadReads;
  /** reads = flatten only: the fixed sequence length T; the first dense layer has T × (layer width) inputs. */
  readonly steps?: number;
  readonly layers: readonly DenseLayer[];
}

/**
 * Axis labels of a model output. `batch` is the sequence index in the input file, `time` the step,
 * `direction` the LSTM direction, `unit` the hidden unit or head output, `one` an axis of size 1.
 */
export type OutputAxis = "batch" | "time" | "direction" | "unit" | "one";

/**
 * A graph output and where its values come from.
 * - head: the head's output ([time, unit] for reads=every, [unit] otherwise);
 * - sequence: a layer's Y ([time, direction, unit], or [time, unit] with `mergeDirections`);
 * - finalHidden / finalCell: a layer's final h / c per direction ([direction, unit]).
 * `axes` lists the order of the axes in the source model's output tensor; the runner emits data in that order
 * with the `batch` axis moved to the front.
 */
export type OutputSource =
  | { readonly kind: "head" }
  | { readonly kind: "sequence"; readonly layer: number; readonly mergeDirections: boolean }
  | { readonly kind: "finalHidden"; readonly layer: number }
  | { readonly kind: "finalCell"; readonly layer: number };

export interface ModelOutput {
  readonly name: string;
  readonly source: OutputSource;
  readonly axes: readonly OutputAxis[];
}

/** Where the model came from and which conventions the importer applied (shown by `inspect`). */
export interface ModelSource {
  /** e.g. "onnx", "keras-h5", "safetensors". */
  readonly format: string;
  /** File the model was read from (as given by the user). */
  readonly file: string;
  /** Producer, e.g. "pytorch 1.13.1" or "tf2onnx". */
  readonly producer?: string;
  /** Free-form notes about conventions applied, e.g. "gate order i,o,f,c mapped to input,forget,cell,output". */
  readonly conventions: readonly string[];
}

export interface Model {
  readonly inputName: string;
  readonly inputSize: number;
  /**
   * Dense layers applied to the input at every step before the first recurrent layer (Keras `Dense` or
   * `TimeDistributed(Dense)` in front of an LSTM, RTNeural `time-distributed-dense`). The first takes
   * `inputSize` inputs; the first recurrent layer takes the last one's outputs. Absent or empty: none.
   * (Extension added for the Keras/RTNeural importers.)
   */
  readonly inputDense?: readonly DenseLayer[];
  readonly layers: readonly RecurrentLayer[];
  readonly head?: Head;
  readonly outputs: readonly ModelOutput[];
  readonly source: ModelSource;
}
