/**
 * The generated C cross-compiles warning-free (STRICT_C, -Werror) for the cores and compilers embedded projects
 * use, at every optimisation level that selects a different kernel path:
 * - arm-none-eabi-gcc for Cortex-M0, M4F, M7, M23 and M33 (the inline-assembly loops are GCC -O1..-O3 only),
 *   big-endian M4, position-independent M4 (r9 is the static base, so the Armv7E-M assembly loop is left out),
 *   and -DLSTMGEN_NO_ASM;
 * - clang for the same Arm profiles (clang cannot allocate the assembly loops' registers: it takes the C loops);
 * - riscv64-unknown-elf-gcc for RV32IMC (ESP32-C3);
 * - xtensa-lx106-elf-gcc for the ESP8266's Xtensa core.
 * Compile-only: test/c-qemu.test.ts runs the code (gcc, with and without the assembly loops) on the cores.
 */
import { describe, it } from "vitest";
import type { QuantizedModel } from "../compiler/quantize/qmodel.js";
import { emitC } from "../targets/c/emit.js";
import { MCU_SPECS } from "../targets/c/toolchain.js";
import { inTempDir, mustRun, STRICT_C } from "./helpers/c-build.js";
import { loadFixture, synthModel } from "./helpers/c-models.js";
import { SYNTH_SPECS } from "./helpers/c-synth-specs.js";

const OPTS = { version: "0.1.0", modelHash: "sha256:0123", modelFile: "model.onnx", maxSteps: 40 };
const ARM_INCLUDE = ["-isystem", "/usr/lib/arm-none-eabi/include"];

interface Build {
  readonly cc: string;
  readonly flags: readonly string[];
}

const gccArm = (cpu: string, ...extra: string[]): Build => ({ cc: "arm-none-eabi-gcc", flags: [`-mcpu=${cpu}`, "-mthumb", ...extra] });
const clangArm = (triple: string, cpu: string): Build => ({ cc: "clang", flags: [`--target=${triple}`, `-mcpu=${cpu}`, "-ffreestanding", ...ARM_INCLUDE] });

const BUILDS: readonly Build[] = [
  ...["-O0", "-O1", "-O2", "-O3", "-Os"].flatMap((o) => [
    gccArm("cortex-m0", o),
    gccArm("cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", o),
    { cc: "clang", flags: [...clangArm("thumbv6m-none-eabi", "cortex-m0").flags, o] },
    { cc: "clang", flags: [...clangArm("thumbv7em-none-eabi", "cortex-m4").flags, o] },
  ]),
  ...["-O0", "-O2", "-Os"].flatMap((o) => [
    gccArm("cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16", o),
    gccArm("cortex-m23", o),
    gccArm("cortex-m33", o),
    { cc: "clang", flags: [...clangArm("thumbv8m.base-none-eabi", "cortex-m23").flags, o] },
    { cc: "clang", flags: [...clangArm("thumbv8m.main-none-eabi", "cortex-m33").flags, o] },
    { cc: "riscv64-unknown-elf-gcc", flags: ["-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs", o] },
    { cc: "xtensa-lx106-elf-gcc", flags: [...MCU_SPECS["xtensa-lx106"].cpuFlags, o] },
  ]),
  // The ESP8266 SDK's code-generation flags.
  { cc: "xtensa-lx106-elf-gcc", flags: [...MCU_SPECS["xtensa-lx106"].cpuFlags, "-mlongcalls", "-mtext-section-literals", "-O2"] },
  gccArm("cortex-m4", "-mbig-endian", "-O2"),
  gccArm("cortex-m4", "-fPIC", "-msingle-pic-base", "-mpic-register=r9", "-O2"),
  gccArm("cortex-m4", "-DLSTMGEN_NO_ASM", "-ffixed-r9", "-O2"),
  gccArm("cortex-m0", "-DLSTMGEN_NO_ASM", "-ffixed-r8", "-ffixed-r10", "-O2"),
];

const models: { label: string; qm: () => QuantizedModel }[] = [
  ...(["sine", "wide_range", "bidir"] as const).map((f) => ({ label: f, qm: () => loadFixture(f).qm })),
  ...["acc64_wide_int16", "coupled_hardsigmoid_relu"].map((n) => ({ label: n, qm: () => synthModel(SYNTH_SPECS.find((s) => s.name === n)!).qm })),
];

describe.concurrent("cross-compilation for microcontrollers, warning-free", () => {
  for (const { label, qm } of models) {
    it(`${label}: ${BUILDS.length} compiler, core and -O combinations`, async () => {
      const files = emitC(qm(), { ...OPTS, name: "kws" });
      await inTempDir(files, async (dir) => {
        for (const b of BUILDS) await mustRun(b.cc, [...STRICT_C, ...b.flags, "-c", "kws.c", "kws_float.c"], dir);
      });
    }, 300_000);
  }
});
