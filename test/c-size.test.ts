/**
 * Sizes and object-file properties from real cross-compiles of the model's .c alone: no heap and no
 * floating point on the soft-float cores (Cortex-M0, RV32IMC), no FPU instruction on Cortex-M4F/M7, no static
 * RAM, a bounded stack, and sizes that agree with what the emitter writes in the header.
 */
import { describe, expect, it } from "vitest";
import { emitC } from "../targets/c/emit.js";
import { measureStackUse } from "../targets/c/bench.js";
import { checkObject, measureSizes } from "../targets/c/size.js";
import { MCU_SPECS, type Mcu } from "../targets/c/toolchain.js";
import { inTempDir, mustRun } from "./helpers/c-build.js";
import { FIXTURES, loadFixture, synthModel } from "./helpers/c-models.js";
import { C_EXTRA_SPECS, SYNTH_SPECS } from "./helpers/c-synth-specs.js";

const OPTS = { version: "0.1.0", modelHash: "sha256:0", modelFile: "model.onnx" };
const MCUS: readonly Mcu[] = ["cortex-m0", "cortex-m4", "cortex-m7", "rv32imc", "xtensa-lx106"];

/** The numbers the emitter writes into the header comment. */
function headerNumbers(h: string): { constBytes: number; stateBytes: number; scratchBytes: number } {
  const m = /Memory:\s+(\d+) bytes of constant data.*; state struct (\d+) bytes\n \*\s+\(\d+ persistent \+ (\d+) scratch\)/.exec(h);
  if (!m) throw new Error("no Memory line in the header");
  return { constBytes: Number(m[1]), stateBytes: Number(m[2]), scratchBytes: Number(m[3]) };
}

// measureSizes is synchronous (it blocks the worker while the cross compiler runs), so these tests run one
// after the other, before the asynchronous ones below, and never eat into their timeouts.
describe("measureSizes", () => {
  for (const mcu of MCUS) {
    for (const f of FIXTURES) {
      it(`${f} on ${mcu}: heap-free, float-free, no static RAM, bounded stack, sizes match the header`, () => {
        const files = emitC(loadFixture(f).qm, { ...OPTS, name: "kws", maxSteps: 64 });
        const s = measureSizes(files, mcu, "kws");
        const h = headerNumbers(files.get("kws.h")!);
        expect(s.mcu).toBe(mcu);
        expect(s.ramStatic).toBe(0);
        // The compiler may fold a one-element array (a one-row dense layer's multiplier) into the code.
        expect(s.flashWeights).toBeLessThanOrEqual(h.constBytes);
        expect(s.flashWeights).toBeGreaterThan(0.98 * h.constBytes);
        expect(s.ramState + s.ramScratch).toBe(h.stateBytes);
        expect(s.ramScratch).toBe(h.scratchBytes);
        expect(s.flashCode).toBeGreaterThan(200);
        expect(s.stackWorst).toBeGreaterThan(0);
        expect(s.stackWorst).toBeLessThan(1024);
        expect(Object.keys(s.stackByFunction).sort()).toEqual(f === "bidir" ? ["kws_reset", "kws_run"] : ["kws_reset", "kws_run", "kws_step"]);
        for (const sym of s.undefinedSymbols) {
          expect(sym).toMatch(/^(memset|memcpy|memmove|__aeabi_(lmul|llsl|llsr|lasr|ldivmod|uldivmod|idiv|uidiv|idivmod|uidivmod|memset|memcpy|memclr)\w*|__(mul|div|udiv|mod|umod|ashl|ashr|lshr)[ds]i3|__umulsidi3)$/);
        }
      }, 120_000);
    }
  }
});

describe.concurrent("the synthetic models are heap- and float-free on Cortex-M0, RV32IMC and Xtensa LX106 too", () => {
  for (const spec of [...SYNTH_SPECS, ...C_EXTRA_SPECS]) {
    it(spec.name, async () => {
      const files = emitC(synthModel(spec).qm, { ...OPTS, name: "m", maxSteps: 16 });
      await inTempDir(files, async (dir) => {
        for (const mcu of ["cortex-m0", "rv32imc", "xtensa-lx106"] as const) {
          const cc = MCU_SPECS[mcu];
          await mustRun(cc.cc, [...cc.cpuFlags, "-std=c99", "-O2", "-c", "m.c", "-o", `${mcu}.o`], dir);
          const r = checkObject(`${dir}/${mcu}.o`, mcu);
          expect(r.forbidden, `${spec.name} ${mcu}`).toEqual([]);
          expect(r.floatInstructions, `${spec.name} ${mcu}`).toEqual([]);
        }
      });
    }, 120_000);
  }
});

describe.concurrent("checkObject", () => {
  for (const mcu of MCUS) {
    it(`finds heap and floating-point use in an object for ${mcu} (the checker itself works)`, async () => {
      const spec = MCU_SPECS[mcu];
      const bad = [
        "#include <stdlib.h>",
        "void *get(void);",
        "void put(void *p);",
        "float scale(float x, int n);",
        "void *get(void) { return malloc(16); }",
        "void put(void *p) { free(p); }",
        "float scale(float x, int n) { return x * (float)n / 3.0f; }",
        "",
      ].join("\n");
      await inTempDir(new Map([["bad.c", bad]]), async (dir) => {
        await mustRun(spec.cc, [...spec.cpuFlags, "-O2", "-c", "bad.c"], dir);
        const r = checkObject(`${dir}/bad.o`, mcu);
        expect(r.forbidden).toContain("malloc");
        expect(r.forbidden).toContain("free");
        if (spec.softFloat) expect(r.forbidden.some((s) => /^__aeabi_f|^__mulsf3$|^__divsf3$|^__floatsisf$/.test(s))).toBe(true);
        else expect(r.floatInstructions.length).toBeGreaterThan(0);
      });
    }, 120_000);

    it(`passes the generated model for ${mcu}`, async () => {
      const spec = MCU_SPECS[mcu];
      const files = emitC(loadFixture("wide_range").qm, { ...OPTS, name: "kws" });
      await inTempDir(files, async (dir) => {
        await mustRun(spec.cc, [...spec.cpuFlags, "-std=c99", "-O2", "-c", "kws.c"], dir);
        const r = checkObject(`${dir}/kws.o`, mcu);
        expect(r.forbidden).toEqual([]);
        expect(r.floatInstructions).toEqual([]);
        if (mcu === "cortex-m0") expect(r.undefinedSymbols).toContain("__aeabi_lmul");
      });
    }, 120_000);
  }
});

describe("sizes in the generated header", () => {
  it("are written when given", () => {
    const qm = loadFixture("sine").qm;
    const sizes = measureSizes(emitC(qm, { ...OPTS, name: "kws" }), "cortex-m4");
    const h = emitC(qm, { ...OPTS, name: "kws", sizes }).get("kws.h")!;
    expect(h).toContain(`Measured on cortex-m4 (${sizes.compiler} -O2): flash ${sizes.flashWeights} bytes of data + ${sizes.flashCode} of code;`);
    expect(h).toContain(`worst stack ${sizes.stackWorst} bytes`);
  }, 120_000);
});

describe.concurrent("the static stack bound holds on the boards", () => {
  for (const mcu of ["cortex-m0", "cortex-m4"] as const) {
    for (const f of ["wide_range", "bidir"] as const) {
      it(`${f} on ${mcu}: painted-stack high-water mark of <name>_run <= the reported worst stack`, async () => {
        const { qm, seqs } = loadFixture(f);
        const seq = { xq: seqs[0]!.xq.subarray(0, 20 * qm.input.size), steps: 20 };
        const used = await measureStackUse(qm, seq, mcu);
        const sizes = measureSizes(emitC(qm, { ...OPTS, name: "model", maxSteps: 20 }), mcu);
        expect(used).toBeGreaterThan(0);
        expect(used).toBeLessThanOrEqual(sizes.stackByFunction["model_run"]!);
        // The bound is not wildly pessimistic either (it adds a fixed allowance for runtime helpers).
        expect(used).toBeGreaterThan(sizes.stackByFunction["model_run"]! - sizes.stackHelperAllowance - 200);
      }, 120_000);
    }
  }
});
