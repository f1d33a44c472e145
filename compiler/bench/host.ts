/**
 * Host figures of one quantized model's generated C (compiled with the host's cc -O2):
 *
 * - instructions per step, counted by `valgrind --tool=callgrind` with collection switched on only inside
 *   `bench_region` (the loop of `<name>_step` calls, or one `<name>_run`). Callgrind executes the program on a
 *   synthetic CPU, so the count repeats exactly; it is the host counterpart of the QEMU counts.
 * - median nanoseconds per step of the same binary run natively (informational: timing on a shared machine moves
 *   with its load; compare instruction counts, not times).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { QuantizedModel } from "../quantize/qmodel.js";
import { arrayDecl, CWriter } from "../../targets/c/cgen.js";
import { canStream, emitC } from "../../targets/c/emit.js";
import type { HarnessSequence } from "../../targets/c/harness.js";
import { compile, hostCompiler, requireTool, run } from "../../targets/c/toolchain.js";

export interface HostResult {
  /** Mean instructions per step inside the measured region (callgrind). */
  readonly instructionsPerStep: number;
  /** Median wall-clock nanoseconds per step (informational). */
  readonly nsPerStep: number;
  readonly streaming: boolean;
  readonly steps: number;
  /** e.g. "cc -O2". */
  readonly compiler: string;
}

const NAME = "model";

function hostSource(qm: QuantizedModel, seq: HarnessSequence): string {
  const streaming = canStream(qm);
  const w = new CWriter();
  w.comment(["lstm-gen host benchmark: 'count' runs bench_region once (for callgrind), 'time' prints the median ns per step."]);
  w.line("#define _POSIX_C_SOURCE 199309L");
  w.line("#include <stddef.h>");
  w.line("#include <stdint.h>");
  w.line("#include <stdio.h>");
  w.line("#include <stdlib.h>");
  w.line("#include <string.h>");
  w.line("#include <time.h>");
  w.line(`#include "${NAME}.h"`);
  arrayDecl(w, "static const", "int16_t", "xs", seq.xq);
  w.line(`static ${NAME}_state_t state;`);
  w.line(`static ${NAME}_output_t ys[${NAME.toUpperCase()}_OUTPUT_SIZE * ${streaming ? 1 : seq.steps}];`);
  w.line("static volatile int sink;");
  w.fn("__attribute__((noinline)) void bench_region(void)", () => {
    if (streaming) {
      w.line("size_t t;");
      w.block(`for (t = 0; t < ${seq.steps}; ++t)`, () => w.line(`${NAME}_step(&state, &xs[t * ${qm.input.size}], ys);`));
    } else {
      w.line(`sink = ${NAME}_run(&state, xs, ${seq.steps}, ys);`);
    }
  });
  w.fn("static double now_ns(void)", () => {
    w.line("struct timespec ts;");
    w.line("clock_gettime(CLOCK_MONOTONIC, &ts);");
    w.line("return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;");
  });
  w.fn("static int cmp(const void *a, const void *b)", () => {
    w.line("const double x = *(const double *)a, y = *(const double *)b;");
    w.line("return (x > y) - (x < y);");
  });
  w.fn("int main(int argc, char **argv)", () => {
    w.line("double samples[21];");
    w.line("long reps = 1, k;");
    w.line("int s;");
    w.line(`${NAME}_reset(&state);`);
    w.block('if (argc < 2 || strcmp(argv[1], "time") != 0)', () => {
      w.line("bench_region();");
      w.line("return 0;");
    });
    w.comment(["Choose the repetitions per sample so that a sample lasts at least 2 ms."]);
    w.block("for (;;)", () => {
      w.line("double t0 = now_ns();");
      w.line("for (k = 0; k < reps; ++k) bench_region();");
      w.line("if (now_ns() - t0 >= 2e6 || reps >= (1L << 30)) break;");
      w.line("reps *= 2;");
    });
    w.block("for (s = 0; s < 21; ++s)", () => {
      w.line("double t0 = now_ns();");
      w.line(`for (k = 0; k < reps; ++k) { ${NAME}_reset(&state); bench_region(); }`);
      w.line(`samples[s] = (now_ns() - t0) / ((double)reps * ${seq.steps});`);
    });
    w.line("qsort(samples, 21, sizeof samples[0], cmp);");
    w.line('printf("ns_per_step %.3f\\n", samples[10]);');
    w.line("return 0;");
  });
  return w.toString();
}

/** Instructions per step (callgrind) and median ns per step of the generated C on this machine. */
export async function benchHost(qm: QuantizedModel, seq: HarnessSequence): Promise<HostResult> {
  const cc = hostCompiler();
  const valgrind = requireTool("valgrind", "valgrind", "counting host instructions (lstm-gen bench --target host)");
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-host-bench-"));
  try {
    const files = emitC(qm, { name: NAME, version: "bench", modelHash: "-", modelFile: "-", maxSteps: seq.steps });
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, "bench.c"), hostSource(qm, seq));
    await compile(cc, ["-std=c99", "-O2", "-I", dir, `${NAME}.c`, "bench.c", "-o", "bench"], dir);
    const cg = await run(valgrind, ["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=bench_region", `--callgrind-out-file=${join(dir, "cg.out")}`, "./bench", "count"], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    if (cg.code !== 0) throw new Error(`internal: callgrind failed (exit ${cg.code}): ${cg.stderr.slice(0, 1000)}`);
    const out = readdirSync(dir).find((f) => f.startsWith("cg.out"));
    const m = out ? /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, out), "utf8")) : null;
    if (!m) throw new Error("internal: callgrind wrote no instruction total");
    const timed = await run(join(dir, "bench"), ["time"], { cwd: dir, timeoutMs: 300_000 });
    const t = /^ns_per_step ([\d.]+)$/m.exec(timed.stdout);
    if (timed.code !== 0 || !t) throw new Error(`internal: host timing failed (exit ${timed.code}): ${timed.stderr.slice(0, 400)}`);
    return { instructionsPerStep: Number(m[1]) / seq.steps, nsPerStep: Number(t[1]), streaming: canStream(qm), steps: seq.steps, compiler: `${basename(cc)} -O2` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
