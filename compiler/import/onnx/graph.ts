/**
 * Abstract interpretation of an ONNX graph. Every live node is visited once in topological order and turns the
 * symbolic values of its inputs (see values.ts) into values for its outputs; what the graph computes around its
 * LSTM nodes (transposes, squeezes, reshapes, last-step selection, dense layers, zero-state construction) is
 * thereby reduced to the IR: a chain of LSTM layers, an optional dense head, and labelled outputs.
 * Anything the IR cannot express is an input error naming the node and its operator.
 */
import { inputError } from "../../errors.js";
import type {
  DenseActivation,
  DenseLayer,
  HeadReads,
  LstmLayer,
  Matrix,
  Model,
  ModelOutput,
  OutputAxis,
} from "../../ir/model.js";
import { matrix, numDirections, validateModel } from "../../ir/validate.js";
import { GATE_CONVENTION, PEEPHOLE_CONVENTION, initialState, lstmLayer, readLstmAttributes } from "./lstm.js";
import {
  Attributes,
  DataType,
  checkedSize,
  isFloatType,
  readTensor,
  toNumber,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./proto.js";
import {
  broadcastDims,
  constBinary,
  constConcat,
  constTake,
  constTranspose,
  constValue,
  isSym,
  normAxis,
  product,
  sameBlocks,
  shapeValue,
  type Block,
  type ConstValue,
  type Dim,
  type FillValue,
  type HeadValue,
  type InputValue,
  type Label,
  type RecValue,
  type ShapeValue,
  type Sym,
  type Value,
} from "./values.js";

/** Slice ends at or beyond this mean "to the end" (exporters write INT32_MAX or INT64_MAX). */
const BIG = 2 ** 31 - 1;
/** Largest width for which an identity dense layer is synthesized (an activation with no dense layer before it). */
const MAX_IDENTITY_WIDTH = 4096;
/**
 * How many values the interpretation may build beyond reading the file: folded constants, multiply-adds of folded
 * MatMuls, and the copies that become IR layers. The allowance is this plus one value per byte of the file, so a
 * real model (4 bytes per float32 weight) always fits, while a small hostile graph cannot make the importer run
 * for minutes or fill the memory (each step alone is within MAX_ELEMENTS; a chain of them would not be).
 */
const BUILD_ALLOWANCE = 1 << 22;

type Handler = (n: NodeCtx) => void;

interface NodeCtx {
  readonly node: NodeProto;
  readonly op: string;
  /** "node 'name' (Op)" for messages. */
  readonly desc: string;
  readonly attrs: Attributes;
}

interface Roles {
  readonly time: number;
  readonly batch: number;
  readonly feature: number;
}

const AXIS_NAMES = ["time", "batch", "feature"] as const;

export function describeNode(node: NodeProto, index: number): string {
  const op = node.opType ?? "";
  if (node.name) return `node '${node.name}' (${op})`;
  const out = node.output?.find((o) => o) ?? "";
  return `node #${index} (${op}${out ? `, output '${out}'` : ""})`;
}

class Interpreter {
  private readonly values = new Map<string, Value>();
  private readonly initializers = new Map<string, TensorProto>();
  /** Graph inputs without an initializer, with their declared info. */
  private readonly freeInputs = new Map<string, ValueInfoProto>();
  private readonly seqLensInputs = new Set<string>();
  /** Tensors that exist but carry nothing lstm-gen can use (a Dropout mask), with a description. */
  private readonly unusable = new Map<string, string>();
  private dataInput?: string;
  private roles?: Roles;
  private inputSize?: number;
  private readonly layers: LstmLayer[] = [];
  private readonly layerLayouts: (0 | 1)[] = [];
  private readonly notes: string[] = [];
  private readonly opset: number;
  private readonly graph: GraphProto;
  /** Values built so far, and the most allowed (see BUILD_ALLOWANCE). */
  private built = 0;
  private readonly buildLimit: number;

  constructor(
    private readonly file: string,
    private readonly model: ModelProto,
    fileBytes: number,
  ) {
    this.graph = model.graph!;
    this.buildLimit = BUILD_ALLOWANCE + fileBytes;
    const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
    this.opset = imp ? toNumber(imp.version) : 22;
  }

  // ---------- entry point ----------

  run(): Model {
    const g = this.graph;
    const nodes = g.node ?? [];
    for (const t of g.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    if ((g.sparseInitializer?.length ?? 0) > 0) throw inputError(this.file, "the graph has sparse initializers, which lstm-gen does not read");
    const outputs = (g.output ?? []).map((o) => o.name ?? "");
    if (outputs.length === 0) throw inputError(this.file, "the graph has no outputs");

    const order = this.liveOrder(nodes, outputs);
    for (const i of order) {
      const node = nodes[i]!;
      const op = node.opType ?? "";
      const domain = node.domain ?? "";
      if ((domain !== "" && domain !== "ai.onnx") || !HANDLERS.has(op)) {
        const dom = domain !== "" && domain !== "ai.onnx" ? ` in domain '${domain}'` : "";
        throw inputError(this.file, `${describeNode(node, i)}${dom} is not supported; lstm-gen reads LSTM nodes and ${SUPPORTED_SUMMARY}`);
      }
    }
    for (const inp of g.input ?? []) {
      if (inp.name && !this.initializers.has(inp.name)) this.freeInputs.set(inp.name, inp);
    }
    if (this.freeInputs.size === 0) throw inputError(this.file, "the graph has no data input (every graph input has an initializer)");
    for (const [name, info] of this.freeInputs) {
      this.values.set(name, { kind: "input", name, perm: inputRank(info) === 2 ? [0, 1] : [0, 1, 2] });
    }

    for (const i of order) {
      const node = nodes[i]!;
      const op = node.opType!;
      const n: NodeCtx = { node, op, desc: describeNode(node, i), attrs: new Attributes(node) };
      HANDLERS.get(op)!.call(this, n);
    }
    return this.finish(outputs);
  }

  /** Indices of the nodes the graph outputs depend on, in a topological order. */
  private liveOrder(nodes: readonly NodeProto[], outputs: readonly string[]): number[] {
    const producer = new Map<string, number>();
    nodes.forEach((n, i) => {
      for (const o of n.output ?? []) {
        if (!o) continue;
        if (producer.has(o)) throw inputError(this.file, `tensor '${o}' is produced by two nodes`);
        producer.set(o, i);
      }
    });
    const state = new Map<number, "visiting" | "done">();
    const order: number[] = [];
    const visit = (start: number): void => {
      const stack: { i: number; k: number }[] = [{ i: start, k: 0 }];
      state.set(start, "visiting");
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const ins = nodes[top.i]!.input ?? [];
        if (top.k < ins.length) {
          const name = ins[top.k++]!;
          const p = name ? producer.get(name) : undefined;
          if (p === undefined) continue;
          const s = state.get(p);
          if (s === "visiting") throw inputError(this.file, `the graph has a cycle through tensor '${name}'`);
          if (s === undefined) {
            state.set(p, "visiting");
            stack.push({ i: p, k: 0 });
          }
        } else {
          state.set(top.i, "done");
          order.push(top.i);
          stack.pop();
        }
      }
    };
    for (const o of outputs) {
      const p = producer.get(o);
      if (p !== undefined && !state.has(p)) visit(p);
    }
    return order;
  }

  // ---------- value access ----------

  private value(n: NodeCtx, k: number): Value {
    const name = n.node.input?.[k];
    if (!name) throw inputError(this.file, `${n.desc} is missing its input ${k}`);
    return this.named(name, n.desc);
  }

  private named(name: string, desc: string): Value {
    const v = this.values.get(name);
    if (v) return v;
    const bad = this.unusable.get(name);
    if (bad) throw inputError(this.file, `${desc} reads the ${bad}, which lstm-gen does not support`);
    const t = this.initializers.get(name);
    if (t) {
      const c = readTensor(this.file, `initializer '${name}'`, t);
      const cv = constValue(c.dims, c.data, c.integer);
      this.values.set(name, cv);
      return cv;
    }
    throw inputError(this.file, `${desc} reads tensor '${name}', which no node, initializer or graph input defines`);
  }

  private optValue(n: NodeCtx, k: number): Value | undefined {
    const name = n.node.input?.[k];
    return name ? this.value(n, k) : undefined;
  }

  private set(n: NodeCtx, k: number, v: Value): void {
    const name = n.node.output?.[k];
    if (name) this.values.set(name, v);
  }

  /** Error for an operand this interpreter cannot use in that position. */
  private unsupported(n: { readonly desc: string }, what: string): never {
    throw inputError(this.file, `${n.desc} is not supported here: ${what}`);
  }

  private freeInputError(n: NodeCtx, v: InputValue): never {
    throw inputError(
      this.file,
      `graph input '${v.name}' has no initializer but ${n.desc} needs a constant there; lstm-gen needs every graph input except the data input and sequence_lens to be an initializer (weights stored in the file)`,
    );
  }

  /** Account for `count` values (or operations) about to be built; refuses before anything is allocated. */
  private build(n: { readonly desc: string }, count: number): void {
    this.built += count;
    if (this.built > this.buildLimit) {
      throw inputError(
        this.file,
        `${n.desc} takes the importer past ${this.buildLimit} values built from the graph (folded constants and layer weights); the graph computes far more than its file holds`,
      );
    }
  }

  /** A constant operand (fills with numeric dims are materialized). */
  private constOf(n: NodeCtx, k: number, what: string): ConstValue {
    const v = this.value(n, k);
    return this.asConst(n, v, what);
  }

  private asConst(n: NodeCtx, v: Value, what: string): ConstValue {
    if (v.kind === "const") return v;
    if (v.kind === "fill" && typeof v.value === "number" && v.dims.every((d) => !isSym(d))) {
      const dims = v.dims as number[];
      const size = checkedSize(this.file, `${n.desc} ${what}`, dims);
      this.build(n, size);
      return constValue(dims, new Float64Array(size).fill(v.value), false);
    }
    if (v.kind === "input") this.freeInputError(n, v);
    return this.unsupported(n, `its ${what} must be a constant`);
  }

  /** Integer entries of a constant or shape operand. */
  private dimsOf(n: NodeCtx, v: Value, what: string): Dim[] {
    if (v.kind === "shape") return [...v.entries];
    const c = this.asConst(n, v, what);
    if (c.dims.length > 1) this.unsupported(n, `its ${what} must be a scalar or a vector`);
    return Array.from(c.data);
  }

  private intsOf(n: NodeCtx, v: Value, what: string): number[] {
    const d = this.dimsOf(n, v, what);
    if (d.some(isSym)) this.unsupported(n, `its ${what} must be constant`);
    return d as number[];
  }

  private axesInput(n: NodeCtx, k: number, attr: string): number[] | undefined {
    const v = this.optValue(n, k);
    if (v) return this.intsOf(n, v, "axes");
    return n.attrs.ints(attr);
  }

  // ---------- dimensions ----------

  private sym(axis: number): Sym {
    return { input: this.dataInput!, axis, offset: 0 };
  }

  private staticDim(input: string, axis: number): number | undefined {
    const info = this.freeInputs.get(input);
    const d = info?.type?.tensorType?.shape?.dim?.[axis];
    const v = d?.dimValue === undefined || d.dimValue === null ? 0 : toNumber(d.dimValue);
    return v > 0 ? v : undefined;
  }

  private resolve(d: Dim): number | undefined {
    if (!isSym(d)) return d;
    if (d.input === this.dataInput && this.roles && d.axis === this.roles.feature && this.inputSize !== undefined) {
      return this.inputSize + d.offset;
    }
    const s = this.staticDim(d.input, d.axis);
    return s === undefined ? undefined : s + d.offset;
  }

  private dimEq(a: Dim, b: Dim): boolean {
    if (isSym(a) && isSym(b) && a.input === b.input && a.axis === b.axis) return a.offset === b.offset;
    const x = this.resolve(a);
    return x !== undefined && x === this.resolve(b);
  }

  private labelSize(v: RecValue | HeadValue, label: Label): Dim {
    switch (label) {
      case "time":
        return v.kind === "rec" && v.step === "last" ? 1 : this.sym(this.roles!.time);
      case "batch":
        return this.sym(this.roles!.batch);
      case "direction":
        return v.kind === "rec" ? v.groups.length : 1;
      case "unit":
        return v.kind === "rec" ? this.blocksWidth(v.groups[0]!) : v.width;
      case "one":
        return 1;
    }
  }

  private blocksWidth(blocks: readonly Block[]): number {
    return blocks.reduce((s, b) => s + this.layers[b.layer]!.hiddenSize, 0);
  }

  private sizes(v: Value): Dim[] {
    switch (v.kind) {
      case "const":
        return [...v.dims];
      case "shape":
        return v.scalar ? [] : [v.entries.length];
      case "fill":
        return [...v.dims];
      case "input":
        return v.perm.map((a) => ({ input: v.name, axis: a, offset: 0 }));
      case "rec":
      case "head":
        return v.axes.map((l) => this.labelSize(v, l));
    }
  }

  /** Is `d` the index of the last time step (T-1 or -1)? */
  private isLastStep(d: Dim): boolean {
    if (!isSym(d)) {
      if (d === -1) return true;
      const T = this.resolve(this.sym(this.roles!.time));
      return T !== undefined && d === T - 1;
    }
    return this.dimEq(d, { ...this.sym(this.roles!.time), offset: -1 });
  }

  private isTimeLength(d: Dim): boolean {
    return this.dimEq(d, this.sym(this.roles!.time));
  }

  // ---------- structural helpers for rec/head values ----------

  /** The merged blocks of layer k in direction order. */
  private mergedBlocks(k: number): Block[] {
    return Array.from({ length: numDirections(this.layers[k]!) }, (_, dir) => ({ layer: k, dir }));
  }

  /** Whether an axis carries information (it is not of size 1 by construction). */
  private significant(v: RecValue | HeadValue, label: Label): boolean {
    if (label === "one") return false;
    if (v.kind === "rec" && label === "direction" && v.groups.length === 1) return false;
    if (v.kind === "rec" && label === "time" && v.step === "last") return false;
    return true;
  }

  /**
   * Regroup the axes of a rec/head value: `ranges[j]` is the range of input axes that forms output axis j (an
   * empty range inserts a size-1 axis). Returns undefined when a group merges axes the IR keeps apart.
   */
  private regroup(v: RecValue | HeadValue, ranges: readonly (readonly [number, number])[]): RecValue | HeadValue | undefined {
    let groups = v.kind === "rec" ? v.groups : undefined;
    const axes: Label[] = [];
    for (const [s, e] of ranges) {
      const labels = v.axes.slice(s, e);
      const sig = labels.filter((l) => this.significant(v, l));
      if (sig.length === 0) axes.push("one");
      else if (sig.length === 1) axes.push(sig[0]!);
      else if (sig.length === 2 && sig[0] === "direction" && sig[1] === "unit" && groups) {
        groups = [groups.flat()];
        axes.push("unit");
      } else return undefined;
    }
    // Every significant axis must survive.
    const before = v.axes.filter((l) => this.significant(v, l) && l !== "direction").length;
    const after = axes.filter((l) => l !== "one" && l !== "direction").length;
    if (before !== after) return undefined;
    return v.kind === "rec" ? { ...v, axes, groups: groups! } : { ...v, axes };
  }

  /** Remove axis `a` of a rec/head value (it must be of size 1). */
  private dropAxis(n: NodeCtx, v: RecValue | HeadValue, a: number): RecValue | HeadValue {
    const label = v.axes[a]!;
    if (this.significant(v, label)) {
      const s = this.resolve(this.labelSize(v, label));
      if (s !== 1) this.unsupported(n, `it removes the ${label} axis`);
      if (label === "time") return { ...v, axes: v.axes.filter((_, k) => k !== a), ...(v.kind === "rec" ? { step: "last" as const } : {}) };
    }
    return { ...v, axes: v.axes.filter((_, k) => k !== a) };
  }

  /** Convert an LSTM output into head features (what a dense layer can read). */
  private asHead(n: { readonly desc: string }, v: RecValue | HeadValue): HeadValue {
    if (v.kind === "head") return v;
    if (v.src === "Y_c") this.unsupported(n, "a dense head cannot read the cell state Y_c");
    if (v.groups.length !== 1) this.unsupported(n, "its input still has a direction axis; merge the directions first (Reshape/Concat)");
    const k = v.groups[0]![0]!.layer;
    if (!sameBlocks(v.groups[0]!, this.mergedBlocks(k))) {
      this.unsupported(n, `it reads only part of the directions of LSTM layer ${k}; a dense head reads all of them, forward then reverse`);
    }
    const reads: HeadReads = v.src === "Y_h" ? "final" : v.step === "all" ? "every" : "last";
    if (v.axes[v.axes.length - 1] !== "unit") this.unsupported(n, "the hidden units must be the last axis");
    const axes = v.axes.map((l): Label => (l === "direction" || (l === "time" && reads !== "every") ? "one" : l));
    return { kind: "head", layer: k, reads, axes, dense: [], width: this.blocksWidth(v.groups[0]!) };
  }

  private headOf(n: NodeCtx, v: Value): HeadValue {
    if (v.kind === "rec" || v.kind === "head") return this.asHead(n, v);
    if (v.kind === "input") this.unsupported(n, "lstm-gen models apply dense layers only after the LSTM layers");
    return this.unsupported(n, "its operand must come from an LSTM");
  }

  /** A head whose last dense layer is linear (appending an exact identity layer if needed). */
  private linearLast(n: NodeCtx, h: HeadValue): HeadValue {
    const last = h.dense[h.dense.length - 1];
    if (last && last.activation === "linear") return h;
    if (h.width > MAX_IDENTITY_WIDTH) this.unsupported(n, `it needs an identity layer of width ${h.width}`);
    this.build(n, h.width * h.width);
    const W = matrix(h.width, h.width);
    for (let r = 0; r < h.width; r++) W.data[r * h.width + r] = 1;
    const layer: DenseLayer = { name: `${n.node.name || n.op} (identity)`, W, bias: new Float64Array(h.width), activation: "linear" };
    return { ...h, dense: [...h.dense, layer] };
  }

  private replaceLast(h: HeadValue, layer: DenseLayer): HeadValue {
    return { ...h, dense: [...h.dense.slice(0, -1), layer] };
  }

  /** A per-unit vector from a constant that broadcasts over the unit (last) axis of `h`. */
  private unitVector(c: ConstValue, h: HeadValue): Float64Array | undefined {
    if (c.dims.length > h.axes.length) return undefined;
    const last = c.dims[c.dims.length - 1] ?? 1;
    if (c.dims.slice(0, -1).some((d) => d !== 1)) return undefined;
    if (last !== 1 && last !== h.width) return undefined;
    return last === 1 ? new Float64Array(h.width).fill(c.data[0]!) : Float64Array.from(c.data);
  }

  private setActivation(n: NodeCtx, v: Value, act: DenseActivation): void {
    const h = this.linearLast(n, this.headOf(n, v));
    const last = h.dense[h.dense.length - 1]!;
    this.set(n, 0, this.replaceLast(h, { ...last, activation: act }));
  }

  // ---------- finishing ----------

  private finish(outputs: readonly string[]): Model {
    if (this.layers.length === 0) throw inputError(this.file, "the graph has no LSTM node that reads the data input");
    for (const name of this.freeInputs.keys()) {
      if (name !== this.dataInput && !this.seqLensInputs.has(name)) {
        throw inputError(
          this.file,
          `graph input '${name}' has no initializer and is neither the data input '${this.dataInput}' nor an LSTM sequence_lens; store it as an initializer`,
        );
      }
    }
    const lastLayer = this.layers.length - 1;
    let head: HeadValue | undefined;
    const outs: ModelOutput[] = [];
    for (const name of outputs) {
      const v = this.named(name, `graph output '${name}'`);
      const o = this.output(name, v, lastLayer);
      if ("head" in o) {
        const sameHead = head && (head.dense === o.head.dense || (head.dense.length === 0 && o.head.dense.length === 0));
        if (head && !sameHead) {
          throw inputError(this.file, `graph outputs read two different dense heads (output '${name}'); lstm-gen supports one head`);
        }
        if (head && head.reads !== o.head.reads) {
          throw inputError(this.file, `graph output '${name}' reads the ${o.head.reads} step but another output reads the ${head.reads} step`);
        }
        head = o.head;
        outs.push(o.out);
      } else outs.push(o);
    }
    const roles = this.roles!;
    const labels = [0, 1, 2].map((a) => AXIS_NAMES.find((r) => roles[r] === a) ?? "?");
    const layout = this.layerLayouts[0]!;
    const conventions = [
      GATE_CONVENTION,
      `input '${this.dataInput}' is [${labels.join(", ")}]; each batch entry is one sequence (first LSTM layout=${layout}${labels[0] === "batch" && layout === 0 ? ", Transpose folded" : ""})`,
      ...(this.layers.some((l) => l.cells.some((c) => c.peephole)) ? [PEEPHOLE_CONVENTION] : []),
      ...[...new Set(this.notes)],
    ];
    const producer = [this.model.producerName, this.model.producerVersion].filter((s) => s).join(" ");
    return validateModel({
      inputName: this.dataInput!,
      inputSize: this.inputSize!,
      layers: this.layers,
      ...(head ? { head: { reads: head.reads, layers: head.dense } } : {}),
      outputs: outs,
      source: { format: "onnx", file: this.file, ...(producer ? { producer } : {}), conventions },
    });
  }

  private output(name: string, v: Value, lastLayer: number): ModelOutput | { head: HeadValue; out: ModelOutput } {
    const fail = (why: string): never => {
      throw inputError(this.file, `graph output '${name}' ${why}`);
    };
    // outputs.ts indexes these axes of each source, so the output must keep them (even when of size 1).
    const axes = (labels: readonly Label[], needed: readonly Label[]): OutputAxis[] => {
      const missing = needed.filter((l) => !labels.includes(l));
      if (missing.length > 0) fail(`drops the size-1 ${missing.join(" and ")} axis, which lstm-gen cannot lay out; keep it in the exported graph`);
      return [...labels];
    };
    if (v.kind === "head") {
      if (v.layer !== lastLayer) fail(`applies a dense head to LSTM layer ${v.layer}, but layer ${lastLayer} follows it`);
      return { head: v, out: { name, source: { kind: "head" }, axes: axes(v.axes, v.reads === "every" ? ["time", "unit"] : ["unit"]) } };
    }
    if (v.kind !== "rec") return fail("does not depend on an LSTM layer");
    const k = v.groups[0]?.[0]?.layer ?? -1;
    if (v.groups.some((g) => g.some((b) => b.layer !== k))) {
      fail("combines the outputs of several LSTM layers (like h_n of a stacked PyTorch LSTM); lstm-gen gives each graph output one layer");
    }
    const D = numDirections(this.layers[k]!);
    const canonicalAxis =
      v.axes.includes("direction") && v.groups.length === D && v.groups.every((g, d) => sameBlocks(g, [{ layer: k, dir: d }]));
    const merged = !v.axes.includes("direction") && v.groups.length === 1 && sameBlocks(v.groups[0]!, this.mergedBlocks(k));
    if (v.src === "Y" && v.step === "all") {
      if (!canonicalAxis && !merged) fail(`reads only some directions of LSTM layer ${k}`);
      return { name, source: { kind: "sequence", layer: k, mergeDirections: merged }, axes: axes(v.axes, ["time", "unit"]) };
    }
    if (v.src === "Y_c" || (v.src === "Y_h" && canonicalAxis)) {
      if (!canonicalAxis) fail(`reads the cell state of LSTM layer ${k} without its direction axis, which lstm-gen cannot lay out`);
      return { name, source: { kind: v.src === "Y_h" ? "finalHidden" : "finalCell", layer: k }, axes: axes(v.axes, ["direction", "unit"]) };
    }
    // The last step of Y, or a merged Y_h: the head's input with no dense layers.
    if (k !== lastLayer) {
      fail(`reads the ${v.src === "Y_h" ? "final" : "last"} hidden state of LSTM layer ${k} without a direction axis; lstm-gen supports that only for the last layer`);
    }
    const h = this.asHead({ desc: `graph output '${name}'` }, v);
    return { head: h, out: { name, source: { kind: "head" }, axes: axes(h.axes, ["unit"]) } };
  }

  // ---------- op handlers ----------

  passThrough(n: NodeCtx): void {
    const v = this.value(n, 0);
    this.set(n, 0, v);
    if (n.op === "Dropout") {
      const mask = n.node.output?.[1];
      if (mask) this.unusable.set(mask, `${n.desc} mask output`);
      this.notes.push("Dropout is an inference no-op");
    }
  }

  cast(n: NodeCtx): void {
    const v = this.value(n, 0);
    const to = n.attrs.int("to") ?? DataType.FLOAT;
    const toFloat = isFloatType(to);
    const conv = (x: number): number =>
      to === DataType.BOOL ? (x !== 0 ? 1 : 0) : toFloat ? (to === DataType.FLOAT ? Math.fround(x) : x) : Math.trunc(x);
    switch (v.kind) {
      case "const":
        this.build(n, v.data.length);
        this.set(n, 0, constValue(v.dims, v.data.map(conv), !toFloat));
        return;
      case "fill":
        this.set(n, 0, typeof v.value === "number" ? { ...v, value: conv(v.value) } : v);
        return;
      case "shape":
        this.set(n, 0, v);
        return;
      default:
        if (!toFloat) this.unsupported(n, "it casts a float tensor to an integer type");
        this.set(n, 0, v);
    }
  }

  constant(n: NodeCtx): void {
    const a = n.attrs;
    const t = a.tensor("value");
    if (t) {
      const c = readTensor(this.file, `${n.desc} value`, t);
      this.set(n, 0, constValue(c.dims, c.data, c.integer));
    } else if (a.has("value_float")) this.set(n, 0, constValue([], Float64Array.of(a.float("value_float")!), false));
    else if (a.has("value_floats")) {
      const f = a.floats("value_floats")!;
      this.set(n, 0, constValue([f.length], Float64Array.from(f), false));
    } else if (a.has("value_int")) this.set(n, 0, constValue([], Float64Array.of(a.int("value_int")!), true));
    else if (a.has("value_ints")) {
      const f = a.ints("value_ints")!;
      this.set(n, 0, constValue([f.length], Float64Array.from(f), true));
    } else this.unsupported(n, "only numeric tensor constants are read");
  }

  shape(n: NodeCtx): void {
    const v = this.value(n, 0);
    const s = this.sizes(v);
    const r = s.length;
    const clampAxis = (a: number) => Math.min(r, Math.max(0, a < 0 ? a + r : a));
    const start = clampAxis(n.attrs.int("start") ?? 0);
    const end = clampAxis(n.attrs.int("end") ?? r);
    this.set(n, 0, shapeValue(s.slice(start, Math.max(start, end)), false));
  }

  constantOfShape(n: NodeCtx): void {
    const dims = this.dimsOf(n, this.value(n, 0), "shape");
    const t = n.attrs.tensor("value");
    const value = t ? (readTensor(this.file, `${n.desc} value`, t).data[0] ?? 0) : 0;
    for (const d of dims) if (!isSym(d) && !(Number.isSafeInteger(d) && d >= 0)) this.unsupported(n, `it has dimension ${d}`);
    this.set(n, 0, { kind: "fill", dims, value });
  }

  expand(n: NodeCtx): void {
    const v = this.value(n, 0);
    const target = this.dimsOf(n, this.value(n, 1), "shape");
    let value: Dim;
    let src: Dim[];
    if (v.kind === "fill") {
      value = v.value;
      src = [...v.dims];
    } else if (v.kind === "const") {
      const first = v.data[0] ?? 0;
      if (v.data.some((x) => x !== first)) {
        if (target.some(isSym)) this.unsupported(n, "it broadcasts a non-uniform constant to a data-dependent shape");
        const size = checkedSize(this.file, n.desc, target as number[]);
        this.build(n, size);
        const zeros = constValue(target as number[], new Float64Array(size), v.integer);
        const out = constBinary(v, zeros, (x) => x, v.integer);
        if (!out) this.unsupported(n, "its shapes do not broadcast");
        this.set(n, 0, out);
        return;
      }
      value = first;
      src = [...v.dims];
    } else if (v.kind === "shape" && v.scalar) {
      value = v.entries[0]!;
      src = [];
    } else return this.unsupported(n, "it expands a tensor computed from the data");
    const rank = Math.max(src.length, target.length);
    const dims: Dim[] = [];
    for (let k = 0; k < rank; k++) {
      const a = src[src.length - rank + k] ?? 1;
      const b = target[target.length - rank + k] ?? 1;
      if (a === 1) dims.push(b);
      else if (b === 1 || this.dimEq(a, b)) dims.push(a);
      else this.unsupported(n, "its shapes do not broadcast");
    }
    this.set(n, 0, { kind: "fill", dims, value });
  }

  unsqueeze(n: NodeCtx): void {
    const v = this.value(n, 0);
    const axes = this.axesInput(n, 1, "axes");
    if (!axes) return this.unsupported(n, "it has no axes");
    const rank = this.sizes(v).length + axes.length;
    const norm = axes.map((a) => normAxis(a, rank));
    if (norm.some((a) => a === undefined)) this.unsupported(n, "an axis is out of range");
    const sorted = (norm as number[]).sort((a, b) => a - b);
    const insert = <T>(list: readonly T[], item: T): T[] => {
      const out = [...list];
      for (const a of sorted) out.splice(a, 0, item);
      return out;
    };
    switch (v.kind) {
      case "const":
        this.set(n, 0, constValue(insert(v.dims, 1), v.data, v.integer));
        return;
      case "fill":
        this.set(n, 0, { ...v, dims: insert(v.dims, 1 as Dim) });
        return;
      case "shape":
        if (!v.scalar || sorted.length !== 1) this.unsupported(n, "it makes a shape vector two-dimensional");
        this.set(n, 0, { ...v, scalar: false });
        return;
      case "rec":
      case "head":
        this.set(n, 0, { ...v, axes: insert(v.axes, "one" as Label) });
        return;
      case "input":
        return this.unsupported(n, "it reshapes the data input");
    }
  }

  squeeze(n: NodeCtx): void {
    const v = this.value(n, 0);
    const sizes = this.sizes(v);
    const given = this.axesInput(n, 1, "axes");
    let axes: number[];
    if (given && given.length > 0) {
      const norm = given.map((a) => normAxis(a, sizes.length));
      if (norm.some((a) => a === undefined)) this.unsupported(n, "an axis is out of range");
      axes = norm as number[];
    } else {
      axes = sizes.flatMap((d, k) => (this.resolve(d) === 1 ? [k] : []));
    }
    const keep = (k: number) => !axes.includes(k);
    switch (v.kind) {
      case "const":
      case "fill":
        for (const a of axes) if (this.resolve(sizes[a]!) !== 1) this.unsupported(n, `axis ${a} does not have size 1`);
        if (v.kind === "const") this.set(n, 0, constValue(v.dims.filter((_, k) => keep(k)), v.data, v.integer));
        else this.set(n, 0, { ...v, dims: v.dims.filter((_, k) => keep(k)) });
        return;
      case "shape":
        if (v.scalar || v.entries.length !== 1) this.unsupported(n, "it squeezes a shape vector");
        this.set(n, 0, { ...v, scalar: true });
        return;
      case "rec":
      case "head": {
        let out: RecValue | HeadValue = v;
        for (const a of [...axes].sort((x, y) => y - x)) out = this.dropAxis(n, out, a);
        this.set(n, 0, out);
        return;
      }
      case "input":
        return this.unsupported(n, "it reshapes the data input");
    }
  }

  transpose(n: NodeCtx): void {
    const v = this.value(n, 0);
    const rank = this.sizes(v).length;
    const perm = n.attrs.ints("perm") ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, k) => p !== k)) {
      this.unsupported(n, `perm [${perm.join(", ")}] is not a permutation of ${rank} axes`);
    }
    switch (v.kind) {
      case "const":
        this.build(n, v.data.length);
        this.set(n, 0, constTranspose(v, perm));
        return;
      case "fill":
        this.set(n, 0, { ...v, dims: perm.map((p) => v.dims[p]!) });
        return;
      case "shape":
        this.set(n, 0, v);
        return;
      case "input":
        this.set(n, 0, { ...v, perm: perm.map((p) => v.perm[p]!) });
        return;
      case "rec":
      case "head":
        this.set(n, 0, { ...v, axes: perm.map((p) => v.axes[p]!) });
        return;
    }
  }

  /** Resolve a Reshape target against input sizes: 0 copies the input dimension; -1 stays as null. */
  private reshapeTarget(n: NodeCtx, sizes: readonly Dim[], target: readonly Dim[]): (Dim | null)[] {
    const allowZero = (n.attrs.int("allowzero") ?? 0) !== 0;
    let minus = 0;
    return target.map((t, k) => {
      if (t === 0 && !allowZero) {
        const s = sizes[k];
        if (s === undefined) this.unsupported(n, "a 0 in its shape has no input dimension to copy");
        return s;
      }
      if (t === -1) {
        if (++minus > 1) this.unsupported(n, "its shape has two -1 entries");
        return null;
      }
      if (!isSym(t) && t < 0) this.unsupported(n, `its shape has entry ${t}`);
      return t;
    });
  }

  reshape(n: NodeCtx): void {
    const v = this.value(n, 0);
    const target = this.dimsOf(n, this.value(n, 1), "shape");
    this.reshapeTo(n, v, target);
  }

  private reshapeTo(n: NodeCtx, v: Value, targetRaw: readonly Dim[]): void {
    const sizes = this.sizes(v);
    const target = this.reshapeTarget(n, sizes, targetRaw);
    switch (v.kind) {
      case "const":
      case "fill": {
        const known = target.map((t) => (t === null ? null : this.resolve(t)));
        const numericIn = sizes.map((s) => this.resolve(s));
        let dims: Dim[];
        if (v.kind === "const" || (numericIn.every((s) => s !== undefined) && known.every((t) => t !== undefined))) {
          const total = product(numericIn as number[]);
          const rest = product(known.filter((t): t is number => t !== null && t !== undefined));
          const inferred = total / (rest || 1);
          if (known.some((t) => t === undefined) || !Number.isInteger(inferred)) this.unsupported(n, "its shape does not fit its input");
          dims = known.map((t) => (t === null ? inferred : t!));
          if (product(dims as number[]) !== total) this.unsupported(n, "its shape does not fit its input");
        } else {
          if (target.includes(null)) this.unsupported(n, "it infers a dimension of a data-dependent shape");
          dims = target as Dim[];
        }
        if (v.kind === "const") this.set(n, 0, constValue(dims as number[], v.data, v.integer));
        else this.set(n, 0, { ...v, dims });
        return;
      }
      case "shape": {
        const len = v.scalar ? 1 : v.entries.length;
        const ok = target.length <= 1 && (target[0] === undefined || target[0] === null || this.resolve(target[0]) === len);
        if (!ok) this.unsupported(n, "it reshapes a shape vector");
        this.set(n, 0, { ...v, scalar: target.length === 0 });
        return;
      }
      case "input":
        return this.unsupported(n, "it reshapes the data input");
      case "rec":
      case "head": {
        const out = this.matchReshape(v, sizes, target);
        if (!out) this.unsupported(n, `it reshapes [${v.axes.join(", ")}] in a way lstm-gen cannot follow (only size-1 axes and direction+unit may merge)`);
        this.set(n, 0, out);
        return;
      }
    }
  }

  /** Does the product of `dims` equal `t`? */
  private productEq(dims: readonly Dim[], t: Dim): boolean {
    const unresolved: Sym[] = [];
    let p = 1;
    for (const d of dims) {
      const r = this.resolve(d);
      if (r === undefined) unresolved.push(d as Sym);
      else p *= r;
    }
    if (unresolved.length === 0) return p === this.resolve(t);
    return unresolved.length === 1 && p === 1 && this.dimEq(unresolved[0]!, t);
  }

  /** Find ranges of input axes for each target entry (null = -1) that regroup to a valid labelling. */
  private matchReshape(v: RecValue | HeadValue, sizes: readonly Dim[], target: readonly (Dim | null)[]): RecValue | HeadValue | undefined {
    const nIn = sizes.length;
    type Result = RecValue | HeadValue | undefined;
    type Ranges = [number, number][];
    // Match targets tg[j..] against input axes [i, end); `done` receives the ranges and validates the labelling.
    const search = (i: number, j: number, end: number, tg: readonly Dim[], acc: Ranges, done: (r: Ranges) => Result): Result => {
      if (j === tg.length) return i === end ? done(acc) : undefined;
      const t = tg[j]!;
      const last = j === tg.length - 1;
      for (let k = last ? end : i + 1; k <= end; k++) {
        if (k > i && this.productEq(sizes.slice(i, k), t)) {
          const r = search(k, j + 1, end, tg, [...acc, [i, k]], done);
          if (r) return r;
        }
      }
      if (this.resolve(t) === 1 && (!last || i === end)) return search(i, j + 1, end, tg, [...acc, [i, i]], done);
      return undefined;
    };
    const m = target.indexOf(null);
    if (m < 0) return search(0, 0, nIn, target as Dim[], [], (r) => this.regroup(v, r));
    const left = target.slice(0, m) as Dim[];
    const right = target.slice(m + 1) as Dim[];
    for (let s = 0; s <= nIn; s++) {
      for (let e = nIn; e >= s; e--) {
        const found = search(0, 0, s, left, [], (lr) =>
          search(e, 0, nIn, right, [], (rr) => this.regroup(v, [...lr, [s, e], ...rr])),
        );
        if (found) return found;
      }
    }
    return undefined;
  }

  flatten(n: NodeCtx): void {
    const v = this.value(n, 0);
    const sizes = this.sizes(v);
    const axis = normAxis(n.attrs.int("axis") ?? 1, sizes.length + 1);
    if (axis === undefined) return this.unsupported(n, "its axis is out of range");
    if (v.kind === "rec" || v.kind === "head") {
      const out = this.regroup(v, [
        [0, axis],
        [axis, sizes.length],
      ]);
      if (!out) this.unsupported(n, `it flattens [${v.axes.join(", ")}] in a way lstm-gen cannot follow`);
      this.set(n, 0, out);
      return;
    }
    const part = (ds: readonly Dim[]): Dim => {
      const r = ds.map((d) => this.resolve(d));
      if (r.every((x) => x !== undefined)) return product(r as number[]);
      const syms = ds.filter((d) => this.resolve(d) !== 1);
      if (syms.length === 1) return syms[0]!;
      return this.unsupported(n, "it flattens a data-dependent shape");
    };
    this.reshapeTo(n, v, [part(sizes.slice(0, axis)), part(sizes.slice(axis))]);
  }

  /** Indices from a Gather's index operand: numbers or symbolic (T-1). */
  gather(n: NodeCtx): void {
    const v = this.value(n, 0);
    const iv = this.value(n, 1);
    const sizes = this.sizes(v);
    const axis = normAxis(n.attrs.int("axis") ?? 0, sizes.length);
    if (axis === undefined) return this.unsupported(n, "its axis is out of range");
    let indices: Dim[];
    let scalar: boolean;
    if (iv.kind === "shape") {
      indices = [...iv.entries];
      scalar = iv.scalar;
    } else {
      const c = this.asConst(n, iv, "indices");
      if (c.dims.length > 1) this.unsupported(n, "its indices have more than one dimension");
      indices = Array.from(c.data);
      scalar = c.dims.length === 0;
    }
    const numeric = (size: Dim): number[] => {
      const s = this.resolve(size);
      return indices.map((d) => {
        const x = isSym(d) ? this.resolve(d) : d;
        if (x === undefined || s === undefined || x < -s || x >= s) return this.unsupported(n, "an index is out of range or data-dependent");
        return x < 0 ? x + s : x;
      });
    };
    switch (v.kind) {
      case "const":
        this.build(n, checkedSize(this.file, `${n.desc} output`, [indices.length, product(v.dims) / Math.max(1, v.dims[axis]!)]));
        this.set(n, 0, constTake(v, axis, numeric(v.dims[axis]!), !scalar));
        return;
      case "shape": {
        const idx = numeric(v.entries.length);
        this.set(n, 0, shapeValue(idx.map((i) => v.entries[i]!), scalar));
        return;
      }
      case "fill": {
        const dims = [...v.dims];
        if (scalar) dims.splice(axis, 1);
        else dims[axis] = indices.length;
        this.set(n, 0, { ...v, dims });
        return;
      }
      case "input":
        return this.unsupported(n, "it selects from the data input");
      case "rec":
      case "head": {
        if (indices.length !== 1) this.unsupported(n, "it selects more than one index");
        const label = v.axes[axis]!;
        let out: RecValue | HeadValue;
        if (label === "time" && v.kind === "rec") {
          if (v.step === "all" && !this.isLastStep(indices[0]!)) this.unsupported(n, "it selects a time step other than the last");
          out = { ...v, step: "last" };
        } else if (label === "direction" && v.kind === "rec") {
          const d = numeric(v.groups.length)[0]!;
          out = { ...v, groups: [v.groups[d]!] };
        } else if (label === "time" && v.kind === "head") {
          // The dense layers act on each step alone, so selecting the last step after them equals reading it.
          if (!this.isLastStep(indices[0]!)) this.unsupported(n, "it selects a time step other than the last");
          out = { ...v, reads: "last", axes: v.axes.map((l, k) => (k === axis ? "one" : l)) };
        } else if (label === "one") {
          numeric(1);
          out = v;
        } else return this.unsupported(n, `it selects from the ${label} axis`);
        this.set(n, 0, scalar ? { ...out, axes: out.axes.filter((_, k) => k !== axis) } : out);
        return;
      }
    }
  }

  /** Per-axis slice parameters. */
  private sliceParams(n: NodeCtx, rank: number): { axis: number; start: Dim; end: Dim; step: number }[] {
    let starts: Dim[];
    let ends: Dim[];
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if ((n.node.input?.length ?? 0) > 1) {
      starts = this.dimsOf(n, this.value(n, 1), "starts");
      ends = this.dimsOf(n, this.value(n, 2), "ends");
      const a = this.optValue(n, 3);
      const s = this.optValue(n, 4);
      axes = a ? this.intsOf(n, a, "axes") : undefined;
      steps = s ? this.intsOf(n, s, "steps") : undefined;
    } else {
      starts = n.attrs.ints("starts") ?? [];
      ends = n.attrs.ints("ends") ?? [];
      axes = n.attrs.ints("axes");
    }
    if (ends.length !== starts.length) this.unsupported(n, "starts and ends differ in length");
    const ax = axes ?? starts.map((_, k) => k);
    return starts.map((start, k) => {
      const axis = normAxis(ax[k] ?? k, rank);
      if (axis === undefined) return this.unsupported(n, "an axis is out of range");
      return { axis, start, end: ends[k]!, step: steps?.[k] ?? 1 };
    });
  }

  /** Numeric [start, end) of a slice on an axis of numeric size; undefined unless step is 1. */
  private range(size: number, start: Dim, end: Dim, step: number): [number, number] | undefined {
    const s = this.resolve(start);
    const e = isSym(end) ? this.resolve(end) : end >= BIG ? size : end;
    if (s === undefined || e === undefined || step !== 1) return undefined;
    const clamp = (x: number) => Math.min(size, Math.max(0, x < 0 ? x + size : x));
    return [clamp(s), Math.max(clamp(s), clamp(e))];
  }

  slice(n: NodeCtx): void {
    const v = this.value(n, 0);
    const sizes = this.sizes(v);
    const params = this.sliceParams(n, sizes.length);
    this.set(n, 0, this.applySlices(n, v, sizes, params));
  }

  private applySlices(n: NodeCtx, v: Value, sizes: readonly Dim[], params: { axis: number; start: Dim; end: Dim; step: number }[]): Value {
    let out = v;
    for (const p of params) {
      const size = sizes[p.axis]!;
      const toEnd = isSym(p.end) ? this.dimEq(p.end, size) : p.end >= BIG || this.resolve(size) === p.end;
      const full = p.step === 1 && this.resolve(p.start) === 0 && toEnd;
      if (full) continue;
      out = this.sliceAxis(n, out, p.axis, size, p);
    }
    return out;
  }

  private sliceAxis(n: NodeCtx, v: Value, axis: number, size: Dim, p: { start: Dim; end: Dim; step: number }): Value {
    const numericSize = this.resolve(size);
    if (v.kind === "const") {
      const s = this.resolve(p.start);
      const e = this.resolve(p.end);
      if (s === undefined || e === undefined || p.step === 0) return this.unsupported(n, "its range is data-dependent");
      const len = numericSize!;
      const idx: number[] = [];
      const clampS = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x < 0 ? x + len : x));
      if (p.step > 0) for (let i = clampS(s, 0, len); i < clampS(e, 0, len); i += p.step) idx.push(i);
      else for (let i = clampS(s, -1, len - 1); i > clampS(e, -1, len - 1); i += p.step) idx.push(i);
      this.build(n, (v.data.length / Math.max(1, len)) * idx.length);
      return constTake(v, axis, idx, true);
    }
    if (v.kind === "shape") {
      const r = this.range(v.entries.length, p.start, p.end, p.step);
      if (!r) return this.unsupported(n, "its range is data-dependent");
      return shapeValue(v.entries.slice(r[0], r[1]), false);
    }
    if (v.kind === "fill") {
      if (numericSize === undefined) return this.unsupported(n, "it slices a data-dependent dimension");
      const r = this.range(numericSize, p.start, p.end, p.step);
      if (!r) return this.unsupported(n, "its range is data-dependent");
      const dims = [...v.dims];
      dims[axis] = r[1] - r[0];
      return { ...v, dims };
    }
    if (v.kind === "rec") {
      const label = v.axes[axis]!;
      if (label === "time") {
        const toEnd = isSym(p.end) ? this.isTimeLength(p.end) : p.end >= BIG || p.end === this.resolve(size);
        if (p.step === 1 && toEnd && (v.step === "last" || this.isLastStep(p.start))) return { ...v, step: "last" };
        return this.unsupported(n, "it slices time steps other than the last one");
      }
      if (label === "direction" || label === "unit") {
        const len = label === "direction" ? v.groups.length : this.blocksWidth(v.groups[0]!);
        const r = this.range(len, p.start, p.end, p.step);
        if (!r || r[0] === r[1]) return this.unsupported(n, `its range on the ${label} axis is empty or data-dependent`);
        if (label === "direction") return { ...v, groups: v.groups.slice(r[0], r[1]) };
        return { ...v, groups: v.groups.map((g) => this.sliceBlocks(n, g, r[0], r[1])) };
      }
      if (label === "one") return v;
      return this.unsupported(n, `it slices the ${label} axis`);
    }
    if (v.kind === "head" && v.axes[axis] === "one") return v;
    if (v.kind === "head" && v.axes[axis] === "time") {
      const toEnd = isSym(p.end) ? this.isTimeLength(p.end) : p.end >= BIG || p.end === this.resolve(size);
      if (p.step === 1 && toEnd && this.isLastStep(p.start)) return { ...v, reads: "last", axes: v.axes.map((l, k) => (k === axis ? "one" : l)) };
      return this.unsupported(n, "it slices time steps other than the last one");
    }
    return this.unsupported(n, `it slices ${v.kind === "input" ? "the data input" : `the ${v.kind === "head" ? v.axes[axis] : ""} axis`}`);
  }

  /** Units [s, e) of a concatenation of blocks; must fall on block boundaries. */
  private sliceBlocks(n: NodeCtx, blocks: readonly Block[], s: number, e: number): Block[] {
    const out: Block[] = [];
    let at = 0;
    for (const b of blocks) {
      const w = this.layers[b.layer]!.hiddenSize;
      if (at >= s && at + w <= e) out.push(b);
      else if (at < e && at + w > s) this.unsupported(n, "it splits the hidden units of one LSTM direction");
      at += w;
    }
    return out;
  }

  split(n: NodeCtx): void {
    const v = this.value(n, 0);
    const sizes = this.sizes(v);
    const axis = normAxis(n.attrs.int("axis") ?? 0, sizes.length);
    if (axis === undefined) return this.unsupported(n, "its axis is out of range");
    const total = this.resolve(sizes[axis]!);
    if (total === undefined) return this.unsupported(n, "it splits a data-dependent axis");
    const outs = n.node.output?.length ?? 0;
    const given = this.optValue(n, 1);
    let parts = given ? this.intsOf(n, given, "split") : n.attrs.ints("split");
    if (!parts || parts.length === 0) {
      const each = Math.ceil(total / outs);
      parts = Array.from({ length: outs }, (_, k) => Math.max(0, Math.min(each, total - k * each)));
    }
    if (parts.length !== outs || parts.reduce((a, b) => a + b, 0) !== total) this.unsupported(n, "its split sizes do not add up");
    let at = 0;
    parts.forEach((len, k) => {
      this.set(n, k, this.sliceAxis(n, v, axis, total, { start: at, end: at + len, step: 1 }));
      at += len;
    });
  }

  concat(n: NodeCtx): void {
    const vs = (n.node.input ?? []).filter((x) => x).map((_, k) => this.value(n, k));
    if (vs.length === 0) return this.unsupported(n, "it has no inputs");
    const rank = this.sizes(vs[0]!).length;
    const axis = normAxis(n.attrs.int("axis") ?? 0, rank);
    if (axis === undefined) return this.unsupported(n, "its axis is out of range");
    if (vs.every((v) => v.kind === "const")) {
      const cs = vs as ConstValue[];
      if (cs.some((c) => c.dims.length !== rank || c.dims.some((d, k) => k !== axis && d !== cs[0]!.dims[k]))) {
        this.unsupported(n, "its inputs have different shapes");
      }
      this.build(n, checkedSize(this.file, `${n.desc} output`, [cs.reduce((t, c) => t + product(c.dims), 0)]));
      this.set(n, 0, constConcat(cs, axis));
      return;
    }
    if (vs.every((v) => v.kind === "const" || v.kind === "shape")) {
      const entries = vs.flatMap((v) => this.dimsOf(n, v, "input"));
      this.set(n, 0, shapeValue(entries, false));
      return;
    }
    if (vs.every((v) => v.kind === "fill")) {
      const fills = vs as FillValue[];
      const value = fills[0]!.value;
      if (fills.some((f) => !this.dimEq(f.value, value))) this.unsupported(n, "it joins tensors of different values");
      const total = fills.map((f) => this.resolve(f.dims[axis]!));
      if (total.some((t) => t === undefined)) this.unsupported(n, "it joins along a data-dependent axis");
      const dims = [...fills[0]!.dims];
      dims[axis] = (total as number[]).reduce((a, b) => a + b, 0);
      this.set(n, 0, { ...fills[0]!, dims });
      return;
    }
    if (vs.every((v) => v.kind === "rec")) {
      const rs = vs as RecValue[];
      const first = rs[0]!;
      const same = rs.every((r) => r.src === first.src && r.step === first.step && r.axes.join() === first.axes.join());
      if (!same) this.unsupported(n, "it joins LSTM outputs of different kinds or layouts");
      const label = first.axes[axis]!;
      if (label === "direction") {
        this.set(n, 0, { ...first, groups: rs.flatMap((r) => r.groups) });
        return;
      }
      if (label === "unit") {
        if (rs.some((r) => r.groups.length !== first.groups.length)) this.unsupported(n, "it joins tensors with different direction axes");
        this.set(n, 0, { ...first, groups: first.groups.map((_, d) => rs.flatMap((r) => r.groups[d]!)) });
        return;
      }
      return this.unsupported(n, `it joins LSTM outputs along the ${label} axis`);
    }
    return this.unsupported(n, "it joins tensors of different kinds");
  }

  matmul(n: NodeCtx): void {
    const a = this.value(n, 0);
    const b = this.value(n, 1);
    if (a.kind === "const" && b.kind === "const") {
      if (a.dims.length !== 2 || b.dims.length !== 2 || a.dims[1] !== b.dims[0]) this.unsupported(n, "only 2-D constant products are folded");
      const [M, K] = a.dims as [number, number];
      const N = b.dims[1]!;
      const size = checkedSize(this.file, n.desc, [M, N]);
      this.build(n, size * Math.max(1, K));
      const out = new Float64Array(size);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[i * K + k]! * b.data[k * N + j]!;
        out[i * N + j] = s;
      }
      this.set(n, 0, constValue([M, N], out, false));
      return;
    }
    const h = this.headOf(n, a);
    const w = this.asConst(n, b, "weight (second operand)");
    if (w.dims.length !== 2) this.unsupported(n, `its weight has shape [${w.dims.join(", ")}]; expected [inputs, outputs]`);
    const [K, N] = w.dims as [number, number];
    if (K !== h.width) this.unsupported(n, `its weight has ${K} rows but its input has ${h.width} features`);
    this.build(n, N * K);
    const W = matrix(N, K);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) W.data[j * K + k] = w.data[k * N + j]!;
    this.set(n, 0, this.dense(n, h, W, new Float64Array(N)));
  }

  private dense(n: NodeCtx, h: HeadValue, W: Matrix, bias: Float64Array): HeadValue {
    if (h.axes[h.axes.length - 1] !== "unit") this.unsupported(n, "the features must be the last axis");
    const layer: DenseLayer = { name: n.node.name || n.op, W, bias, activation: "linear" };
    return { ...h, dense: [...h.dense, layer], width: W.rows };
  }

  gemm(n: NodeCtx): void {
    const a = this.value(n, 0);
    const h = this.headOf(n, a);
    if (h.axes.length !== 2) this.unsupported(n, "Gemm needs a 2-D input");
    if ((n.attrs.int("transA") ?? 0) !== 0) this.unsupported(n, "transA=1 is not supported");
    const transB = (n.attrs.int("transB") ?? 0) !== 0;
    const alpha = n.attrs.float("alpha") ?? 1;
    const beta = n.attrs.float("beta") ?? 1;
    const w = this.constOf(n, 1, "weight B");
    if (w.dims.length !== 2) this.unsupported(n, `its weight has shape [${w.dims.join(", ")}]`);
    const [r0, c0] = w.dims as [number, number];
    const K = transB ? c0 : r0;
    const N = transB ? r0 : c0;
    if (K !== h.width) this.unsupported(n, `its weight expects ${K} inputs but its input has ${h.width} features`);
    this.build(n, N * K);
    const W = matrix(N, K);
    for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) W.data[j * K + k] = alpha * w.data[transB ? j * K + k : k * N + j]!;
    const bias = new Float64Array(N);
    const cv = this.optValue(n, 2);
    if (cv) {
      const c = this.asConst(n, cv, "bias C");
      const vec = this.unitVector(c, { ...h, width: N });
      if (!vec) this.unsupported(n, `its bias C has shape [${c.dims.join(", ")}]; expected [${N}]`);
      for (let j = 0; j < N; j++) bias[j] = beta * vec[j]!;
    }
    this.set(n, 0, this.dense(n, h, W, bias));
  }

  arithmetic(n: NodeCtx): void {
    const a = this.value(n, 0);
    const b = this.value(n, 1);
    const op = n.op;
    const f =
      op === "Add" ? (x: number, y: number) => x + y
      : op === "Sub" ? (x: number, y: number) => x - y
      : op === "Mul" ? (x: number, y: number) => x * y
      : (x: number, y: number) => x / y;
    if (a.kind === "const" && b.kind === "const") {
      const integer = a.integer && b.integer;
      const g = integer && op === "Div" ? (x: number, y: number) => Math.trunc(x / y) : f;
      this.build(n, checkedSize(this.file, `${n.desc} output`, broadcastDims(a.dims, b.dims) ?? []));
      const out = constBinary(a, b, g, integer);
      if (!out) this.unsupported(n, "its operands do not broadcast");
      this.set(n, 0, out);
      return;
    }
    // Shape arithmetic: T - 1 and friends.
    if ((a.kind === "shape" || a.kind === "const") && (b.kind === "shape" || b.kind === "const") && (a.kind === "shape" || b.kind === "shape")) {
      const x = this.dimsOf(n, a, "operand");
      const y = this.dimsOf(n, b, "operand");
      const len = Math.max(x.length, y.length);
      if ((x.length !== len && x.length !== 1) || (y.length !== len && y.length !== 1)) this.unsupported(n, "its operands do not broadcast");
      const entries: Dim[] = [];
      for (let k = 0; k < len; k++) {
        const p = x[x.length === 1 ? 0 : k]!;
        const q = y[y.length === 1 ? 0 : k]!;
        entries.push(this.symArith(n, p, q, op));
      }
      const scalar = (a.kind === "shape" ? a.scalar : a.dims.length === 0) && (b.kind === "shape" ? b.scalar : b.dims.length === 0);
      this.set(n, 0, shapeValue(entries, scalar));
      return;
    }
    if (a.kind === "fill" && b.kind === "const" && b.data.length === 1 && typeof a.value === "number") {
      this.set(n, 0, { ...a, value: f(a.value, b.data[0]!) });
      return;
    }
    // Dense-head arithmetic: a bias (Add/Sub) or a scale (Mul/Div) on the features.
    const headSide = a.kind === "rec" || a.kind === "head" ? 0 : b.kind === "rec" || b.kind === "head" ? 1 : -1;
    if (headSide < 0) return this.unsupported(n, "its operands are neither constants nor LSTM features");
    if (headSide === 1 && (op === "Sub" || op === "Div")) this.unsupported(n, "the LSTM features must be the first operand");
    const h0 = this.headOf(n, headSide === 0 ? a : b);
    const other = this.asConst(n, headSide === 0 ? b : a, "other operand");
    const vec = this.unitVector(other, h0);
    if (!vec) this.unsupported(n, `its constant has shape [${other.dims.join(", ")}]; expected one value per feature`);
    const h = this.linearLast(n, h0);
    const last = h.dense[h.dense.length - 1]!;
    this.build(n, last.W.data.length);
    const bias = Float64Array.from(last.bias);
    const W = matrix(last.W.rows, last.W.cols, last.W.data);
    for (let r = 0; r < bias.length; r++) {
      const c = vec[r]!;
      if (op === "Add" || op === "Sub") bias[r] = f(bias[r]!, c);
      else {
        bias[r] = f(bias[r]!, c);
        for (let k = 0; k < W.cols; k++) W.data[r * W.cols + k] = f(W.data[r * W.cols + k]!, c);
      }
    }
    this.set(n, 0, this.replaceLast(h, { ...last, W, bias }));
  }

  private symArith(n: NodeCtx, p: Dim, q: Dim, op: string): Dim {
    if (!isSym(p) && !isSym(q)) {
      return op === "Add" ? p + q : op === "Sub" ? p - q : op === "Mul" ? p * q : Math.trunc(p / q);
    }
    if (isSym(p) && !isSym(q)) {
      if (op === "Add") return { ...p, offset: p.offset + q };
      if (op === "Sub") return { ...p, offset: p.offset - q };
      if ((op === "Mul" || op === "Div") && q === 1) return p;
    }
    if (!isSym(p) && isSym(q) && op === "Add") return { ...q, offset: q.offset + p };
    return this.unsupported(n, "it computes with a data-dependent size in a way lstm-gen cannot follow");
  }

  activation(n: NodeCtx): void {
    const v = this.value(n, 0);
    const act = n.op.toLowerCase() as "relu" | "tanh" | "sigmoid";
    if (v.kind === "const") {
      const f = act === "relu" ? (x: number) => Math.max(0, x) : act === "tanh" ? Math.tanh : (x: number) => 1 / (1 + Math.exp(-x));
      this.build(n, v.data.length);
      this.set(n, 0, constValue(v.dims, v.data.map(f), false));
      return;
    }
    this.setActivation(n, v, act);
  }

  softmax(n: NodeCtx): void {
    const v = this.value(n, 0);
    const h = this.headOf(n, v);
    const rank = h.axes.length;
    const axis = normAxis(n.attrs.int("axis") ?? (this.opset >= 13 ? -1 : 1), rank);
    const lastAxis = axis === rank - 1 || (this.opset < 13 && axis !== undefined && h.axes.slice(axis, -1).every((l) => l === "one"));
    if (!lastAxis) this.unsupported(n, "softmax must run over the feature (last) axis");
    this.setActivation(n, h, "softmax");
  }

  lstm(n: NodeCtx): void {
    const where = n.desc;
    const attrs = readLstmAttributes(this.file, where, n.attrs, this.notes);
    const x = this.value(n, 0);
    const k = this.layers.length;
    const layout = attrs.layout;
    if (x.kind === "input") {
      if (x.perm.length !== 3) this.unsupported(n, `its input X must have 3 axes`);
      if (this.dataInput !== undefined) {
        this.unsupported(
          n,
          this.dataInput === x.name
            ? "a second LSTM reads the data input; lstm-gen supports a chain of layers"
            : `it reads graph input '${x.name}' but '${this.dataInput}' is already the data input`,
        );
      }
      const info = this.freeInputs.get(x.name);
      const elem = info?.type?.tensorType?.elemType ?? DataType.FLOAT;
      if (!isFloatType(elem)) this.unsupported(n, `its input '${x.name}' has element type ${elem}; expected float`);
      this.dataInput = x.name;
      const [a0, a1, a2] = x.perm as [number, number, number];
      this.roles = layout === 0 ? { time: a0, batch: a1, feature: a2 } : { batch: a0, time: a1, feature: a2 };
    } else if (x.kind === "rec") {
      const want: Label[] = layout === 0 ? ["time", "batch", "unit"] : ["batch", "time", "unit"];
      const prev = k - 1;
      const ok =
        x.src === "Y" &&
        x.step === "all" &&
        x.axes.join() === want.join() &&
        x.groups.length === 1 &&
        prev >= 0 &&
        sameBlocks(x.groups[0]!, this.mergedBlocks(prev));
      if (!ok) {
        this.unsupported(n, `its input X must be the full output sequence of LSTM layer ${prev} as [${want.join(", ")}] with directions merged`);
      }
    } else if (x.kind === "head") {
      return this.unsupported(n, "a dense layer before an LSTM layer is not supported");
    } else return this.unsupported(n, "its input X must be the data input or the output of an LSTM");

    const W = this.constOf(n, 1, "weights W");
    const R = this.constOf(n, 2, "weights R");
    const Bv = this.optValue(n, 3);
    const B = Bv ? this.asConst(n, Bv, "bias B") : undefined;
    const Pv = this.optValue(n, 7);
    const P = Pv ? this.asConst(n, Pv, "peepholes P") : undefined;
    const H = attrs.hiddenSize ?? R.dims[2] ?? 0;
    const D = attrs.dirs;
    const state = (idx: number, what: string): Float64Array[] | undefined => {
      const sv = this.optValue(n, idx);
      if (!sv) return undefined;
      if (sv.kind !== "const" && sv.kind !== "fill") {
        if (sv.kind === "input") this.freeInputError(n, sv);
        return this.unsupported(n, `its ${what} must be a constant or a constant-filled tensor`);
      }
      return initialState(this.file, `${where} ${what}`, sv, layout, D, H, this.notes);
    };
    const initialH = state(5, "initial_h");
    const initialC = state(6, "initial_c");
    this.sequenceLens(n);

    this.build(n, W.data.length + R.data.length);
    const layer = lstmLayer(this.file, where, n.node.name || `LSTM ${k}`, attrs, {
      W,
      R,
      ...(B ? { B } : {}),
      ...(P ? { P } : {}),
      ...(initialH ? { initialH } : {}),
      ...(initialC ? { initialC } : {}),
    });
    if (k === 0) {
      const declared = this.staticDim(this.dataInput!, this.roles!.feature);
      if (declared !== undefined && declared !== layer.inputSize) {
        this.unsupported(n, `its weights expect ${layer.inputSize} input features but input '${this.dataInput}' has ${declared}`);
      }
      this.inputSize = layer.inputSize;
    } else {
      const width = this.layers[k - 1]!.hiddenSize * numDirections(this.layers[k - 1]!);
      if (layer.inputSize !== width) this.unsupported(n, `its weights expect ${layer.inputSize} inputs but LSTM layer ${k - 1} gives ${width}`);
    }
    this.layers.push(layer);
    this.layerLayouts.push(layout);

    const groups = Array.from({ length: D }, (_, d) => [{ layer: k, dir: d }]);
    const yAxes: Label[] = layout === 0 ? ["time", "direction", "batch", "unit"] : ["batch", "time", "direction", "unit"];
    const hAxes: Label[] = layout === 0 ? ["direction", "batch", "unit"] : ["batch", "direction", "unit"];
    this.set(n, 0, { kind: "rec", src: "Y", axes: yAxes, groups, step: "all" });
    this.set(n, 1, { kind: "rec", src: "Y_h", axes: hAxes, groups, step: "all" });
    this.set(n, 2, { kind: "rec", src: "Y_c", axes: hAxes, groups, step: "all" });
  }

  private sequenceLens(n: NodeCtx): void {
    const v = this.optValue(n, 4);
    if (!v) return;
    const own = "lstm-gen runs each sequence at its own length";
    if (v.kind === "input") {
      this.seqLensInputs.add(v.name);
      this.notes.push(`sequence_lens is graph input '${v.name}'; it is ignored: ${own}`);
      return;
    }
    const T = this.sym(this.roles!.time);
    const entries: Dim[] =
      v.kind === "const" ? Array.from(v.data)
      : v.kind === "shape" ? [...v.entries]
      : v.kind === "fill" ? [v.value]
      : this.unsupported(n, "its sequence_lens must be a constant, a graph input or the input length");
    const staticT = this.resolve(T);
    for (const e of entries) {
      if (isSym(e) ? this.isTimeLength(e) : staticT === undefined || e === staticT) continue;
      this.unsupported(n, `its sequence_lens entry ${isSym(e) ? "(computed)" : e} differs from the input length ${staticT ?? "T"}; ${own}`);
    }
    if (staticT === undefined && entries.some((e) => !isSym(e))) {
      this.notes.push(`sequence_lens is the constant ${entries[0]}; ${own}, which must equal it`);
    } else this.notes.push(`sequence_lens equals the input length (a no-op)`);
  }
}

function inputRank(info: ValueInfoProto): number | undefined {
  return info.type?.tensorType?.shape?.dim?.length;
}

/** Operator → handler. A Map, so that model-controlled op names never reach object prototypes. */
const HANDLERS: ReadonlyMap<string, (this: Interpreter, n: NodeCtx) => void> = new Map([
  ["LSTM", Interpreter.prototype.lstm],
  ["Identity", Interpreter.prototype.passThrough],
  ["Dropout", Interpreter.prototype.passThrough],
  ["Cast", Interpreter.prototype.cast],
  ["Constant", Interpreter.prototype.constant],
  ["Shape", Interpreter.prototype.shape],
  ["ConstantOfShape", Interpreter.prototype.constantOfShape],
  ["Expand", Interpreter.prototype.expand],
  ["Unsqueeze", Interpreter.prototype.unsqueeze],
  ["Squeeze", Interpreter.prototype.squeeze],
  ["Transpose", Interpreter.prototype.transpose],
  ["Reshape", Interpreter.prototype.reshape],
  ["Flatten", Interpreter.prototype.flatten],
  ["Gather", Interpreter.prototype.gather],
  ["Slice", Interpreter.prototype.slice],
  ["Split", Interpreter.prototype.split],
  ["Concat", Interpreter.prototype.concat],
  ["MatMul", Interpreter.prototype.matmul],
  ["Gemm", Interpreter.prototype.gemm],
  ["Add", Interpreter.prototype.arithmetic],
  ["Sub", Interpreter.prototype.arithmetic],
  ["Mul", Interpreter.prototype.arithmetic],
  ["Div", Interpreter.prototype.arithmetic],
  ["Relu", Interpreter.prototype.activation],
  ["Tanh", Interpreter.prototype.activation],
  ["Sigmoid", Interpreter.prototype.activation],
  ["Softmax", Interpreter.prototype.softmax],
]);

const SUPPORTED_SUMMARY = [...HANDLERS.keys()].filter((k) => k !== "LSTM").join(", ");

/** Interpret a decoded model's graph into the IR; `fileBytes`, the file's size, sets how much it may build. */
export function interpretModel(file: string, model: ModelProto, fileBytes = 0): Model {
  return new Interpreter(file, model, fileBytes).run();
}
