/**
 * Helpers for the importer tests: fixture paths, writing Keras-style HDF5 files and zip archives, decoding PNGs,
 * running a model, and asserting one-line input errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync, inflateSync } from "node:zlib";
import { expect } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import type { Model } from "../compiler/ir/model.js";
import { runSequence } from "../compiler/reference/float.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SHARED = resolve(REPO, "../shared/fixtures-external");
export const TORCH = resolve(REPO, "test/fixtures/torch");

/** A path under ../shared/fixtures-external that must exist (a missing fixture fails the test). */
export function shared(path: string): string {
  const p = join(SHARED, path);
  expect(() => readFileSync(p), `missing fixture ${p}`).not.toThrow();
  return p;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lstm-gen-${prefix}-`));
}

/** Run a model over one sequence ([T, I] row-major) and return its head output (or the last layer's sequence). */
export function run(model: Model, x: ArrayLike<number>, steps: number): Float64Array {
  const r = runSequence(model, Float64Array.from(x), steps);
  return r.head ?? r.layers[r.layers.length - 1]!.output;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** Await `p` (or call it) and check it fails with a one-line input error naming `file` and containing every fragment. */
export async function expectInputError(p: Promise<unknown> | (() => unknown), file: string, ...fragments: (string | RegExp)[]): Promise<string> {
  let caught: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an input error").toBeInstanceOf(LstmGenError);
  const err = caught as LstmGenError;
  expect(err.kind).toBe("input");
  expect(err.message.startsWith(`${file}: `), err.message).toBe(true);
  expect(err.message).not.toMatch(/[\r\n]/);
  for (const f of fragments) expect(err.message).toMatch(f);
  return err.message;
}

// ---------------------------------------------------------------------------------------------------------------
// HDF5 (written with h5wasm, as h5py would lay it out)
// ---------------------------------------------------------------------------------------------------------------

export interface H5Dataset {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A tree to write: groups are objects, datasets are {shape, data}; attributes under the "@attrs" key. */
export interface H5Tree {
  readonly "@attrs"?: Readonly<Record<string, string | readonly string[]>>;
  readonly [name: string]: H5Tree | H5Dataset | Readonly<Record<string, string | readonly string[]>> | undefined;
}

function isDataset(v: unknown): v is H5Dataset {
  return typeof v === "object" && v !== null && "shape" in v && "data" in v;
}

let h5Counter = 0;

/** Write `tree` as an HDF5 file at `path` (float32 datasets). */
export async function writeH5(path: string, tree: H5Tree): Promise<void> {
  const h5 = await import("h5wasm/node");
  await h5.ready;
  const fsPath = `/test-${process.pid}-${h5Counter++}.h5`;
  const f = new h5.File(fsPath, "w");
  const walk = (group: InstanceType<typeof h5.Group>, t: H5Tree) => {
    for (const [name, value] of Object.entries(t["@attrs"] ?? {})) group.create_attribute(name, value as string | string[]);
    for (const [name, child] of Object.entries(t)) {
      if (name === "@attrs" || child === undefined) continue;
      if (isDataset(child)) {
        group.create_dataset({ name, data: Float32Array.from(child.data), shape: [...child.shape], dtype: "<f" });
      } else {
        walk(group.create_group(name), child as H5Tree);
      }
    }
  };
  walk(f, tree);
  f.close();
  writeFileSync(path, h5.FS!.readFile(fsPath));
  h5.FS!.unlink(fsPath);
}

/** Set a value at a '/'-separated path in an H5Tree under construction. */
export function put(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split("/");
  let at = tree;
  for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

// ---------------------------------------------------------------------------------------------------------------
// ZIP (deflate) writer
// ---------------------------------------------------------------------------------------------------------------

export function writeZip(members: readonly { name: string; data: Uint8Array; store?: boolean }[]): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const body = m.store ? Buffer.from(m.data) : deflateRawSync(m.data);
    const crc = crc32(m.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(m.store ? 0 : 8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(m.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBytes, eocd]);
}

// ---------------------------------------------------------------------------------------------------------------
// PNG (8-bit grayscale, non-interlaced) decoder
// ---------------------------------------------------------------------------------------------------------------

export function decodeGrayPng(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const buf = Buffer.from(bytes);
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || color !== 0 || interlace !== 0) throw new Error(`PNG is not 8-bit grayscale non-interlaced (depth ${depth}, color ${color})`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height);
  let prev = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    const line = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    const out = new Uint8Array(width);
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? out[x - 1]! : 0;
      const b = prev[x]!;
      const c = x > 0 ? prev[x - 1]! : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[x] = (line[x]! + pred) & 0xff;
    }
    pixels.set(out, y * width);
    prev = out;
  }
  return { width, height, pixels };
}

export interface KerasJsArray {
  readonly data: number[];
  readonly shape: number[];
}

/** One keras-js LSTM test vector: weights [kernel, recurrent_kernel, bias], input and Keras's output. */
export interface KerasJsCase {
  readonly input: KerasJsArray;
  readonly weights: KerasJsArray[];
  readonly expected: KerasJsArray;
}

/** Layer settings of keras-js test/layers/recurrent/LSTM.js (copied in ../shared/fixtures-external/README.md). */
export const KERAS_JS_SETTINGS = [
  { act: "tanh", rec: "hard_sigmoid", rs: false, gb: false, stateful: false },
  { act: "sigmoid", rec: "sigmoid", rs: false, gb: false, stateful: false },
  { act: "tanh", rec: "hard_sigmoid", rs: true, gb: false, stateful: false },
  { act: "tanh", rec: "hard_sigmoid", rs: false, gb: true, stateful: false },
  { act: "tanh", rec: "hard_sigmoid", rs: true, gb: true, stateful: false },
  { act: "tanh", rec: "hard_sigmoid", rs: false, gb: false, stateful: true },
  { act: "tanh", rec: "hard_sigmoid", rs: true, gb: false, stateful: true },
  { act: "tanh", rec: "hard_sigmoid", rs: false, gb: true, stateful: true },
  { act: "tanh", rec: "hard_sigmoid", rs: true, gb: true, stateful: true },
] as const;

export function kerasJsCases(): KerasJsCase[] {
  const json = JSON.parse(readFileSync(shared("transcranial__keras-js/test/data/layers/recurrent/LSTM.json"), "utf8")) as Record<string, KerasJsCase>;
  return KERAS_JS_SETTINGS.map((_, i) => json[`recurrent.LSTM.${i}`]!);
}
