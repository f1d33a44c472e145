/**
 * The AssemblyScript kernels (runtime/as) against the TypeScript golden primitives (compiler/quantize/primitives.ts),
 * one primitive at a time, on many seeded random values plus the boundary values of each domain. Both builds of
 * asconfig.json are checked: "scalar" and "simd" (where the matrix kernels take the SIMD path). Every comparison is
 * exact: the kernels are integer code with the widths of docs/fixed-point.md §6, so there is no tolerance.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  buildTables,
  conv,
  expNegQ,
  hardSigmoidQ,
  linearQ,
  reluQ,
  rq,
  rshr,
  sat16,
  sat32,
  sigmoidQ,
  softmaxQ,
  tanhQ,
} from "../compiler/quantize/primitives.js";
import { preShiftFor } from "../compiler/quantize/quantize.js";
import { checkWasm } from "../targets/wasm/check.js";
import { rng } from "./helpers/wasm-qmodel.js";
import { rshrB } from "./helpers/wasm-spec.js";

const REPO = resolve(import.meta.dirname, "..");
const N = 20000;

interface Selftest {
  readonly memory: WebAssembly.Memory;
  scratch(): number;
  t_rshr64(v: bigint, n: number): bigint;
  t_rshr32(v: number, n: number): number;
  t_sat16(v: number): number;
  t_sat16w(v: bigint): number;
  t_sat32(v: bigint): number;
  t_conv64(v: bigint, from: number, to: number): bigint;
  t_rq(acc: bigint, pre: number, mult: number, shift: number): number;
  t_sigmoid(z: number, tab: number): number;
  t_tanh(z: number, tab: number): number;
  t_expNeg(d: number, tab: number): number;
  t_hardSigmoid(z: number, alpha: number, beta: number): number;
  t_relu(z: number, frac: number): number;
  t_linear(z: number, frac: number): number;
  t_softmax(z: number, n: number, out: number, ex: number): void;
  t_peepholeAdd(z: number, p: number, c: number, pcFrac: number): number;
  t_clip(z: number, clip: number): number;
  t_coupledForget(i: number): number;
  t_cellNext16(f: number, c: number, i: number, g: number, gFrac: number, cFrac: number): number;
  t_cellNext32(f: number, c: number, i: number, g: number, gFrac: number, cFrac: number): number;
  t_cellToZ(c: number, cFrac: number): number;
  t_hiddenNext(o: number, a: number): number;
  t_accInit(acc: number, bias: number, rows: number): void;
  t_mvAcc(weights: number, accBits: number, acc: number, q: number, mult: number, shift: number, pre: number, rows: number, cols: number, v: number): void;
  t_act4(z: number, tab: number, kind: number, out: number): void;
  t_rq4(s: number, p2: number, m: number, n: number, out: number): void;
}

/** Builds one asconfig.json target in process (the same config `npx asc --config asconfig.json --target …` uses). */
async function buildSelftest(target: "scalar" | "simd"): Promise<Uint8Array<ArrayBuffer>> {
  const asc = (await import("assemblyscript/asc")).default;
  let wasm: Uint8Array<ArrayBuffer> | undefined;
  let log = "";
  const { error } = await asc.main(["--config", "asconfig.json", "--target", target], {
    readFile: (name: string, base: string) => {
      const p = resolve(REPO, base, name);
      return existsSync(p) ? readFileSync(p, "utf8") : null;
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm") && contents instanceof Uint8Array) wasm = new Uint8Array(contents);
    },
    listFiles: (dir: string, base: string) => readdirSync(resolve(REPO, base, dir)),
    stdout: { write: (s: string) => void (log += s) },
    stderr: { write: (s: string) => void (log += s) },
  });
  if (error || !wasm) throw new Error(`asconfig.json target ${target} failed: ${error?.message}\n${log}`);
  return wasm;
}

const INT32_EDGES = [0, 1, -1, 2147483647, -2147483648, -2147483647, 65535, 65536, -65536, 1048576, -1048576, 1048575, 524288, 524287, -524288];

function randInt32(r: () => number): number {
  const u = r();
  if (u < 0.1) return INT32_EDGES[Math.floor(r() * INT32_EDGES.length)]!;
  if (u < 0.55) return Math.floor((r() * 2 - 1) * 20 * 65536); // around the tables' domains
  return Math.floor(r() * 4294967296) - 2147483648;
}

function randInt16(r: () => number): number {
  const u = r();
  if (u < 0.1) return [32767, -32768, -32767, 0, 1, -1][Math.floor(r() * 6)]!;
  return Math.floor(r() * 65536) - 32768;
}

/** Exact comparison that records the first mismatches instead of failing on the first (and stays fast in loops). */
const mismatches: string[] = [];
function eq(got: unknown, want: unknown, what: string): void {
  if (got !== want && mismatches.length < 20) mismatches.push(`${what}: got ${String(got)}, want ${String(want)}`);
}

describe.each(["scalar", "simd"] as const)("runtime/as kernels, %s build", (target) => {
  let k: Selftest;
  let heap: DataView;
  let base: number;
  const tables = buildTables();
  const SIG = 0;
  const TANH = 1026;
  const EXP = 2052;
  const WORK = 4096;

  afterEach(() => {
    const found = mismatches.splice(0);
    expect(found).toEqual([]);
  });

  beforeAll(async () => {
    const bytes: Uint8Array<ArrayBuffer> = await buildSelftest(target);
    checkWasm(bytes, { simd: target === "simd" });
    const { instance } = await WebAssembly.instantiate(bytes, {});
    k = instance.exports as unknown as Selftest;
    base = k.scratch();
    heap = new DataView(k.memory.buffer);
    new Int16Array(k.memory.buffer, base + SIG, 513).set(tables.sigmoid);
    new Int16Array(k.memory.buffer, base + TANH, 513).set(tables.tanh);
    new Int16Array(k.memory.buffer, base + EXP, 513).set(tables.expNeg);
  });

  it("rshr, sat16, sat32, conv (§1)", () => {
    const r = rng(1);
    for (let j = 0; j < N; j++) {
      const n = Math.floor(r() * 53);
      const v = Math.floor((r() * 2 - 1) * 2 ** Math.floor(r() * 53));
      eq(Number(k.t_rshr64(BigInt(v), n)), rshr(v, n), `Number(t_rshr64(BigInt(${v}), ${n}))`);
      // Beyond 2^53, against BigInt.
      const w = BigInt(Math.floor((r() * 2 - 1) * 2 ** 30)) * BigInt(Math.floor(r() * 2 ** 31));
      const m = 1 + Math.floor(r() * 62);
      eq(k.t_rshr64(w, m), rshrB(w, m), `t_rshr64(${w}, ${m})`);
      const s = Math.floor((r() * 2 - 1) * 2 ** 29);
      const n2 = Math.floor(r() * 16);
      eq(k.t_rshr32(s, n2), rshr(s, n2), `t_rshr32(${s}, ${n2})`);
      const i32 = randInt32(r);
      eq(k.t_sat16(i32), sat16(i32), `t_sat16(${i32})`);
      const big = Math.floor((r() * 2 - 1) * 2 ** (20 + Math.floor(r() * 30)));
      eq(k.t_sat16w(BigInt(big)), sat16(big), `t_sat16w(BigInt(${big}))`);
      eq(k.t_sat32(BigInt(big)), sat32(big), `t_sat32(BigInt(${big}))`);
      const from = Math.floor(r() * 40) - 4;
      const to = Math.floor(r() * 40) - 4;
      const cv = Math.floor((r() * 2 - 1) * 2 ** 20);
      eq(Number(k.t_conv64(BigInt(cv), from, to)), conv(cv, from, to), `Number(t_conv64(BigInt(${cv}), ${from}, ${to}))`);
    }
  });

  it("rq: sat32(rshr(rshr(acc, p) · M, n)) (§2)", () => {
    const r = rng(2);
    for (let j = 0; j < N; j++) {
      const wide = r() < 0.5;
      const bound = wide ? Math.floor(2 ** 31 * (1 + r() * 2 ** Math.floor(r() * 20))) : Math.floor(r() * 2 ** 31);
      const { preShift } = preShiftFor(bound);
      const acc = Math.floor((r() * 2 - 1) * bound);
      const mult = r() < 0.03 ? 0 : 2 ** 30 + Math.floor(r() * 2 ** 30);
      const shift = 1 + Math.floor(r() * 62);
      eq(k.t_rq(BigInt(acc), preShift, mult, shift), rq(acc, preShift, mult, shift), `t_rq(BigInt(${acc}), ${preShift}, ${mult}, ${shift})`);
    }
  });

  it("sigmoid, tanh, expNeg tables with interpolation (§3.1, §7.2)", () => {
    const r = rng(3);
    for (let j = 0; j < N; j++) {
      const z = randInt32(r);
      eq(k.t_sigmoid(z, base + SIG), sigmoidQ(z, tables.sigmoid), `t_sigmoid(${z}, ${base} + ${SIG})`);
      eq(k.t_tanh(z, base + TANH), tanhQ(z, tables.tanh), `t_tanh(${z}, ${base} + ${TANH})`);
      const d = Math.min(16 * 65536, Math.abs(z === -2147483648 ? 0 : z));
      eq(k.t_expNeg(d, base + EXP), expNegQ(d, tables.expNeg), `t_expNeg(${d}, ${base} + ${EXP})`);
    }
    // Every segment boundary of each table.
    for (let a = 0; a <= 16 * 65536; a += 2048) {
      for (const z of [a, -a, a - 1, -a + 1]) {
        eq(k.t_sigmoid(z, base + SIG), sigmoidQ(z, tables.sigmoid), `t_sigmoid(${z}, ${base} + ${SIG})`);
        eq(k.t_tanh(z, base + TANH), tanhQ(z, tables.tanh), `t_tanh(${z}, ${base} + ${TANH})`);
      }
      eq(k.t_expNeg(a, base + EXP), expNegQ(a, tables.expNeg), `t_expNeg(${a}, ${base} + ${EXP})`);
    }
  });

  it("hard sigmoid, relu, linear (§3.2, §3.3)", () => {
    const r = rng(4);
    for (let j = 0; j < N; j++) {
      const z = randInt32(r);
      const alpha = r() < 0.5 ? Math.round((r() * 4 - 2) * 32768) : Math.floor((r() * 2 - 1) * 2 ** 31);
      const beta = Math.round((r() * 2 - 1) * 32768);
      eq(k.t_hardSigmoid(z, alpha, beta), hardSigmoidQ(z, alpha, beta), `t_hardSigmoid(${z}, ${alpha}, ${beta})`);
      const frac = Math.floor(r() * 16);
      eq(k.t_relu(z, frac), reluQ(z, frac), `t_relu(${z}, ${frac})`);
      eq(k.t_linear(z, frac), linearQ(z, frac), `t_linear(${z}, ${frac})`);
    }
  });

  it("peephole, clip, coupled forget, cell update, hidden update (§4.1–§5)", () => {
    const r = rng(5);
    for (let j = 0; j < N; j++) {
      const z = randInt32(r);
      const p = randInt16(r);
      const cell32 = r() < 0.5;
      const c = cell32 ? randInt32(r) : randInt16(r);
      const cFrac = cell32 ? 16 + Math.floor(r() * 16) : Math.floor(r() * 16);
      const pcFrac = Math.floor(r() * 16) + cFrac;
      eq(k.t_peepholeAdd(z, p, c, pcFrac), sat32(z + conv(p * c, pcFrac, 16)), `t_peepholeAdd(${z}, ${p}, ${c}, ${pcFrac})`);
      const clip = Math.floor(r() * 2 ** 31);
      eq(k.t_clip(z, clip), Math.min(clip, Math.max(-clip, z)), `t_clip(${z}, ${clip})`);
      const i = Math.floor(r() * 32768);
      eq(k.t_coupledForget(i), Math.min(32767, 32768 - i), `t_coupledForget(${i})`);
      const f = Math.floor(r() * 32768);
      const g = randInt16(r);
      const gFrac = Math.floor(r() * 16);
      if (cell32) {
        eq(k.t_cellNext32(f, c, i, g, gFrac, cFrac), sat32(rshr(f * c + conv(i * g, 15 + gFrac, 15 + cFrac), 15)), `t_cellNext32(${f}, ${c}, ${i}, ${g}, ${gFrac}, ${cFrac})`);
      } else {
        const cf = Math.min(cFrac, gFrac); // §5: int16 cells have cFrac ≤ gFrac
        eq(k.t_cellNext16(f, c, i, g, gFrac, cf), sat16(rshr(f * c + conv(i * g, 15 + gFrac, 15 + cf), 15)), `t_cellNext16(${f}, ${c}, ${i}, ${g}, ${gFrac}, ${cf})`);
      }
      eq(k.t_cellToZ(c, cFrac), sat32(conv(c, cFrac, 16)), `t_cellToZ(${c}, ${cFrac})`);
      const o = Math.floor(r() * 32768);
      const a = randInt16(r);
      eq(k.t_hiddenNext(o, a), sat16(rshr(o * a, 15)), `t_hiddenNext(${o}, ${a})`);
    }
  });

  it("softmax (§7.2)", () => {
    const r = rng(6);
    for (let j = 0; j < 2000; j++) {
      const n = 1 + Math.floor(r() * 12);
      const spread = 2 ** Math.floor(r() * 32);
      const z = Int32Array.from({ length: n }, () => (r() < 0.1 ? randInt32(r) : Math.floor((r() * 2 - 1) * Math.min(spread, 2 ** 31 - 1))));
      new Int32Array(k.memory.buffer, base + WORK, n).set(z);
      k.t_softmax(base + WORK, n, base + WORK + 256, base + EXP);
      const want = new Int16Array(n);
      softmaxQ(z, n, want, tables.expNeg);
      expect(Array.from(new Int16Array(k.memory.buffer, base + WORK + 256, n))).toEqual(Array.from(want));
    }
  });

  it.each([
    [8, 32],
    [8, 64],
    [16, 32],
    [16, 64],
  ])("matrix product, int%i weights, %i-bit accumulator (§2, §6)", (weights, accBits) => {
    const r = rng(7 + weights + accBits);
    const mem = k.memory.buffer;
    let tested = 0;
    for (let trial = 0; trial < 150; trial++) {
      // Columns cover the SIMD block sizes (8, 16) and every tail length; int8/64-bit needs > 516 columns.
      const cols = weights === 8 && accBits === 64 ? 900 + Math.floor(r() * 200) : 1 + Math.floor(r() * (trial < 100 ? 40 : 200));
      const rows = 1 + Math.floor(r() * 6);
      const qmax = weights === 8 ? 127 : 32767;
      const q = Int32Array.from({ length: rows * cols }, () => {
        const u = r();
        return u < 0.3 ? (u < 0.15 ? qmax : -qmax) : Math.floor((r() * 2 - 1) * qmax);
      });
      let bound = 0;
      for (let row = 0; row < rows; row++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += Math.abs(q[row * cols + c]!);
        bound = Math.max(bound, s * 32768);
      }
      const { accBits: bits, preShift } = preShiftFor(bound);
      if (bits !== accBits) {
        // Scale the weights down until the bound needs only 32 bits (or skip when 64 cannot be reached).
        if (accBits === 64) continue;
        const f = (2 ** 31 - 1) / bound;
        for (let j = 0; j < q.length; j++) q[j] = Math.trunc(q[j]! * f);
      }
      const pre = accBits === 64 ? preShift : 0;
      const v = Int16Array.from({ length: cols }, () => randInt16(r));
      const mult = Int32Array.from({ length: rows }, () => (r() < 0.05 ? 0 : 2 ** 30 + Math.floor(r() * 2 ** 30)));
      const shift = Uint8Array.from({ length: rows }, () => 20 + Math.floor(r() * 30));
      const bias = Int32Array.from({ length: rows }, () => randInt32(r));
      // Layout in scratch: acc (i64) | bias | mult | shift | v | q, each 16-aligned.
      let off = base + WORK;
      const at = (bytes: number) => {
        const p = off;
        off += Math.ceil(bytes / 16) * 16;
        return p;
      };
      const pAcc = at(rows * 8);
      const pBias = at(rows * 4);
      const pMult = at(rows * 4);
      const pShift = at(rows);
      const pV = at(cols * 2);
      const pQ = at(rows * cols * (weights / 8)) + (trial % 3); // also unaligned weights
      new Int32Array(mem, pBias, rows).set(bias);
      new Int32Array(mem, pMult, rows).set(mult);
      new Uint8Array(mem, pShift, rows).set(shift);
      new Int16Array(mem, pV, cols).set(v);
      for (let j = 0; j < q.length; j++) {
        if (weights === 8) heap.setInt8(pQ + j, q[j]!);
        else heap.setInt16(pQ + 2 * j, q[j]!, true);
      }
      tested++;
      k.t_accInit(pAcc, pBias, rows);
      k.t_mvAcc(weights, accBits, pAcc, pQ, pMult, pShift, pre, rows, cols, pV);
      for (let row = 0; row < rows; row++) {
        let acc = 0;
        for (let c = 0; c < cols; c++) acc += q[row * cols + c]! * v[c]!;
        const want = BigInt(bias[row]!) + BigInt(rq(acc, pre, mult[row]!, shift[row]!));
        eq(heap.getBigInt64(pAcc + 8 * row, true), want, `trial ${trial} (${rows}x${cols}, pre ${pre}) row ${row}`);
      }
    }
    expect(tested).toBeGreaterThan(100);
  });

  // The fused SIMD step's own forms (runtime/as/lstm_simd.ts); the whole step is compared with the golden model by
  // the target tests, these reach every input: all table segments and saturation, both requantization paths.
  if (target === "simd") it("SIMD step: four-lane sigmoid/tanh and requantization (lstm_simd.ts)", () => {
    const r = rng(7);
    const mem = k.memory.buffer;
    const pZ = base + WORK;
    const pOut = pZ + 16;
    const pS = pZ + 32;
    const pP = pZ + 48;
    const pM = pZ + 64;
    const zs: number[] = [];
    for (let a = 0; a <= 17 * 65536; a += 1024) zs.push(a, -a, a - 1, -a + 1, a + 1);
    for (let j = 0; j < N; j++) zs.push(randInt32(r));
    zs.push(2147483647, -2147483648, -2147483647);
    while (zs.length % 4) zs.push(0);
    let checked = 0;
    for (let j = 0; j < zs.length; j += 4) {
      const z = zs.slice(j, j + 4);
      new Int32Array(mem, pZ, 4).set(z);
      for (const [kind, tab, ref, tabs] of [[0, SIG, sigmoidQ, tables.sigmoid], [1, TANH, tanhQ, tables.tanh]] as const) {
        k.t_act4(pZ, base + tab, kind, pOut);
        const got = new Int32Array(mem, pOut, 4);
        for (let l = 0; l < 4; l++) eq(got[l], ref(z[l]!, tabs), `t_act4 kind ${kind} z ${z[l]}`);
        checked += 4;
      }
    }
    // rq4: s · p2 below 2^31 and a result that fits in i32 (what the emitter proves before it selects the step).
    let rqChecked = 0;
    for (let j = 0; j < N; j++) {
      const n = 1 + Math.floor(r() * 62);
      const s: number[] = [];
      const p2: number[] = [];
      const m: number[] = [];
      for (let l = 0; l < 4; l++) {
        const d = Math.floor(r() * 8);
        p2.push(2 ** d);
        s.push(Math.floor((r() * 2 - 1) * 2 ** (Math.floor(r() * 31) - d)));
        m.push(r() < 0.03 ? 0 : Math.floor(r() * 2 ** 31));
      }
      const want = s.map((v, l) => rshrB(BigInt(v * p2[l]!) * BigInt(m[l]!), n));
      if (want.some((w) => w > 2147483647n || w < -2147483648n)) continue;
      new Int32Array(mem, pS, 4).set(s);
      new Int32Array(mem, pP, 4).set(p2);
      new Int32Array(mem, pM, 4).set(m);
      k.t_rq4(pS, pP, pM, n, pOut);
      const got = new Int32Array(mem, pOut, 4);
      for (let l = 0; l < 4; l++) eq(BigInt(got[l]!), want[l], `t_rq4 s ${s[l]} · ${p2[l]} · ${m[l]} >> ${n}`);
      rqChecked++;
    }
    expect(checked).toBeGreaterThan(2 * N);
    expect(rqChecked).toBeGreaterThan(N / 4);
  });
});
