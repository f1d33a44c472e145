/**
 * The AssemblyScript emitter: QuantizedModel → one self-contained AssemblyScript file that implements
 * docs/fixed-point.md bit for bit, built as an AST with ts-morph.
 *
 * The generated file holds, in order: a header comment (tool version, model hash, formats, memory), the kernels the
 * model needs (copied from runtime/as), constants, the weights and tables as static data (`memory.data<T>([...])`),
 * the state and I/O buffers (`memory.data(n, align)`), one step function per layer direction, the dense head, and the
 * exported entry points. Nothing allocates at run time; every buffer is at a fixed address.
 *
 * Exports (see docs/generated-wasm-api.md):
 *   reset()            state := initial state
 *   step()             streaming models only: one frame from inputPtr() → one output row at outputPtr()
 *   feed(steps)        streaming models only: `steps` frames from the input region, continuing from the state
 *   run(steps)         reset, then the whole sequence; returns the number of int16 outputs, or -1 for a bad `steps`
 *   inputPtr() outputPtr() statePtr() stateSize()
 *   INPUT_SIZE OUTPUT_SIZE OUTPUT_FRAC MAX_STEPS STREAMING OUTPUT_PER_STEP STATE_SIZE ABI_VERSION
 */
import { createRequire } from "node:module";
import {
  IndentationText,
  Project,
  StructureKind,
  VariableDeclarationKind,
  type SourceFile,
  type StatementStructures,
  type WriterFunction,
} from "ts-morph";
import type { QActivation, QDenseLayer, QGate, QLstmLayer, QMatrix, QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { usageError } from "../../compiler/errors.js";
import { DEFAULT_MAX_STEPS, WASM_ABI_VERSION, modelTag, numDirs, wasmModelInfo, type WasmModelInfo } from "./layout.js";
import { commentText, isKeyword, Names } from "./names.js";
import { kernelClosure, runtimeKernels } from "./runtime-lib.js";

/** The AssemblyScript compiler's version (its package.json), for the generated header. */
function ascVersion(): string {
  const pkg = createRequire(import.meta.url)("assemblyscript/package.json") as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

export interface WasmEmitOptions {
  /** Base name of the generated files (`<name>.wasm`, `<name>.js`, `<name>.d.ts`, `assembly/<name>.ts`). */
  readonly name: string;
  /** lstm-gen version, written into the header. */
  readonly version: string;
  /** Hash of the source model, written into the header and the wrapper's state tag. */
  readonly modelHash: string;
  /** Longest sequence `run()` accepts. Default DEFAULT_MAX_STEPS (1024). */
  readonly maxSteps?: number;
  /** The model file's name, for the header. */
  readonly modelFile?: string;
  /** One line on how the quantized model was verified, for the header. */
  readonly tolerance?: string;
  /**
   * Use the fused LSTM step (one pass per unit over the four gate rows, int16-widened weights) for layers whose
   * matrices all have 32-bit accumulators. Default true; false selects the per-matrix kernels everywhere (tests
   * compare both; the benchmark reports both).
   */
  readonly fused?: boolean;
}

/** Offset of the first static datum in an AssemblyScript module (its default memory base). */
const AS_MEMORY_BASE = 1024;
const TABLE_LENGTH = 513;
const GATES = [
  { key: "input", tag: "I" },
  { key: "forget", tag: "F" },
  { key: "cell", tag: "G" },
  { key: "output", tag: "O" },
] as const;

type DataType = "i8" | "i16" | "i32" | "u8";
const BYTES: Readonly<Record<DataType, number>> = { i8: 1, i16: 2, i32: 4, u8: 1 };

/**
 * Throws a usage error unless `name` is a plain AssemblyScript/JavaScript identifier that is not a keyword: it names
 * the generated files (`<name>.wasm`, `.js`, `.d.ts`, `assembly/<name>.ts`) and appears in their headers.
 */
export function validateAsName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    throw usageError(`--name '${commentText(name).slice(0, 60)}' cannot be used for generated AssemblyScript: it must be an identifier (letters, digits, '_', not starting with a digit, at most 64 characters)`);
  }
  if (isKeyword(name)) throw usageError(`--name '${name}' cannot be used for generated AssemblyScript: it is a reserved word`);
  return name;
}

function bug(message: string): Error {
  return new Error(`lstm-gen compiler bug (WebAssembly emitter): ${message}`);
}

/** Static data as an initializer, 24 values per line. */
function dataInit(type: DataType, values: ArrayLike<number>, align: number): WriterFunction {
  return (w) => {
    w.write(`memory.data<${type}>([`);
    for (let i = 0; i < values.length; i += 24) {
      w.newLine();
      const row: string[] = [];
      for (let k = i; k < Math.min(values.length, i + 24); k++) row.push(String(values[k]));
      w.write("  " + row.join(", ") + ",");
    }
    w.newLine();
    w.write(`], ${align})`);
  };
}

interface Emitted {
  readonly name: string;
  readonly bytes: number;
}

class Emitter {
  private readonly project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces },
  });
  private readonly sf: SourceFile;
  private readonly names = new Names(new Set(runtimeKernels().keys()));
  private readonly roots = new Set<string>(["sat32"]);
  private readonly data: Emitted[] = [];
  /** The file's statements, in order, added to the source file at once. */
  private readonly out: (string | WriterFunction | StatementStructures)[] = [];
  /** Declarations, written after the kernels and constants: static data first, then functions. */
  private readonly dataDecls: (() => void)[] = [];
  private readonly fnDecls: (() => void)[] = [];
  private readonly info: WasmModelInfo;
  private readonly tables = new Set<"SIGMOID" | "TANH" | "EXPNEG">();
  private maxH = 0;
  private maxDense = 0;
  /** A whole-sequence model whose head reads the last step: the top layer keeps that step's outputs only. */
  private readonly lastRowOnly: boolean;

  constructor(
    private readonly qm: QuantizedModel,
    private readonly opts: WasmEmitOptions,
  ) {
    this.info = wasmModelInfo(qm, opts.maxSteps ?? DEFAULT_MAX_STEPS);
    this.lastRowOnly = !this.info.streaming && qm.layers.length > 0 && qm.head?.reads === "last";
    this.sf = this.project.createSourceFile(`${validateAsName(opts.name)}.ts`, "");
  }

  // ---- declarations ---------------------------------------------------------------------------------------------

  private constData(name: string, type: DataType, values: ArrayLike<number>, comment: string, align = 16): string {
    this.names.declare(name);
    const bytes = values.length * BYTES[type];
    this.data.push({ name, bytes: Math.max(bytes, 1) });
    this.dataDecls.push(() => {
      this.out.push({
        kind: StructureKind.VariableStatement,
        declarationKind: VariableDeclarationKind.Const,
        leadingTrivia: `// ${commentText(comment)}\n`,
        declarations: [{ name, initializer: dataInit(type, values, align) }],
      });
    });
    return name;
  }

  private buffer(name: string, bytes: number, comment: string, align = 16): string {
    this.names.declare(name);
    this.data.push({ name, bytes });
    this.dataDecls.push(() => {
      this.out.push({
        kind: StructureKind.VariableStatement,
        declarationKind: VariableDeclarationKind.Const,
        leadingTrivia: `// ${commentText(comment)}\n`,
        declarations: [{ name, initializer: `memory.data(${Math.max(bytes, 1)}, ${align})` }],
      });
    });
    return name;
  }

  private table(kind: "SIGMOID" | "TANH" | "EXPNEG"): string {
    this.tables.add(kind);
    return `${kind}_TABLE`;
  }

  // ---- arithmetic pieces ----------------------------------------------------------------------------------------

  /** Declares a QMatrix's data and returns the call that adds its requantized product to `acc`. */
  private matrix(prefix: string, m: QMatrix, what: string, acc: string, v: string): string {
    const wide = this.qm.weights === "int16";
    if (m.q.length !== m.rows * m.cols) throw bug(`${what}: ${m.q.length} weights for ${m.rows}x${m.cols}`);
    if (wide !== m.q instanceof Int16Array) throw bug(`${what}: weight array type does not match --weights ${this.qm.weights}`);
    if (m.mult.length !== m.rows || m.shift.length !== m.rows) throw bug(`${what}: multiplier/shift length is not ${m.rows}`);
    const pre = m.preShift;
    // §6: the accumulator width must hold Σ|q|·32768; with 64 bits, |rshr(acc, p)| ≤ 2^31 keeps rshr(acc, p) · M
    // (M < 2^31) and its rounding constant below 2^63.
    let bound = 0;
    let hasMin16 = false;
    for (let r = 0; r < m.rows; r++) {
      let s = 0;
      for (let k = 0; k < m.cols; k++) {
        const q = m.q[r * m.cols + k]!;
        s += Math.abs(q);
        if (q === -32768) hasMin16 = true;
      }
      bound = Math.max(bound, s * 32768);
    }
    if (m.accBits === 32 && bound > 2 ** 31 - 1) {
      throw bug(`${what}: accBits 32 but Σ|q|·32768 = ${bound} exceeds 2^31-1 (docs/fixed-point.md §6)`);
    }
    const shifted = pre === 0 ? bound : Math.floor((bound + 2 ** (pre - 1)) / 2 ** pre);
    if (m.accBits === 64 && shifted > 2 ** 31) {
      throw bug(`${what}: pre-shift ${pre} leaves |rshr(acc, p)| up to ${shifted} > 2^31 (§6)`);
    }
    for (let r = 0; r < m.rows; r++) {
      const shift = m.shift[r]!;
      if (m.mult[r]! < 0 || shift > 62) throw bug(`${what}: row ${r} has multiplier ${m.mult[r]} shift ${shift} (§2)`);
    }
    const wt = wide ? "i16" : "i8";
    const q = this.constData(`${prefix}_Q`, wt, m.q, `${what}: weights ${wt} [${m.rows}, ${m.cols}], accumulator ${m.accBits}-bit, pre-shift ${pre}`);
    const mult = this.constData(`${prefix}_M`, "i32", m.mult, `${what}: multipliers M_r`, 4);
    const shift = this.constData(`${prefix}_S`, "u8", m.shift, `${what}: shifts n_r`, 1);
    // The SIMD int16/A64 kernel forms pairs in i32 lanes, exact only without -32768 weights (matvec.ts).
    const kernel = `mvAcc${wide ? "I16" : "I8"}A${m.accBits}${wide && m.accBits === 64 && hasMin16 ? "Scalar" : ""}`;
    this.roots.add(kernel);
    return `${kernel}(${acc}, ${q}, ${mult}, ${shift}, ${pre}, ${m.rows}, ${m.cols}, ${v});`;
  }

  /** The §6 checks of matrix() for a matrix the fused step lays out itself (A32, pre-shift 0, shifts in [1, 62]). */
  private checkMatrix(m: QMatrix, what: string): void {
    if (m.q.length !== m.rows * m.cols) throw bug(`${what}: ${m.q.length} weights for ${m.rows}x${m.cols}`);
    if (m.mult.length !== m.rows || m.shift.length !== m.rows) throw bug(`${what}: multiplier/shift length is not ${m.rows}`);
    if (m.accBits !== 32 || m.preShift !== 0) throw bug(`${what}: the fused step needs accBits 32 and no pre-shift`);
    let bound = 0;
    for (let r = 0; r < m.rows; r++) {
      let s = 0;
      for (let k = 0; k < m.cols; k++) s += Math.abs(m.q[r * m.cols + k]!);
      bound = Math.max(bound, s * 32768);
      const shift = m.shift[r]!;
      if (m.mult[r]! < 0 || shift < 1 || shift > 62) throw bug(`${what}: row ${r} has multiplier ${m.mult[r]} shift ${shift} (§2)`);
    }
    if (bound > 2 ** 31 - 1) throw bug(`${what}: accBits 32 but Σ|q|·32768 = ${bound} exceeds 2^31-1 (docs/fixed-point.md §6)`);
  }

  /**
   * Data of a fused step: per unit r, the rows of the four gates (input, forget, cell, output; an unused gate is a
   * zero row) of W and of R as int16 (int8 weights widened), each zero-padded to a multiple of 8 columns, so that
   * unit r's block is [4, px] at WX + r · 8 · px; biases, multipliers and shifts as [H, 4] i32. Also the scratch: a
   * padded copy of h (and of x when I is not a multiple of 8) and the four sums of each pass.
   */
  private fusedData(P: string, layer: QLstmLayer, gates: Readonly<Record<"input" | "forget" | "cell" | "output", QGate>>, used: readonly string[], label: string, common: boolean) {
    const H = layer.hiddenSize;
    const I = layer.inputSize;
    const px = Math.ceil(I / 8) * 8;
    const ph = Math.ceil(H / 8) * 8;
    const wx = new Int16Array(H * 4 * px);
    const wh = new Int16Array(H * 4 * ph);
    const tab = { bias: new Int32Array(H * 4), mx: new Int32Array(H * 4), nx: new Int32Array(H * 4).fill(1), mh: new Int32Array(H * 4), nh: new Int32Array(H * 4).fill(1) };
    GATES.forEach((g, gi) => {
      if (!used.includes(g.key)) return;
      const gate = gates[g.key];
      for (let r = 0; r < H; r++) {
        for (let k = 0; k < I; k++) wx[(r * 4 + gi) * px + k] = gate.W.q[r * I + k]!;
        for (let k = 0; k < H; k++) wh[(r * 4 + gi) * ph + k] = gate.R.q[r * H + k]!;
        tab.bias[r * 4 + gi] = gate.bias[r]!;
        tab.mx[r * 4 + gi] = gate.W.mult[r]!;
        tab.nx[r * 4 + gi] = gate.W.shift[r]!;
        tab.mh[r * 4 + gi] = gate.R.mult[r]!;
        tab.nh[r * 4 + gi] = gate.R.shift[r]!;
      }
    });
    const wt = this.qm.weights;
    // The SIMD step (runtime/as/lstm_simd.ts): per block of four units, gate and column pair, the four units'
    // weight pairs as one int16 vector; requantization with one shift N per block, gate and side, each unit's sum
    // scaled by 2^(N - n) in its i32 lane. Valid when that product and every y and z stay below 2^31 for any int16
    // input (bounds from Σ|q| · 32768 per row, exact in BigInt).
    const side = (key: "W" | "R", cols: number) => {
      const pairs = Math.ceil(cols / 2);
      const w = new Int16Array(H * 4 * pairs * 2);
      const p2 = new Int32Array(H * 4).fill(1);
      const mult = new Int32Array(H * 4);
      const nu = new Int32Array(H).fill(1);
      const yMax = new Float64Array(H * 4);
      let ok = H % 4 === 0;
      for (let blk = 0; ok && blk < H / 4; blk++) {
        GATES.forEach((g, gi) => {
          if (!used.includes(g.key)) return;
          const m = gates[g.key][key];
          const rows = [0, 1, 2, 3].map((u) => {
            const r = blk * 4 + u;
            let a = 0;
            for (let k = 0; k < cols; k++) {
              const q = m.q[r * cols + k]!;
              a += Math.abs(q);
              w[(((blk * pairs + (k >> 1)) * 4 + gi) * 4 + u) * 2 + (k & 1)] = q;
            }
            return { u, acc: a * 32768, M: m.mult[r]!, n: m.shift[r]! };
          });
          const live = rows.filter((x) => x.acc > 0 && x.M > 0);
          const N = Math.max(1, ...live.map((x) => x.n));
          nu[blk * 4 + gi] = N;
          for (const { u, acc, M, n } of rows) {
            const t = (blk * 4 + gi) * 4 + u;
            mult[t] = M;
            if (!(acc > 0 && M > 0)) continue; // the sum or the multiplier is 0: y = 0 whatever the shift
            const d = N - n;
            if (d > 30 || acc * 2 ** d > 2 ** 31 - 1) ok = false;
            else p2[t] = 2 ** d;
            const A = BigInt(acc) * BigInt(M);
            const hi = (A + (1n << BigInt(n - 1))) >> BigInt(n);
            const lo = (-A + (1n << BigInt(n - 1))) >> BigInt(n);
            const bound = Math.max(Number(hi), -Number(lo));
            if (bound > 2 ** 31 - 1) ok = false;
            yMax[t] = bound;
          }
        });
      }
      return { w, pairs, p2, mult, nu, yMax, ok };
    };
    const sx4 = side("W", I);
    const sh4 = side("R", H);
    const bias4 = new Int32Array(H * 4);
    GATES.forEach((g, gi) => {
      if (!used.includes(g.key)) return;
      for (let r = 0; r < H; r++) bias4[((r >> 2) * 4 + gi) * 4 + (r & 3)] = gates[g.key].bias[r]!;
    });
    let simdOk = sx4.ok && sh4.ok;
    for (let j = 0; j < H * 4 && simdOk; j++) {
      if (Math.abs(bias4[j]!) + sx4.yMax[j]! + sh4.yMax[j]! > 2 ** 31 - 1) simdOk = false;
    }
    const xb = I === px ? undefined : this.buffer(`${P}_XB`, px * 2, `${label}: x zero-padded to ${px} columns`);
    const hb = this.buffer(`${P}_HB`, ph * 2, `${label}: h of the previous step, zero-padded to ${ph} columns`);
    // lstmStep4's SIMD activations clamp |z| to the table's last segment and rely on it interpolating to 32767.
    const tail = (t: Int16Array) => t[TABLE_LENGTH - 2] === 32767 && t[TABLE_LENGTH - 1] === 32767;
    if (!tail(this.qm.tables.sigmoid) || !tail(this.qm.tables.tanh)) throw bug("the sigmoid/tanh tables do not end in two entries of 32767");
    if (simdOk && common) {
      // The four-unit block step (lstmStep4) in both builds: only its layout is emitted.
      this.roots.add("lstmStep4");
      return {
        px,
        ph,
        hb,
        xb,
        xSrc: xb ?? "x",
        block: {
          wx: this.constData(`${P}_WX4`, "i16", sx4.w, `${label}: W, ${wt} widened to i16, [${H / 4} unit blocks, ${sx4.pairs} column pairs, 4 gates, 4 units, 2], accumulator 32-bit`),
          xPairs: sx4.pairs,
          wh: this.constData(`${P}_WH4`, "i16", sh4.w, `${label}: R, ${wt} widened to i16, [${H / 4} unit blocks, ${sh4.pairs} column pairs, 4 gates, 4 units, 2], accumulator 32-bit`),
          hPairs: sh4.pairs,
          bias: this.constData(`${P}_B44`, "i32", bias4, `${label}: biases Q15.16 [${H / 4}, 4 gates, 4 units]`, 16),
          mx: this.constData(`${P}_MX4`, "i32", sx4.mult, `${label}: W multipliers M_r [${H / 4}, 4, 4]`, 16),
          px: this.constData(`${P}_PX4`, "i32", sx4.p2, `${label}: W sums' scale 2^(N - n_r) [${H / 4}, 4, 4]`, 16),
          nx: this.constData(`${P}_NX4`, "i32", sx4.nu, `${label}: W shift N per block and gate [${H / 4}, 4]`, 16),
          mh: this.constData(`${P}_MH4`, "i32", sh4.mult, `${label}: R multipliers M_r [${H / 4}, 4, 4]`, 16),
          ph: this.constData(`${P}_PH4`, "i32", sh4.p2, `${label}: R sums' scale 2^(N - n_r) [${H / 4}, 4, 4]`, 16),
          nh: this.constData(`${P}_NH4`, "i32", sh4.nu, `${label}: R shift N per block and gate [${H / 4}, 4]`, 16),
        },
      };
    }
    this.roots.add("dot4I16").add("gateZ");
    return {
      px,
      ph,
      hb,
      xb,
      xSrc: xb ?? "x",
      unit: {
        wx: this.constData(`${P}_WX`, "i16", wx, `${label}: W of the four gates per unit, ${wt} widened to i16, [${H}, 4, ${px}], accumulator 32-bit`),
        wh: this.constData(`${P}_WH`, "i16", wh, `${label}: R of the four gates per unit, ${wt} widened to i16, [${H}, 4, ${ph}], accumulator 32-bit`),
        bias: this.constData(`${P}_B4`, "i32", tab.bias, `${label}: biases Q15.16 [${H}, 4]`, 16),
        mx: this.constData(`${P}_MX`, "i32", tab.mx, `${label}: W multipliers M_r [${H}, 4]`, 16),
        nx: this.constData(`${P}_NX`, "i32", tab.nx, `${label}: W shifts n_r [${H}, 4]`, 16),
        mh: this.constData(`${P}_MH`, "i32", tab.mh, `${label}: R multipliers M_r [${H}, 4]`, 16),
        nh: this.constData(`${P}_NH`, "i32", tab.nh, `${label}: R shifts n_r [${H}, 4]`, 16),
        sx: this.buffer(`${P}_SX`, 16, `${label}: the four gates' W·x sums of one unit`),
        sh: this.buffer(`${P}_SH`, 16, `${label}: the four gates' R·h sums of one unit`),
      },
    };
  }

  /** Expression applying a §3 activation to z (Q15.16). */
  private activation(a: QActivation, z: string, where: string): string {
    switch (a.kind) {
      case "sigmoid":
        this.roots.add("sigmoidQ15");
        return `sigmoidQ15(${z}, ${this.table("SIGMOID")})`;
      case "tanh":
        this.roots.add("tanhQ15");
        return `tanhQ15(${z}, ${this.table("TANH")})`;
      case "hardSigmoid":
        this.roots.add("hardSigmoidQ15");
        if (!Number.isInteger(a.alpha) || !Number.isInteger(a.beta)) throw bug(`${where}: hard sigmoid alpha/beta not integers`);
        return `hardSigmoidQ15(${z}, ${a.alpha}, ${a.beta})`;
      case "relu":
        this.roots.add("reluQ");
        return `reluQ(${z}, ${a.outFrac})`;
      case "linear":
        this.roots.add("linearQ");
        return `linearQ(${z}, ${a.outFrac})`;
    }
  }

  // ---- LSTM ------------------------------------------------------------------------------------------------------

  private dirTag(layer: QLstmLayer, d: number): "F" | "R" {
    return layer.direction === "reverse" || d === 1 ? "R" : "F";
  }

  /** Declares one direction's data and step function `lstm<l><F|R>(x)`; returns the function's name. */
  private lstmDirection(l: number, layer: QLstmLayer, d: number): string {
    const tag = this.dirTag(layer, d);
    const P = `L${l}${tag}`;
    const cell = layer.cells[d];
    if (!cell) throw bug(`layer ${l} has no cell ${d}`);
    const H = layer.hiddenSize;
    const I = layer.inputSize;
    const st = this.info.layers[l]!.directions[d]!;
    const label = `layer ${l} '${commentText(layer.name)}' ${tag === "F" ? "forward" : "reverse"}`;
    if (layer.gateActivation.kind !== "sigmoid" && layer.gateActivation.kind !== "hardSigmoid") {
      throw bug(`${label}: gate activation ${layer.gateActivation.kind} (the quantizer accepts sigmoid/hardSigmoid)`);
    }
    if (layer.cellBits === 16 && layer.cFrac > layer.gFrac) throw bug(`${label}: int16 cell with cFrac > gFrac (§5)`);
    const body: string[] = [];
    const acc: Record<string, string> = { input: "ACC_I", forget: "ACC_F", cell: "ACC_G", output: "ACC_O" };
    const peep: Record<string, string | undefined> = {};
    const used = GATES.filter((g) => !(g.key === "forget" && layer.inputForget));
    // The fused step (every matrix A32): per unit, the four gate rows of W and of R in one pass each, requantized
    // and summed in registers; otherwise the per-matrix kernels into the ACC_* sums.
    const fused = this.opts.fused !== false && used.every((g) => cell.gates[g.key].W.accBits === 32 && cell.gates[g.key].R.accBits === 32);
    if (!fused) this.roots.add("accInit");
    for (const g of used) {
      const gate: QGate = cell.gates[g.key];
      const what = `${label} ${g.key} gate`;
      if (gate.bias.length !== H) throw bug(`${what}: bias length ${gate.bias.length}`);
      if (gate.W.rows !== H || gate.W.cols !== I || gate.R.rows !== H || gate.R.cols !== H) throw bug(`${what}: matrix shape`);
      if (fused) {
        this.checkMatrix(gate.W, `${what} W`);
        this.checkMatrix(gate.R, `${what} R`);
      } else {
        const bias = this.constData(`${P}_${g.tag}_B`, "i32", gate.bias, `${what}: bias Q15.16`, 4);
        body.push(`accInit(${acc[g.key]}, ${bias}, ${H});`);
        body.push(this.matrix(`${P}_${g.tag}_W`, gate.W, `${what} W`, acc[g.key]!, "x"));
        body.push(this.matrix(`${P}_${g.tag}_R`, gate.R, `${what} R`, acc[g.key]!, "h"));
      }
      if (gate.peephole) {
        if (g.key === "cell") throw bug(`${what}: peephole on the cell gate`);
        if (gate.peephole.length !== H) throw bug(`${what}: peephole length`);
        peep[g.key] = this.constData(`${P}_${g.tag}_P`, "i16", gate.peephole, `${what}: peephole, frac ${cell.peepholeFrac}`, 2);
        this.roots.add("peepholeAdd");
      }
    }
    const pcFrac = cell.peepholeFrac + layer.cFrac;
    const clip = layer.clip;
    if (clip !== undefined) {
      if (!Number.isInteger(clip) || clip < 0 || clip > 2 ** 31 - 1) throw bug(`${label}: clip ${clip} is not a Q15.16 int32`);
      this.roots.add("clipZ");
    }
    const cellLoad = layer.cellBits === 32 ? "load<i32>(cp)" : "<i32>load<i16>(cp)";
    const cellStore = layer.cellBits === 32 ? "store<i32>(cp, cNew)" : "store<i16>(cp, <i16>cNew)";
    const cellNext = layer.cellBits === 32 ? "cellNext32" : "cellNext16";
    this.roots.add(cellNext).add("cellToZ").add("hiddenNext");
    const common =
      layer.gateActivation.kind === "sigmoid" &&
      layer.cellActivation.kind === "tanh" &&
      layer.hiddenActivation.kind === "tanh" &&
      layer.cellBits === 16 &&
      layer.gFrac === 15 &&
      layer.cFrac >= 0 &&
      layer.cFrac <= 15 &&
      !layer.inputForget &&
      clip === undefined &&
      Object.keys(peep).length === 0;
    // The four-unit block step (runtime/as/lstm_simd.ts) covers the common cell when its bounds hold; other fused
    // layers take the per-unit loop below.
    const fz = fused ? this.fusedData(P, layer, cell.gates, used.map((g) => g.key), label, common) : undefined;
    const fu = fz?.unit;
    const pre = (key: "input" | "forget" | "cell" | "output", cVar: string): string[] => {
      const z = `z${key[0]}`;
      const p = peep[key];
      const value = fu
        ? `gateZ(ou, ${4 * GATES.findIndex((g) => g.key === key)}, ${fu.bias}, ${fu.mx}, ${fu.nx}, ${fu.sx}, ${fu.mh}, ${fu.nh}, ${fu.sh})`
        : `sat32(load<i64>(${acc[key]} + (ro << 3)))`;
      const lines = [`${p || clip !== undefined ? "let" : "const"} ${z} = ${value};`];
      if (p) lines.push(`${z} = peepholeAdd(${z}, <i32>load<i16>(${p} + (ro << 1)), ${cVar}, ${pcFrac});`);
      if (clip !== undefined) lines.push(`${z} = clipZ(${z}, ${clip});`);
      return lines;
    };
    const gateAct = (z: string): string => this.activation(layer.gateActivation, z, label);
    // The per-unit part (§4.1–§5), built now so that every kernel it names is known before the kernels are copied.
    const lines = [
      "const ro = <usize>r;",
      ...(fz && fu
        ? [
            "const ou = ro << 4;",
            `dot4I16(${fu.sx}, ${fu.wx} + ro * ${4 * fz.px * 2}, ${fz.xSrc}, ${fz.px / 8}, ${fz.px * 2});`,
            `dot4I16(${fu.sh}, ${fu.wh} + ro * ${4 * fz.ph * 2}, ${fz.hb}, ${fz.ph / 8}, ${fz.ph * 2});`,
          ]
        : []),
      `const cp = c + (ro << ${layer.cellBits === 32 ? 2 : 1});`,
      `const cOld = ${cellLoad};`,
      ...pre("input", "cOld"),
      `const i = ${gateAct("zi")};`,
    ];
    if (layer.inputForget) {
      this.roots.add("coupledForget");
      lines.push("const f = coupledForget(i);");
    } else {
      lines.push(...pre("forget", "cOld"), `const f = ${gateAct("zf")};`);
    }
    lines.push(
      ...pre("cell", "cOld"),
      `const g = ${this.activation(layer.cellActivation, "zc", label)};`,
      `const cNew = ${cellNext}(f, cOld, i, g, ${layer.gFrac}, ${layer.cFrac});`,
      cellStore + ";",
      ...pre("output", "cNew"),
      `const o = ${gateAct("zo")};`,
      `const a = ${this.activation(layer.hiddenActivation, `cellToZ(cNew, ${layer.cFrac})`, label)};`,
      "store<i16>(h + (ro << 1), <i16>hiddenNext(o, a));",
    );
    const scalarLoop: WriterFunction = (w) => {
      w.write(`for (let r: i32 = 0; r < ${H}; r++)`).block(() => {
        for (const line of lines) w.writeLine(line);
      });
    };
    // The four-units-per-pass SIMD step (runtime/as/lstm_simd.ts) covers the common cell; SIMD builds take it, scalar
    // builds the loop above (ASC_FEATURE_SIMD is a compile-time constant).
    const blk = fz?.block;
    const loop: WriterFunction = !blk
      ? scalarLoop
      : (w) =>
          w.writeLine(
            `lstmStep4(h, c, ${fz!.hb}, ${fz!.xSrc}, ${H}, ${layer.cFrac}, ${this.table("SIGMOID")}, ${this.table("TANH")}, ` +
              `${blk.wx}, ${blk.xPairs}, ${blk.wh}, ${blk.hPairs}, ${blk.bias}, ${blk.mx}, ${blk.px}, ${blk.nx}, ${blk.mh}, ${blk.ph}, ${blk.nh});`,
          );
    const name = this.names.declare(`lstm${l}${tag}`);
    if (!fused) this.maxH = Math.max(this.maxH, H);
    this.fnDecls.push(() => {
      this.out.push({
        kind: StructureKind.Function,
        name,
        leadingTrivia: `// ${label}: one step, x int16 [${I}] → h (frac ${layer.hFrac}), c (${layer.cellBits}-bit, frac ${layer.cFrac}) in the state region.\n`,
        parameters: [{ name: "x", type: "usize" }],
        returnType: "void",
        statements: [
          `const h: usize = STATE + ${st.hOffset};`,
          `const c: usize = STATE + ${st.cOffset};`,
          ...(fz
            ? [
                // Units write h' into the state while later units still need the old h: they read a copy.
                `memory.copy(${fz.hb}, h, ${H * 2});`,
                ...(fz.xb ? [`memory.copy(${fz.xb}, x, ${I * 2});`] : []),
              ]
            : []),
          ...body,
          loop,
        ],
      });
    });
    return name;
  }

  // ---- dense head -------------------------------------------------------------------------------------------------

  /**
   * A dense stack (§7) as one function `<fname>(v, out)`. `input`: the §7.3 input stack (names ID*, scratch
   * IND_A/IND_B). `flat`: §7.4 streaming, layer 0 requantizes the state's accumulators instead of reading v.
   */
  private denseHead(
    layers: readonly QDenseLayer[],
    input = false,
    flat?: { readonly acc: string; readonly q: string; readonly mult: string; readonly shift: string },
  ): string {
    const body: (string | WriterFunction)[] = [];
    const maxRows = Math.max(...layers.map((d) => d.W.rows));
    this.maxDense = Math.max(this.maxDense, maxRows);
    const scratch = input ? ["IND_A", "IND_B"] : ["HEAD_A", "HEAD_B"];
    const pfx = input ? "ID" : "D";
    let src = "v";
    this.roots.add("accInit");
    layers.forEach((d, k) => {
      const what = `${input ? "input dense" : "dense"} ${k} '${commentText(d.name)}'`;
      if (d.bias.length !== d.W.rows) throw bug(`${what}: bias length`);
      const dst = k === layers.length - 1 ? "out" : scratch[k % 2]!;
      const bias = this.constData(`${pfx}${k}_B`, "i32", d.bias, `${what}: bias Q15.16`, 4);
      body.push(`accInit(ACC_D, ${bias}, ${d.W.rows});`);
      if (k === 0 && flat) {
        this.roots.add("accAddRow");
        body.push((w) =>
          w.write(`for (let r: i32 = 0; r < ${d.W.rows}; r++)`).block(() => {
            w.writeLine(`accAddRow(ACC_D, r, load<i64>(${flat.acc} + (<usize>r << 3)), ${d.W.preShift}, ${flat.mult}, ${flat.shift}); // §7.4: one requantization of the exact sum`);
          }),
        );
      } else {
        body.push(this.matrix(`${pfx}${k}_W`, d.W, `${what} W`, "ACC_D", src));
      }
      const a = d.activation;
      if (a.kind === "softmax") {
        this.roots.add("softmaxQ15");
        body.push((w) =>
          w.write(`for (let r: i32 = 0; r < ${d.W.rows}; r++)`).block(() => {
            w.writeLine("store<i32>(Z_D + (<usize>r << 2), sat32(load<i64>(ACC_D + (<usize>r << 3))));");
          }),
        );
        body.push(`softmaxQ15(Z_D, ${d.W.rows}, ${dst}, ${this.table("EXPNEG")});`);
      } else {
        const expr = this.activation(a, "sat32(load<i64>(ACC_D + (<usize>r << 3)))", what);
        body.push((w) =>
          w.write(`for (let r: i32 = 0; r < ${d.W.rows}; r++)`).block(() => {
            w.writeLine(`store<i16>(${dst} + (<usize>r << 1), <i16>${expr});`);
          }),
        );
      }
      src = dst;
    });
    const name = this.names.declare(input ? "inputDense" : "head");
    if (flat) body.unshift("// v is unused: dense 0 reads the accumulators (§7.4)");
    this.fnDecls.push(() => {
      this.out.push({
        kind: StructureKind.Function,
        name,
        leadingTrivia: input
          ? `// Input dense layers (§7.3): x int16 [${layers[0]!.W.cols}] → out int16 [${layers[layers.length - 1]!.W.rows}], frac ${layers[layers.length - 1]!.outFrac}, every step.\n`
          : `// Dense head (§7): v int16 [${layers[0]!.W.cols}] → out int16 [${layers[layers.length - 1]!.W.rows}], frac ${this.qm.outputFrac}.\n`,
        parameters: [
          { name: "v", type: "usize" },
          { name: "out", type: "usize" },
        ],
        returnType: "void",
        statements: body,
      });
    });
    return name;
  }

  // ---- the module ---------------------------------------------------------------------------------------------------

  emit(): string {
    const qm = this.qm;
    const info = this.info;
    const I = qm.input.size;
    const O = qm.outputSize;
    const T = info.maxSteps;
    if (qm.layers.length === 0) {
      throw usageError("the model has no LSTM layer (only dense layers): the WebAssembly target compiles LSTM models; --target c takes this one");
    }
    const last = qm.layers[qm.layers.length - 1]!;
    const lastWidth = numDirs(last.direction) * last.hiddenSize;
    const dense = qm.head?.layers ?? [];
    const expectO = dense.length > 0 ? dense[dense.length - 1]!.W.rows : lastWidth;
    if (O !== expectO) throw bug(`outputSize ${O} is not the width of the model's last stage (${expectO})`);
    const inDense = qm.inputDense ?? [];
    const inW = inDense.length > 0 ? inDense[inDense.length - 1]!.W.rows : I;
    const flatT = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
    if (flatT !== undefined) {
      if (dense.length === 0) throw usageError("target wasm: a flattening head needs at least one dense layer");
      if (T < flatT) throw usageError(`target wasm: the model's head flattens ${flatT} steps, more than --max-steps ${T}`);
    }
    for (const [l, layer] of qm.layers.entries()) {
      const width = l === 0 ? inW : numDirs(qm.layers[l - 1]!.direction) * qm.layers[l - 1]!.hiddenSize;
      if (layer.inputSize !== width) throw bug(`layer ${l} reads ${layer.inputSize} values, its input has ${width}`);
    }

    // Step functions, head.
    const steps = qm.layers.map((layer, l) =>
      Array.from({ length: numDirs(layer.direction) }, (_, d) => this.lstmDirection(l, layer, d)),
    );
    // §7.3 input dense layers, one function over one frame.
    const inputFn = inDense.length > 0 ? this.denseHead(inDense, true) : undefined;
    // §7.4 streaming flatten: dense 0's data, read by flatAdd() (per step) and the head (at step T).
    const fl = info.flat;
    let flatData: { acc: string; q: string; mult: string; shift: string } | undefined;
    if (fl) {
      const m = dense[0]!.W;
      const wide = qm.weights === "int16";
      if (wide !== m.q instanceof Int16Array) throw bug("dense 0: weight array type does not match --weights");
      if (m.accBits === 64 && m.preShift > 31) throw bug(`dense 0: pre-shift ${m.preShift}`);
      const what = `dense 0 '${commentText(dense[0]!.name)}' W (flattened, §7.4)`;
      flatData = {
        acc: `STATE + ${fl.accOffset}`,
        q: this.constData("D0_W_Q", wide ? "i16" : "i8", m.q, `${what}: weights [${m.rows}, ${m.cols}], exact i64 sums over the steps, pre-shift ${m.preShift}`),
        mult: this.constData("D0_W_M", "i32", m.mult, `${what}: multipliers M_r`, 4),
        shift: this.constData("D0_W_S", "u8", m.shift, `${what}: shifts n_r`, 1),
      };
    }
    // A head without dense layers only selects what it reads (every step, the last step or the final state).
    const head = dense.length > 0 ? this.denseHead(dense, false, flatData) : undefined;

    // Tables (§3.1, §7.2).
    const tabs: { kind: "SIGMOID" | "TANH" | "EXPNEG"; values: Int16Array; what: string }[] = [
      { kind: "SIGMOID", values: qm.tables.sigmoid, what: "sigmoid(k/32), k = 0..512, Q0.15 (§3.1)" },
      { kind: "TANH", values: qm.tables.tanh, what: "tanh(k/64), k = 0..512, Q0.15 (§3.1)" },
      { kind: "EXPNEG", values: qm.tables.expNeg, what: "exp(-k/32), k = 0..512, Q0.15 (§7.2)" },
    ];
    for (const t of tabs) {
      if (!this.tables.has(t.kind)) continue;
      if (t.values.length !== TABLE_LENGTH) throw bug(`${t.kind} table has ${t.values.length} entries, not ${TABLE_LENGTH}`);
      this.constData(`${t.kind}_TABLE`, "i16", t.values, t.what);
    }

    // State: initial image, region.
    const init = new Uint8Array(info.stateSize);
    const view = new DataView(init.buffer);
    qm.layers.forEach((layer, l) => {
      layer.cells.forEach((cell, d) => {
        const st = info.layers[l]!.directions[d]!;
        if (cell.initialH.length !== layer.hiddenSize || cell.initialC.length !== layer.hiddenSize) {
          throw bug(`layer ${l} cell ${d}: initial state length`);
        }
        for (let r = 0; r < layer.hiddenSize; r++) {
          view.setInt16(st.hOffset + 2 * r, cell.initialH[r]!, true);
          if (layer.cellBits === 32) view.setInt32(st.cOffset + 4 * r, cell.initialC[r]!, true);
          else view.setInt16(st.cOffset + 2 * r, cell.initialC[r]!, true);
        }
      });
    });
    const zeroInit = init.every((b) => b === 0);
    const stateLayout = info.layers
      .map((ls, l) => ls.directions.map((d, k) => `L${l}${this.dirTag(qm.layers[l]!, k)} h@${d.hOffset} c@${d.cOffset}`).join(", "))
      .join("; ");
    if (zeroInit) {
      this.buffer("STATE", info.stateSize, `State region, ${info.stateSize} bytes: ${stateLayout} (initial state: zeros)`, 16);
    } else {
      this.constData("STATE", "u8", init, `State region, ${info.stateSize} bytes: ${stateLayout}`, 16);
      this.constData("STATE_INIT", "u8", init, "Initial state image, copied by reset()", 16);
    }
    // Buffers.
    this.buffer("IN", T * I * 2, `Input region: int16 [${T}, ${I}] (step() reads row 0)`);
    this.buffer("OUT", info.outputRows * O * 2, `Output region: int16 [${info.outputRows}, ${O}], frac ${qm.outputFrac}`);
    // Only the per-matrix form (§2 sums in memory) uses these; the fused forms keep their sums in registers.
    if (this.maxH > 0) for (const n of ["ACC_I", "ACC_F", "ACC_G", "ACC_O"]) this.buffer(n, this.maxH * 8, "Gate pre-activation sums, i64 per unit");
    if (head || inputFn) {
      this.buffer("ACC_D", this.maxDense * 8, "Dense pre-activation sums, i64 per unit");
      if ([...dense, ...inDense].some((d) => d.activation.kind === "softmax")) this.buffer("Z_D", this.maxDense * 4, "Softmax inputs, Q15.16");
      if (dense.length > 1) this.buffer("HEAD_A", this.maxDense * 2, "Dense layer outputs (even layers)");
      if (dense.length > 2) this.buffer("HEAD_B", this.maxDense * 2, "Dense layer outputs (odd layers)");
      if (inDense.length > 1) this.buffer("IND_A", this.maxDense * 2, "Input dense layer outputs (even layers)");
      if (inDense.length > 2) this.buffer("IND_B", this.maxDense * 2, "Input dense layer outputs (odd layers)");
    }
    if (inputFn) {
      if (info.streaming) this.buffer("IN_X", inW * 2, `The frame after the input dense layers: int16 [${inW}]`);
      else this.buffer("SEQ_IN", T * inW * 2, `The input after the input dense layers: int16 [${T}, ${inW}]`);
    }
    // Sequence buffers: non-streaming models run layer by layer over the whole sequence.
    // A head that reads the last step needs the top layer's outputs at T-1 only: one row, and its backward
    // direction (which starts at T-1) runs one step.
    const seqOut: string[] = [];
    if (!info.streaming) {
      const width = (l: number): number => numDirs(qm.layers[l]!.direction) * qm.layers[l]!.hiddenSize;
      const rows = { SEQ_A: 0, SEQ_B: 0 };
      const widths = { SEQ_A: 0, SEQ_B: 0 };
      qm.layers.forEach((_, l) => {
        if (l === qm.layers.length - 1 && !head && info.outputPerStep) seqOut.push("OUT");
        else {
          const b = l % 2 === 0 ? "SEQ_A" : "SEQ_B";
          seqOut.push(b);
          widths[b] = Math.max(widths[b], width(l));
          rows[b] = Math.max(rows[b], l === qm.layers.length - 1 && this.lastRowOnly ? 1 : T);
        }
      });
      for (const [b, what] of [["SEQ_A", "even"], ["SEQ_B", "odd"]] as const) {
        if (!seqOut.includes(b)) continue;
        const shape = rows[b] === 1 ? `the top layer's outputs at the last step: int16 [${widths[b]}]` : `int16 [${T}, ${widths[b]}]`;
        this.buffer(b, rows[b] * widths[b] * 2, `Layer outputs (${what} layers): ${shape}`);
      }
    }

    const staticBytes = this.data.reduce((s, d) => s + d.bytes, 0);
    const pages = Math.ceil((AS_MEMORY_BASE + staticBytes) / 65536);

    // ---- write the file ----
    this.header(staticBytes, pages);
    const kernels = kernelClosure(this.roots);
    this.out.push((w) => w.writeLine(`// ---- Kernels (runtime/as: ${[...new Set(kernels.map((k) => k.file))].join(", ")}) ----`));
    for (const k of kernels) this.out.push(k.text);
    this.out.push((w) => w.writeLine("// ---- Constants ----"));
    const constants: [string, number, string][] = [
      ["ABI_VERSION", WASM_ABI_VERSION, "Version of this export set"],
      ["INPUT_SIZE", I, "int16 values per input frame"],
      ["OUTPUT_SIZE", O, "int16 values per output row"],
      ["OUTPUT_FRAC", qm.outputFrac, "Output format: value = q · 2^-OUTPUT_FRAC"],
      ["MAX_STEPS", T, "Longest sequence run() accepts"],
      ["STREAMING", info.streaming ? 1 : 0, "1 when step()/feed() exist (all layers forward)"],
      ["OUTPUT_PER_STEP", info.outputPerStep ? 1 : 0, "1: run() writes [steps, OUTPUT_SIZE]; 0: one row"],
      ["STATE_SIZE", info.stateSize, "Bytes of the state region"],
      ["MODEL_TAG", modelTag(qm, this.opts.modelHash, info.maxSteps), "Identity of this build (weights, formats, MAX_STEPS): the wrapper refuses a module with another"],
    ];
    for (const [name, value, doc] of constants) {
      this.names.declare(name);
      this.out.push({
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        leadingTrivia: `/** ${doc}. */\n`,
        declarations: [{ name, type: "i32", initializer: String(value) }],
      });
    }
    this.out.push((w) => w.writeLine("// ---- Static data and buffers ----"));
    for (const d of this.dataDecls) d();
    this.out.push((w) => w.writeLine("// ---- Layers ----"));
    for (const d of this.fnDecls) d();

    this.entryPoints(steps, head, seqOut, zeroInit, inputFn, flatData, inW);
    // One insertion: ts-morph prints the structures once instead of re-parsing the file after every addition.
    this.sf.addStatements(this.out);
    return this.sf.getFullText();
  }

  private header(staticBytes: number, pages: number): void {
    const qm = this.qm;
    const lines = [
      `${this.opts.name}.ts — generated by lstm-gen ${commentText(this.opts.version)}. Generated file: do not edit.`,
      `Model hash: ${commentText(this.opts.modelHash)}${this.opts.modelFile ? ` (${commentText(this.opts.modelFile)})` : ""}`,
      ...(this.opts.tolerance ? [`Verified against the float model within max-abs-error tolerances (docs/fixed-point.md §8.1): ${commentText(this.opts.tolerance)}`] : []),
      `Compiled with AssemblyScript ${ascVersion()}; asconfig.json rebuilds the same .wasm with that version.`,
      `Arithmetic: docs/fixed-point.md (bit-exact with the golden model). Weights ${qm.weights}, cells ${qm.cell}.`,
      `Input: int16 [${qm.input.size}] per frame, per-feature scales (headroom ${qm.input.headroomBits} bits).`,
      ...qm.layers.map(
        (l, k) =>
          `Layer ${k} '${commentText(l.name)}': LSTM ${l.direction} ${l.inputSize}→${l.hiddenSize}, h frac ${l.hFrac}, ` +
          `c ${l.cellBits}-bit frac ${l.cFrac}, g frac ${l.gFrac}, activations ${l.gateActivation.kind}/` +
          `${l.cellActivation.kind}/${l.hiddenActivation.kind}${l.inputForget ? ", coupled input-forget" : ""}` +
          `${l.clip !== undefined ? `, clip ${l.clip}` : ""}`,
      ),
      ...(qm.inputDense ?? []).map(
        (d, k) => `Input dense ${k} '${commentText(d.name)}': ${d.W.cols}→${d.W.rows} every step, ${d.activation.kind}, out frac ${d.outFrac} (§7.3)`,
      ),
      ...(qm.head?.reads === "flatten" ? [`Head reads all ${qm.head.steps} steps flattened (§7.4): run() takes exactly ${qm.head.steps} steps.`] : []),
      ...(qm.head
        ? qm.head.layers.map(
            (d, k) => `Dense ${k} '${commentText(d.name)}': ${d.W.cols}→${d.W.rows}, ${d.activation.kind}, out frac ${d.outFrac}`,
          )
        : []),
      `Output: int16 [${qm.outputSize}], frac ${qm.outputFrac}, ${this.info.outputPerStep ? "every step" : `head reads ${qm.head?.reads}`}.`,
      `Memory: ${staticBytes} bytes of static data and buffers (from address ${AS_MEMORY_BASE}) in a fixed memory of ` +
        `about ${pages} × 64 KiB (asconfig.json has the exact count); no allocation at run time.`,
      `Max steps per run(): ${this.info.maxSteps}. ${this.info.streaming ? "Streaming: step()/feed()." : "Whole sequences only: run()."}`,
    ];
    this.out.push((w) => {
      w.writeLine("//");
      for (const l of lines) w.writeLine(`// ${l}`);
      w.writeLine(`// lstm-gen:memory-bytes ${staticBytes}`);
      w.writeLine("//");
    });
  }

  private entryPoints(
    steps: string[][],
    head: string | undefined,
    seqOut: string[],
    zeroInit: boolean,
    inputFn: string | undefined,
    flatData: { acc: string; q: string } | undefined,
    inW: number,
  ): void {
    const qm = this.qm;
    const info = this.info;
    const I = qm.input.size;
    const O = qm.outputSize;
    const lastL = qm.layers.length - 1;
    const lastH = info.layers[lastL]!.directions[0]!.hOffset;
    const fn = (name: string, doc: string, params: [string, string][], ret: string, statements: (string | WriterFunction)[], exported = true): void => {
      this.names.declare(name);
      this.out.push({
        kind: StructureKind.Function,
        name,
        isExported: exported,
        leadingTrivia: `/** ${doc} */\n`,
        parameters: params.map(([n, type]) => ({ name: n, type })),
        returnType: ret,
        statements,
      });
    };
    this.out.push((w) => w.writeLine("// ---- Entry points ----"));
    fn("reset", "State := the initial state.", [], "void", [
      zeroInit ? "memory.fill(STATE, 0, STATE_SIZE);" : "memory.copy(STATE, STATE_INIT, STATE_SIZE);",
    ]);
    const emitOut = (src: string, dst: string): string =>
      head ? `${head}(${src}, ${dst});` : `memory.copy(${dst}, ${src}, ${O * 2});`;
    const flatT = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
    const badSteps = flatT !== undefined ? `if (steps != ${flatT}) return -1; // §7.4: exactly T steps` : "if (steps < 1 || steps > MAX_STEPS) return -1;";
    const fl = info.flat;
    if (info.streaming && fl && flatData) {
      // §7.4 streaming: add this step's columns of dense 0 (W_t · h_t, exact) to the per-row sums in the state.
      const m = qm.head!.layers[0]!.W;
      const lastW = numDirs(qm.layers[lastL]!.direction) * qm.layers[lastL]!.hiddenSize;
      const wide = m.q instanceof Int16Array;
      fn("flatAdd", "§7.4: one step's contribution W_t · h_t to dense 0's exact sums; counts the steps (none after T).", [], "void", [
        `const t = load<i32>(STATE + ${fl.tOffset});`,
        `if (t >= ${fl.T}) return;`,
        `const h: usize = STATE + ${lastH};`,
        (w) =>
          w.write(`for (let r: i32 = 0; r < ${m.rows}; r++)`).block(() => {
            w.writeLine(`const q: usize = ${flatData.q} + (<usize>(r * ${m.cols} + t * ${lastW}) << ${wide ? 1 : 0});`);
            w.writeLine("let s: i64 = 0;");
            w.write(`for (let k: i32 = 0; k < ${lastW}; k++)`).block(() => {
              w.writeLine(`s += <i64>load<${wide ? "i16" : "i8"}>(q + (<usize>k << ${wide ? 1 : 0})) * <i64>load<i16>(h + (<usize>k << 1));`);
            });
            w.writeLine(`const p: usize = ${flatData.acc} + (<usize>r << 3);`);
            w.writeLine("store<i64>(p, load<i64>(p) + s);");
          }),
        `store<i32>(STATE + ${fl.tOffset}, t + 1);`,
      ], false);
      fn("flatOut", "§7.4: the head at step T, zeros before.", [], "void", [
        `if (load<i32>(STATE + ${fl.tOffset}) == ${fl.T}) ${emitOut(`STATE + ${lastH}`, "OUT")}`,
        `else memory.fill(OUT, 0, ${O * 2});`,
      ], false);
    }
    if (info.streaming) {
      const adv: string[] = steps.map((s, l) => `${s[0]}(${l === 0 ? (inputFn ? "IN_X" : "x") : `STATE + ${info.layers[l - 1]!.directions[0]!.hOffset}`});`);
      if (inputFn) adv.unshift(`${inputFn}(x, IN_X);`);
      if (fl) adv.push("flatAdd();");
      fn("advance", "One time step through every layer; x: int16 [INPUT_SIZE].", [["x", "usize"]], "void", adv, false);
      fn("step", "Streaming: one frame from inputPtr() → one output row at outputPtr(), from the current state.", [], "void", [
        "advance(IN);",
        fl ? "flatOut();" : emitOut(`STATE + ${lastH}`, "OUT"),
      ]);
      fn(
        "feed",
        "Streaming: `steps` frames from the input region, continuing from the current state. Returns the number of int16 outputs written, or -1 when steps is not in [1, MAX_STEPS].",
        [["steps", "i32"]],
        "i32",
        [
          fl ? `if (steps < 1 || load<i32>(STATE + ${fl.tOffset}) + steps > ${fl.T}) return -1; // §7.4: at most T steps since reset` : badSteps,
          (w) =>
            w.write("for (let t: i32 = 0; t < steps; t++)").block(() => {
              w.writeLine(`advance(IN + <usize>t * ${I * 2});`);
              if (info.outputPerStep) w.writeLine(emitOut(`STATE + ${lastH}`, `OUT + <usize>t * ${O * 2}`));
            }),
          ...(info.outputPerStep ? [O === 1 ? "return steps;" : `return steps * ${O};`] : [fl ? "flatOut();" : emitOut(`STATE + ${lastH}`, "OUT"), `return ${O};`]),
        ],
      );
      fn("run", "reset(), then the whole sequence of `steps` frames (see feed()).", [["steps", "i32"]], "i32", [badSteps, "reset();", "return feed(steps);"]);
    } else {
      const body: (string | WriterFunction)[] = [badSteps, "reset();"];
      if (inputFn) {
        body.push((w) =>
          w.write("for (let t: i32 = 0; t < steps; t++)").block(() => {
            w.writeLine(`${inputFn}(IN + <usize>t * ${I * 2}, SEQ_IN + <usize>t * ${inW * 2});`);
          }),
        );
      }
      qm.layers.forEach((layer, l) => {
        const H = layer.hiddenSize;
        const inW = layer.inputSize;
        const outW = numDirs(layer.direction) * H;
        const src = l === 0 ? (inputFn ? "SEQ_IN" : "IN") : seqOut[l - 1]!;
        const dst = seqOut[l]!;
        const one = l === lastL && this.lastRowOnly;
        steps[l]!.forEach((s, d) => {
          const reverse = this.dirTag(layer, d) === "R";
          const hOff = info.layers[l]!.directions[d]!.hOffset;
          const loop = reverse ? "for (let t: i32 = steps - 1; t >= 0; t--)" : "for (let t: i32 = 0; t < steps; t++)";
          if (one) {
            // The last step only: the backward direction's first step, the forward direction's final h.
            body.push(
              reverse ? `${s}(${src} + <usize>(steps - 1) * ${inW * 2});` : (w) => w.write(loop).block(() => w.writeLine(`${s}(${src} + <usize>t * ${inW * 2});`)),
              `memory.copy(${dst} + ${d * H * 2}, STATE + ${hOff}, ${H * 2});`,
            );
            return;
          }
          body.push((w) =>
            w.write(loop).block(() => {
              w.writeLine(`${s}(${src} + <usize>t * ${inW * 2});`);
              w.writeLine(`memory.copy(${dst} + <usize>t * ${outW * 2} + ${d * H * 2}, STATE + ${hOff}, ${H * 2});`);
            }),
          );
        });
      });
      const lastSeq = seqOut[lastL]!;
      const lastW = numDirs(qm.layers[lastL]!.direction) * qm.layers[lastL]!.hiddenSize;
      const reads = qm.head?.reads ?? "every";
      if (lastSeq === "OUT") body.push(`return steps * ${O};`);
      else if (reads === "every") {
        body.push(
          (w) => w.write("for (let t: i32 = 0; t < steps; t++)").block(() => w.writeLine(emitOut(`${lastSeq} + <usize>t * ${lastW * 2}`, `OUT + <usize>t * ${O * 2}`))),
          `return steps * ${O};`,
        );
      } else if (reads === "flatten") {
        // §7.4: dense 0 reads all T steps of the last layer, Y[0] first: the sequence buffer itself.
        body.push(emitOut(lastSeq, "OUT"), `return ${O};`);
      } else if (reads === "last") {
        body.push(emitOut(this.lastRowOnly ? lastSeq : `${lastSeq} + <usize>(steps - 1) * ${lastW * 2}`, "OUT"), `return ${O};`);
      } else {
        // final: each direction's state after its last step; the directions' h are contiguous in the state.
        body.push(emitOut(`STATE + ${lastH}`, "OUT"), `return ${O};`);
      }
      fn("run", "reset(), then the whole sequence of `steps` frames from the input region. Returns the number of int16 outputs written, or -1 when steps is not in [1, MAX_STEPS].", [["steps", "i32"]], "i32", body);
    }
    fn("inputPtr", "Address of the input region, int16 [MAX_STEPS, INPUT_SIZE].", [], "usize", ["return IN;"]);
    fn("outputPtr", "Address of the output region, int16 [MAX_STEPS or 1, OUTPUT_SIZE].", [], "usize", ["return OUT;"]);
    fn("statePtr", "Address of the state region (all h and c), for save/restore.", [], "usize", ["return STATE;"]);
    fn("stateSize", "Bytes of the state region.", [], "i32", ["return STATE_SIZE;"]);
  }
}

export function emitAssemblyScript(qm: QuantizedModel, opts: WasmEmitOptions): string {
  return new Emitter(qm, opts).emit();
}

/** Bytes of static data and buffers the header of a generated file declares (compileWasm sizes memory from it). */
export function declaredMemoryBytes(source: string): number | undefined {
  const m = /^\/\/ lstm-gen:memory-bytes (\d+)$/m.exec(source);
  return m ? Number(m[1]) : undefined;
}

export { AS_MEMORY_BASE };
