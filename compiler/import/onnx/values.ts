/**
 * The symbolic values of the abstract interpretation. Every tensor of the graph gets one `Value`:
 *
 * - `const`: a constant tensor (initializers, Constant nodes, folded arithmetic on them);
 * - `shape`: an integer vector (or scalar) some of whose entries are dimensions of the data input (Shape ops);
 * - `fill`:  a tensor of one repeated value whose shape may be symbolic (ConstantOfShape / Expand: zero states);
 * - `input`: a graph input without initializer (the data input once an LSTM consumes it), axes permuted;
 * - `rec`:   an LSTM output (Y, Y_h, Y_c) with labelled axes (time/direction/batch/unit/one);
 * - `head`:  features of the last LSTM layer with the dense layers applied so far.
 *
 * The direction/unit content of a `rec` value is described by `groups`: `groups[d]` lists the (layer, direction)
 * blocks of H units that make up the unit axis at index d of the direction axis (one group when there is no
 * direction axis). Raw Y_h of a bidirectional layer k is [[k:0], [k:1]]; after a Reshape that merges direction
 * and unit it is [[k:0, k:1]]; after Gather(direction = 1) it is [[k:1]].
 */
import type { DenseLayer, HeadReads, OutputAxis } from "../../ir/model.js";
import type { ConstTensor } from "./proto.js";

/** A symbolic dimension: axis `axis` of graph input `input`, plus `offset` (T-1 is { axis: time, offset: -1 }). */
export interface Sym {
  readonly input: string;
  readonly axis: number;
  readonly offset: number;
}

/** A dimension or a shape entry: a number or a symbolic size of the data input. */
export type Dim = number | Sym;

export function isSym(d: Dim): d is Sym {
  return typeof d !== "number";
}

export interface ConstValue extends ConstTensor {
  readonly kind: "const";
}

export interface ShapeValue {
  readonly kind: "shape";
  readonly entries: readonly Dim[];
  /** A 0-d scalar (e.g. Gather of one entry) rather than a 1-D vector. */
  readonly scalar: boolean;
}

export interface FillValue {
  readonly kind: "fill";
  readonly dims: readonly Dim[];
  readonly value: Dim;
}

export interface InputValue {
  readonly kind: "input";
  readonly name: string;
  /** Position j holds axis perm[j] of the graph input. */
  readonly perm: readonly number[];
}

export interface Block {
  readonly layer: number;
  readonly dir: number;
}

export type Label = OutputAxis;

export interface RecValue {
  readonly kind: "rec";
  readonly src: "Y" | "Y_h" | "Y_c";
  readonly axes: readonly Label[];
  readonly groups: readonly (readonly Block[])[];
  /** For Y: whether the time axis (if still present) holds every step or only the last one. */
  readonly step: "all" | "last";
}

export interface HeadValue {
  readonly kind: "head";
  /** The recurrent layer the head reads. */
  readonly layer: number;
  readonly reads: HeadReads;
  /** Labels: time (reads = every), batch, unit, one. */
  readonly axes: readonly Label[];
  readonly dense: readonly DenseLayer[];
  /** Width of the unit axis. */
  readonly width: number;
}

export type Value = ConstValue | ShapeValue | FillValue | InputValue | RecValue | HeadValue;

export function constValue(dims: readonly number[], data: Float64Array, integer: boolean): ConstValue {
  return { kind: "const", dims, data, integer };
}

/** A shape vector; folds to a constant when every entry is a number. */
export function shapeValue(entries: readonly Dim[], scalar: boolean): ConstValue | ShapeValue {
  if (entries.every((e) => !isSym(e))) {
    return constValue(scalar ? [] : [entries.length], Float64Array.from(entries as number[]), true);
  }
  return { kind: "shape", entries, scalar };
}

export function sameBlocks(a: readonly Block[], b: readonly Block[]): boolean {
  return a.length === b.length && a.every((x, k) => x.layer === b[k]!.layer && x.dir === b[k]!.dir);
}

export function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let k = dims.length - 2; k >= 0; k--) s[k] = s[k + 1]! * dims[k + 1]!;
  return s;
}

/** Normalize a possibly negative axis; undefined when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}

// ---- Constant tensor operations (small tensors: weights, shapes, indices) ----

export function constTranspose(c: ConstValue, perm: readonly number[]): ConstValue {
  const dims = perm.map((p) => c.dims[p]!);
  const inS = strides(c.dims);
  const outS = strides(dims);
  const out = new Float64Array(c.data.length);
  for (let k = 0; k < out.length; k++) {
    let rem = k;
    let src = 0;
    for (let j = 0; j < dims.length; j++) {
      const i = Math.floor(rem / outS[j]!);
      rem -= i * outS[j]!;
      src += i * inS[perm[j]!]!;
    }
    out[k] = c.data[src]!;
  }
  return constValue(dims, out, c.integer);
}

/** Take `indices` along `axis`; `keep` false removes the axis (scalar index). */
export function constTake(c: ConstValue, axis: number, indices: readonly number[], keep: boolean): ConstValue {
  const outer = product(c.dims.slice(0, axis));
  const inner = product(c.dims.slice(axis + 1));
  const n = c.dims[axis]!;
  const out = new Float64Array(outer * indices.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const idx of indices) {
      const base = (a * n + idx) * inner;
      for (let b = 0; b < inner; b++) out[o++] = c.data[base + b]!;
    }
  }
  const dims = [...c.dims.slice(0, axis), ...(keep ? [indices.length] : []), ...c.dims.slice(axis + 1)];
  return constValue(dims, out, c.integer);
}

export function constConcat(parts: readonly ConstValue[], axis: number): ConstValue {
  const first = parts[0]!;
  const outer = product(first.dims.slice(0, axis));
  const inner = product(first.dims.slice(axis + 1));
  const total = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  const out = new Float64Array(outer * total * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const len = p.dims[axis]! * inner;
      out.set(p.data.subarray(a * len, (a + 1) * len), o);
      o += len;
    }
  }
  const dims = [...first.dims];
  dims[axis] = total;
  return constValue(dims, out, parts.every((p) => p.integer));
}

/** Numpy-style broadcast of two shapes; undefined when incompatible. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1;
    const y = b[b.length - rank + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element-wise binary operation with broadcasting. */
export function constBinary(
  a: ConstValue,
  b: ConstValue,
  f: (x: number, y: number) => number,
  integer: boolean,
): ConstValue | undefined {
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims) return undefined;
  const n = product(dims);
  const out = new Float64Array(n);
  const os = strides(dims);
  const aStrides = strides(a.dims);
  const bStrides = strides(b.dims);
  const index = (c: ConstValue, s: readonly number[], k: number): number => {
    const off = dims.length - c.dims.length;
    let rem = k;
    let src = 0;
    for (let j = 0; j < dims.length; j++) {
      const i = Math.floor(rem / os[j]!);
      rem -= i * os[j]!;
      if (j >= off && c.dims[j - off]! !== 1) src += i * s[j - off]!;
    }
    return src;
  };
  for (let k = 0; k < n; k++) out[k] = f(a.data[index(a, aStrides, k)]!, b.data[index(b, bStrides, k)]!);
  return constValue(dims, out, integer);
}
