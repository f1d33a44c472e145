/**
 * Format-aware mutations of input data: .npy header and payload corruption, JSON structure mutations (ragged,
 * wrong types, deep nesting), CSV garbage. Each returns new bytes and what it did.
 */
import type { Mutated } from "./mutate-bytes.js";
import type { Rng } from "./rng.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

// ---------------------------------------------------------------------------------------------------------
// .npy

interface NpyParts {
  readonly major: number;
  readonly header: string;
  readonly data: Uint8Array;
}

function splitNpy(b: Uint8Array): NpyParts | undefined {
  if (b.length < 10) return undefined;
  const major = b[6]!;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pre = major === 1 ? 10 : 12;
  if (b.length < pre) return undefined;
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (pre + len > b.length) return undefined;
  return { major, header: Buffer.from(b.subarray(pre, pre + len)).toString("latin1"), data: b.slice(pre + len) };
}

/** Re-assemble with a correct header length field (unless `lengthField` overrides it). */
function joinNpy(p: NpyParts, lengthField?: number, major = p.major): Uint8Array {
  const header = Buffer.from(p.header, major === 3 ? "utf8" : "latin1");
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + header.length + p.data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  const len = lengthField ?? header.length;
  if (major === 1) view.setUint16(8, len & 0xffff, true);
  else view.setUint32(8, len >>> 0, true);
  out.set(header, pre);
  out.set(p.data, pre + header.length);
  return out;
}

function dict(descr: string, fortran: string, shape: string): string {
  return `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
}

function currentShape(header: string): number[] {
  const m = /'shape':\s*\(([^)]*)\)/.exec(header);
  return m ? m[1]!.split(",").filter((s) => s.trim()).map(Number) : [1, 1];
}

function currentDescr(header: string): string {
  return /'descr':\s*('[^']*')/.exec(header)?.[1] ?? "'<f4'";
}

const HUGE_DIMS = ["2**40", "1099511627776", "268435457", "268435456", "9007199254740993", "99999999999999999999999", "-5", "0", "1L", "3L"];

export function mutateNpy(rng: Rng, b: Uint8Array): Mutated {
  const p = splitNpy(b);
  if (!p) return { bytes: b, what: "npy: unreadable seed, unchanged" };
  const shape = currentShape(p.header);
  const descr = currentDescr(p.header);
  const kind = rng.int(12);
  switch (kind) {
    case 0: {
      // Shape tuple with huge, negative or overflowing values (each within limits but the product not).
      const dims = shape.map(String);
      const choice = rng.int(3);
      if (choice === 0) dims[rng.int(dims.length)] = rng.pick(HUGE_DIMS);
      else if (choice === 1) dims.splice(0, dims.length, "268435456", "268435456", "268435456");
      else dims.splice(0, dims.length, "16384", "16384");
      const h = dict(descr, "False", `(${dims.join(", ")}${dims.length === 1 ? "," : ""})`);
      return { bytes: joinNpy({ ...p, header: h }), what: `npy shape (${dims.join(", ")})` };
    }
    case 1: {
      const d = rng.pick(["'<i4'", "'>f4'", "'>f8'", "'<f2'", "'|b1'", "'<c8'", "'<U10'", "'O'", "[('a', '<f4')]", "'<f16'", "''", "'<f4' '<f8'", "None", "4"]);
      return { bytes: joinNpy({ ...p, header: dict(d, "False", `(${shape.join(", ")})`) }), what: `npy descr ${d}` };
    }
    case 2: {
      const f = rng.pick(["True", "0", "None", "'no'", "Falsey"]);
      return { bytes: joinNpy({ ...p, header: dict(descr, f, `(${shape.join(", ")})`) }), what: `npy fortran_order ${f}` };
    }
    case 3: {
      // Deeply nested header value: a recursive parser's stack.
      const depth = rng.pick([100, 1000, 5000, 20000, 60000]);
      const open = rng.pick(["(", "[", "{'a': "]);
      const close = open === "(" ? ")" : open === "[" ? "]" : "}";
      const h = `{'descr': '<f4', 'fortran_order': False, 'shape': ${open.repeat(depth)}1${close.repeat(depth)}, }`;
      return { bytes: joinNpy({ ...p, header: h }, undefined, h.length > 0xffff ? 2 : p.major), what: `npy header nested ${depth} deep with '${open}'` };
    }
    case 4: {
      const len = rng.pick([0, 1, 0xffff, p.header.length + 1, p.header.length - 1, 2 ** 16, 2 ** 31, 2 ** 32 - 1]);
      return { bytes: joinNpy(p, len, len > 0xffff ? 2 : p.major), what: `npy header length field ${len}` };
    }
    case 5: {
      const major = rng.pick([0, 2, 3, 4, 255]);
      const out = joinNpy(p, undefined, major >= 1 && major <= 3 ? major : 1);
      out[6] = major;
      if (rng.chance(0.3)) out[7] = rng.pick([1, 255]);
      return { bytes: out, what: `npy version ${major}` };
    }
    case 6: {
      // NaN / Inf in the payload.
      const data = p.data.slice();
      const view = new DataView(data.buffer);
      const f8 = descr.includes("f8");
      const size = f8 ? 8 : 4;
      const n = Math.floor(data.length / size);
      if (n === 0) return { bytes: b, what: "npy: no data" };
      const i = rng.int(n);
      const v = rng.pick([NaN, Infinity, -Infinity, 3.4e38, 1e308, -0, 5e-324]);
      if (f8) view.setFloat64(i * 8, v, true);
      else view.setFloat32(i * 4, v, true);
      return { bytes: joinNpy({ ...p, data }), what: `npy value [${i}] = ${v}` };
    }
    case 7: {
      const d = rng.int(3);
      const data = d === 0 ? p.data.slice(0, Math.max(0, p.data.length - rng.range(1, 16))) : d === 1 ? new Uint8Array([...p.data, ...new Uint8Array(rng.range(1, 16))]) : new Uint8Array();
      return { bytes: joinNpy({ ...p, data }), what: `npy payload ${p.data.length} → ${data.length} bytes` };
    }
    case 8: {
      // A different rank or feature count with consistent payload size.
      const n = shape.reduce((a, x) => a * x, 1);
      const alts = [[n], [1, n], [n, 1], [1, 1, n], [n, 1, 1], [1, 1, 1, n], []];
      const s = rng.pick(alts);
      const h = dict(descr, "False", s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);
      return { bytes: joinNpy({ ...p, header: h }), what: `npy shape (${s.join(", ")})` };
    }
    case 9: {
      const h = rng.pick([
        "",
        "{}",
        "{'descr': '<f4'}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
        "{'descr: '<f4', 'fortran_order': False, 'shape': (2, 3)}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
        "[1, 2, 3]",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2., 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (+2, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': ('2', 3)}",
        "{'descr': '<f4\\', 'fortran_order': False, 'shape': (2, 3)}",
        "\u0000\u0000\u0000",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n\u00ff\u00fe",
      ]);
      return { bytes: joinNpy({ ...p, header: h }), what: `npy header ${JSON.stringify(h.slice(0, 40))}` };
    }
    case 10: {
      // Junk inside the header text.
      const bytes = Buffer.from(p.header, "latin1");
      const at = rng.int(bytes.length + 1);
      const junk = rng.pick(["\n", "\u0000", "'", "(", ")", "{", "}", ",", ":", "\\", "\u00e9", "1".repeat(400)]);
      const h = bytes.toString("latin1").slice(0, at) + junk + bytes.toString("latin1").slice(at);
      return { bytes: joinNpy({ ...p, header: h }), what: `npy header junk ${JSON.stringify(junk.slice(0, 4))} at ${at}` };
    }
    default: {
      // A huge shape with a tiny payload: must be refused before allocating.
      const h = dict(descr, "False", `(${rng.pick(["268435456, 1", "1, 268435456", "65536, 4096", "4096, 4096, 16", "1, 1, 268435456"])})`);
      return { bytes: joinNpy({ ...p, header: h }), what: `npy huge shape ${h.slice(-25)}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// JSON

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A random path into nested arrays; returns the parent array and index. */
function randomSlot(rng: Rng, root: Json): { parent: Json[]; index: number; depth: number } | undefined {
  let cur: Json = root;
  let parent: Json[] | undefined;
  let index = 0;
  let depth = 0;
  while (Array.isArray(cur) && cur.length > 0) {
    parent = cur;
    index = rng.int(cur.length);
    cur = cur[index]!;
    depth++;
    if (rng.chance(0.25)) break;
  }
  return parent ? { parent, index, depth } : undefined;
}

const JSON_VALUES: readonly Json[] = [null, true, "1.5", "", "NaN", {}, [], [[]], 1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, { data: [] }];

export function mutateJson(rng: Rng, b: Uint8Array): Mutated {
  let root: Json;
  try {
    root = JSON.parse(dec(b)) as Json;
  } catch {
    return jsonText(rng, b);
  }
  try {
    return jsonStructure(rng, b, root);
  } catch (e) {
    // JSON.stringify recurses: a seed that an earlier step nested 10^5 deep only takes text mutations.
    if (e instanceof RangeError) return jsonText(rng, b);
    throw e;
  }
}

/** Text-level: tokens JSON.parse must refuse, or that yield non-finite numbers. */
function jsonText(rng: Rng, b: Uint8Array): Mutated {
  const s = dec(b);
  const at = rng.int(s.length + 1);
  const tok = rng.pick(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "0x10", "01", "1.", ".5", "1e", "\u0000", "\"\\ud800\"", "// c", ",", "]", "[", "\"", "\ufeff", "1".repeat(400), "9".repeat(100_000)]);
  return { bytes: enc(s.slice(0, at) + tok + s.slice(at)), what: `json text insert ${JSON.stringify(tok.slice(0, 12))} at ${at}` };
}

function jsonStructure(rng: Rng, b: Uint8Array, root: Json): Mutated {
  const kind = rng.int(10);
  switch (kind) {
    case 0: {
      const depth = rng.pick([100, 1000, 10_000, 100_000]);
      const open = rng.pick(["[", '{"data":', '{"a":'] as const);
      const close = open === "[" ? "]" : "}";
      const s = `${open.repeat(depth)}1${close.repeat(depth)}`;
      const wrapped = rng.chance(0.5) ? s : `{"data": [[${s}]]}`;
      return { bytes: enc(wrapped), what: `json nested ${depth} deep with '${open}'` };
    }
    case 1: {
      const slot = randomSlot(rng, root);
      if (!slot) return { bytes: enc("[]"), what: "json empty array" };
      slot.parent[slot.index] = rng.pick(JSON_VALUES);
      return { bytes: enc(JSON.stringify(root)), what: `json element at depth ${slot.depth} = ${JSON.stringify(slot.parent[slot.index])}` };
    }
    case 2: {
      // Ragged: one row longer or shorter.
      const slot = randomSlot(rng, root);
      if (!slot) return { bytes: b, what: "json: no slot" };
      const v = slot.parent[slot.index];
      if (Array.isArray(v)) {
        if (rng.chance(0.5) && v.length > 0) v.pop();
        else v.push(rng.chance(0.5) ? 0.5 : [0.5]);
      } else slot.parent.splice(slot.index, 1);
      return { bytes: enc(JSON.stringify(root)), what: `json ragged at depth ${slot.depth}` };
    }
    case 3: {
      // Deeper than expected by wrapping one element.
      const slot = randomSlot(rng, root);
      if (!slot) return { bytes: b, what: "json: no slot" };
      slot.parent[slot.index] = [slot.parent[slot.index]!];
      return { bytes: enc(JSON.stringify(root)), what: `json element at depth ${slot.depth} wrapped` };
    }
    case 4: {
      const v = rng.pick<Json>([1, "x", null, {}, { data: 1 }, { Data: [[1]] }, { data: null }, [1, 2, 3], [[[[[1]]]]], [[], []], [[[]]], [[1], 2], { __proto__: [[1]] } as unknown as Json]);
      return { bytes: enc(JSON.stringify(v)), what: `json root ${JSON.stringify(v)}` };
    }
    case 5:
      return jsonText(rng, b);
    case 6: {
      // Wide: many sequences or features (bounded so a case stays fast).
      const n = rng.pick([1000, 20_000]);
      const shape = rng.pick(["features", "steps", "sequences"] as const);
      const seqs =
        shape === "features" ? [[Array.from({ length: n }, () => 0.25)]]
        : shape === "steps" ? [Array.from({ length: n }, () => [0.25])]
        : Array.from({ length: n }, () => [[0.25]]);
      return { bytes: enc(JSON.stringify(seqs)), what: `json ${n} ${shape}` };
    }
    case 7: {
      const bom = rng.chance(0.5);
      const body = bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...b]) : new Uint8Array([...b.subarray(0, rng.int(b.length + 1)), 0xc3, 0x28, ...b.subarray(rng.int(b.length + 1))]);
      return { bytes: body, what: bom ? "json with BOM" : "json invalid UTF-8" };
    }
    case 8: {
      // Key games on the object form.
      const data = Array.isArray(root) ? root : (root as { data?: Json } | null)?.data ?? [];
      const s = rng.pick([
        `{"data": ${JSON.stringify(data)}, "data": 1}`,
        `{"data": 1, "data": ${JSON.stringify(data)}}`,
        `{"__proto__": {"data": ${JSON.stringify(data)}}}`,
        `{"constructor": ${JSON.stringify(data)}}`,
        `{"data": {"data": ${JSON.stringify(data)}}}`,
      ]);
      return { bytes: enc(s), what: `json keys ${s.slice(0, 30)}` };
    }
    default: {
      // Mixed sequence lengths and depths.
      const seq = Array.isArray(root) && Array.isArray(root[0]) && Array.isArray((root[0] as Json[])[0]) ? (root[0] as Json) : root;
      const v = [seq, [[0.5]], [], seq];
      return { bytes: enc(JSON.stringify(v)), what: "json mixed sequences" };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

const CELLS = ["", " ", "nan", "NaN", "inf", "-Infinity", "1e999", "-1e999", "1e-999", "0x1A", "1,5", "1;2", "1\t2", "\"1\"", "'1'", "1.2.3", "--1", "+.", "١", "1_000", "\u0000", "#", "e5", "5e", "1e+", ".", "+", "-"];

export function mutateCsv(rng: Rng, b: Uint8Array): Mutated {
  const s = dec(b);
  const lines = s.split("\n");
  const kind = rng.int(9);
  const li = rng.int(lines.length);
  switch (kind) {
    case 0: {
      const cells = lines[li]!.split(",");
      const c = rng.int(cells.length);
      cells[c] = rng.pick(CELLS);
      lines[li] = cells.join(",");
      return { bytes: enc(lines.join("\n")), what: `csv line ${li + 1} cell ${c + 1} = ${JSON.stringify(cells[c])}` };
    }
    case 1: {
      lines[li] = rng.chance(0.5) ? `${lines[li]},0.5` : lines[li]!.split(",").slice(1).join(",");
      return { bytes: enc(lines.join("\n")), what: `csv line ${li + 1} column count changed` };
    }
    case 2: {
      const eol = rng.pick(["\r\n", "\r", "\n\n", "\n\n\n", "\u2028", "\u0085"]);
      return { bytes: enc(lines.join(eol)), what: `csv line ends ${JSON.stringify(eol)}` };
    }
    case 3: {
      lines.splice(li, 0, rng.pick(["# comment", "a,b,c", "x0", "", "   ", ",,,", "\"a,b\",c", "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9"]));
      return { bytes: enc(lines.join("\n")), what: `csv line inserted at ${li + 1}` };
    }
    case 4: {
      const n = rng.pick([1000, 100_000]);
      const long = rng.chance(0.5) ? Array.from({ length: n }, () => "0.5").join(",") : "1".repeat(n);
      lines.splice(li, 0, long);
      return { bytes: enc(lines.join("\n")), what: `csv long line (${n}) at ${li + 1}` };
    }
    case 5: {
      const junk = rng.bytes(rng.range(1, 64));
      return { bytes: new Uint8Array([...b.subarray(0, rng.int(b.length + 1)), ...junk]), what: "csv binary junk" };
    }
    case 6: {
      const sep = rng.pick([";", "\t", " ", "|"]);
      return { bytes: enc(s.replaceAll(",", sep)), what: `csv separator ${JSON.stringify(sep)}` };
    }
    case 7: {
      const v = rng.pick(["", "\n\n\n", "#only\n#comments\n", "x0\n", "x0,x1\n\n", "\ufeffx0\n1\n", ",\n", "1\n\n\n\n2\n"]);
      return { bytes: enc(v), what: `csv whole file ${JSON.stringify(v)}` };
    }
    default: {
      // Many tiny sequences (each row its own sequence).
      return { bytes: enc(lines.join("\n\n")), what: "csv blank line between every row" };
    }
  }
}
