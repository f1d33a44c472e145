/**
 * The benchmark suite's report writers, from a fixed result object (the suite itself is not run in `npm test`):
 * docs/benchmarks.md must hold well-formed tables with the CMSIS-NN ratios computed from the figures, and
 * docs/benchmarks.svg must be well-formed SVG with one bar per series and size.
 */
import { describe, expect, it } from "vitest";
import { CMSIS_NN } from "../compiler/bench/cmsis.js";
import type { McuResult } from "../compiler/bench/mcu.js";
import { renderMarkdown, renderSvg, type SuiteResult } from "../compiler/bench/render.js";
import type { WasmResult } from "../compiler/bench/wasm.js";
import type { Mcu } from "../targets/c/toolchain.js";

function mcu(m: Mcu, perStep: number): McuResult {
  return {
    mcu: m,
    instructionsPerStep: perStep,
    minStep: perStep - 3,
    maxStep: perStep + 3,
    streaming: true,
    steps: 20,
    compiler: m === "rv32imc" ? "riscv64-unknown-elf-gcc 12.2.0 -O2" : "arm-none-eabi-gcc 12.2.1 -O2",
    flashWeights: 4_500,
    flashCode: 1_200,
    ramState: 128,
    ramScratch: 64,
    stackWorst: 96,
    maxSteps: 128,
  };
}

const wasm: WasmResult = {
  steps: 20,
  streaming: true,
  engines: [
    { engine: "lstm-gen scalar", stepUs: 5, sequenceUs: 100, stepUsMedian: 6, sequenceUsMedian: 110 },
    { engine: "lstm-gen simd", stepUs: 1.5, sequenceUs: 30, stepUsMedian: 1.6, sequenceUsMedian: 33 },
    { engine: "onnxruntime-node", stepUs: 20, sequenceUs: 25, stepUsMedian: 22, sequenceUsMedian: 27 },
    { engine: "onnxruntime-web", stepUs: 40, sequenceUs: 200, stepUsMedian: 45, sequenceUsMedian: 210 },
  ],
  ratios: [
    { engine: "lstm-gen scalar", versus: "onnxruntime-node", step: 0.25, sequence: 4 },
    { engine: "lstm-gen scalar", versus: "onnxruntime-web", step: 0.125, sequence: 0.5 },
    { engine: "lstm-gen simd", versus: "onnxruntime-node", step: 0.075, sequence: 1.2 },
    { engine: "lstm-gen simd", versus: "onnxruntime-web", step: 0.0375, sequence: 0.15 },
  ],
  notes: ["onnxruntime per step: a one-step sequence from the zero state"],
  loadAverage: 1.5,
  node: "20.0.0",
};

const RESULT: SuiteResult = {
  version: "0.1.0",
  node: "20.0.0",
  compilers: { arm: "arm-none-eabi-gcc 12.2.1 -O2", riscv: "riscv64-unknown-elf-gcc 12.2.0 -O2" },
  weights: "int8",
  cell: "int16",
  steps: 20,
  loadAverage: { before: 1.25, after: 1.5 },
  cpus: 2,
  models: [
    {
      name: "lstm 1×32",
      description: "LSTM 1→32, no head",
      cmsisKey: "1x32",
      mcu: { "cortex-m0": mcu("cortex-m0", 34_878), "cortex-m4": mcu("cortex-m4", 13_743), "cortex-m7": mcu("cortex-m7", 13_500), rv32imc: mcu("rv32imc", 30_000) },
      wasm,
      nativeFloor: { plain128Us: 0.5, unrolled128Us: 0.4, avx256Us: 0.25, macs: 4352, compiler: "cc -O2" },
    },
    {
      name: "lstm 40×128",
      description: "LSTM 40→128, no head",
      cmsisKey: "40x128",
      mcu: { "cortex-m4": mcu("cortex-m4", 200_000) },
      errors: ["cortex-m0: arm-none-eabi-gcc failed | asm operand has impossible constraints"],
    },
    {
      name: "torch/sine",
      description: "LSTM 1→32, Linear(32,1) every step",
      mcu: { "cortex-m4": mcu("cortex-m4", 15_000) },
      wasm,
    },
  ],
};

/** The markdown tables of a document: runs of lines starting with "|". */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of md.split("\n")) {
    if (line.startsWith("|")) cur.push(line);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Cells of a table row, honouring "\|" escapes. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Checks that every tag is closed in order (a small XML well-formedness check, enough for hand-written SVG). */
function checkXml(xml: string): string[] {
  const stack: string[] = [];
  const tags: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml)) !== null) {
    const between = xml.slice(last, m.index);
    expect(between, `stray markup before <${m[2]}>`).not.toMatch(/[<>]/);
    expect(between, "unescaped &").not.toMatch(/&(?!(amp|lt|gt|quot|#\d+);)/);
    last = re.lastIndex;
    const [, close, name, , selfClose] = m;
    tags.push(name!);
    if (close) expect(stack.pop(), `</${name}>`).toBe(name);
    else if (!selfClose) stack.push(name!);
  }
  expect(xml.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
  return tags;
}

describe("benchmark report", () => {
  const md = renderMarkdown(RESULT);

  it("markdown: every table is well formed (one separator row, the same number of cells in every row)", () => {
    const ts = tables(md);
    expect(ts.length).toBeGreaterThanOrEqual(4);
    for (const t of ts) {
      const width = cells(t[0]!).length;
      expect(cells(t[1]!).every((c) => /^-{3}:?$/.test(c)), t[1]).toBe(true);
      for (const row of t) expect(cells(row), row).toHaveLength(width);
      expect(t.join("\n")).not.toMatch(/NaN|undefined|Infinity/);
    }
  });

  it("markdown: the CMSIS-NN table has lstm-gen's ratios to CMSIS-NN s8 and s16 on M4 and s8 on M0", () => {
    const t = tables(md).find((x) => x[0]!.includes("CMSIS-NN s8 M4"))!;
    expect(cells(t[0]!)).toEqual(["input × hidden", "lstm-gen M4", "CMSIS-NN s8 M4", "ratio", "CMSIS-NN s16 M4", "ratio", "CMSIS-NN float32 M4F", "lstm-gen M0", "CMSIS-NN s8 M0", "ratio"]);
    const c = CMSIS_NN["1x32"]!;
    expect(cells(t[2]!)).toEqual([
      "1 × 32",
      "13,743",
      "27,486",
      `${(13_743 / c.s8M4).toFixed(2)}×`,
      "31,758",
      `${(13_743 / c.s16M4).toFixed(2)}×`,
      "33,559",
      "34,878",
      "69,756",
      `${(34_878 / c.s8M0).toFixed(2)}×`,
    ]);
    // A failed measurement is a dash, and listed with its reason.
    expect(cells(t[3]!).slice(7)).toEqual(["—", "662,894", "—"]);
    expect(md).toMatch(/^- lstm 40×128, cortex-m0: arm-none-eabi-gcc failed \| asm operand/m);
    // The fixture has no CMSIS-NN figures.
    expect(t).toHaveLength(4);
  });

  it("markdown: WebAssembly appears only as ratios, with the load average", () => {
    const t = tables(md).find((x) => x[0]!.includes("ort-node"))!;
    expect(cells(t[2]!)).toEqual(["lstm 1×32", "0.07", "1.20", "0.04", "0.15", "0.25", "4.00", "0.13", "0.50"]);
    expect(md).toContain("load average 1.25 before and 1.50 after");
    expect(md).not.toMatch(/µs/);
    expect(md).not.toMatch(/overloaded/);
    // A load average above the CPU count is called out next to the ratios.
    expect(renderMarkdown({ ...RESULT, loadAverage: { before: 1.5, after: 5.25 } })).toMatch(/overloaded \(load average above its 2 CPUs\)/);
  });

  it("markdown: the native floor as ratios to the budgets the WebAssembly goals imply", () => {
    const t = tables(md).find((x) => x[0]!.includes("step budget (20× ort-web)"))!;
    // Budgets from the timings above: step 40 / 20 = 2 µs; sequence 200 / 3 / 20 (ort-web) and 25 / 1.5 / 20 (ort-node) µs.
    expect(cells(t[2]!)).toEqual(["lstm 1×32", "4,352", `${(0.4 / 2).toFixed(2)}×`, `${(0.25 / 2).toFixed(2)}×`, `${(0.4 / (200 / 60)).toFixed(2)}×`, `${(0.4 / (25 / 30)).toFixed(2)}×`, `${(1.5 / 0.4).toFixed(2)}×`]);
    expect(t).toHaveLength(3);
    expect(md).toMatch(/## WebAssembly goals against the machine/);
    const off = renderMarkdown({ ...RESULT, models: RESULT.models.map((m) => (m.nativeFloor ? { ...m, nativeFloor: { skipped: "needs an x86-64 host (this is arm64)" } } : m)) });
    expect(off).toContain("Not measured: needs an x86-64 host (this is arm64).");
    expect(tables(off).some((x) => x[0]!.includes("step budget"))).toBe(false);
  });

  it("markdown: the compile time section, only when measured", () => {
    expect(md).not.toContain("## Compile time");
    const withTime = renderMarkdown({ ...RESULT, compileTime: { model: "lstm 40×128", firstMs: 2345, warmMs: [812, 760, 1004] } });
    const t = tables(withTime).find((x) => x[0]!.includes("first round"))!;
    expect(cells(t[0]!)).toEqual(["first round", "the 3 rounds after it"]);
    expect(cells(t[2]!)).toEqual(["2.35 s", "0.76–1.00 s"]);
    expect(withTime).toMatch(/## Compile time\n\nlstm 40×128, C and WebAssembly/);
  });

  it("svg: well formed, one bar per series and size, values in the tooltips", () => {
    const svg = renderSvg(RESULT);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const tags = checkXml(svg);
    expect(tags[0]).toBe("svg");
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    // Two sizes with CMSIS-NN figures × 5 series, one bar missing (40×128 on M0): 9 bars + 5 legend swatches + background.
    const bars = [...svg.matchAll(/<rect [^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => m[1]);
    expect(bars).toHaveLength(9);
    expect(bars).toContain("lstm-gen Cortex-M4: 13,743");
    expect(bars).toContain("CMSIS-NN s8 Cortex-M0: 662,894");
    expect(svg).toContain("n/a");
    expect([...svg.matchAll(/<rect /g)]).toHaveLength(9 + 5 + 1);
  });
});
