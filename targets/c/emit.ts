/**
 * The C emitter: `QuantizedModel` → a self-contained, integer-only, allocation-free C99 library.
 *
 * For a model named `kws` it writes `kws.h` (the public API, documented), `kws.c` (weights as `static const`
 * arrays, the kernels of runtime/c/lstmgen_kernels.h copied in, one step function per layer direction),
 * and the optional float helpers `kws_float.h` / `kws_float.c`. The arithmetic is docs/fixed-point.md, bit for
 * bit; each generated expression names the section it implements.
 *
 * The emitter is pure: the same model and options give byte-identical files (no dates, no paths of this
 * machine, no iteration over unordered collections).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { usageError } from "../../compiler/errors.js";
import type { HeadReads } from "../../compiler/ir/model.js";
import type { QActivation, QCell, QDenseLayer, QLstmLayer, QMatrix, QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { arrayDecl, cInt, commentText, CWriter, identifierProblem, Identifiers } from "./cgen.js";
import { runtimeFile } from "./paths.js";
import type { SizeReport } from "./size.js";

export interface EmitOptions {
  /** Prefix of every public identifier and file name; a C identifier (see `validateCName`). */
  readonly name: string;
  /** lstm-gen version, written into the header comment. */
  readonly version: string;
  /** Hash of the model file (e.g. "sha256:..."), written into the header comment. */
  readonly modelHash: string;
  /** The model file as the user named it (only its base name is written). */
  readonly modelFile: string;
  /** What was verified, e.g. "bit-exact vs the golden model on calib.npy (16 sequences)". */
  readonly tolerance?: string;
  /** Bound on the sequence length of models that cannot stream (reverse or bidirectional layers). */
  readonly maxSteps?: number;
  /** Measured sizes (targets/c/size.ts), written into the header comment. */
  readonly sizes?: SizeReport;
}

/** Default `maxSteps` for models with a reverse or bidirectional layer. */
export const DEFAULT_MAX_STEPS = 128;

/** Throw a usage error unless `name` can prefix the generated C identifiers and file names. */
export function validateCName(name: string): void {
  const problem = identifierProblem(name);
  if (problem !== undefined) throw usageError(`--name '${commentText(name, 60)}' cannot be used for generated C: ${problem}`);
}

/**
 * True when every recurrent layer runs forward (or there is none: a head on every input step), so the model
 * can run one frame at a time (`<name>_step`).
 */
export function canStream(qm: QuantizedModel): boolean {
  return qm.layers.every((l) => l.direction === "forward");
}

// -----------------------------------------------------------------------------------------------------------
// Plan: names and shapes of everything the files declare
// -----------------------------------------------------------------------------------------------------------

type GateKey = "input" | "forget" | "cell" | "output";
const GATES: readonly GateKey[] = ["input", "forget", "cell", "output"];

interface MatrixSym {
  readonly m: QMatrix;
  readonly q: string;
  readonly mult: string;
  readonly shift: string;
  readonly row: string;
}

interface CellSym {
  readonly cell: QCell;
  readonly dir: number;
  readonly reverse: boolean;
  readonly step: string;
  readonly tag: string;
  readonly gates: Partial<Record<GateKey, { readonly W: MatrixSym; readonly R: MatrixSym; readonly bias: string; readonly peephole?: string }>>;
  readonly initialH?: string;
  readonly initialC?: string;
  /**
   * Set when the four gates' W (and R) rows of a unit are computed together by lstmgen_dot4_s8_s16_s32: every
   * matrix int8 with a 32-bit accumulator, four gates. The names of the re-laid-out weight arrays.
   */
  readonly fused?: { readonly W: string; readonly R: string; readonly params: string };
}

interface LayerSym {
  readonly q: QLstmLayer;
  readonly index: number;
  readonly dirs: number;
  readonly width: number;
  readonly cells: readonly CellSym[];
  readonly run?: string;
  /**
   * Whole-sequence models whose head reads the last step only (`last`): the top layer keeps one output row,
   * the one of step T-1, and its backward direction runs one step (its h at T-1 has seen x[T-1] only).
   */
  readonly lastRowOnly?: boolean;
  /** State member names. */
  readonly h: string;
  readonly c: string;
}

interface DenseSym {
  readonly q: QDenseLayer;
  readonly W: MatrixSym;
  readonly bias: string;
  readonly forward: string;
}

interface Plan {
  readonly qm: QuantizedModel;
  readonly p: string;
  readonly P: string;
  readonly ids: Identifiers;
  readonly streaming: boolean;
  readonly maxSteps: number;
  readonly layers: readonly LayerSym[];
  readonly dense: readonly DenseSym[];
  /** §7.3 Dense layers applied to every input frame before the first LSTM layer. */
  readonly inputDense: readonly DenseSym[];
  /** Function applying the input dense stack to one frame, and the scratch/sequence buffer it writes. */
  readonly inputFn?: string;
  readonly inputWidth: number;
  /** §7.4 Flattening head: T, the top width, and (streaming) the state's accumulators and step counter. */
  readonly flat?: { readonly T: number; readonly width: number; readonly acc?: string; readonly accType?: "int32_t" | "int64_t"; readonly t?: string };
  readonly reads: HeadReads;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Width of the vector the head reads (last layer output, or the input). */
  readonly headIn: number;
  readonly tables: { readonly sigmoid?: string; readonly tanh?: string; readonly expNeg?: string };
  readonly head: string;
  readonly state: readonly StateMember[];
  /** Sequence buffers of non-streaming models. */
  readonly seq: readonly string[];
  readonly headBufs: readonly string[];
  readonly softmaxZ?: string;
  readonly hNew?: string;
  readonly api: {
    readonly stateT: string;
    readonly inputT: string;
    readonly outputT: string;
    readonly reset: string;
    readonly step: string;
    readonly run: string;
    readonly quantize: string;
    readonly dequantize: string;
  };
}

interface StateMember {
  readonly type: "int16_t" | "int32_t" | "int64_t";
  readonly name: string;
  /** Length as a C expression and as a number. */
  readonly len: string;
  readonly n: number;
  readonly comment: string;
  readonly scratch: boolean;
}

function kernelText(): string {
  return readFileSync(runtimeFile("lstmgen_kernels.h"), "utf8");
}

/**
 * The part of the kernel file a model needs: every function the generated code calls, with the functions
 * those call, in the file's order; the rest of the file (comments, includes, static assertions) is kept.
 * Unused `static inline` functions would draw clang's -Wunused-function.
 */
export function selectKernels(text: string, generated: string): string {
  interface Block {
    readonly name?: string;
    readonly text: string;
  }
  const blocks: Block[] = [];
  const lines = text.split("\n");
  let k = 0;
  let other: string[] = [];
  while (k < lines.length) {
    const line = lines[k]!;
    if (line.startsWith("/**")) {
      const start = k;
      let name: string | undefined;
      while (k < lines.length && lines[k] !== "}") {
        const m = /^static inline [^(]*\b(lstmgen_\w+)\(/.exec(lines[k]!);
        if (m) name = m[1];
        k++;
      }
      if (name === undefined) throw new Error("internal: a doc comment in lstmgen_kernels.h is not followed by a function");
      blocks.push({ text: other.join("\n") });
      other = [];
      blocks.push({ name, text: lines.slice(start, k + 1).join("\n") });
      k++;
      continue;
    }
    other.push(line);
    k++;
  }
  blocks.push({ text: other.join("\n") });
  const byName = new Map(blocks.filter((b) => b.name !== undefined).map((b) => [b.name!, b]));
  const need = new Set<string>();
  const visit = (src: string) => {
    for (const id of src.match(/\blstmgen_\w+(?=\()/g) ?? []) {
      const b = byName.get(id);
      if (b && !need.has(id)) {
        need.add(id);
        visit(b.text.slice(b.text.indexOf("{")));
      }
    }
  };
  visit(generated);
  return blocks
    .filter((b) => b.name === undefined || need.has(b.name))
    .map((b) => b.text)
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}

/** Identifiers the copied kernels declare (reserved for the generated code). */
function kernelIdentifiers(text: string): Set<string> {
  return new Set(text.match(/\b(?:lstmgen|LSTMGEN)_[A-Za-z0-9_]+/g) ?? []);
}

function actUses(a: QActivation | { readonly kind: "softmax" }, used: Set<string>): void {
  if (a.kind === "sigmoid" || a.kind === "tanh") used.add(a.kind);
  if (a.kind === "softmax") used.add("expNeg");
}

function makePlan(qm: QuantizedModel, opts: EmitOptions, kernelIds: Set<string>): Plan {
  const p = opts.name;
  const P = p.toUpperCase();
  const ids = new Identifiers(kernelIds);
  const streaming = canStream(qm);
  let maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1 || maxSteps > 1 << 24) {
    throw usageError(`--max-steps must be an integer in 1..${1 << 24}, got ${maxSteps}`);
  }
  // §7.4 A flattening head runs sequences of exactly T steps: that is the only length the buffers need.
  const flatT = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
  if (flatT !== undefined) maxSteps = flatT;
  const api = {
    stateT: ids.add(`${p}_state_t`),
    inputT: ids.add(`${p}_input_t`),
    outputT: ids.add(`${p}_output_t`),
    reset: ids.add(`${p}_reset`),
    step: ids.add(`${p}_step`),
    run: ids.add(`${p}_run`),
    quantize: ids.add(`${p}_quantize_input`),
    dequantize: ids.add(`${p}_dequantize_output`),
  };
  // Include guards carry LSTMGEN so that they cannot collide with a project's own SINE_H or CONFIG_H.
  for (const m of ["INPUT_SIZE", "OUTPUT_SIZE", "OUTPUT_FRAC", "OUTPUT_EVERY_STEP", "STREAMING", "MAX_STEPS", "OK", "ERR_STEPS", "LSTMGEN_H", "FLOAT_LSTMGEN_H"]) {
    ids.add(`${P}_${m}`);
  }
  const used = new Set<string>();
  const matrix = (m: QMatrix, base: string): MatrixSym => ({
    m,
    q: ids.add(`${base}_q`),
    mult: ids.add(`${base}_mult`),
    shift: ids.add(`${base}_shift`),
    row: ids.add(`${base}_row`),
  });
  const layers: LayerSym[] = qm.layers.map((q, l) => {
    const dirs = q.direction === "bidirectional" ? 2 : 1;
    for (const a of [q.gateActivation, q.cellActivation, q.hiddenActivation]) actUses(a, used);
    const cells: CellSym[] = q.cells.slice(0, dirs).map((cell, d) => {
      const tag = dirs === 2 ? `l${l}${d === 0 ? "f" : "b"}` : `l${l}`;
      const gates: CellSym["gates"] = {};
      for (const g of GATES) {
        if (g === "forget" && q.inputForget) continue;
        const G = cell.gates[g];
        gates[g] = {
          W: matrix(G.W, `${p}_${tag}_${g}_W`),
          R: matrix(G.R, `${p}_${tag}_${g}_R`),
          bias: ids.add(`${p}_${tag}_${g}_bias`),
          ...(G.peephole && g !== "cell" ? { peephole: ids.add(`${p}_${tag}_${g}_peephole`) } : {}),
        };
      }
      const mats = Object.keys(gates).flatMap((g) => [cell.gates[g as GateKey].W, cell.gates[g as GateKey].R]);
      const fusable = !q.inputForget && mats.every((m) => m.q instanceof Int8Array && m.accBits === 32 && m.preShift === 0);
      const zeroH = cell.initialH.every((v) => v === 0);
      const zeroC = cell.initialC.every((v) => v === 0);
      return {
        cell,
        dir: d,
        reverse: q.direction === "reverse" || d === 1,
        step: ids.add(`${p}_${tag}_step`),
        tag,
        gates,
        ...(zeroH ? {} : { initialH: ids.add(`${p}_${tag}_initial_h`) }),
        ...(zeroC ? {} : { initialC: ids.add(`${p}_${tag}_initial_c`) }),
        ...(fusable ? { fused: { W: ids.add(`${p}_${tag}_W4`), R: ids.add(`${p}_${tag}_R4`), params: ids.add(`${p}_${tag}_params`) } } : {}),
      };
    });
    return {
      q,
      index: l,
      dirs,
      width: dirs * q.hiddenSize,
      cells,
      ...(streaming ? {} : { run: ids.add(`${p}_l${l}_run`) }),
      ...(!streaming && l === qm.layers.length - 1 && qm.head?.reads === "last" ? { lastRowOnly: true } : {}),
      h: `l${l}_h`,
      c: `l${l}_c`,
    };
  });
  const inputDense: DenseSym[] = (qm.inputDense ?? []).map((q, k) => {
    actUses(q.activation, used);
    return { q, W: matrix(q.W, `${p}_i${k}_W`), bias: ids.add(`${p}_i${k}_bias`), forward: ids.add(`${p}_i${k}_forward`) };
  });
  const inputFn = inputDense.length > 0 ? ids.add(`${p}_input_dense`) : undefined;
  const inputWidth = inputDense.length > 0 ? inputDense[inputDense.length - 1]!.q.W.rows : qm.input.size;
  const denseLayers = qm.head?.layers ?? [];
  const dense: DenseSym[] = denseLayers.map((q, k) => {
    actUses(q.activation, used);
    return { q, W: matrix(q.W, `${p}_d${k}_W`), bias: ids.add(`${p}_d${k}_bias`), forward: ids.add(`${p}_d${k}_forward`) };
  });
  const tables = {
    ...(used.has("sigmoid") ? { sigmoid: tableName("sigmoid", qm.tables.sigmoid) } : {}),
    ...(used.has("tanh") ? { tanh: tableName("tanh", qm.tables.tanh) } : {}),
    ...(used.has("expNeg") ? { expNeg: tableName("exp_neg", qm.tables.expNeg) } : {}),
  };
  const last = layers[layers.length - 1];
  const headIn = last ? last.width : inputWidth;
  const outputSize = dense.length > 0 ? dense[dense.length - 1]!.q.W.rows : headIn;
  if (outputSize !== qm.outputSize) throw new Error(`internal: output size ${outputSize} != qm.outputSize ${qm.outputSize}`);
  const reads: HeadReads = qm.head?.reads ?? "every";

  // State members: h and c per layer (directions side by side), then scratch.
  const state: StateMember[] = [];
  for (const L of layers) {
    const fmtH = `Q${15 - L.q.hFrac}.${L.q.hFrac}`;
    const cBits = L.q.cellBits;
    const fmtC = `Q${cBits - 1 - L.q.cFrac}.${L.q.cFrac}`;
    const dirNote = L.dirs === 2 ? ", forward then backward" : "";
    state.push({ type: cBits === 32 ? "int32_t" : "int16_t", name: L.c, len: `${L.width}`, n: L.width, comment: `layer ${L.index} cell state c, ${fmtC}${dirNote}`, scratch: false });
    state.push({ type: "int16_t", name: L.h, len: `${L.width}`, n: L.width, comment: `layer ${L.index} hidden state h, ${fmtH}${dirNote}`, scratch: false });
  }
  const maxH = Math.max(0, ...qm.layers.map((l) => l.hiddenSize));
  const hNew = maxH > 0 ? "h_new" : undefined;
  if (hNew) state.push({ type: "int16_t", name: hNew, len: `${maxH}`, n: maxH, comment: "new h of the row loop (scratch)", scratch: true });
  // Dense layers except the last write into ping-pong buffers; the last writes the caller's output.
  const headBufs: string[] = [];
  for (let k = 0; k < dense.length - 1; k++) {
    const name = k % 2 === 0 ? "head_a" : "head_b";
    const n = Math.max(...dense.filter((_, j) => j < dense.length - 1 && j % 2 === k % 2).map((d) => d.q.W.rows));
    if (!headBufs.includes(name)) {
      headBufs.push(name);
      state.push({ type: "int16_t", name, len: `${n}`, n, comment: "dense layer output (scratch)", scratch: true });
    }
  }
  // §7.3 Input dense layers: ping-pong scratch between them; the last writes in_x (streaming) or seq_in.
  for (let k = 0; k < inputDense.length - 1; k++) {
    const name = k % 2 === 0 ? "in_a" : "in_b";
    const n = Math.max(...inputDense.filter((_, j) => j < inputDense.length - 1 && j % 2 === k % 2).map((d) => d.q.W.rows));
    if (!state.some((m) => m.name === name)) state.push({ type: "int16_t", name, len: `${n}`, n, comment: "input dense layer output (scratch)", scratch: true });
  }
  if (inputDense.length > 0) {
    if (streaming) {
      state.push({ type: "int16_t", name: "in_x", len: `${inputWidth}`, n: inputWidth, comment: "the frame after the input dense layers (scratch)", scratch: true });
    } else {
      state.push({ type: "int16_t", name: "seq_in", len: `${P}_MAX_STEPS * ${inputWidth}`, n: maxSteps * inputWidth, comment: "the input after the input dense layers, whole sequence (scratch)", scratch: true });
    }
  }
  let flat: Plan["flat"];
  if (flatT !== undefined) {
    if (dense.length === 0 || !last) throw usageError("target c: a flattening head needs a recurrent layer and at least one dense layer");
    if (streaming) {
      const W = dense[0]!.q.W;
      const accType = W.accBits === 64 ? "int64_t" : "int32_t";
      state.push({ type: accType, name: "flat_acc", len: `${W.rows}`, n: W.rows, comment: `section 7.4: per row of dense 0, the exact sum of W_t h_t over the steps so far (int${W.accBits})`, scratch: false });
      state.push({ type: "int32_t", name: "flat_t", len: "1", n: 1, comment: `section 7.4: steps taken since reset (0..${flatT})`, scratch: false });
      flat = { T: flatT, width: last.width, acc: "flat_acc", accType, t: "flat_t" };
    } else {
      flat = { T: flatT, width: last.width };
    }
  }
  const softmaxRows = Math.max(0, ...[...inputDense, ...dense].filter((d) => d.q.activation.kind === "softmax").map((d) => d.q.W.rows));
  // lstmgen_softmax_s16 sums in 32 bits: n · 32767 < 2^31 for n ≤ 65536.
  if (softmaxRows > 65536) throw usageError(`a softmax over ${softmaxRows} outputs is more than the C target's 65536`);
  const softmaxZ = softmaxRows > 0 ? "softmax_z" : undefined;
  if (softmaxZ) state.push({ type: "int32_t", name: softmaxZ, len: `${softmaxRows}`, n: softmaxRows, comment: "softmax pre-activations, Q15.16 (scratch)", scratch: true });
  const seq: string[] = [];
  if (!streaming) {
    for (let b = 0; b < Math.min(2, layers.length); b++) {
      const users = layers.filter((L) => L.index % 2 === b);
      const w = Math.max(...users.map((L) => L.width));
      const name = b === 0 ? "seq_a" : "seq_b";
      seq.push(name);
      if (users.every((L) => L.lastRowOnly)) {
        state.push({ type: "int16_t", name, len: `${w}`, n: w, comment: "the top layer's output at the last step (scratch)", scratch: true });
      } else {
        state.push({ type: "int16_t", name, len: `${P}_MAX_STEPS * ${w}`, n: maxSteps * w, comment: "layer outputs of the whole sequence (scratch)", scratch: true });
      }
    }
  }
  if (state.length === 0) state.push({ type: "int16_t", name: "unused", len: "1", n: 1, comment: "(this model keeps no state)", scratch: true });
  // Keep int32 members first so that no padding is needed on any ABI.
  const ordered = [...state.filter((s) => s.type === "int64_t"), ...state.filter((s) => s.type === "int32_t" && !s.scratch), ...state.filter((s) => s.type === "int16_t" && !s.scratch), ...state.filter((s) => s.type === "int32_t" && s.scratch), ...state.filter((s) => s.type === "int16_t" && s.scratch)];

  return {
    qm,
    p,
    P,
    ids,
    streaming,
    maxSteps,
    layers,
    dense,
    inputDense,
    ...(inputFn ? { inputFn } : {}),
    inputWidth,
    ...(flat ? { flat } : {}),
    reads,
    inputSize: qm.input.size,
    outputSize,
    headIn,
    tables,
    head: ids.add(`${p}_head`),
    state: ordered,
    seq,
    headBufs,
    ...(softmaxZ ? { softmaxZ } : {}),
    ...(hNew ? { hNew } : {}),
    api,
  };
}

/** Bytes of the state struct on ABIs where int32_t is 4-aligned (all targets lstm-gen measures). */
function stateBytes(plan: Plan): number {
  let n = 0;
  for (const m of plan.state) n += m.n * (m.type === "int64_t" ? 8 : m.type === "int32_t" ? 4 : 2);
  const align = plan.state.some((m) => m.type === "int64_t") ? 8 : plan.state.some((m) => m.type === "int32_t") ? 4 : 2;
  return Math.ceil(n / align) * align;
}

function scratchBytes(plan: Plan): number {
  let n = 0;
  for (const m of plan.state) if (m.scratch) n += m.n * (m.type === "int64_t" ? 8 : m.type === "int32_t" ? 4 : 2);
  return n;
}

// -----------------------------------------------------------------------------------------------------------
// Descriptions for comments
// -----------------------------------------------------------------------------------------------------------

function fmt16(frac: number): string {
  return `Q${15 - frac}.${frac}`;
}

function actName(a: QActivation | { readonly kind: "softmax" }): string {
  switch (a.kind) {
    case "hardSigmoid":
      return `hardSigmoid(alpha ${a.alpha}/2^15, beta ${a.beta}/2^15)`;
    case "relu":
    case "linear":
      return `${a.kind} -> ${fmt16(a.outFrac)}`;
    default:
      return a.kind;
  }
}

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

function weightBytes(m: QMatrix): number {
  return m.q.length * m.q.BYTES_PER_ELEMENT + m.rows * 5;
}

function describe(plan: Plan, opts: EmitOptions, file: string): string[] {
  const qm = plan.qm;
  const out: string[] = [];
  out.push(`${file} - generated by lstm-gen ${commentText(opts.version, 30)} - do not edit.`);
  out.push("");
  out.push(`Model:   ${commentText(baseName(opts.modelFile), 60)}`);
  out.push(`Hash:    ${commentText(opts.modelHash, 100)}`);
  out.push(`Formats: weights ${qm.weights}, cell ${qm.cell}, accumulators int32/int64 per matrix (docs/fixed-point.md)`);
  out.push(`Input:   ${qm.input.size} x int16 per step, per-feature scale, zero point 0 (headroom ${qm.input.headroomBits} bits)`);
  plan.inputDense.forEach((d, k) => {
    const acc = d.q.W.accBits === 64 ? `, acc64 pre-shift ${d.q.W.preShift}` : "";
    out.push(`Input dense ${k}: '${commentText(d.q.name, 40)}' ${d.q.W.cols} -> ${d.q.W.rows} every step, ${actName(d.q.activation)}, out ${fmt16(d.q.outFrac)}${acc}`);
  });
  for (const L of plan.layers) {
    const q = L.q;
    const acts = `${actName(q.gateActivation)}/${actName(q.cellActivation)}/${actName(q.hiddenActivation)}`;
    const extras = [
      q.inputForget ? "coupled input-forget" : "",
      q.cells.some((c) => c.gates.input.peephole) ? "peepholes" : "",
      q.clip !== undefined ? `clip ${q.clip}/2^16` : "",
    ].filter((s) => s !== "");
    out.push(
      `Layer ${L.index}: LSTM '${commentText(q.name, 40)}' ${q.direction}, ${q.inputSize} -> ${q.hiddenSize}` +
        `${L.dirs === 2 ? " x 2" : ""}; gates ${acts}`,
    );
    out.push(
      `         h ${fmt16(q.hFrac)}, c int${q.cellBits} Q${q.cellBits - 1 - q.cFrac}.${q.cFrac}, g ${fmt16(q.gFrac)}` +
        `${extras.length ? `; ${extras.join(", ")}` : ""}`,
    );
  }
  if (qm.head) {
    const r = qm.head.reads;
    out.push(`Head:    reads ${r === "every" ? "every step" : r === "last" ? "the last step" : r === "flatten" ? `all ${qm.head.steps} steps flattened (sequences of exactly ${qm.head.steps} steps)` : "the final state"}`);
    plan.dense.forEach((d, k) => {
      const acc = d.q.W.accBits === 64 ? `, acc64 pre-shift ${d.q.W.preShift}` : "";
      out.push(`Dense ${k}: '${commentText(d.q.name, 40)}' ${d.q.W.cols} -> ${d.q.W.rows}, ${actName(d.q.activation)}, out ${fmt16(d.q.outFrac)}${acc}`);
    });
  }
  out.push(`Output:  ${plan.outputSize} x int16 ${fmt16(qm.outputFrac)} (real = q * 2^-${qm.outputFrac}), ${plan.reads === "every" ? "one vector per step" : "one vector per sequence"}`);
  out.push(plan.streaming ? "Runs:    streaming, one frame at a time" : `Runs:    whole sequences of at most ${plan.maxSteps} steps (reverse/bidirectional layer)`);
  let flash = 0;
  for (const L of plan.layers) for (const c of L.cells) for (const g of Object.values(c.gates)) flash += weightBytes(g.W.m) + weightBytes(g.R.m) + 4 * L.q.hiddenSize + (g.peephole ? 2 * L.q.hiddenSize : 0);
  for (const d of [...plan.inputDense, ...plan.dense]) flash += weightBytes(d.W.m) + 4 * d.q.W.rows;
  flash += Object.keys(plan.tables).length * 513 * 2;
  const total = stateBytes(plan);
  const scratch = scratchBytes(plan);
  out.push(`Memory:  ${flash} bytes of constant data (weights, multipliers, tables); state struct ${total} bytes`);
  out.push(`         (${total - scratch} persistent + ${scratch} scratch), caller-owned; no heap, no static RAM`);
  const s = opts.sizes;
  if (s) {
    out.push(`Measured on ${s.mcu} (${commentText(s.compiler, 40)} ${commentText(s.flags, 30)}): flash ${s.flashWeights} bytes of data + ${s.flashCode} of code;`);
    out.push(`         RAM: state ${s.ramState} + scratch ${s.ramScratch} bytes (caller-owned), static ${s.ramStatic}; worst stack ${s.stackWorst} bytes`);
  }
  out.push(`Verified: ${opts.tolerance !== undefined ? commentText(opts.tolerance, 100) : "not recorded at generation"}`);
  return out;
}

// -----------------------------------------------------------------------------------------------------------
// kws.c
// -----------------------------------------------------------------------------------------------------------

function weightType(m: QMatrix): "int8_t" | "int16_t" {
  return m.q instanceof Int8Array ? "int8_t" : "int16_t";
}

/**
 * True when every row of `m` can use lstmgen_requantize_hi_s32: shift n >= 33 (or multiplier 0, which gives 0
 * for any shift). Then the emitted shift array holds n - 32.
 */
export function fastRequantize(m: QMatrix): boolean {
  return m.accBits === 32 && Array.from(m.shift).every((n, r) => n >= 33 || m.mult[r] === 0);
}

function emitMatrixData(w: CWriter, s: MatrixSym, what: string): void {
  const m = s.m;
  const acc = m.accBits === 64 ? `64-bit accumulator, pre-shift ${m.preShift}` : "32-bit accumulator";
  w.comment([`${what}: ${m.rows} x ${m.cols} ${weightType(m)}, ${acc} (accBound ${m.accBound})`]);
  if (m.q.length !== m.rows * m.cols || m.mult.length !== m.rows || m.shift.length !== m.rows) {
    throw new Error(`internal: ${what} has inconsistent sizes`);
  }
  arrayDecl(w, "static const", weightType(m), s.q, m.q);
  arrayDecl(w, "static const", "int32_t", s.mult, m.mult);
  arrayDecl(w, "static const", "uint8_t", s.shift, m.shift);
}

/**
 * The int8 weights of four matrices of the same shape, re-laid out as 32-bit words for lstmgen_dot4_s8_s16_s32
 * (byte b of a word is bits 8b..8b+7): per row r, for each group of four columns k..k+3 and each matrix j, the
 * word of bytes q_j[k], q_j[k+2], q_j[k+1], q_j[k+3]; then, for each of the cols % 4 remaining columns k, the
 * word of bytes q_0[k], q_1[k], q_2[k], q_3[k]. `rows * cols` words in all.
 */
export function interleave4(ms: readonly QMatrix[]): Uint32Array {
  if (ms.length !== 4) throw new Error("internal: interleave4 needs four matrices");
  const { rows, cols } = ms[0]!;
  for (const m of ms) if (m.rows !== rows || m.cols !== cols || !(m.q instanceof Int8Array)) throw new Error("internal: interleave4 shapes");
  const groups = Math.floor(cols / 4);
  const word = (b0: number, b1: number, b2: number, b3: number) => ((b0 & 255) | ((b1 & 255) << 8) | ((b2 & 255) << 16) | ((b3 & 255) << 24)) >>> 0;
  const out = new Uint32Array(rows * cols);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let g = 0; g < groups; g++) {
      const k = base + 4 * g;
      for (const m of ms) out[o++] = word(m.q[k]!, m.q[k + 2]!, m.q[k + 1]!, m.q[k + 3]!);
    }
    for (let k = base + 4 * groups; k < base + cols; k++) out[o++] = word(ms[0]!.q[k]!, ms[1]!.q[k]!, ms[2]!.q[k]!, ms[3]!.q[k]!);
  }
  if (o !== out.length) throw new Error("internal: interleave4 count");
  return out;
}

/**
 * The same weights as interleave4 in the layout of lstmgen_dot4p_s8_s16_s32 (Thumb-1 cores): per row r, for each
 * column k, the word of bytes q_0[k] ^ 0x80, q_1[k] ^ 0x80, q_2[k] ^ 0x80, q_3[k] (the digits c_j = q_j[k] + 128
 * for j < 3 and c_3 = q_3[k] of Q = c_0 + 2^8 c_1 + 2^16 c_2 + 2^24 c_3). `rows * cols` words in all.
 */
export function packColumns4(ms: readonly QMatrix[]): Uint32Array {
  if (ms.length !== 4) throw new Error("internal: packColumns4 needs four matrices");
  const { rows, cols } = ms[0]!;
  for (const m of ms) if (m.rows !== rows || m.cols !== cols || !(m.q instanceof Int8Array)) throw new Error("internal: packColumns4 shapes");
  const out = new Uint32Array(rows * cols);
  for (let k = 0; k < rows * cols; k++) {
    const c = ms.map((m, j) => (j < 3 ? m.q[k]! + 128 : m.q[k]!) & 255);
    out[k] = (c[0]! | (c[1]! << 8) | (c[2]! << 16) | (c[3]! << 24)) >>> 0;
  }
  return out;
}

/** Words per unit of a fused cell's parameter block (see emitFusedParams). */
const PARAM_WORDS = 14;

/** The shift byte of a fused cell's parameter block: n - 33 for lstmgen_requantize_hi_s32, else n. */
function fusedShift(m: QMatrix, r: number): number {
  if (!fastRequantize(m)) return m.shift[r]!;
  return m.mult[r] === 0 ? 0 : m.shift[r]! - 33;
}

/**
 * Per unit r of a fused cell, 14 int32 words: the biases of the gates i, f, g, o (Q15.16), the multipliers of
 * their W rows, the multipliers of their R rows, then the row shifts of W and of R, one byte per gate (byte j is
 * bits 8j..8j+7). A shift byte is n - 33 when the matrix uses lstmgen_requantize_hi_s32 (every n >= 33), else n.
 */
function emitFusedParams(w: CWriter, c: CellSym, label: string): void {
  const gates = GATES.map((g) => c.cell.gates[g]);
  const H = gates[0]!.bias.length;
  const out = new Int32Array(H * PARAM_WORDS);
  const bytes = (v: readonly number[]) => (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) | 0;
  for (let r = 0; r < H; r++) {
    const o = r * PARAM_WORDS;
    gates.forEach((G, j) => {
      out[o + j] = G.bias[r]!;
      out[o + 4 + j] = G.W.mult[r]!;
      out[o + 8 + j] = G.R.mult[r]!;
    });
    out[o + 12] = bytes(gates.map((G) => fusedShift(G.W, r)));
    out[o + 13] = bytes(gates.map((G) => fusedShift(G.R, r)));
  }
  const kinds = gates.map((G) => `${fastRequantize(G.W) ? "n-33" : "n"}/${fastRequantize(G.R) ? "n-33" : "n"}`).join(", ");
  w.comment([
    `${label}: per unit ${PARAM_WORDS} words: bias i, f, g, o (Q15.16); W multipliers i, f, g, o; R multipliers i, f, g, o;`,
    `W shifts and R shifts, one byte per gate (W/R shift bytes hold: ${kinds})`,
  ]);
  arrayDecl(w, "static const", "int32_t", c.fused!.params, out);
}

function emitInterleaved(w: CWriter, name: string, ms: readonly QMatrix[], what: string): void {
  const m = ms[0]!;
  w.comment([`${what}: ${m.rows} x 4 x ${m.cols} int8 as ${m.rows * m.cols} words, interleaved for lstmgen_dot4_s8_s16_s32`]);
  w.line("#if defined(LSTMGEN_DOT4_PACKED)");
  w.comment(["the same weights, one word per column for lstmgen_dot4p_s8_s16_s32 (Thumb-1 cores)"]);
  arrayDecl(w, "static const", "uint32_t", name, packColumns4(ms));
  w.line("#else");
  arrayDecl(w, "static const", "uint32_t", name, interleave4(ms));
  w.line("#endif");
}

/** §2 y_r(M, v) in Q15.16, one function per matrix (the accumulator width and pre-shift are constants). */
function emitRowFunction(w: CWriter, s: MatrixSym): void {
  const m = s.m;
  const wt = weightType(m) === "int8_t" ? "s8" : "s16";
  if (m.accBits !== 32 && m.accBits !== 64) throw new Error(`internal: accBits ${String(m.accBits)}`);
  if (!(Number.isInteger(m.preShift) && m.preShift >= 0 && m.preShift <= 31)) throw new Error(`internal: preShift ${m.preShift}`);
  if (m.accBits === 32 && m.preShift !== 0) throw new Error("internal: a 32-bit accumulator with a pre-shift");
  for (const n of m.shift) if (n < 1 || n > 62) throw new Error(`internal: row shift ${n} outside [1, 62]`);
  const dot = `lstmgen_dot_${wt}_s16_s${m.accBits}(&${s.q}[r * ${m.cols}], v, ${m.cols})`;
  const acc = m.accBits === 32 ? `(int64_t)${dot}` : m.preShift > 0 ? `lstmgen_rshr_s64(${dot}, ${m.preShift})` : dot;
  w.fn(`static int32_t ${s.row}(int32_t r, const int16_t *v)`, () => {
    w.line(`return lstmgen_requantize_s64(${acc}, ${s.mult}[r], (int32_t)${s.shift}[r]);`);
  });
}

function actExpr(plan: Plan, a: QActivation, z: string, what: string): string {
  switch (a.kind) {
    case "sigmoid":
      return `lstmgen_sigmoid_s16(${z}, ${plan.tables.sigmoid!})`;
    case "tanh":
      return `lstmgen_tanh_s16(${z}, ${plan.tables.tanh!})`;
    case "hardSigmoid":
      if (!Number.isInteger(a.alpha) || !Number.isInteger(a.beta)) throw new Error(`internal: ${what}: hardSigmoid alpha/beta must be Q0.15 integers`);
      return `lstmgen_hard_sigmoid_s16(${z}, ${cInt(a.alpha, "int32_t")}, ${cInt(a.beta, "int32_t")})`;
    case "relu":
    case "linear":
      if (!(Number.isInteger(a.outFrac) && a.outFrac >= 0 && a.outFrac <= 15)) throw new Error(`internal: ${what}: outFrac ${a.outFrac}`);
      return `lstmgen_${a.kind}_s16(${z}, ${16 - a.outFrac})`;
  }
}

function checkShift(d: number, what: string): number {
  if (!Number.isInteger(d) || Math.abs(d) > 62) throw new Error(`internal: ${what}: conversion by ${d} bits`);
  return d;
}

/** §4-§5: one step of one direction of one layer. */
function emitCellStep(w: CWriter, plan: Plan, L: LayerSym, c: CellSym): void {
  const q = L.q;
  const H = q.hiddenSize;
  const cT = q.cellBits === 32 ? "int32_t" : "int16_t";
  const where = `layer ${L.index}`;
  const clip = q.clip;
  if (clip !== undefined && !(Number.isSafeInteger(clip) && clip >= 0)) throw new Error(`internal: ${where}: clip ${clip}`);
  const clipped = clip !== undefined && clip < 2 ** 31;
  const clamp = (z: string) => (clipped ? [`${z} = lstmgen_clamp_s32(${z}, ${cInt(-clip!, "int32_t")}, ${cInt(clip!, "int32_t")});`] : []);
  const peepD = checkShift(16 - (c.cell.peepholeFrac + q.cFrac), `${where} peephole`);
  const peep = (g: GateKey, z: string, cv: string) => {
    const s = c.gates[g]?.peephole;
    return s ? [`${z} = lstmgen_sat32_s64((int64_t)${z} + lstmgen_conv_s64((int64_t)${s}[r] * (int64_t)${cv}, ${peepD}));`] : [];
  };
  for (const [a, name] of [[q.cellActivation, "cell"], [q.hiddenActivation, "hidden"]] as const) {
    if (a.kind === "linear") throw new Error(`internal: ${where}: linear ${name} activation`);
  }
  if (q.cellActivation.kind === "relu" && q.cellActivation.outFrac !== q.gFrac) throw new Error(`internal: ${where}: relu outFrac != gFrac`);
  if (q.cellActivation.kind !== "relu" && q.gFrac !== 15) throw new Error(`internal: ${where}: gFrac ${q.gFrac} with ${q.cellActivation.kind}`);
  if (q.hiddenActivation.kind === "relu" && q.hiddenActivation.outFrac !== q.hFrac) throw new Error(`internal: ${where}: relu outFrac != hFrac`);
  if (q.hiddenActivation.kind !== "relu" && q.hFrac !== 15) throw new Error(`internal: ${where}: hFrac ${q.hFrac} with ${q.hiddenActivation.kind}`);
  if (q.gateActivation.kind !== "sigmoid" && q.gateActivation.kind !== "hardSigmoid") throw new Error(`internal: ${where}: gate activation ${q.gateActivation.kind}`);
  if (q.cellBits === 16 && q.cFrac > q.gFrac) throw new Error(`internal: ${where}: int16 cell needs cFrac <= gFrac`);

  const gate = c.gates;
  const slot: Record<GateKey, number> = { input: 0, forget: 1, cell: 2, output: 3 };
  const zExpr = (g: GateKey) => {
    const G = gate[g]!;
    if (!c.fused) return `lstmgen_add3_sat_s32(${G.bias}[r], ${G.W.row}(r, x), ${G.R.row}(r, h))`;
    const j = slot[g];
    const y = (s: MatrixSym, acc: string, side: number) => {
      const sh = `lstmgen_word_byte(&pr[${12 + side}], ${j})`;
      return fastRequantize(s.m)
        ? `lstmgen_requantize_hi_s32(${acc}[${j}], pr[${4 + 4 * side + j}], ${sh})`
        : `lstmgen_requantize_s64((int64_t)${acc}[${j}], pr[${4 + 4 * side + j}], ${sh})`;
    };
    if (fastRequantize(G.W.m) && fastRequantize(G.R.m)) {
      return `lstmgen_add_sat_fast_s32(pr[${j}], ${y(G.W, "ax", 0)} + ${y(G.R, "ah", 1)})`;
    }
    return `lstmgen_add3_sat_s32(pr[${j}], ${y(G.W, "ax", 0)}, ${y(G.R, "ah", 1)})`;
  };
  const dirText = c.reverse ? (L.dirs === 2 ? "backward direction" : "reverse layer") : L.dirs === 2 ? "forward direction" : "forward";
  w.comment([
    `Layer ${L.index} ('${commentText(q.name, 40)}'), ${dirText}: one step (docs/fixed-point.md section 4-5).`,
    `x: ${q.inputSize} int16, h: ${H} int16 ${fmt16(q.hFrac)} (in/out), c: ${H} ${cT} (in/out), h_new: ${H} int16 scratch.`,
  ]);
  w.fn(`LSTMGEN_NOINLINE static void ${c.step}(const int16_t *x, int16_t *h, ${cT} *c, int16_t *h_new)`, () => {
    w.line("int32_t r;");
    if (c.fused) {
      w.line("#if defined(LSTMGEN_DOT4_PACKED)");
      w.line(`const int32_t sx = lstmgen_sum_s16(x, ${q.inputSize}); /* the input sums lstmgen_dot4p_s8_s16_s32 needs */`);
      w.line(`const int32_t sh = lstmgen_sum_s16(h, ${H});`);
      w.line("#endif");
    }
    w.block(`for (r = 0; r < ${H}; ++r)`, () => {
      if (c.fused) {
        w.line("/* section 2: the accumulators of the four gates' rows r of W (ax) and R (ah), gates i, f, g, o */");
        w.line("int32_t ax[4];");
        w.line("int32_t ah[4];");
        w.line(`/* pr: unit r's ${PARAM_WORDS} words: biases i, f, g, o; W multipliers; R multipliers; W shifts, R shifts (4 bytes each) */`);
        w.line(`const int32_t *const pr = &${c.fused.params}[r * ${PARAM_WORDS}];`);
        w.line("#if defined(LSTMGEN_DOT4_PACKED)");
        w.line(`lstmgen_dot4p_s8_s16_s32(&${c.fused.W}[r * ${q.inputSize}], x, ${q.inputSize}, sx, ax);`);
        w.line(`lstmgen_dot4p_s8_s16_s32(&${c.fused.R}[r * ${H}], h, ${H}, sh, ah);`);
        w.line("#else");
        w.line(`lstmgen_dot4_s8_s16_s32(&${c.fused.W}[r * ${q.inputSize}], x, ${q.inputSize}, ax);`);
        w.line(`lstmgen_dot4_s8_s16_s32(&${c.fused.R}[r * ${H}], h, ${H}, ah);`);
        w.line("#endif");
      }
      w.line("/* section 4: z = sat32(bias + y(W, x) + y(R, h)), Q15.16 */");
      w.line(`int32_t zi = ${zExpr("input")};`);
      if (!q.inputForget) w.line(`int32_t zf = ${zExpr("forget")};`);
      w.line(`int32_t zg = ${zExpr("cell")};`);
      w.line(`int32_t zo = ${zExpr("output")};`);
      w.line(`const ${cT} c_old = c[r];`);
      const pi = peep("input", "zi", "c_old");
      const pf = q.inputForget ? [] : peep("forget", "zf", "c_old");
      if (pi.length + pf.length > 0) w.line("/* section 4.1: peepholes see the old c */");
      w.lines([...pi, ...pf]);
      if (clipped) w.line("/* section 4.1: clip */");
      w.lines([...clamp("zi"), ...(q.inputForget ? [] : clamp("zf")), ...clamp("zg")]);
      w.line("/* section 4.2: gates */");
      w.line(`const int16_t i = ${actExpr(plan, q.gateActivation, "zi", where)};`);
      if (q.inputForget) {
        w.line("const int16_t f = (int16_t)(i == 0 ? 32767 : 32768 - (int32_t)i); /* coupled: min(32767, 32768 - i) */");
      } else {
        w.line(`const int16_t f = ${actExpr(plan, q.gateActivation, "zf", where)};`);
      }
      w.line(`const int16_t g = ${actExpr(plan, q.cellActivation, "zg", where)};`);
      w.line("/* section 5: cell update */");
      if (q.cellBits === 16) {
        w.line(`const int16_t c_new = lstmgen_cell_update_s16(f, c_old, i, g, ${checkShift(q.gFrac - q.cFrac, where)}); /* i*g: Q0.${2 * q.gFrac} -> c: Q${15 - q.cFrac}.${q.cFrac} */`);
      } else {
        w.line(`const int32_t c_new = lstmgen_cell_update_s32(f, c_old, i, g, ${checkShift(q.cFrac - q.gFrac, where)}); /* c: 32-bit, frac ${q.cFrac} */`);
      }
      w.line("c[r] = c_new;");
      const po = peep("output", "zo", "c_new");
      if (po.length > 0) w.line("/* section 4.1: the output gate's peephole sees the new c */");
      w.lines(po);
      w.lines(clamp("zo"));
      w.line(`const int16_t o = ${actExpr(plan, q.gateActivation, "zo", where)};`);
      const zc = `lstmgen_sat32_s64(lstmgen_conv_s64((int64_t)c_new, ${checkShift(16 - q.cFrac, where)}))`;
      w.line(`const int16_t a = ${actExpr(plan, q.hiddenActivation, zc, where)}; /* c (frac ${q.cFrac}) as Q15.16 */`);
      w.line("h_new[r] = lstmgen_hidden_s16(o, a);");
    });
    w.block(`for (r = 0; r < ${H}; ++r)`, () => {
      w.line("h[r] = h_new[r];");
    });
  });
}

/** §7: one dense layer. */
function emitDense(w: CWriter, plan: Plan, d: DenseSym, k: number, label = "Dense layer", flatAcc?: "int32_t" | "int64_t"): void {
  const q = d.q;
  const rows = q.W.rows;
  const m = q.W;
  // §7.4 streaming: the first head layer reads its exact accumulators (the state's flat_acc) instead of a vector.
  const yExpr = flatAcc
    ? `lstmgen_requantize_s64(${flatAcc === "int32_t" ? "(int64_t)acc[r]" : m.preShift > 0 ? `lstmgen_rshr_s64(acc[r], ${m.preShift})` : "acc[r]"}, ${d.W.mult}[r], (int32_t)${d.W.shift}[r])`
    : `${d.W.row}(r, v)`;
  const vParam = flatAcc ? `const ${flatAcc} *acc` : "const int16_t *v";
  w.comment([
    `${label} ${k} ('${commentText(q.name, 40)}'): ${q.W.cols} -> ${rows}, ${actName(q.activation)} (section 7${flatAcc ? ".4: requantizes the accumulated W_t h_t once" : ""}).`,
  ]);
  if (q.activation.kind === "softmax") {
    if (q.outFrac !== 15) throw new Error("internal: softmax output must be Q0.15");
    w.fn(`static void ${d.forward}(${vParam}, int16_t *out, int32_t *z)`, () => {
      w.line("int32_t r;");
      w.block(`for (r = 0; r < ${rows}; ++r)`, () => {
        w.line(`z[r] = lstmgen_add_sat_s32(${d.bias}[r], ${yExpr});`);
      });
      w.line(`lstmgen_softmax_s16(z, ${rows}, ${plan.tables.expNeg!}, out);`);
    });
    return;
  }
  const a = q.activation;
  if ((a.kind === "relu" || a.kind === "linear") && a.outFrac !== q.outFrac) throw new Error(`internal: dense ${k}: outFrac mismatch`);
  if ((a.kind === "sigmoid" || a.kind === "tanh" || a.kind === "hardSigmoid") && q.outFrac !== 15) throw new Error(`internal: dense ${k}: outFrac`);
  w.fn(`static void ${d.forward}(${vParam}, int16_t *out)`, () => {
    w.line("int32_t r;");
    w.block(`for (r = 0; r < ${rows}; ++r)`, () => {
      w.line(`const int32_t z = lstmgen_add_sat_s32(${d.bias}[r], ${yExpr});`);
      w.line(`out[r] = ${actExpr(plan, a, "z", `dense ${k}`)};`);
    });
  });
}

function emitHead(w: CWriter, plan: Plan): void {
  const { api } = plan;
  w.comment([`The head: ${plan.headIn} int16 -> ${plan.outputSize} outputs (section 7). Writes y[${plan.outputSize}].`]);
  w.fn(`static void ${plan.head}(${api.stateT} *s, const int16_t *v, ${api.outputT} *y)`, () => {
    const n = plan.dense.length;
    if (n === 0) {
      w.line("int32_t k;");
      w.line("(void)s;");
      w.block(`for (k = 0; k < ${plan.outputSize}; ++k)`, () => w.line("y[k] = v[k];"));
      return;
    }
    const flatAcc = plan.flat?.acc;
    if (flatAcc) w.line("(void)v; /* section 7.4: dense 0 reads the accumulators in the state */");
    else if (plan.headBufs.length === 0 && !plan.dense.some((d) => d.q.activation.kind === "softmax")) w.line("(void)s;");
    let src = flatAcc ? `s->${flatAcc}` : "v";
    plan.dense.forEach((d, k) => {
      const dst = k === n - 1 ? "y" : `s->${k % 2 === 0 ? "head_a" : "head_b"}`;
      const extra = d.q.activation.kind === "softmax" ? `, s->${plan.softmaxZ!}` : "";
      w.line(`${d.forward}(${src}, ${dst}${extra});`);
      src = dst;
    });
  });
}

/** §7.3 The input dense stack on one frame: x (INPUT_SIZE int16) -> out (the first LSTM layer's input). */
function emitInputDense(w: CWriter, plan: Plan): void {
  const { api } = plan;
  const n = plan.inputDense.length;
  w.comment([`Input dense layers (section 7.3): ${plan.inputSize} int16 -> ${plan.inputWidth} int16, applied to every frame.`]);
  w.fn(`static void ${plan.inputFn!}(${api.stateT} *s, const int16_t *x, int16_t *out)`, () => {
    const usesState = n > 1 || plan.inputDense.some((d) => d.q.activation.kind === "softmax");
    if (!usesState) w.line("(void)s;");
    let src = "x";
    plan.inputDense.forEach((d, k) => {
      const dst = k === n - 1 ? "out" : `s->${k % 2 === 0 ? "in_a" : "in_b"}`;
      const extra = d.q.activation.kind === "softmax" ? `, s->${plan.softmaxZ!}` : "";
      w.line(`${d.forward}(${src}, ${dst}${extra});`);
      src = dst;
    });
  });
}

function emitReset(w: CWriter, plan: Plan): void {
  const { api } = plan;
  w.fn(`void ${api.reset}(${api.stateT} *s)`, () => {
    if (plan.layers.length === 0) {
      w.line("(void)s;");
      return;
    }
    w.line("int32_t k;");
    if (plan.flat?.acc) {
      w.block(`for (k = 0; k < ${plan.dense[0]!.q.W.rows}; ++k)`, () => w.line(`s->${plan.flat!.acc!}[k] = 0;`));
      w.line(`s->${plan.flat.t!}[0] = 0;`);
    }
    for (const L of plan.layers) {
      const H = L.q.hiddenSize;
      for (const c of L.cells) {
        const off = c.dir * H;
        const at = (arr: string) => (off === 0 ? `s->${arr}[k]` : `s->${arr}[${off} + k]`);
        w.block(`for (k = 0; k < ${H}; ++k)`, () => {
          w.line(`${at(L.h)} = ${c.initialH ? `${c.initialH}[k]` : "0"};`);
          w.line(`${at(L.c)} = ${c.initialC ? `${c.initialC}[k]` : "0"};`);
        });
      }
    }
  });
}

function emitStreamingApi(w: CWriter, plan: Plan): void {
  const { api, P } = plan;
  const top = plan.layers[plan.layers.length - 1]!;
  const flat = plan.flat;
  w.fn(`void ${api.step}(${api.stateT} *s, const ${api.inputT} x[${P}_INPUT_SIZE], ${api.outputT} *y)`, () => {
    let input = "x";
    if (plan.inputFn) {
      w.line(`${plan.inputFn}(s, x, s->in_x);`);
      input = "s->in_x";
    }
    for (const L of plan.layers) {
      const c = L.cells[0]!;
      w.line(`${c.step}(${input}, s->${L.h}, s->${L.c}, s->${plan.hNew!});`);
      input = `s->${L.h}`;
    }
    if (!flat) {
      w.block("if (y != NULL)", () => w.line(`${plan.head}(s, s->${top.h}, y);`));
      return;
    }
    const d0 = plan.dense[0]!;
    const m = d0.q.W;
    const wt = weightType(m) === "int8_t" ? "s8" : "s16";
    const acc = `s->${flat.acc!}`;
    const t = `s->${flat.t!}[0]`;
    w.comment([`section 7.4: add this step's columns of dense 0, W_t h_t, to the exact per-row accumulators`]);
    w.block(`if (${t} < ${flat.T})`, () => {
      w.line("int32_t r;");
      w.block(`for (r = 0; r < ${m.rows}; ++r)`, () => {
        w.line(`${acc}[r] += lstmgen_dot_${wt}_s16_s${m.accBits}(&${d0.W.q}[r * ${m.cols} + ${t} * ${flat.width}], s->${top.h}, ${flat.width});`);
      });
      w.line(`${t} += 1;`);
    });
    w.block("if (y != NULL)", () => {
      w.ifChain([
        [`${t} == ${flat.T}`, () => w.line(`${plan.head}(s, s->${top.h}, y);`)],
        [
          undefined,
          () => {
            w.line("int32_t k;");
            w.block(`for (k = 0; k < ${plan.outputSize}; ++k)`, () => w.line("y[k] = 0; /* no output before step T */"));
          },
        ],
      ]);
    });
  });
  w.line();
  w.fn(`int ${api.run}(${api.stateT} *s, const ${api.inputT} *xs, size_t steps, ${api.outputT} *ys)`, () => {
    w.line("size_t t;");
    if (flat) {
      w.block(`if (steps == 0 || (size_t)s->${flat.t!}[0] + steps > ${flat.T})`, () => w.line(`return ${P}_ERR_STEPS;`));
      w.block("for (t = 0; t < steps; ++t)", () => {
        w.line(`${api.step}(s, &xs[t * ${P}_INPUT_SIZE], t + 1 == steps ? ys : NULL);`);
      });
    } else if (plan.reads === "every") {
      w.block("for (t = 0; t < steps; ++t)", () => {
        w.line(`${api.step}(s, &xs[t * ${P}_INPUT_SIZE], ys != NULL ? &ys[t * ${P}_OUTPUT_SIZE] : NULL);`);
      });
    } else {
      w.block("if (steps == 0)", () => w.line(`return ${P}_ERR_STEPS;`));
      w.block("for (t = 0; t < steps; ++t)", () => {
        w.line(`${api.step}(s, &xs[t * ${P}_INPUT_SIZE], NULL);`);
      });
      w.block("if (ys != NULL)", () => w.line(`${plan.head}(s, s->${top.h}, ys);`));
    }
    w.line(`return ${P}_OK;`);
  });
}

function emitLayerRun(w: CWriter, plan: Plan, L: LayerSym): void {
  const { api } = plan;
  const H = L.q.hiddenSize;
  const I = L.q.inputSize;
  const one = L.lastRowOnly === true;
  w.comment(
    one
      ? [
          `Layer ${L.index} over a whole sequence, for a head that reads the last step: in [steps x ${I}] -> out [${L.width}], the`,
          "outputs at step T-1. The forward direction runs every step; the backward direction starts at T-1, so its",
          "output there is one step from the initial state.",
        ]
      : [`Layer ${L.index} over a whole sequence: in [steps x ${I}] -> out [steps x ${L.width}].`],
  );
  w.fn(`static void ${L.run!}(${api.stateT} *s, const int16_t *in, int16_t *out, size_t steps)`, () => {
    w.line("size_t t;");
    w.line("size_t k;");
    for (const c of L.cells) {
      const off = c.dir * H;
      const hPtr = off === 0 ? `s->${L.h}` : `&s->${L.h}[${off}]`;
      const cPtr = off === 0 ? `s->${L.c}` : `&s->${L.c}[${off}]`;
      const row = one ? "" : `t * ${L.width}`;
      const at = [row, off === 0 ? "" : `${off}`, "k"].filter((x) => x !== "").join(" + ");
      const body = () => {
        w.line(`${c.step}(&in[t * ${I}], ${hPtr}, ${cPtr}, s->${plan.hNew!});`);
        w.block(`for (k = 0; k < ${H}; ++k)`, () => {
          w.line(`out[${at}] = s->${L.h}[${off === 0 ? "" : `${off} + `}k];`);
        });
      };
      if (c.reverse && one) {
        w.line("t = steps - 1;");
        body();
      } else if (c.reverse) w.block("for (t = steps; t-- > 0;)", body);
      else if (one) {
        w.block("for (t = 0; t < steps; ++t)", () => w.line(`${c.step}(&in[t * ${I}], ${hPtr}, ${cPtr}, s->${plan.hNew!});`));
        w.block(`for (k = 0; k < ${H}; ++k)`, () => w.line(`out[${at}] = s->${L.h}[${off === 0 ? "" : `${off} + `}k];`));
      } else w.block("for (t = 0; t < steps; ++t)", body);
    }
  });
}

function emitSequenceApi(w: CWriter, plan: Plan): void {
  const { api, P } = plan;
  w.fn(`int ${api.run}(${api.stateT} *s, const ${api.inputT} *xs, size_t steps, ${api.outputT} *ys)`, () => {
    w.line("size_t t;");
    w.block(`if (steps == 0 || steps > ${P}_MAX_STEPS)`, () => w.line(`return ${P}_ERR_STEPS;`));
    if (plan.flat) w.block(`if (steps != ${plan.flat.T})`, () => w.line(`return ${P}_ERR_STEPS; /* section 7.4: exactly T steps */`));
    w.line(`${api.reset}(s);`);
    let input = "xs";
    let out = "";
    if (plan.inputFn) {
      w.block("for (t = 0; t < steps; ++t)", () => w.line(`${plan.inputFn!}(s, &xs[t * ${P}_INPUT_SIZE], &s->seq_in[t * ${plan.inputWidth}]);`));
      input = "s->seq_in";
    }
    for (const L of plan.layers) {
      out = `s->${plan.seq[L.index % 2]!}`;
      w.line(`${L.run!}(s, ${input}, ${out}, steps);`);
      input = out;
    }
    const top = plan.layers[plan.layers.length - 1]!;
    w.block("if (ys == NULL)", () => w.line(`return ${P}_OK;`));
    if (plan.reads === "every") {
      w.block("for (t = 0; t < steps; ++t)", () => {
        w.line(`${plan.head}(s, &${out}[t * ${plan.headIn}], &ys[t * ${P}_OUTPUT_SIZE]);`);
      });
    } else if (plan.reads === "flatten") {
      w.line("(void)t;");
      w.line(`${plan.head}(s, ${out}, ys); /* section 7.4: all T steps, Y[0] first */`);
    } else if (plan.reads === "last" && top.lastRowOnly) {
      w.line("(void)t;");
      w.line(`${plan.head}(s, ${out}, ys); /* the top layer kept the last step's outputs only */`);
    } else if (plan.reads === "last") {
      w.line("t = steps - 1;");
      w.line(`${plan.head}(s, &${out}[t * ${plan.headIn}], ys);`);
    } else {
      w.line("(void)t;");
      w.line(`${plan.head}(s, s->${top.h}, ys); /* the final h of each direction, side by side */`);
    }
    w.line(`return ${P}_OK;`);
  });
}

/** Models without recurrent layers: the head reads the input of every step. */
function emitHeadOnlyApi(w: CWriter, plan: Plan): void {
  const { api, P } = plan;
  w.fn(`void ${api.step}(${api.stateT} *s, const ${api.inputT} x[${P}_INPUT_SIZE], ${api.outputT} *y)`, () => {
    if (plan.inputFn) {
      w.block("if (y != NULL)", () => {
        w.line(`${plan.inputFn!}(s, x, s->in_x);`);
        w.line(`${plan.head}(s, s->in_x, y);`);
      });
    } else {
      w.block("if (y != NULL)", () => w.line(`${plan.head}(s, x, y);`));
    }
  });
  w.line();
  w.fn(`int ${api.run}(${api.stateT} *s, const ${api.inputT} *xs, size_t steps, ${api.outputT} *ys)`, () => {
    w.line("size_t t;");
    w.block("for (t = 0; t < steps; ++t)", () => {
      w.line(`${api.step}(s, &xs[t * ${P}_INPUT_SIZE], ys != NULL ? &ys[t * ${P}_OUTPUT_SIZE] : NULL);`);
    });
    w.line(`return ${P}_OK;`);
  });
}

/**
 * The C name of an activation table: `lstmgen_<kind>_q15_` and 32 bits of the SHA-256 of its int16 entries, so the
 * same name always means the same contents (a weak definition shared between models, or between lstm-gen versions
 * whose tables agree, may be any one of them).
 */
function tableName(kind: string, values: Int16Array): string {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setInt16(2 * k, values[k]!, true);
  return `lstmgen_${kind}_q15_${createHash("sha256").update(bytes).digest("hex").slice(0, 8)}`;
}

/** `LSTMGEN_TABLE(name) = { … };`: a 513-entry table, weak and shared or static (lstmgen_kernels.h). */
function tableDecl(w: CWriter, name: string, values: ArrayLike<number>): void {
  w.line(`LSTMGEN_TABLE(${name}) = {`);
  for (let k = 0; k < values.length; k += 12) {
    w.line(`    ${Array.from({ length: Math.min(12, values.length - k) }, (_, j) => cInt(values[k + j]!, "int16_t")).join(", ")},`);
  }
  w.line("};");
}

/** Everything of `<name>.c` after the kernels: data, row functions, steps, head, public API. */
function emitModelCode(w: CWriter, plan: Plan): void {
  const { qm } = plan;
  for (const t of [qm.tables.sigmoid, qm.tables.tanh, qm.tables.expNeg]) {
    if (t.length !== 513) throw new Error("internal: activation tables must have 513 entries");
  }
  // The tables are the same in every model: LSTMGEN_TABLE (lstmgen_kernels.h) lets a program share one copy.
  if (plan.tables.sigmoid) {
    w.comment(["section 3.1: sig[k] = min(32767, round(sigmoid(k / 32) * 32768)), k = 0..512 (shared by all models, see LSTMGEN_TABLE)"]);
    tableDecl(w, plan.tables.sigmoid, qm.tables.sigmoid);
    w.line();
  }
  if (plan.tables.tanh) {
    w.comment(["section 3.1: tnh[k] = min(32767, round(tanh(k / 64) * 32768)), k = 0..512 (shared by all models, see LSTMGEN_TABLE)"]);
    tableDecl(w, plan.tables.tanh, qm.tables.tanh);
    w.line();
  }
  if (plan.tables.expNeg) {
    w.comment(["section 7.2: ex[k] = min(32767, round(exp(-k / 32) * 32768)), k = 0..512 (shared by all models, see LSTMGEN_TABLE)"]);
    tableDecl(w, plan.tables.expNeg, qm.tables.expNeg);
    w.line();
  }
  for (const L of plan.layers) {
    const H = L.q.hiddenSize;
    for (const c of L.cells) {
      const label = `layer ${L.index}${L.dirs === 2 ? (c.dir === 0 ? " forward" : " backward") : ""}`;
      if (c.fused) {
        const order = GATES.map((g) => c.gates[g]!);
        emitInterleaved(w, c.fused.W, order.map((G) => G.W.m), `${label}, W (input side) of the gates input, forget, cell, output`);
        emitInterleaved(w, c.fused.R, order.map((G) => G.R.m), `${label}, R (recurrent side) of the gates input, forget, cell, output`);
        emitFusedParams(w, c, label);
        w.line();
      }
      for (const g of GATES) {
        const G = c.gates[g];
        if (!G) continue;
        if (!c.fused) {
          emitMatrixData(w, G.W, `${label}, gate ${g}, W (input side)`);
          emitMatrixData(w, G.R, `${label}, gate ${g}, R (recurrent side)`);
          w.comment([`${label}, gate ${g}, bias, Q15.16`]);
          arrayDecl(w, "static const", "int32_t", G.bias, c.cell.gates[g].bias);
        }
        if (G.peephole) {
          w.comment([`${label}, gate ${g}, peephole, Q${15 - c.cell.peepholeFrac}.${c.cell.peepholeFrac}`]);
          arrayDecl(w, "static const", "int16_t", G.peephole, c.cell.gates[g].peephole!);
        }
        w.line();
      }
      if (c.initialH) {
        w.comment([`${label}, initial h`]);
        arrayDecl(w, "static const", "int16_t", c.initialH, c.cell.initialH);
      }
      if (c.initialC) {
        w.comment([`${label}, initial c`]);
        arrayDecl(w, "static const", L.q.cellBits === 32 ? "int32_t" : "int16_t", c.initialC, c.cell.initialC);
      }
      if (c.cell.initialH.length !== H || c.cell.initialC.length !== H) throw new Error("internal: initial state size");
    }
  }
  for (const [k, d] of plan.inputDense.entries()) {
    emitMatrixData(w, d.W, `input dense ${k}, W`);
    w.comment([`input dense ${k}, bias, Q15.16`]);
    arrayDecl(w, "static const", "int32_t", d.bias, d.q.bias);
    w.line();
  }
  for (const [k, d] of plan.dense.entries()) {
    emitMatrixData(w, d.W, `dense ${k}, W`);
    w.comment([`dense ${k}, bias, Q15.16`]);
    arrayDecl(w, "static const", "int32_t", d.bias, d.q.bias);
    w.line();
  }
  w.comment(["---- section 2: requantized rows, y_r(M, v) = sat32(rshr(rshr(acc, p) * M_r, n_r)) in Q15.16 ----"]);
  for (const L of plan.layers) {
    for (const c of L.cells) {
      for (const g of GATES) {
        const G = c.gates[g];
        if (!G || c.fused) continue;
        emitRowFunction(w, G.W);
        w.line();
        emitRowFunction(w, G.R);
        w.line();
      }
    }
  }
  for (const d of plan.inputDense) {
    emitRowFunction(w, d.W);
    w.line();
  }
  plan.dense.forEach((d, k) => {
    if (k === 0 && plan.flat?.acc) return; // §7.4 streaming: dense 0 requantizes the state's accumulators
    emitRowFunction(w, d.W);
    w.line();
  });
  for (const L of plan.layers) {
    for (const c of L.cells) {
      emitCellStep(w, plan, L, c);
      w.line();
    }
  }
  plan.inputDense.forEach((d, k) => {
    emitDense(w, plan, d, k, "Input dense layer");
    w.line();
  });
  if (plan.inputFn) {
    emitInputDense(w, plan);
    w.line();
  }
  plan.dense.forEach((d, k) => {
    emitDense(w, plan, d, k, "Dense layer", k === 0 ? plan.flat?.accType : undefined);
    w.line();
  });
  emitHead(w, plan);
  w.line();
  if (!plan.streaming && plan.layers.length > 0) {
    for (const L of plan.layers) {
      emitLayerRun(w, plan, L);
      w.line();
    }
  }
  w.comment(["---- public API (documented in the header) ----"]);
  emitReset(w, plan);
  w.line();
  if (plan.layers.length === 0) emitHeadOnlyApi(w, plan);
  else if (plan.streaming) emitStreamingApi(w, plan);
  else emitSequenceApi(w, plan);
}

function emitSource(plan: Plan, opts: EmitOptions, kernels: string): string {
  const body = new CWriter();
  emitModelCode(body, plan);
  const code = body.toString();
  const w = new CWriter();
  w.comment(describe(plan, opts, `${plan.p}.c`));
  w.line();
  w.line(`#include "${plan.p}.h"`);
  w.line();
  w.comment(["---- kernels: the functions of runtime/c/lstmgen_kernels.h that this model uses ----"]);
  // Each model copies only the kernels it uses, under one include guard: a second model's .c in the same
  // translation unit (a unity build) would silently lose its other kernels. Say so instead.
  w.line("#if defined(LSTMGEN_KERNELS_H)");
  w.line('#error "lstm-gen: another generated model is in this translation unit; compile each model\'s .c file on its own"');
  w.line("#endif");
  w.raw(selectKernels(kernels, code));
  w.comment(["---- end of the kernels ----"]);
  w.line();
  return w.toString() + code;
}

// -----------------------------------------------------------------------------------------------------------
// kws.h
// -----------------------------------------------------------------------------------------------------------

function scaleText(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(17).replace(/\.?0+(e|$)/, "$1") : "0";
}

function emitHeader(plan: Plan, opts: EmitOptions): string {
  const { qm, p, P, api } = plan;
  const w = new CWriter();
  const guard = `${P}_LSTMGEN_H`;
  const I = plan.inputSize;
  const O = plan.outputSize;
  const every = plan.reads === "every";
  const stream = plan.streaming;
  w.comment(describe(plan, opts, `${p}.h`));
  w.line(`#ifndef ${guard}`);
  w.line(`#define ${guard}`);
  w.line();
  w.line("#include <stddef.h>");
  w.line("#include <stdint.h>");
  w.line();
  w.line("#ifdef __cplusplus");
  w.line('extern "C" {');
  w.line("#endif");
  w.line();
  const scales = Array.from(qm.input.scale, (s, k) => `  x[${k}] = round(real_${k} / ${scaleText(s)})`);
  w.comment(
    [
      "Input: one time step is INPUT_SIZE int16 values, one per feature, symmetric (zero point 0):",
      "  real_k = x[k] * scale_k,  x[k] = sat16(round(real_k / scale_k))  (round half away from zero).",
      `${p}_float.h has ${api.quantize}() for hosts with floating point. The scales:`,
      ...scales.slice(0, 64),
      ...(scales.length > 64 ? [`  ... (${scales.length - 64} more in ${p}_float.c)`] : []),
    ],
    true,
  );
  w.line(`#define ${P}_INPUT_SIZE ${I}`);
  w.line();
  w.comment(
    [
      `Output: OUTPUT_SIZE int16 values in Q${15 - qm.outputFrac}.${qm.outputFrac}: real = y[k] * 2^-${P}_OUTPUT_FRAC.`,
      every
        ? `${P}_OUTPUT_EVERY_STEP is 1: ${api.run}() writes steps * OUTPUT_SIZE values (one vector per step).`
        : `${P}_OUTPUT_EVERY_STEP is 0: ${api.run}() writes OUTPUT_SIZE values, the head applied to the ${plan.reads === "last" ? "last step" : plan.reads === "flatten" ? `outputs of all ${plan.flat!.T} steps (sequences of exactly ${plan.flat!.T} steps)` : "final state"}.`,
    ],
    true,
  );
  w.line(`#define ${P}_OUTPUT_SIZE ${O}`);
  w.line(`#define ${P}_OUTPUT_FRAC ${qm.outputFrac}`);
  w.line(`#define ${P}_OUTPUT_EVERY_STEP ${every ? 1 : 0}`);
  w.line();
  w.comment(
    stream
      ? [`${P}_STREAMING is 1: the model runs one frame at a time with ${api.step}().`]
      : [
          `${P}_STREAMING is 0: a reverse or bidirectional layer needs the whole sequence, so there is no`,
          `${api.step}(); ${api.run}() takes sequences of 1..${P}_MAX_STEPS steps (the state holds buffers for them).`,
        ],
    true,
  );
  w.line(`#define ${P}_STREAMING ${stream ? 1 : 0}`);
  if (!stream) w.line(`#define ${P}_MAX_STEPS ${plan.maxSteps}`);
  w.line();
  w.comment([`Return codes of ${api.run}().`], true);
  w.line(`#define ${P}_OK 0`);
  w.line(`#define ${P}_ERR_STEPS (-1)`);
  w.line();
  w.line(`typedef int16_t ${api.inputT};`);
  w.line(`typedef int16_t ${api.outputT};`);
  w.line();
  w.comment(
    [
      stateBytes(plan) > 1024
        ? `The state of one model instance, owned by the caller (static or in a struct of yours; mind the stack size before`
        : `The state of one model instance, owned by the caller (static, on the stack, or in a struct of yours):`,
      ...(stateBytes(plan) > 1024 ? ["putting it on the stack):"] : []),
      `${stateBytes(plan)} bytes on 32-bit targets, of which ${scratchBytes(plan)} are scratch. Instances are independent: any`,
      "number of them can run side by side (also from different threads, one thread per instance).",
      `Call ${api.reset}() once before the first use. Members are internal and may change between versions.`,
    ],
    true,
  );
  w.block("typedef struct", () => {
    for (const m of plan.state) w.line(`${m.type} ${m.name}[${m.len}]; /* ${m.comment} */`);
  }, `} ${api.stateT};`);
  w.line();
  w.comment(
    [
      "@brief  Put the state back to the model's initial h and c (zero unless the model sets them).",
      "@param[out] s  the state",
    ],
    true,
  );
  w.line(`void ${api.reset}(${api.stateT} *s);`);
  w.line();
  if (stream) {
    w.comment(
      [
        "@brief  Advance the model by one time step (one frame).",
        "Per layer and row r (docs/fixed-point.md sections 2-5; all integer, bit-exact with lstm-gen's golden model):",
        "  z_G = sat32(bias_G + rq(W_G x) + rq(R_G h)),  G in {i, f, g, o}   (Q15.16)",
        "  i, f, o = act_gate(z), g = act_cell(z_g),  c' = sat(rshr(f c + i g, 15)),  h' = sat16(rshr(o act_hidden(c'), 15))",
        "with the activations and formats listed at the top of this file;",
        every
          ? "then the head maps the top layer's h' to y."
          : plan.flat
            ? `then (section 7.4) this step's columns of the head's first layer are accumulated; y is all zeros before step ${plan.flat.T}, the head output at step ${plan.flat.T}. Reset before step ${plan.flat.T + 1}.`
            : `then the head maps the top layer's h' to y (what ${api.run}() returns for a sequence ending at this step).`,
        "@param[in,out] s  the state (after " + api.reset + "() or earlier steps)",
        `@param[in]     x  ${P}_INPUT_SIZE input values of this step`,
        `@param[out]    y  ${P}_OUTPUT_SIZE output values, or NULL to skip the head (cheaper when the output is not needed)`,
      ],
      true,
    );
    w.line(`void ${api.step}(${api.stateT} *s, const ${api.inputT} x[${P}_INPUT_SIZE], ${api.outputT} *y);`);
    w.line();
    w.comment(
      [
        `@brief  Run steps frames from the current state: the same as calling ${api.step}() for each frame.`,
        `It does not reset: call ${api.reset}() first to start a new sequence, or keep streaming chunks.`,
        `@param[in,out] s      the state`,
        `@param[in]     xs     steps * ${P}_INPUT_SIZE values, step-major`,
        `@param[in]     steps  number of frames`,
        every
          ? `@param[out]    ys     steps * ${P}_OUTPUT_SIZE values (step-major), or NULL`
          : `@param[out]    ys     ${P}_OUTPUT_SIZE values for the last frame, or NULL`,
        every
          ? `@return ${P}_OK`
          : plan.flat
            ? `@return ${P}_OK, or ${P}_ERR_STEPS when steps is 0 or the steps since reset would exceed ${plan.flat.T} (nothing done)`
            : `@return ${P}_OK, or ${P}_ERR_STEPS when steps is 0 (nothing written)`,
      ],
      true,
    );
  } else {
    w.comment(
      [
        "@brief  Run one whole sequence from the initial state (the state is reset first).",
        "Every layer runs over the whole sequence (the backward direction from the last step to the first),",
        "then the head reads " +
          (every
            ? "every step."
            : plan.reads === "last"
              ? "the last step: [forward h(T-1), backward h(T-1)]."
              : plan.reads === "flatten"
                ? "all steps concatenated, Y[0] first (section 7.4)."
                : "the final state: [forward h(T-1), backward h(0)]."),
        `@param[in,out] s      the state (holds the sequence buffers: ${P}_MAX_STEPS steps)`,
        `@param[in]     xs     steps * ${P}_INPUT_SIZE values, step-major`,
        plan.flat ? `@param[in]     steps  exactly ${plan.flat.T} (section 7.4)` : `@param[in]     steps  1..${P}_MAX_STEPS`,
        every
          ? `@param[out]    ys     steps * ${P}_OUTPUT_SIZE values (step-major), or NULL`
          : `@param[out]    ys     ${P}_OUTPUT_SIZE values, or NULL`,
        `@return ${P}_OK, or ${P}_ERR_STEPS (nothing computed) when steps is 0 or above ${P}_MAX_STEPS`,
      ],
      true,
    );
  }
  w.line(`int ${api.run}(${api.stateT} *s, const ${api.inputT} *xs, size_t steps, ${api.outputT} *ys);`);
  w.line();
  w.line("#ifdef __cplusplus");
  w.line("}");
  w.line("#endif");
  w.line();
  w.line(`#endif /* ${guard} */`);
  return w.toString();
}

// -----------------------------------------------------------------------------------------------------------
// kws_float.h / kws_float.c
// -----------------------------------------------------------------------------------------------------------

function emitFloatHeader(plan: Plan, opts: EmitOptions): string {
  const { p, P, api } = plan;
  const w = new CWriter();
  w.comment(describe(plan, opts, `${p}_float.h`));
  w.line(`#ifndef ${P}_FLOAT_LSTMGEN_H`);
  w.line(`#define ${P}_FLOAT_LSTMGEN_H`);
  w.line();
  w.line(`#include "${p}.h"`);
  w.line();
  w.line("#ifdef __cplusplus");
  w.line('extern "C" {');
  w.line("#endif");
  w.line();
  w.comment(
    [
      "Optional float helpers for hosts and FPU targets (the model itself never uses floating point).",
      "They use double arithmetic so that they agree exactly with lstm-gen's own input quantization.",
    ],
    true,
  );
  w.line();
  w.comment(
    [
      `@brief  q[k] = sat16(round(x[k] / scale_k)), round half away from zero; NaN becomes 0.`,
      `@param[in]  x  ${P}_INPUT_SIZE real values of one step`,
      `@param[out] q  ${P}_INPUT_SIZE quantized values`,
    ],
    true,
  );
  w.line(`void ${api.quantize}(const float *x, ${api.inputT} *q);`);
  w.line();
  w.comment(
    [
      `@brief  y[k] = q[k] * 2^-${P}_OUTPUT_FRAC for k < n.`,
      "@param[in]  q  n output values",
      "@param[out] y  n real values",
      "@param[in]  n  number of values (e.g. " + P + "_OUTPUT_SIZE)",
    ],
    true,
  );
  w.line(`void ${api.dequantize}(const ${api.outputT} *q, float *y, size_t n);`);
  w.line();
  w.line("#ifdef __cplusplus");
  w.line("}");
  w.line("#endif");
  w.line();
  w.line(`#endif /* ${P}_FLOAT_LSTMGEN_H */`);
  return w.toString();
}

/** A double literal that reads back as exactly `v`. */
function doubleLiteral(v: number): string {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`internal: input scale ${v} must be positive and finite`);
  const s = v.toPrecision(17);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function emitFloatSource(plan: Plan, opts: EmitOptions): string {
  const { qm, p, P, api } = plan;
  const w = new CWriter();
  const scale = plan.ids.add(`${p}_input_scale`);
  w.comment(describe(plan, opts, `${p}_float.c`));
  w.line();
  w.line(`#include "${p}_float.h"`);
  w.line();
  w.comment(["Per-feature input scales: real = q * scale."]);
  w.line(`static const double ${scale}[${P}_INPUT_SIZE] = {`);
  const vals = Array.from(qm.input.scale, doubleLiteral);
  for (let k = 0; k < vals.length; k += 4) w.line(`    ${vals.slice(k, k + 4).join(", ")},`);
  w.line("};");
  w.line();
  w.fn(`void ${api.quantize}(const float *x, ${api.inputT} *q)`, () => {
    w.line("int k;");
    w.block(`for (k = 0; k < ${P}_INPUT_SIZE; ++k)`, () => {
      w.line(`const double v = (double)x[k] / ${scale}[k];`);
      w.line("int32_t t;");
      w.comment(["round half away from zero as lstm-gen computes it: floor(|v| + 0.5) with the sign of v"]);
      w.ifChain([
        ["v >= 32767.0", () => w.line("t = 32767;")],
        ["v <= -32768.0", () => w.line("t = -32768;")],
        ["v >= 0.0", () => w.line("t = (int32_t)(v + 0.5); /* truncation is floor here */")],
        ["v < 0.0", () => w.line("t = -(int32_t)(-v + 0.5);")],
        [undefined, () => w.line("t = 0; /* NaN */")],
      ]);
      w.line(`q[k] = (${api.inputT})t;`);
    });
  });
  w.line();
  w.fn(`void ${api.dequantize}(const ${api.outputT} *q, float *y, size_t n)`, () => {
    w.line("size_t k;");
    w.line(`const double unit = 1.0 / (double)(INT32_C(1) << ${P}_OUTPUT_FRAC);`);
    w.block("for (k = 0; k < n; ++k)", () => {
      w.line("y[k] = (float)((double)q[k] * unit);");
    });
  });
  return w.toString();
}

// -----------------------------------------------------------------------------------------------------------
// Entry point
// -----------------------------------------------------------------------------------------------------------

/**
 * Generate the C library for `qm`. Returns file name → content, in a fixed order: `<name>.h`, `<name>.c`,
 * `<name>_float.h`, `<name>_float.c`.
 */
export function emitC(qm: QuantizedModel, opts: EmitOptions): Map<string, string> {
  validateCName(opts.name);
  const kernels = kernelText();
  const plan = makePlan(qm, opts, kernelIdentifiers(kernels));
  const files = new Map<string, string>();
  files.set(`${opts.name}.h`, emitHeader(plan, opts));
  files.set(`${opts.name}.c`, emitSource(plan, opts, kernels));
  files.set(`${opts.name}_float.h`, emitFloatHeader(plan, opts));
  files.set(`${opts.name}_float.c`, emitFloatSource(plan, opts));
  return files;
}
