/**
 * A second, deliberately naive reading of docs/fixed-point.md (BigInt wherever a value may pass 2^53), used by the
 * WebAssembly tests on hand-built models whose features the PyTorch fixtures lack (peepholes, clip, int32 cells,
 * relu/hard-sigmoid, reverse layers, dense stacks). The fixtures are compared with compiler/golden itself.
 */
import type { QActivation, QDenseLayer, QLstmLayer, QMatrix, QuantizedModel } from "../../compiler/quantize/qmodel.js";

const big = BigInt;

export function rshrB(v: bigint, n: number): bigint {
  return n <= 0 ? v : (v + (1n << big(n - 1))) >> big(n);
}
export function rshrN(v: number, n: number): number {
  return n <= 0 ? v : Math.floor((v + 2 ** (n - 1)) / 2 ** n);
}
export function sat16(v: number | bigint): number {
  const x = Number(v);
  return Math.min(32767, Math.max(-32768, x));
}
export function sat32(v: number | bigint): number {
  const x = typeof v === "bigint" ? v : big(v);
  return Number(x > 2147483647n ? 2147483647n : x < -2147483648n ? -2147483648n : x);
}
export function convB(v: bigint, from: number, to: number): bigint {
  return to >= from ? v << big(to - from) : rshrB(v, from - to);
}
export function rqB(acc: bigint, pre: number, mult: number, shift: number): number {
  return sat32(rshrB(rshrB(acc, pre) * big(mult), shift));
}

export function sigmoidS(z: number, tab: Int16Array): number {
  const a = z === -2147483648 ? 2147483647 : Math.abs(z);
  let y = 32767;
  if (a < 16 * 65536) {
    const s = a >> 11;
    y = tab[s]! + rshrN((tab[s + 1]! - tab[s]!) * (a & 2047), 11);
  }
  return z >= 0 ? y : 32768 - y;
}
export function tanhS(z: number, tab: Int16Array): number {
  const a = z === -2147483648 ? 2147483647 : Math.abs(z);
  let y = 32767;
  if (a < 8 * 65536) {
    const s = a >> 10;
    y = tab[s]! + rshrN((tab[s + 1]! - tab[s]!) * (a & 1023), 10);
  }
  return z >= 0 ? y : -y;
}
export function expNegS(d: number, tab: Int16Array): number {
  if (d >= 16 * 65536) return 0;
  const s = d >> 11;
  return tab[s]! + rshrN((tab[s + 1]! - tab[s]!) * (d & 2047), 11);
}
export function hardSigmoidS(z: number, alpha: number, beta: number): number {
  return Math.min(32767, Math.max(0, Number(rshrB(big(alpha) * big(z), 16) + big(beta))));
}

function act(qm: QuantizedModel, a: QActivation, z: number): number {
  switch (a.kind) {
    case "sigmoid":
      return sigmoidS(z, qm.tables.sigmoid);
    case "tanh":
      return tanhS(z, qm.tables.tanh);
    case "hardSigmoid":
      return hardSigmoidS(z, a.alpha, a.beta);
    case "relu":
      return sat16(convB(big(Math.max(0, z)), 16, a.outFrac));
    case "linear":
      return sat16(convB(big(z), 16, a.outFrac));
  }
}

export function softmaxS(z: readonly number[], ex: Int16Array): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => expNegS(Math.min(16 * 65536, m - v), ex));
  const S = e.reduce((a, b) => a + b, 0);
  return e.map((v) => Math.min(32767, Math.floor((v * 32768 + Math.floor(S / 2)) / S)));
}

/** y_r(m, v) for every row (§2). */
export function matvecS(m: QMatrix, v: ArrayLike<number>): number[] {
  const pre = (m as QMatrix & { preShift?: number }).preShift ?? 0;
  const out: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    let acc = 0n;
    for (let k = 0; k < m.cols; k++) acc += big(m.q[r * m.cols + k]! * v[k]!);
    out.push(rqB(acc, pre, m.mult[r]!, m.shift[r]!));
  }
  return out;
}

/** One direction of one layer over the given time order; returns h per time step (indexed by input step). */
function runDirection(qm: QuantizedModel, layer: QLstmLayer, d: number, xs: Int16Array[], reverse: boolean) {
  const cell = layer.cells[d]!;
  const H = layer.hiddenSize;
  let h = Array.from(cell.initialH);
  let c = Array.from(cell.initialC);
  const out: Int16Array[] = new Array(xs.length);
  const T = xs.length;
  const g = cell.gates;
  const pcFrac = cell.peepholeFrac + layer.cFrac;
  for (let n = 0; n < T; n++) {
    const t = reverse ? T - 1 - n : n;
    const x = xs[t]!;
    const pre = (gate: typeof g.input): number[] => {
      const yW = matvecS(gate.W, x);
      const yR = matvecS(gate.R, h);
      return yW.map((w, r) => sat32(big(gate.bias[r]!) + big(w) + big(yR[r]!)));
    };
    const zi = pre(g.input);
    const zf = layer.inputForget ? zi : pre(g.forget);
    const zg = pre(g.cell);
    const zo = pre(g.output);
    const hn: number[] = [];
    const cn: number[] = [];
    const peep = (z: number, p: Int16Array | undefined, r: number, cv: number): number => {
      let v = z;
      if (p) v = sat32(big(v) + convB(big(p[r]!) * big(cv), pcFrac, 16));
      if (layer.clip !== undefined) v = Math.min(layer.clip, Math.max(-layer.clip, v));
      return v;
    };
    for (let r = 0; r < H; r++) {
      const i = act(qm, layer.gateActivation, peep(zi[r]!, g.input.peephole, r, c[r]!));
      const f = layer.inputForget
        ? Math.min(32767, 32768 - i)
        : act(qm, layer.gateActivation, peep(zf[r]!, g.forget.peephole, r, c[r]!));
      const gg = act(qm, layer.cellActivation, peep(zg[r]!, undefined, r, 0));
      const fc = big(f) * big(c[r]!);
      const ig = convB(big(i * gg), 15 + layer.gFrac, 15 + layer.cFrac);
      const sum = rshrB(fc + ig, 15);
      const cNew = layer.cellBits === 32 ? sat32(sum) : sat16(sum);
      const o = act(qm, layer.gateActivation, peep(zo[r]!, g.output.peephole, r, cNew));
      const zc = sat32(convB(big(cNew), layer.cFrac, 16));
      const a = act(qm, layer.hiddenActivation, zc);
      hn.push(sat16(rshrN(o * a, 15)));
      cn.push(cNew);
    }
    h = hn;
    c = cn;
    out[t] = Int16Array.from(h);
  }
  return { out, finalH: Int16Array.from(h) };
}

function dense(qm: QuantizedModel, layers: readonly QDenseLayer[], v0: Int16Array): Int16Array {
  let v: ArrayLike<number> = v0;
  for (const d of layers) {
    const y = matvecS(d.W, v);
    const z = y.map((w, r) => sat32(big(d.bias[r]!) + big(w)));
    v = d.activation.kind === "softmax" ? softmaxS(z, qm.tables.expNeg) : z.map((zz) => act(qm, d.activation as QActivation, zz));
  }
  return Int16Array.from(v);
}

/** The model output as IntSequenceRun.output: [T, O] (every step / no head) or [O]. */
export function runSpec(qm: QuantizedModel, xq: Int16Array, steps: number): Int16Array {
  let xs: Int16Array[] = Array.from({ length: steps }, (_, t) => xq.subarray(t * qm.input.size, (t + 1) * qm.input.size));
  let finals: Int16Array[] = [];
  for (const layer of qm.layers) {
    const dirs = layer.direction === "bidirectional" ? 2 : 1;
    const H = layer.hiddenSize;
    const runs = Array.from({ length: dirs }, (_, d) =>
      runDirection(qm, layer, d, xs, layer.direction === "reverse" || d === 1),
    );
    xs = Array.from({ length: steps }, (_, t) => {
      const row = new Int16Array(dirs * H);
      runs.forEach((run, d) => row.set(run.out[t]!, d * H));
      return row;
    });
    finals = runs.map((run) => run.finalH);
  }
  const flat = (rows: Int16Array[]): Int16Array => {
    const w = rows[0]!.length;
    const out = new Int16Array(rows.length * w);
    rows.forEach((row, t) => out.set(row, t * w));
    return out;
  };
  if (!qm.head) return flat(xs);
  const reads = qm.head.reads;
  if (reads === "every") return flat(xs.map((row) => dense(qm, qm.head!.layers, row)));
  if (reads === "last") return dense(qm, qm.head.layers, xs[steps - 1]!);
  const fin = new Int16Array(finals.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of finals) {
    fin.set(f, o);
    o += f.length;
  }
  return dense(qm, qm.head.layers, fin);
}
