/**
 * safetensors reader: `u64 LE header length N`, `N bytes of JSON` {name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__"?: {string: string}}, then the raw little-endian tensor bytes, offsets counted from the end
 * of the header. Everything is checked before anything is allocated: header size, offsets inside the file,
 * sizes matching shapes, no overlapping tensors.
 */
import { inputError } from "../../errors.js";
import { MAX_ELEMENTS } from "../../ir/validate.js";
import { halfToFloat } from "../float16.js";

/** safetensors' own limit on the header (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface StTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Values widened to float64. */
  readonly data: Float64Array;
}

export interface SafeTensors {
  readonly tensors: ReadonlyMap<string, StTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const ITEM: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

export function parseSafetensors(file: string, bytes: Uint8Array): SafeTensors {
  const fail = (p: string) => inputError(file, p);
  if (bytes.length < 8) throw fail("is too short to be a safetensors file (no 8-byte header length)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw fail(`declares a ${n}-byte header (more than ${MAX_HEADER_BYTES} is refused); is it a safetensors file?`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) throw fail(`is truncated: its header needs ${headerLen} bytes but the file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw fail(`has an unreadable safetensors header (${e instanceof SyntaxError ? e.message : "not UTF-8"}); is it a safetensors file?`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw fail("has a safetensors header that is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, StTensor>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof info === "object" && info !== null) {
        for (const [k, v] of Object.entries(info)) if (typeof v === "string") metadata[k] = v;
      }
      continue;
    }
    const bad = (p: string) => fail(`tensor '${name}' ${p}`);
    if (typeof info !== "object" || info === null) throw bad("has no description");
    const { dtype, shape, data_offsets: off } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string") throw bad("has no dtype");
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_ELEMENTS)) throw bad(`has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0)) throw bad(`has bad data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (begin > end || end > dataLen) throw bad(`has data_offsets [${begin}, ${end}] outside the ${dataLen} data bytes (is the file truncated?)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count > MAX_ELEMENTS) throw bad(`has ${count} values (more than ${MAX_ELEMENTS})`);
    const item = ITEM[dtype];
    if (item === undefined) throw bad(`has dtype ${dtype}; supported: F32, F64, F16, BF16`);
    if (end - begin !== count * item) throw bad(`has ${end - begin} bytes but shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${count * item}`);
    spans.push([begin, end, name]);
    const data = new Float64Array(count);
    const base = dataStart + begin;
    for (let k = 0; k < count; k++) {
      const p = base + k * item;
      data[k] =
        dtype === "F32" ? view.getFloat32(p, true)
        : dtype === "F64" ? view.getFloat64(p, true)
        : dtype === "F16" ? halfToFloat(view.getUint16(p, true))
        : new Float32Array(new Uint32Array([view.getUint16(p, true) << 16]).buffer)[0]!;
    }
    tensors.set(name, { name, dtype, shape: shape as number[], data });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < spans.length; k++) {
    if (spans[k]![0] < spans[k - 1]![1]) throw fail(`tensors '${spans[k - 1]![2]}' and '${spans[k]![2]}' overlap`);
  }
  return { tensors, metadata };
}
