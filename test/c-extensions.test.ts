/**
 * The generated C on the IR extensions of docs/fixed-point.md §7.3 (input dense layers) and §7.4 (flattening head):
 * the real models that use them (RTNeural lstm.json, the tflite-micro MNIST LSTM) and small random models covering
 * both features (streaming and whole-sequence builds, int8/int16 weights so 32- and 64-bit flatten accumulators,
 * softmax inside the input stack, a head-only model) compile warning-free under the strict flags and reproduce the
 * golden model bit for bit on the host (sanitized; run, step, interleaved instances) and on one QEMU board.
 */
import { describe, expect, it } from "vitest";
import { runGolden } from "../compiler/golden/golden.js";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { canStream, emitC } from "../targets/c/emit.js";
import { runCEngineModes, type CEngine } from "../targets/c/engine.js";
import type { HarnessMode } from "../targets/c/harness.js";
import { inTempDir, mustRun, STRICT_C } from "./helpers/c-build.js";
import { expectBitExact } from "./helpers/c-compare.js";
import type { IntSeq } from "./helpers/c-models.js";
import { CASES } from "./helpers/extension-models.js";

async function checkModes(qm: QuantizedModel, seqs: readonly IntSeq[], engine: CEngine, sanitize: boolean): Promise<void> {
  const modes: HarnessMode[] = canStream(qm) ? ["run", "step", "interleave"] : ["run", "interleave"];
  const outs = await runCEngineModes(qm, seqs, engine, modes, engine === "c" ? { sanitize } : {});
  modes.forEach((_, m) => expectBitExact(qm, seqs, outs[m]!));
}

async function strictCompile(qm: QuantizedModel): Promise<void> {
  const files = emitC(qm, { version: "0.1.0", modelHash: "-", modelFile: "m", name: "kws", maxSteps: 40 });
  await inTempDir(files, async (dir) => {
    for (const cc of ["gcc", "clang"]) for (const opt of ["-O2", "-O0"]) await mustRun(cc, [...STRICT_C, opt, "-c", "kws.c", "kws_float.c"], dir);
    for (const cxx of ["g++", "clang++"]) {
      await mustRun(cxx, ["-x", "c++", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-O2", "-c", "kws.c", "kws_float.c"], dir);
    }
  });
}

describe.concurrent("--engine c on input dense layers and flattening heads", () => {
  for (const c of CASES) {
    it(`${c.label}: warning-free, bit-exact on the host (sanitized) and on QEMU Cortex-M4`, async () => {
      const { qm, seqs } = await c.load();
      expect((qm.inputDense?.length ?? 0) > 0 || qm.head?.reads === "flatten").toBe(true);
      await strictCompile(qm);
      await checkModes(qm, seqs, "c", true);
      await checkModes(qm, seqs.slice(0, 3), "qemu:cortex-m4", false);
    }, 180_000);
  }
});

describe("--engine c: the streaming contract of a flattening head (section 7.4)", () => {
  it("step() writes zeros before step T and the head at step T; run() refuses 0 steps and steps past T", async () => {
    const { qm, seqs } = await CASES.find((c) => c.label.startsWith("MNIST LSTM (flatten 28 x 20), int8"))!.load();
    const T = qm.head!.steps!;
    const s = seqs[0]!;
    const files = new Map(emitC(qm, { version: "0.1.0", modelHash: "-", modelFile: "m", name: "kws" }));
    const xs = Array.from(s.xq).join(", ");
    files.set(
      "main.c",
      [
        "#include <stdio.h>",
        '#include "kws.h"',
        `static const int16_t xs[${s.xq.length}] = { ${xs} };`,
        "int main(void) {",
        "  static kws_state_t st;",
        "  int16_t y[KWS_OUTPUT_SIZE];",
        "  int t, k;",
        "  kws_reset(&st);",
        `  for (t = 0; t < ${T}; ++t) {`,
        "    kws_step(&st, &xs[t * KWS_INPUT_SIZE], y);",
        '    for (k = 0; k < KWS_OUTPUT_SIZE; ++k) printf("%d ", y[k]);',
        '    printf("\\n");',
        "  }",
        "  kws_reset(&st);",
        `  printf("%d ", kws_run(&st, xs, ${T - 1}, y));`,
        '  printf("%d ", y[0]);',
        '  printf("%d ", kws_run(&st, xs, 0, y));',
        "  kws_reset(&st);",
        `  printf("%d ", kws_run(&st, xs, ${T}, y));`,
        `  printf("%d\\n", kws_run(&st, xs, 1, y));`,
        "  return 0;",
        "}",
      ].join("\n"),
    );
    const out = await inTempDir(files, async (dir) => {
      await mustRun("gcc", [...STRICT_C, "-O1", "-o", "t", "main.c", "kws.c"], dir);
      return mustRun("./t", [], dir);
    });
    const lines = out.trim().split("\n");
    const golden = runGolden(qm, s.xq, T).output;
    for (let t = 0; t < T - 1; t++) expect(lines[t]!.trim().split(" ").map(Number)).toEqual(new Array<number>(qm.outputSize).fill(0));
    expect(lines[T - 1]!.trim().split(" ").map(Number)).toEqual(Array.from(golden));
    // The streaming run() continues from the state like step(): T - 1 steps are fine (zeros written), 0 steps are
    // refused; T steps from reset are fine, and one more step past T is refused.
    expect(lines[T]!.trim()).toBe("0 0 -1 0 -1");
  }, 60_000);
});
