/**
 * The WebAssembly target on the IR extensions of docs/fixed-point.md §7.3 (input dense layers) and §7.4 (flattening
 * head): the RTNeural and tflite-micro MNIST models and small random models covering both features reproduce the
 * golden model bit for bit in the scalar and the SIMD build — whole sequences through run(), and (streaming models)
 * frame by frame through step() (all zeros before step T for a flattening head) and in chunks through feed().
 */
import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { goldenInit, goldenStep, runGolden } from "../compiler/golden/golden.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { emitAssemblyScript } from "../targets/wasm/emit.js";
import { compileChecked, engineSource, runWasmEngine } from "../targets/wasm/engine.js";
import type { IntSeq } from "./helpers/c-models.js";
import { CASES } from "./helpers/extension-models.js";
import { expectSameInts } from "./helpers/wasm-compare.js";

interface StreamExports {
  readonly memory: WebAssembly.Memory;
  reset(): void;
  step(): void;
  feed(steps: number): number;
  run(steps: number): number;
  inputPtr(): number;
  outputPtr(): number;
  readonly STREAMING: WebAssembly.Global;
}

async function checkStreaming(qm: QuantizedModel, seqs: readonly IntSeq[], simd: boolean): Promise<number> {
  const { module } = await compileChecked(engineSource(qm, seqs), simd);
  const ex = (await WebAssembly.instantiate(module, {})).exports as unknown as StreamExports;
  if (typeof ex.step !== "function") return 0;
  const I = qm.input.size;
  const O = qm.outputSize;
  const flatT = qm.head?.reads === "flatten" ? qm.head.steps! : undefined;
  for (const [n, s] of seqs.entries()) {
    // step(): one frame at a time against goldenStep.
    ex.reset();
    const st = goldenInit(qm);
    const want = new Int16Array(O);
    for (let t = 0; t < s.steps; t++) {
      new Int16Array(ex.memory.buffer, ex.inputPtr(), I).set(s.xq.subarray(t * I, (t + 1) * I));
      ex.step();
      goldenStep(qm, st, s.xq.subarray(t * I, (t + 1) * I), want);
      expectSameInts(new Int16Array(ex.memory.buffer, ex.outputPtr(), O).slice(), want, O, `sequence ${n} step ${t}, ${simd ? "SIMD" : "scalar"}`);
    }
    // feed(): two chunks give what run() gives.
    const golden = runGolden(qm, s.xq, s.steps).output;
    const cut = Math.max(1, Math.floor(s.steps / 2));
    ex.reset();
    new Int16Array(ex.memory.buffer, ex.inputPtr(), cut * I).set(s.xq.subarray(0, cut * I));
    const n1 = ex.feed(cut);
    const first = new Int16Array(ex.memory.buffer, ex.outputPtr(), n1).slice();
    if (s.steps > cut) {
      new Int16Array(ex.memory.buffer, ex.inputPtr(), (s.steps - cut) * I).set(s.xq.subarray(cut * I));
      const n2 = ex.feed(s.steps - cut);
      const second = new Int16Array(ex.memory.buffer, ex.outputPtr(), n2).slice();
      if (flatT !== undefined) {
        expect(Array.from(first)).toEqual(new Array<number>(O).fill(0));
        expectSameInts(second, golden, O, `sequence ${n} fed in two chunks`);
        // A third chunk would pass step T: refused.
        expect(ex.feed(1)).toBe(-1);
      } else if (qm.head?.reads === "every") {
        expectSameInts(Int16Array.from([...first, ...second]), golden, O, `sequence ${n} fed in two chunks`);
      }
    }
    if (flatT !== undefined) expect(ex.run(flatT - 1)).toBe(-1);
  }
  return 1;
}

const cases = CASES.filter((c) => !c.headOnly);

describe("--target wasm on a model without LSTM layers", () => {
  it("is a one-line usage error that points to --target c (which compiles it)", async () => {
    for (const c of CASES.filter((x) => x.headOnly)) {
      const { qm } = await c.load();
      let caught: unknown;
      try {
        emitAssemblyScript(qm, { name: "m", version: "0", modelHash: "h" });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LstmGenError);
      expect((caught as LstmGenError).kind).toBe("usage");
      expect((caught as LstmGenError).message).toMatch(/no LSTM layer .*--target c takes this one$/);
    }
  });
});

describe.concurrent("--target wasm on input dense layers and flattening heads", () => {
  for (const c of cases) {
    it(`${c.label}: bit-exact, scalar and SIMD; run, step and feed`, async () => {
      const { qm, seqs } = await c.load();
      const golden = seqs.map((s) => runGolden(qm, s.xq, s.steps).output);
      for (const simd of [false, true]) {
        const outs = await runWasmEngine(qm, seqs, { simd });
        outs.forEach((o, k) => expectSameInts(o, golden[k]!, qm.outputSize, `sequence ${k}, ${simd ? "SIMD" : "scalar"}`));
        expect(await checkStreaming(qm, seqs, simd)).toBe(qm.layers.every((l) => l.direction === "forward") ? 1 : 0);
      }
    }, 180_000);
  }

  it("documents the extensions in the generated header", async () => {
    const { qm } = await cases.find((c) => c.label.startsWith("MNIST"))!.load();
    const src = emitAssemblyScript(qm, { name: "m", version: "t", modelHash: "-" });
    expect(src).toMatch(/Head reads all 28 steps flattened \(§7\.4\): run\(\) takes exactly 28 steps/);
    const rt = await cases.find((c) => c.label.startsWith("RTNeural"))!.load();
    expect(emitAssemblyScript(rt.qm, { name: "m", version: "t", modelHash: "-" })).toMatch(/Input dense 0 .*: 1→8 every step, tanh, out frac 15 \(§7\.3\)/);
  });
});
