/**
 * A small read-only view of an HDF5 file through h5wasm (the HDF5 C library compiled to WebAssembly).
 *
 * The bytes are copied into h5wasm's in-memory file system, opened read-only, and every HDF5 failure (bad
 * signature, truncation, corrupt object headers) becomes a one-line input error naming the file. HDF5's own
 * error stack is switched to "throw" so nothing is printed on stderr.
 */
import { inputError, LstmGenError } from "../../errors.js";
import { MAX_ELEMENTS } from "../../ir/validate.js";

type H5Module = typeof import("h5wasm/node");
type H5File = InstanceType<H5Module["File"]>;

let loaded: Promise<H5Module> | undefined;

async function h5wasm(): Promise<H5Module> {
  loaded ??= (async () => {
    const mod = await import("h5wasm/node");
    const Module = await mod.ready;
    // HDF5 errors throw a JavaScript Error carrying the error stack instead of printing it.
    Module.activate_throwing_error_handler();
    return mod;
  })();
  return loaded;
}

/** HDF5 superblocks start at 0, 512, 1024, 2048, … with this signature. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + SIGNATURE.length <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/** The most specific line of an HDF5 error stack, e.g. "truncated file: eof = 1000, …". */
function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n");
  let reason = "";
  for (const line of lines) {
    const m = /#\d+: .* in [^(]*\(\): (.*)$/.exec(line);
    if (m?.[1]) reason = m[1].trim();
  }
  return reason || text.split("\n")[0]!.trim() || "unreadable";
}

export interface H5Dataset {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

let fileCounter = 0;

/** An open HDF5 file. Paths are '/'-separated from the root ("" or "/" is the root group). */
export class Hdf5Reader {
  private constructor(
    readonly file: string,
    private readonly mod: H5Module,
    private readonly h5: H5File,
    private readonly fsPath: string,
  ) {}

  /** Open `bytes` (the content of `file`). Throws an input error if they are not a readable HDF5 file. */
  static async open(file: string, bytes: Uint8Array, what = "an HDF5 file"): Promise<Hdf5Reader> {
    if (!hasHdf5Signature(bytes)) throw inputError(file, `is not ${what} (no HDF5 signature)`);
    const mod = await h5wasm();
    const fsPath = `/lstm-gen-${process.pid}-${fileCounter++}.h5`;
    mod.FS!.writeFile(fsPath, bytes);
    let h5: H5File;
    try {
      h5 = new mod.File(fsPath, "r");
    } catch (e) {
      mod.FS!.unlink(fsPath);
      throw inputError(file, `cannot be read as HDF5 (${hdf5Reason(e)}); is it truncated or corrupt?`);
    }
    if (h5.file_id < 0n) {
      mod.FS!.unlink(fsPath);
      throw inputError(file, "cannot be read as HDF5; is it truncated or corrupt?");
    }
    return new Hdf5Reader(file, mod, h5, fsPath);
  }

  close(): void {
    try {
      this.h5.close();
    } catch {
      // Closing a file whose structure is corrupt can fail; the memory file is removed regardless.
    }
    this.mod.FS!.unlink(this.fsPath);
  }

  private fail(problem: string): LstmGenError {
    return inputError(this.file, problem);
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof LstmGenError) throw e;
      throw this.fail(`cannot read ${what} (${hdf5Reason(e)}); is the file corrupt?`);
    }
  }

  /** The kind of object at `path`: "group", "dataset", or undefined if there is none. */
  kind(path: string): "group" | "dataset" | undefined {
    return this.guard(`'${path}'`, () => {
      const p = normalize(path);
      if (p !== "/" && !this.exists(p)) return undefined;
      const obj = p === "/" ? this.h5 : this.h5.get(p);
      if (obj instanceof this.mod.Group) return "group";
      if (obj instanceof this.mod.Dataset) return "dataset";
      return undefined;
    });
  }

  /** Whether every component of `path` exists (checked one by one: HDF5 complains about missing parents). */
  private exists(p: string): boolean {
    const parts = p.split("/").filter((s) => s.length > 0);
    let at = "";
    for (const part of parts) {
      const parent = at === "" ? this.h5 : this.h5.get(at);
      if (!(parent instanceof this.mod.Group) || !parent.keys().includes(part)) return false;
      at += `/${part}`;
    }
    return true;
  }

  /** Child names of the group at `path`. */
  keys(path: string): string[] {
    return this.guard(`group '${path}'`, () => {
      const p = normalize(path);
      const g = p === "/" ? this.h5 : this.h5.get(p);
      if (!(g instanceof this.mod.Group)) throw this.fail(`'${path}' is not an HDF5 group`);
      return g.keys();
    });
  }

  /** An attribute of the object at `path` as JSON-compatible data (strings decoded), or undefined. */
  attr(path: string, name: string): unknown {
    return this.guard(`attribute '${name}' of '${path}'`, () => {
      const p = normalize(path);
      const obj = p === "/" ? this.h5 : this.h5.get(p);
      if (!obj || !("attrs" in obj)) return undefined;
      const attrs = obj.attrs;
      if (!Object.prototype.hasOwnProperty.call(attrs, name)) return undefined;
      return attrs[name]!.json_value;
    });
  }

  /** A string attribute (or a string list attribute) of `path`; undefined when absent. */
  stringAttr(path: string, name: string): string | undefined {
    const v = this.attr(path, name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    throw this.fail(`attribute '${name}' of '${path}' is not a string`);
  }

  /** A list-of-strings attribute; an absent or empty attribute gives []. */
  stringListAttr(path: string, name: string): string[] {
    const v = this.attr(path, name);
    if (v === undefined || v === null) return [];
    if (typeof v === "string") return [v];
    if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
    if (Array.isArray(v) && v.length === 0) return [];
    // An empty list is stored by h5py as a float64 array of length 0.
    if (typeof v === "object" && (v as ArrayLike<unknown>).length === 0) return [];
    throw this.fail(`attribute '${name}' of '${path}' is not a list of strings`);
  }

  /** A floating-point dataset, converted to float64. */
  dataset(path: string): H5Dataset {
    return this.guard(`dataset '${path}'`, () => {
      const p = normalize(path);
      if (!this.exists(p)) throw this.fail(`has no dataset '${path}'`);
      const d = this.h5.get(p);
      if (!(d instanceof this.mod.Dataset)) throw this.fail(`'${path}' is not an HDF5 dataset`);
      const shape = d.shape ?? [];
      const count = shape.reduce((a, b) => a * b, 1);
      if (!(count <= MAX_ELEMENTS)) throw this.fail(`dataset '${path}' has ${count} values (more than ${MAX_ELEMENTS})`);
      const meta = d.metadata;
      if (meta.type !== 1 /* H5T_FLOAT */ || (meta.size !== 4 && meta.size !== 8)) {
        throw this.fail(`dataset '${path}' has type ${JSON.stringify(d.dtype)}; only float32 and float64 weights are supported`);
      }
      const v = d.value;
      if (!(v instanceof Float32Array || v instanceof Float64Array) || v.length !== count) {
        throw this.fail(`dataset '${path}' could not be read as ${count} floating-point values`);
      }
      return { shape, data: Float64Array.from(v) };
    });
  }
}

function normalize(path: string): string {
  const p = "/" + path.split("/").filter((s) => s.length > 0).join("/");
  return p;
}
