/**
 * Hostile and broken inputs: a fixed-seed slice of the fuzzer (test/fuzz/, `npm run fuzz` runs 10,000 cases), and
 * one regression case for each bug the fuzzer found. The oracle: exit 0, or exit 2 with one line on stderr that
 * names the file; never exit 3, a thrown exception, a stack trace, or a case slower than 5 s.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeNpy } from "../compiler/data/npy.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { cli, TORCH } from "./helpers/cli.js";
import { loadCorpus } from "./fuzz/corpus.js";
import { formatSummary, fuzz, generateCase, judge } from "./fuzz/harness.js";
import { decode, deepNesting, encode, expensiveFoldingGraph } from "./fuzz/mutate-onnx.js";
import { caseSeed } from "./fuzz/rng.js";

const HANG_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), "lstm-gen-fuzz-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SINE = join(TORCH, "sine");
const SINE_MODEL = join(SINE, "model.onnx");

/** Run the CLI on a written file and require the oracle's "refused" outcome, quickly and with `fragment`. */
async function expectRefused(name: string, bytes: Uint8Array, argv: (file: string) => string[], fragment: RegExp): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const t = performance.now();
  const r = await cli(...argv(file));
  const ms = performance.now() - t;
  expect(judge(r.code, r.stderr, file), r.stderr).toEqual({ verdict: "input-error" });
  expect(r.stderr).toMatch(fragment);
  expect(ms).toBeLessThan(HANG_MS);
  return r.stderr;
}

const inspect = (file: string) => ["inspect", file];
const runOn = (file: string) => ["run", SINE_MODEL, "--input", file, "--json"];

/** The sine fixture with a constant-folding chain added (see expensiveFoldingGraph). */
function foldingModel(side: number, chain: string, depth: number): Uint8Array {
  const m = decode(readFileSync(SINE_MODEL));
  expensiveFoldingGraph(m, side, chain, depth);
  return encode(m);
}

/** Largest Float64Array created while `fn` runs (a spy on the global constructor). */
function largestFloat64Array(fn: () => void): number {
  const Original = globalThis.Float64Array;
  let largest = 0;
  class Spy extends Original {
    constructor(...args: unknown[]) {
      if (typeof args[0] === "number") largest = Math.max(largest, args[0]);
      super(...(args as [number]));
    }
  }
  globalThis.Float64Array = Spy as unknown as Float64ArrayConstructor;
  try {
    fn();
  } catch {
    // the refusal is checked by the caller
  } finally {
    globalThis.Float64Array = Original;
  }
  return largest;
}

describe("fuzz harness", () => {
  it("a case is a function of its seed", () => {
    for (let k = 0; k < 50; k++) {
      const s = caseSeed(99, k);
      const a = generateCase(s);
      const b = generateCase(s);
      expect(b.steps).toEqual(a.steps);
      expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    }
  });

  it("mutations never write into the corpus", () => {
    const corpus = loadCorpus();
    const before = corpus.models.map((m) => Buffer.from(m.bytes).toString("base64"));
    const data = corpus.targets.flatMap((t) => t.data.map((d) => Buffer.from(d.bytes).toString("base64")));
    for (let k = 0; k < 300; k++) generateCase(caseSeed(7, k), corpus);
    expect(corpus.models.map((m) => Buffer.from(m.bytes).toString("base64"))).toEqual(before);
    expect(corpus.targets.flatMap((t) => t.data.map((d) => Buffer.from(d.bytes).toString("base64")))).toEqual(data);
  });

  it("the oracle accepts a one-line error naming the file and rejects everything else", () => {
    expect(judge(0, "", "f.onnx").verdict).toBe("ok");
    expect(judge(2, "lstm-gen: f.onnx: bad\n", "f.onnx").verdict).toBe("input-error");
    expect(judge(2, "lstm-gen: other.onnx: bad\n", "f.onnx").verdict).toBe("failure");
    expect(judge(2, "lstm-gen: f.onnx: bad\nmore\n", "f.onnx").verdict).toBe("failure");
    expect(judge(3, "lstm-gen: internal error: x\n", "f.onnx").verdict).toBe("failure");
    expect(judge(2, "lstm-gen: f.onnx: bad\n    at g (/x/y.js:1:2)\n", "f.onnx").verdict).toBe("failure");
    expect(judge(undefined, "", "f.onnx").verdict).toBe("failure");
  });
});

describe("fuzz: fixed-seed cases", () => {
  it("400 mutated models and data files: exit 0 or a one-line exit 2 naming the file", async () => {
    const s = await fuzz({ cases: 400, runSeed: 20261129, hangMs: HANG_MS });
    if (s.failures.length > 0) console.log(formatSummary(s, 20261129));
    expect(s.failures.map((f) => `seed ${f.c.seed}: ${f.r.reason}: ${f.r.stderr.trim()}`)).toEqual([]);
    expect(s.ok + s.inputErrors).toBe(400);
    // The cases reach deep checks, not only "does not decode".
    expect(s.distinctErrors).toBeGreaterThan(60);
  });
});

describe("fuzz regressions", () => {
  // compiler/data/npy.ts: the header parser recursed once per '(' and overflowed the stack (exit 3).
  it("an .npy header nested 5000 deep is refused, not a stack overflow", async () => {
    const good = writeNpy(new Float64Array([0.5, 0.25]), [2, 1], "<f4");
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${"(".repeat(5000)}2${")".repeat(5000)}, }`;
    const bytes = new Uint8Array(12 + header.length + 8);
    bytes.set(good.subarray(0, 6));
    bytes[6] = 2; // version 2.0: a 4-byte header length
    new DataView(bytes.buffer).setUint32(8, header.length, true);
    bytes.set(Buffer.from(header, "latin1"), 12);
    bytes.set(good.subarray(good.length - 8), 12 + header.length);
    await expectRefused("deep.npy", bytes, runOn, /unreadable \.npy header \(nested more than 32 levels deep/);
  });

  // compiler/import/onnx/graph.ts: folding MatMul of two [2048, 2048] constants took 70 s (2^33 multiply-adds).
  it("a MatMul of two large folded constants is refused at once", async () => {
    await expectRefused("matmul.onnx", foldingModel(2048, "MatMul", 1), inspect, /node 'fz0' \(MatMul\) takes the importer past \d+ values built/);
  });

  // compiler/import/onnx/graph.ts: each Add of a [4096, 4096] constant was within the element limit, but a chain
  // of them kept every result (200 steps: 25 GiB, minutes).
  it("a chain of element-wise ops on a large constant is refused at once", async () => {
    await expectRefused("add-chain.onnx", foldingModel(1024, "Add", 200), inspect, /\(Add\) takes the importer past/);
    await expectRefused("transpose-chain.onnx", foldingModel(1024, "Transpose", 200), inspect, /\(Transpose\) takes the importer past/);
  });

  // compiler/import/onnx/graph.ts: Expand of a [1, 8192] row to [8192, 8192] took 11 s alone.
  it("an Expand to 2^26 values is refused before it is computed", async () => {
    await expectRefused("expand.onnx", foldingModel(8192, "Tanh", 1), inspect, /node 'fz_expand' \(Expand\) takes the importer past/);
  });

  // compiler/import/onnx/graph.ts: a Concat node without inputs read `undefined.kind` (exit 3).
  it("a Concat node without inputs", async () => {
    const m = decode(readFileSync(SINE_MODEL));
    const concat = m.graph!.node.find((n) => n.opType === "Concat")!;
    concat.input = [];
    await expectRefused("concat.onnx", encode(m), inspect, /\(Concat\) is not supported here: it has no inputs/);
  });

  // compiler/import/onnx/proto.ts: an initializer whose dims ask for 2^26 values was allocated (512 MiB) before its
  // 4 bytes of raw data were compared with the dims.
  it("a tensor whose dims promise more values than it stores is refused before allocating", async () => {
    const m = decode(readFileSync(SINE_MODEL));
    const t = m.graph!.initializer.find((x) => x.name === "head.bias")!;
    t.dims = [1 << 26];
    const bytes = encode(m);
    expect(largestFloat64Array(() => importOnnx("x.onnx", bytes))).toBeLessThan(1 << 20);
    await expectRefused("dims.onnx", bytes, inspect, /initializer 'head\.bias' has 4 bytes of raw data, but dims \[67108864\] need 268435456/);
  });

  it("JSON nested 10^5 deep and protobuf messages nested 10^5 deep are input errors", async () => {
    await expectRefused("deep.json", new TextEncoder().encode(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`), runOn, /nested 100000 deep/);
    await expectRefused("deep.onnx", deepNesting(100_000), inspect, /not an ONNX model/);
  });

  it("a graph with a two-node cycle", async () => {
    const m = decode(readFileSync(SINE_MODEL));
    const [a, b] = m.graph!.node.filter((n) => n.opType === "Transpose");
    a!.input[0] = b!.output[0]!;
    b!.input[0] = a!.output[0]!;
    await expectRefused("cycle.onnx", encode(m), inspect, /the graph has a cycle through tensor/);
  });

  it("dims whose product overflows 2^53", async () => {
    const m = decode(readFileSync(SINE_MODEL));
    m.graph!.initializer[0]!.dims = [2 ** 27, 2 ** 27, 2 ** 27];
    await expectRefused("overflow.onnx", encode(m), inspect, /more than the limit of 67108864/);
    m.graph!.initializer[0]!.dims = [3, -5];
    await expectRefused("negative.onnx", encode(m), inspect, /invalid dimension -5/);
  });
});
