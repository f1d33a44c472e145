/**
 * The measured figures in docs/generated-c-api.md are real: this test re-measures two rows of the table
 * (instruction counts are exact and repeat run after run) and fails when the generated code changes them.
 *
 * Regenerate the whole table (all fixtures, all MCUs) with:
 *   LSTMGEN_C_REPORT=1 npx vitest run test/c-report.test.ts
 * and paste the printed markdown into the "Measured" section of the doc.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countInstructions } from "../targets/c/bench.js";
import { emitC } from "../targets/c/emit.js";
import { measureSizes } from "../targets/c/size.js";
import type { Mcu } from "../targets/c/toolchain.js";
import { FIXTURES, loadFixture, type FixtureName } from "./helpers/c-models.js";

const DOC = join(import.meta.dirname, "..", "docs", "generated-c-api.md");
const MCUS: readonly Mcu[] = ["cortex-m4", "cortex-m0", "cortex-m7", "rv32imc"];

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
  // | fixture | what | M4 | M0 | M7 | RV32 |
  return Object.fromEntries(MCUS.map((m, k) => [m, Number(cells[3 + k]!.replace(/[ ,]/g, ""))]));
}

describe("docs/generated-c-api.md measurements", () => {
  it("the forget_bias and bidir instruction counts in the doc are what the code measures now", async () => {
    for (const f of ["forget_bias", "bidir"] as const) {
      const row = await measure(f, ["cortex-m4", "cortex-m0"]);
      const doc = docCounts(f);
      expect({ m4: row.counts["cortex-m4"], m0: row.counts["cortex-m0"] }, `${f}: regenerate the table (see the top of this file)`).toEqual({
        m4: doc["cortex-m4"],
        m0: doc["cortex-m0"],
      });
    }
  }, 180_000);

  if (process.env.LSTMGEN_C_REPORT) {
    it("prints the full table", async () => {
      const fmt = (n: number) => n.toLocaleString("en-US");
      const lines = ["| fixture | figure | Cortex-M4F | Cortex-M0 | Cortex-M7 | RV32IMC |", "| --- | --- | ---: | ---: | ---: | ---: |"];
      for (const f of FIXTURES) {
        const r = await measure(f, MCUS);
        lines.push(`| ${f} | instructions/step | ${MCUS.map((m) => fmt(r.counts[m]!)).join(" | ")} |`);
        lines.push(`| ${f} | flash data + code (bytes) | ${MCUS.map((m) => `${fmt(r.sizes[m]!.flash)} + ${fmt(r.sizes[m]!.code)}`).join(" | ")} |`);
        lines.push(`| ${f} | state + scratch (bytes) | ${MCUS.map((m) => `${r.sizes[m]!.state} + ${r.sizes[m]!.scratch}`).join(" | ")} |`);
        lines.push(`| ${f} | worst stack (bytes) | ${MCUS.map((m) => `${r.sizes[m]!.stack}`).join(" | ")} |`);
      }
      console.log(lines.join("\n"));
    }, 600_000);
  }
});
