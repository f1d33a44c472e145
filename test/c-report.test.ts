/**
 * The measured figures in docs/generated-c-api.md are real: this test re-measures two rows of the table
 * (instruction counts are exact and repeat run after run) and fails when the generated code changes them.
 *
 * Regenerate the whole table (all fixtures, all MCUs) with:
 *   LSTMGEN_C_REPORT=1 npx vitest run test/c-report.test.ts
 * and paste the printed markdown into the "Measured" section of the doc. The same command prints the table of
 * the CMSIS-NN-sized single layers ("Speed against CMSIS-NN" in the doc).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countInstructions } from "../targets/c/bench.js";
import { emitC } from "../targets/c/emit.js";
import { measureSizes } from "../targets/c/size.js";
import type { Mcu } from "../targets/c/toolchain.js";
import { FIXTURES, loadFixture, type FixtureName } from "./helpers/c-models.js";
import { PERF_SIZES, perfModel } from "./helpers/c-perf.js";

const DOC = join(import.meta.dirname, "..", "docs", "generated-c-api.md");
const MCUS: readonly Mcu[] = ["cortex-m4", "cortex-m0", "cortex-m7", "rv32imc", "xtensa-lx106"];

interface Row {
  readonly fixture: FixtureName;
  readonly steps: number;
  readonly counts: Record<string, number>;
  readonly sizes: Record<string, { flash: number; code: number; state: number; scratch: number; stack: number }>;
}

async function measure(fixture: FixtureName, mcus: readonly Mcu[]): Promise<Row> {
  const { qm, seqs } = loadFixture(fixture);
  const seq = seqs[0]!;
  const counts: Record<string, number> = {};
  const sizes: Row["sizes"] = {};
  const files = emitC(qm, { name: "kws", version: "report", modelHash: "-", modelFile: "-", maxSteps: seq.steps });
  for (const mcu of mcus) {
    counts[mcu] = Math.round((await countInstructions(qm, seq, mcu)).perStep);
    const s = measureSizes(files, mcu, "kws");
    sizes[mcu] = { flash: s.flashWeights, code: s.flashCode, state: s.ramState, scratch: s.ramScratch, stack: s.stackWorst };
  }
  return { fixture, steps: seq.steps, counts, sizes };
}

/** The instruction-count cells of the doc's table for `fixture`, keyed by MCU. */
function docCounts(fixture: string): Record<string, number> {
  const doc = readFileSync(DOC, "utf8");
  const line = doc.split("\n").find((l) => l.startsWith(`| ${fixture} |`) && l.includes("instructions/step"));
  if (!line) throw new Error(`docs/generated-c-api.md has no instruction row for ${fixture}`);
  const cells = line.split("|").map((c) => c.trim());
  // | fixture | what | M4 | M0 | M7 | RV32 | LX106 |
  return Object.fromEntries(MCUS.map((m, k) => [m, Number(cells[3 + k]!.replace(/[ ,]/g, ""))]));
}

/** The instruction-count cells of the doc's CMSIS-NN comparison table for (input, hidden), keyed by MCU. */
function docPerfCounts(i: number, h: number): Record<string, number> {
  const doc = readFileSync(DOC, "utf8");
  const line = doc.split("\n").find((l) => l.startsWith(`| (${i}, ${h}) |`));
  if (!line) throw new Error(`docs/generated-c-api.md has no CMSIS-NN comparison row for (${i}, ${h})`);
  const cells = line.split("|").map((c) => c.trim());
  // | (I, H) | M4 | M0 | RV32 | M7 | ...
  const num = (c: string) => Number(c.replace(/[ ,]/g, "").replace(/\(.*\)$/, ""));
  return { "cortex-m4": num(cells[2]!), "cortex-m0": num(cells[3]!), rv32imc: num(cells[4]!), "cortex-m7": num(cells[5]!) };
}

async function perfCounts(i: number, h: number, mcus: readonly Mcu[]): Promise<Record<string, number>> {
  const { qm, seq } = perfModel(i, h);
  const out: Record<string, number> = {};
  for (const mcu of mcus) out[mcu] = Math.round((await countInstructions(qm, seq, mcu)).perStep);
  return out;
}

describe("docs/generated-c-api.md measurements", () => {
  it("the instructions per step of the CMSIS-NN-sized layers in the doc are what the code measures now", async () => {
    const got: Record<string, Record<string, number>> = {};
    const want: Record<string, Record<string, number>> = {};
    for (const [i, h] of PERF_SIZES) {
      const mcus: Mcu[] = ["cortex-m4", "cortex-m0", "rv32imc"];
      got[`(${i}, ${h})`] = await perfCounts(i, h, mcus);
      const doc = docPerfCounts(i, h);
      want[`(${i}, ${h})`] = Object.fromEntries(mcus.map((m) => [m, doc[m]!]));
    }
    expect(got, "regenerate the table (see the top of this file)").toEqual(want);
  }, 300_000);

  it("the forget_bias and bidir instruction counts in the doc are what the code measures now", async () => {
    for (const f of ["forget_bias", "bidir"] as const) {
      const row = await measure(f, ["cortex-m4", "cortex-m0", "rv32imc", "xtensa-lx106"]);
      const doc = docCounts(f);
      const pick = (c: Record<string, number | undefined>) => ({ m4: c["cortex-m4"], m0: c["cortex-m0"], rv32: c.rv32imc, lx106: c["xtensa-lx106"] });
      expect(pick(row.counts), `${f}: regenerate the table (see the top of this file)`).toEqual(pick(doc));
    }
  }, 180_000);

  if (process.env.LSTMGEN_C_REPORT) {
    it("prints the full table", async () => {
      const fmt = (n: number) => n.toLocaleString("en-US");
      const lines = ["| fixture | figure | Cortex-M4F | Cortex-M0 | Cortex-M7 | RV32IMC | Xtensa LX106 |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"];
      for (const f of FIXTURES) {
        const r = await measure(f, MCUS);
        lines.push(`| ${f} | instructions/step | ${MCUS.map((m) => fmt(r.counts[m]!)).join(" | ")} |`);
        lines.push(`| ${f} | flash data + code (bytes) | ${MCUS.map((m) => `${fmt(r.sizes[m]!.flash)} + ${fmt(r.sizes[m]!.code)}`).join(" | ")} |`);
        lines.push(`| ${f} | state + scratch (bytes) | ${MCUS.map((m) => `${r.sizes[m]!.state} + ${r.sizes[m]!.scratch}`).join(" | ")} |`);
        lines.push(`| ${f} | worst stack (bytes) | ${MCUS.map((m) => `${r.sizes[m]!.stack}`).join(" | ")} |`);
      }
      console.log(lines.join("\n"));
      const perf = ["| (input, hidden) | Cortex-M4F | Cortex-M0 | RV32IMC | Cortex-M7 | code -Os M4 (bytes) | code -O2 M4 | state + scratch (bytes) |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"];
      for (const [i, h] of PERF_SIZES) {
        const c = await perfCounts(i, h, ["cortex-m4", "cortex-m0", "rv32imc", "cortex-m7"]);
        const files = emitC(perfModel(i, h).qm, { name: "kws", version: "report", modelHash: "-", modelFile: "-" });
        const os = measureSizes(files, "cortex-m4", "kws", { cflags: ["-Os"] });
        const o2 = measureSizes(files, "cortex-m4", "kws");
        perf.push(`| (${i}, ${h}) | ${fmt(c["cortex-m4"]!)} | ${fmt(c["cortex-m0"]!)} | ${fmt(c.rv32imc!)} | ${fmt(c["cortex-m7"]!)} | ${fmt(os.flashCode)} | ${fmt(o2.flashCode)} | ${os.ramState} + ${os.ramScratch} |`);
      }
      console.log(perf.join("\n"));
    }, 900_000);
  }
});
