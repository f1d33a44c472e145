/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0), written by hand so lstm-gen needs no
 * NumPy. Layout: magic `\x93NUMPY`, major/minor version bytes, a little-endian header length (2 bytes in 1.0,
 * 4 bytes in 2.0/3.0), a Python dict literal `{'descr': ..., 'fortran_order': ..., 'shape': (...), }`, then
 * the raw array bytes.
 *
 * Accepted arrays: little-endian float32 (`<f4`) or float64 (`<f8`), C order, shape `(T, I)` (one sequence)
 * or `(N, T, I)` (N sequences of equal length). Sizes are checked against the file length before anything
 * is allocated.
 */
import { inputError } from "../errors.js";
import type { Sequence, SequenceSet } from "./sequences.js";

/** Largest number of values lstm-gen reads from one array (2^28: 2 GiB as float64). */
export const MAX_NPY_ELEMENTS = 1 << 28;
/** Largest header accepted (NumPy's own reader stops at 10000 bytes by default). */
const MAX_HEADER_BYTES = 1 << 16;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export type NpyDtype = "<f4" | "<f8";
const ITEM_SIZE: Readonly<Record<NpyDtype, number>> = { "<f4": 4, "<f8": 8 };

/** Parse a `.npy` file's bytes into sequences. `file` names the file in error messages. */
export function parseNpy(file: string, bytes: Uint8Array): SequenceSet {
  const fail = (problem: string) => inputError(file, problem);

  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw fail("is not a NumPy .npy file (bad magic bytes)");
  }
  const major = bytes[6] ?? 0;
  const minor = bytes[7] ?? 0;
  if (major < 1 || major > 3 || minor !== 0) {
    throw fail(`has unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const preamble = major === 1 ? 10 : 12;
  if (bytes.length < preamble) throw fail("is truncated (the .npy header is incomplete)");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw fail(`has a ${headerLength}-byte .npy header (more than ${MAX_HEADER_BYTES} bytes is refused)`);
  }
  const dataStart = preamble + headerLength;
  if (dataStart > bytes.length) throw fail("is truncated (the .npy header is incomplete)");

  const headerText = Buffer.from(bytes.subarray(preamble, dataStart)).toString(major === 3 ? "utf8" : "latin1");
  const header = parseHeader(file, headerText);

  const dtype = header.descr;
  const itemSize = ITEM_SIZE[dtype];
  const { shape } = header;
  let count = 1;
  for (const d of shape) count *= d; // each d <= MAX_NPY_ELEMENTS, so this stays exact until it is refused
  if (count > MAX_NPY_ELEMENTS) {
    throw fail(`has shape ${pyShape(shape)} with ${count} values; at most ${MAX_NPY_ELEMENTS} are supported`);
  }
  const expectedBytes = count * itemSize;
  const actualBytes = bytes.length - dataStart;
  if (actualBytes < expectedBytes) {
    throw fail(
      `is truncated: shape ${pyShape(shape)} of ${dtype} needs ${expectedBytes} data bytes but the file has ${actualBytes}`,
    );
  }
  if (actualBytes > expectedBytes) {
    throw fail(
      `has ${actualBytes - expectedBytes} unexpected bytes after the data of shape ${pyShape(shape)} ${dtype}`,
    );
  }

  const [n, t, features] =
    shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : [1, shape[0]!, shape[1]!];
  const perSequence = t * features;
  const sequences: Sequence[] = [];
  for (let s = 0; s < n; s++) {
    const data = new Float64Array(perSequence);
    const base = dataStart + s * perSequence * itemSize;
    for (let k = 0; k < perSequence; k++) {
      // DataView reads are little-endian on every host and need no alignment, so the buffer is never
      // viewed as a typed array at an arbitrary offset.
      const v = itemSize === 4 ? view.getFloat32(base + k * 4, true) : view.getFloat64(base + k * 8, true);
      if (!Number.isFinite(v)) {
        const step = Math.floor(k / features);
        const feature = k % features;
        const index = shape.length === 3 ? `[${s}][${step}][${feature}]` : `[${step}][${feature}]`;
        throw fail(`has a non-finite value (${v}) at sequence ${s}, step ${step}, feature ${feature} (index ${index})`);
      }
      data[k] = v;
    }
    sequences.push({ steps: t, data });
  }
  return { file, features, sequences };
}

interface NpyHeader {
  readonly descr: NpyDtype;
  readonly shape: readonly number[];
}

/** Validate the header dict: exactly the keys descr, fortran_order and shape, with supported values. */
function parseHeader(file: string, text: string): NpyHeader {
  const fail = (problem: string) => inputError(file, problem);
  let value: PyValue;
  try {
    value = new PyLiteralParser(text.replace(/[\s\0]+$/, "")).parseWhole();
  } catch (e) {
    if (e instanceof PySyntaxError) throw fail(`has an unreadable .npy header (${e.message})`);
    throw e;
  }
  if (!(value instanceof Map)) throw fail("has an unreadable .npy header (it is not a dict)");
  const keys = [...value.keys()];
  const expected = ["descr", "fortran_order", "shape"];
  for (const k of keys) {
    if (!expected.includes(k)) throw fail(`has an unexpected key ${quote(k)} in its .npy header`);
  }
  for (const k of expected) {
    if (!value.has(k)) throw fail(`has no ${quote(k)} in its .npy header`);
  }

  const descr = value.get("descr");
  if (typeof descr !== "string") {
    throw fail("has a structured dtype, which is not supported; save a plain float32 or float64 array");
  }
  if (descr !== "<f4" && descr !== "<f8") {
    if (/^>[fiuc]\d+$/.test(descr)) {
      throw fail(`has big-endian dtype ${quote(descr)}; save it as little-endian float32 ('<f4') or float64 ('<f8')`);
    }
    throw fail(`has dtype ${quote(descr)}, which is not supported; use float32 ('<f4') or float64 ('<f8')`);
  }

  const fortran = value.get("fortran_order");
  if (fortran === true) {
    throw fail("is stored in Fortran order; save a C-ordered array (numpy.ascontiguousarray)");
  }
  if (fortran !== false) throw fail("has an invalid 'fortran_order' in its .npy header (expected True or False)");

  const shape = value.get("shape");
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === "number")) {
    throw fail("has an invalid 'shape' in its .npy header (expected a tuple of integers)");
  }
  if (shape.length !== 2 && shape.length !== 3) {
    throw fail(
      `has shape ${pyShape(shape)}; expected 2-D (steps, features) or 3-D (sequences, steps, features)`,
    );
  }
  if (shape.some((d) => d === 0)) throw fail(`has shape ${pyShape(shape)}, which contains no data`);
  if (shape.some((d) => d > MAX_NPY_ELEMENTS)) {
    throw fail(`has shape ${pyShape(shape)}; a dimension above ${MAX_NPY_ELEMENTS} is not supported`);
  }
  return { descr, shape };
}

function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

function quote(s: string): string {
  const short = s.length > 40 ? `${s.slice(0, 40)}...` : s;
  return `'${short}'`;
}

// ---------------------------------------------------------------------------------------------------------
// A minimal parser for the Python literals NumPy writes in headers: dicts, tuples, lists, strings, integers,
// True/False/None. Integers are parsed as JS numbers; anything above 2^53 is refused.

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

class PySyntaxError extends Error {}

/** Deepest nesting of dicts, tuples and lists the header parser follows. */
const MAX_NESTING = 32;

class PyLiteralParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  parseWhole(): PyValue {
    const v = this.value();
    this.skipSpace();
    if (this.pos !== this.s.length) this.error("unexpected text after the dict");
    return v;
  }

  private error(what: string): never {
    throw new PySyntaxError(`${what} at character ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.s[this.pos] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.error(`expected '${c}'`);
    this.pos++;
  }

  private value(): PyValue {
    const c = this.peek();
    if (c === "{" || c === "(" || c === "[") {
      // A header nests two levels ({'shape': (...)}); the limit keeps a hostile one from exhausting the stack.
      if (++this.depth > MAX_NESTING) this.error(`nested more than ${MAX_NESTING} levels deep`);
      const v = c === "{" ? this.dict() : c === "(" ? this.sequence("(", ")") : this.sequence("[", "]");
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.string();
    if (/[0-9+-]/.test(c)) return this.integer();
    const word = /^[A-Za-z_]\w*/.exec(this.s.slice(this.pos))?.[0];
    if (word === "True" || word === "False" || word === "None") {
      this.pos += word.length;
      return word === "True" ? true : word === "False" ? false : null;
    }
    return this.error(c === "" ? "unexpected end" : "unexpected character");
  }

  private dict(): Map<string, PyValue> {
    this.expect("{");
    const map = new Map<string, PyValue>();
    while (this.peek() !== "}") {
      if (this.peek() !== "'" && this.peek() !== '"') this.error("expected a string key");
      const key = this.string();
      if (map.has(key)) this.error(`duplicate key '${key}'`);
      this.expect(":");
      map.set(key, this.value());
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "}") this.error("expected ',' or '}'");
    }
    this.pos++;
    return map;
  }

  /** A tuple or list; a trailing comma is allowed, as in `(3,)`. */
  private sequence(open: string, close: string): PyValue[] {
    this.expect(open);
    const items: PyValue[] = [];
    while (this.peek() !== close) {
      items.push(this.value());
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== close) this.error(`expected ',' or '${close}'`);
    }
    this.pos++;
    return items;
  }

  private string(): string {
    const q = this.s[this.pos]!;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === "\n") this.error("unterminated string");
      this.pos++;
      if (c === q) return out;
      if (c === "\\") {
        const next = this.s[this.pos];
        if (next === undefined) this.error("unterminated string");
        this.pos++;
        out += next;
      } else {
        out += c;
      }
    }
  }

  /** A decimal integer, with the `L` suffix Python 2 wrote for longs. */
  private integer(): number {
    const m = /^[+-]?\d+L?/.exec(this.s.slice(this.pos));
    if (!m) return this.error("malformed number");
    this.pos += m[0].length;
    const n = Number(m[0].replace(/L$/, ""));
    if (!Number.isSafeInteger(n)) this.error("integer too large");
    if (n < 0) this.error("negative integer");
    return n;
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Encode a C-ordered array as a version 1.0 `.npy` file, byte for byte as `numpy.save` writes it (header
 * padded with spaces and a newline so the data starts at a multiple of 64). Falls back to version 2.0 only
 * if the header would not fit in 1.0's 16-bit length.
 */
export function writeNpy(data: Float64Array | Float32Array, shape: number[], dtype: NpyDtype): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== data.length) {
    throw new RangeError(`writeNpy: shape ${pyShape(shape)} does not match ${data.length} values`);
  }
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  const encode = (preamble: number) => {
    const unpadded = preamble + dict.length + 1; // + "\n"
    const padding = (64 - (unpadded % 64)) % 64;
    return dict + " ".repeat(padding) + "\n";
  };
  let major = 1;
  let header = encode(10);
  if (header.length > 0xffff) {
    major = 2;
    header = encode(12);
  }
  const preamble = major === 1 ? 10 : 12;
  const itemSize = ITEM_SIZE[dtype];
  const out = new Uint8Array(preamble + header.length + count * itemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  const start = preamble + header.length;
  for (let i = 0; i < count; i++) {
    if (itemSize === 4) view.setFloat32(start + i * 4, data[i]!, true);
    else view.setFloat64(start + i * 8, data[i]!, true);
  }
  return out;
}
