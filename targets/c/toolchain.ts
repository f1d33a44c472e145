/**
 * The compilers and emulators the C target drives, per engine and microcontroller, and the one-line errors
 * that name the Debian packages to install when one is missing.
 */
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { usageError } from "../../compiler/errors.js";
import { mcuFile } from "./paths.js";

export type Mcu = "cortex-m0" | "cortex-m4" | "cortex-m7" | "rv32imc" | "xtensa-lx106";
export const MCUS: readonly Mcu[] = ["cortex-m0", "cortex-m4", "cortex-m7", "rv32imc", "xtensa-lx106"];

export interface McuSpec {
  readonly mcu: Mcu;
  /** Cross compiler and binutils. */
  readonly cc: string;
  readonly nm: string;
  readonly size: string;
  readonly objdump: string;
  /** apt packages providing the compiler and its C library. */
  readonly ccPackages: string;
  /** A file of the C library: a name the compiler finds (-print-file-name) or an absolute path. */
  readonly libProbe: string;
  /** Code-generation flags (CPU, ABI, float ABI, and the C library's headers), for compiling and linking. */
  readonly cpuFlags: readonly string[];
  /** Extra flags to link a QEMU test image (startup code and linker script included). */
  readonly linkFlags: () => readonly string[];
  /** Extra source files of the test image (startup code), absolute paths. */
  readonly startup: () => readonly string[];
  readonly qemu: string;
  readonly qemuPackages: string;
  readonly qemuArgs: readonly string[];
  /** Board name (for messages). */
  readonly board: string;
  /** True when the CPU has no FPU (no float instruction or helper may appear in the model object). */
  readonly softFloat: boolean;
  /** A floating-point instruction's mnemonic in `objdump -d` output (checkObject refuses them in a model object). */
  readonly floatInstruction: RegExp;
  /** Flash and RAM of the emulated board (bytes), for splitting test data and for messages. */
  readonly flashBytes: number;
  readonly ramBytes: number;
}

const ARM_PACKAGES = "gcc-arm-none-eabi libnewlib-arm-none-eabi";
const RV_PACKAGES = "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf";
const XTENSA_SPECS = "/usr/lib/xtensa-lx106-elf/picolibc.specs";
const QEMU_COMMON = ["-nographic", "-monitor", "none", "-serial", "none", "-semihosting-config", "enable=on,target=native"];

function arm(mcu: Mcu, cpu: readonly string[], machine: string, ld: string, board: string, softFloat: boolean, flashBytes: number, ramBytes: number): McuSpec {
  return {
    mcu,
    cc: "arm-none-eabi-gcc",
    nm: "arm-none-eabi-nm",
    size: "arm-none-eabi-size",
    objdump: "arm-none-eabi-objdump",
    ccPackages: ARM_PACKAGES,
    libProbe: "nano.specs",
    cpuFlags: cpu,
    linkFlags: () => ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", `-L${dirname(mcuFile(ld))}`, `-T${mcuFile(ld)}`, "-Wl,--gc-sections"],
    startup: () => [mcuFile("startup_cortexm.c")],
    qemu: "qemu-system-arm",
    qemuPackages: "qemu-system-arm",
    qemuArgs: ["-M", machine, ...QEMU_COMMON],
    board,
    softFloat,
    // Every Arm VFP instruction starts with "v".
    floatInstruction: /^v[a-z]/,
    flashBytes,
    ramBytes,
  };
}

export const MCU_SPECS: Readonly<Record<Mcu, McuSpec>> = {
  "cortex-m0": arm("cortex-m0", ["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"], "microbit", "microbit.ld", "BBC micro:bit (nRF51, 16 KiB RAM)", true, 256 << 10, 16 << 10),
  "cortex-m4": arm(
    "cortex-m4",
    ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "mps2-an386",
    "mps2.ld",
    "MPS2 AN386",
    false,
    4 << 20,
    1 << 20,
  ),
  "cortex-m7": arm("cortex-m7", ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"], "mps2-an500", "mps2.ld", "MPS2 AN500", false, 4 << 20, 1 << 20),
  rv32imc: {
    mcu: "rv32imc",
    cc: "riscv64-unknown-elf-gcc",
    nm: "riscv64-unknown-elf-nm",
    size: "riscv64-unknown-elf-size",
    objdump: "riscv64-unknown-elf-objdump",
    ccPackages: RV_PACKAGES,
    libProbe: "picolibc.specs",
    cpuFlags: ["-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs"],
    linkFlags: () => [
      "--oslib=semihost",
      "--crt0=semihost",
      "-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,--defsym=__ram=0x80200000,--defsym=__ram_size=0x200000,--defsym=__stack_size=0x2000",
      "-Wl,--gc-sections",
    ],
    startup: () => [mcuFile("semihost_riscv.c")],
    qemu: "qemu-system-riscv32",
    qemuPackages: "qemu-system-misc",
    qemuArgs: ["-M", "virt", "-bios", "none", ...QEMU_COMMON],
    board: "QEMU virt (RV32)",
    softFloat: true,
    // RISC-V F/D instructions start with "f" (fence is not one).
    floatInstruction: /^f(?!ence)[a-z]/,
    flashBytes: 2 << 20,
    ramBytes: 2 << 20,
  },
  // The ESP8266's core: Xtensa LX106, call0 ABI, 32-bit multiply, no MAC16, no FPU. Debian has no compiler or
  // emulator for the ESP32's LX6/LX7; this is the Xtensa ISA and GCC back end that can be run here.
  "xtensa-lx106": {
    mcu: "xtensa-lx106",
    cc: "xtensa-lx106-elf-gcc",
    nm: "xtensa-lx106-elf-nm",
    size: "xtensa-lx106-elf-size",
    objdump: "xtensa-lx106-elf-objdump",
    ccPackages: "gcc-xtensa-lx106 picolibc-xtensa-lx106-elf",
    // The driver does not search picolibc's directory for the specs file; Debian installs it here.
    libProbe: XTENSA_SPECS,
    cpuFlags: [`--specs=${XTENSA_SPECS}`],
    linkFlags: () => ["-nostartfiles", `-T${mcuFile("xtensa_lx106.ld")}`, "-Wl,--gc-sections", "-Wl,--start-group", "-lc", "-lgcc", "-Wl,--end-group"],
    startup: () => [mcuFile("startup_xtensa.c")],
    qemu: "qemu-system-xtensa",
    qemuPackages: "qemu-system-misc",
    qemuArgs: ["-M", "sim", "-cpu", "lx106", ...QEMU_COMMON],
    board: "QEMU sim (Xtensa LX106, the ESP8266's core)",
    softFloat: true,
    // Xtensa's floating-point option (absent on the LX106): ".s" operations and the FP register moves and loads.
    floatInstruction: /\.s$|^(lsi|lsiu|ssi|ssiu|lsx|lsxu|ssx|ssxu|wfr|rfr)$/,
    flashBytes: 256 << 10,
    ramBytes: 256 << 10,
  },
};

/** The absolute path of `cmd` on PATH, or undefined. */
export function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throw a one-line usage error naming the apt packages unless `cmd` is on PATH. */
export function requireTool(cmd: string, packages: string, purpose: string): string {
  const p = findOnPath(cmd);
  if (p === undefined) {
    throw usageError(`${purpose} needs '${cmd}', which is not on PATH; install it with: apt-get install ${packages}`);
  }
  return p;
}

/** The host C compiler: $CC or cc. */
export function hostCompiler(): string {
  const cc = process.env.CC?.trim() || "cc";
  return requireTool(cc, "gcc", "the C engine");
}

const libChecked = new Set<Mcu>();

/** Check the cross compiler and its C library for `mcu` (the library check runs once per process). */
export function requireCrossCompiler(spec: McuSpec, purpose: string): void {
  requireTool(spec.cc, spec.ccPackages, purpose);
  if (libChecked.has(spec.mcu)) return;
  const probe = spec.libProbe;
  let found = "";
  if (isAbsolute(probe)) {
    found = existsSync(probe) ? probe : "";
  } else {
    try {
      found = execFileSync(spec.cc, [`-print-file-name=${probe}`], { encoding: "utf8" }).trim();
    } catch {
      found = "";
    }
  }
  if (found === "" || (found === probe && !isAbsolute(probe))) {
    throw usageError(`${purpose} needs the C library of '${spec.cc}' (${probe} not found); install it with: apt-get install ${spec.ccPackages}`);
  }
  libChecked.add(spec.mcu);
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Run a command, never throwing for a non-zero exit (the caller decides); rejects only when it cannot start. */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args as string[],
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 << 20, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === "string") {
          reject(err);
          return;
        }
        const killed = err && (err as { killed?: boolean }).killed;
        const code = err ? (typeof err.code === "number" ? err.code : killed ? 124 : 1) : 0;
        resolve({ stdout, stderr: killed ? `${stderr}\n(timed out)` : stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Run a compiler; throw an internal error with its diagnostics when it fails. */
export async function compile(cmd: string, args: readonly string[], cwd: string): Promise<void> {
  const r = await run(cmd, args, { cwd });
  if (r.code !== 0) {
    throw new Error(`internal: ${cmd} failed (exit ${r.code}): ${cmd} ${args.join(" ")}\n${r.stderr.slice(0, 4000)}`);
  }
}

/**
 * Link a test image for `spec`'s board. A model too large for the board's flash, or whose state and test data
 * exceed its RAM, is a one-line usage error (`who` opens it; `ramHint` ends the RAM message); any other failure is
 * an internal error with the linker's diagnostics.
 */
export async function linkImage(spec: McuSpec, args: readonly string[], cwd: string, who: string, flashHint: string, ramHint: string): Promise<void> {
  const r = await run(spec.cc, args, { cwd });
  if (r.code === 0) return;
  if (/region [`']?FLASH'? overflowed|will not fit in region [`']?FLASH/.test(r.stderr)) {
    throw usageError(`${who}: the model's constant data and code do not fit in the ${spec.flashBytes >> 10} KiB of flash of the ${spec.board}${flashHint}`);
  }
  if (/region [`']?RAM'? overflowed|will not fit in region [`']?RAM/.test(r.stderr)) {
    throw usageError(`${who}: the model's state and the test harness do not fit the ${spec.board}'s ${spec.ramBytes >> 10} KiB of RAM${ramHint}`);
  }
  throw new Error(`internal: ${spec.cc} failed (exit ${r.code}): ${spec.cc} ${args.join(" ")}\n${r.stderr.slice(0, 4000)}`);
}

/** The absolute path of `cmd` on PATH, or undefined (alias of `findOnPath`). */
export const findTool = findOnPath;
