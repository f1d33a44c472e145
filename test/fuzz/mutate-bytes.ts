/**
 * Format-blind byte mutations: they model a file that was cut short, corrupted on disk or in transfer, or
 * spliced from another file. Each returns the new bytes and a short description for the failure report.
 */
import type { Rng } from "./rng.js";

export interface Mutated {
  readonly bytes: Uint8Array;
  readonly what: string;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x27, 0x2c, 0x5b, 0x5d, 0x7b, 0x7d];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A position biased towards the start, where headers live. */
function position(rng: Rng, length: number): number {
  if (length === 0) return 0;
  return rng.chance(0.4) ? rng.int(Math.min(length, 256)) : rng.int(length);
}

export function truncate(rng: Rng, b: Uint8Array): Mutated {
  const at = position(rng, b.length);
  return { bytes: b.slice(0, at), what: `truncate to ${at} of ${b.length} bytes` };
}

export function bitFlips(rng: Rng, b: Uint8Array): Mutated {
  const out = b.slice();
  const n = rng.range(1, 8);
  const at: number[] = [];
  for (let k = 0; k < n && out.length > 0; k++) {
    const p = position(rng, out.length);
    const bit = rng.int(8);
    out[p] = out[p]! ^ (1 << bit);
    at.push(p * 8 + bit);
  }
  return { bytes: out, what: `flip bits ${at.join(",")}` };
}

export function overwrite(rng: Rng, b: Uint8Array): Mutated {
  const out = b.slice();
  const n = rng.range(1, 4);
  const at: string[] = [];
  for (let k = 0; k < n && out.length > 0; k++) {
    const p = position(rng, out.length);
    const v = rng.chance(0.7) ? rng.pick(INTERESTING) : rng.int(256);
    out[p] = v;
    at.push(`${p}=0x${v.toString(16)}`);
  }
  return { bytes: out, what: `overwrite bytes ${at.join(",")}` };
}

export function insert(rng: Rng, b: Uint8Array): Mutated {
  const at = position(rng, b.length + 1);
  const n = rng.weighted([
    [6, rng.range(1, 8)],
    [2, rng.range(9, 256)],
    [1, rng.range(257, 4096)],
  ]);
  const fill = rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING));
  return { bytes: concat(b.subarray(0, at), fill, b.subarray(at)), what: `insert ${n} bytes at ${at}` };
}

export function remove(rng: Rng, b: Uint8Array): Mutated {
  if (b.length === 0) return { bytes: b, what: "remove nothing (empty)" };
  const at = position(rng, b.length);
  const n = Math.min(b.length - at, rng.chance(0.7) ? rng.range(1, 8) : rng.range(1, Math.max(1, b.length >> 2)));
  return { bytes: concat(b.subarray(0, at), b.subarray(at + n)), what: `delete ${n} bytes at ${at}` };
}

export function duplicate(rng: Rng, b: Uint8Array): Mutated {
  if (b.length === 0) return { bytes: b, what: "duplicate nothing (empty)" };
  const from = rng.int(b.length);
  const n = Math.min(b.length - from, rng.range(1, 512));
  const to = rng.int(b.length + 1);
  const chunk = b.slice(from, from + n);
  return { bytes: concat(b.subarray(0, to), chunk, b.subarray(to)), what: `copy ${n} bytes from ${from} to ${to}` };
}

/** Replace the tail from `at` with the tail of another file (a crossover of two seeds). */
export function splice(rng: Rng, b: Uint8Array, other: Uint8Array): Mutated {
  const at = rng.int(b.length + 1);
  const from = rng.int(other.length + 1);
  return { bytes: concat(b.subarray(0, at), other.subarray(from)), what: `splice other file from ${from} at ${at}` };
}

export const BYTE_MUTATIONS = { truncate, bitFlips, overwrite, insert, remove, duplicate } as const;

/** One random byte mutation. */
export function mutateBytes(rng: Rng, b: Uint8Array, other?: Uint8Array): Mutated {
  const kinds = Object.values(BYTE_MUTATIONS);
  if (other && rng.chance(0.08)) return splice(rng, b, other);
  return rng.pick(kinds)(rng, b);
}
