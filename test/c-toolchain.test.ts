/**
 * A missing compiler or emulator is a one-line usage error that names the Debian packages to install (never a
 * stack trace, never a silent skip); unknown engines are usage errors too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { emitC } from "../targets/c/emit.js";
import { checkEngineTools, runCEngine, type CEngine } from "../targets/c/engine.js";
import { measureSizes } from "../targets/c/size.js";
import { findTool } from "../targets/c/toolchain.js";
import { loadFixture } from "./helpers/c-models.js";

async function usageErrorOf(f: () => unknown): Promise<LstmGenError> {
  let caught: unknown;
  try {
    await f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LstmGenError);
  const err = caught as LstmGenError;
  expect(err.kind).toBe("usage");
  expect(err.message).not.toMatch(/[\r\n]/);
  return err;
}

describe("missing toolchains", () => {
  let empty = "";
  let path: string | undefined;
  let cc: string | undefined;
  beforeEach(() => {
    empty = mkdtempSync(join(tmpdir(), "lstm-gen-empty-path-"));
    path = process.env.PATH;
    cc = process.env.CC;
    process.env.PATH = empty;
    delete process.env.CC;
  });
  afterEach(() => {
    process.env.PATH = path;
    if (cc === undefined) delete process.env.CC;
    else process.env.CC = cc;
    rmSync(empty, { recursive: true, force: true });
  });

  const expected: Record<CEngine, RegExp> = {
    c: /needs 'cc'.*apt-get install gcc$/,
    "qemu:cortex-m0": /needs 'arm-none-eabi-gcc'.*apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi$/,
    "qemu:cortex-m4": /needs 'arm-none-eabi-gcc'.*apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi$/,
    "qemu:cortex-m7": /needs 'arm-none-eabi-gcc'.*apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi$/,
    "qemu:rv32imc": /needs 'riscv64-unknown-elf-gcc'.*apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf$/,
    "qemu:xtensa-lx106": /needs 'xtensa-lx106-elf-gcc'.*apt-get install gcc-xtensa-lx106 picolibc-xtensa-lx106-elf$/,
  };
  for (const [engine, re] of Object.entries(expected) as [CEngine, RegExp][]) {
    it(`engine ${engine}: a one-line usage error naming the packages`, async () => {
      const { qm, seqs } = loadFixture("sine");
      expect(findTool("gcc")).toBeUndefined();
      const err = await usageErrorOf(() => runCEngine(qm, seqs.slice(0, 1), engine));
      expect(err.message).toMatch(re);
    });
  }

  it("measureSizes: a one-line usage error naming the packages", async () => {
    const files = emitC(loadFixture("sine").qm, { name: "kws", version: "0", modelHash: "-", modelFile: "-" });
    const err = await usageErrorOf(() => measureSizes(files, "rv32imc"));
    expect(err.message).toMatch(/apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf$/);
  });
});

describe("engine names", () => {
  it("unknown engines and sanitizers on QEMU are usage errors", async () => {
    const { qm, seqs } = loadFixture("sine");
    expect((await usageErrorOf(() => checkEngineTools("qemu:cortex-m99" as CEngine))).message).toMatch(/unknown C engine 'qemu:cortex-m99'; use one of: c, qemu:cortex-m0/);
    expect((await usageErrorOf(() => runCEngine(qm, seqs.slice(0, 1), "qemu:cortex-m4", { sanitize: true }))).message).toMatch(/sanitizers/);
  });

  it("the QEMU tools are installed here (CI must have them; a missing one fails this test)", () => {
    for (const e of ["c", "qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc", "qemu:xtensa-lx106"] as const) checkEngineTools(e);
  });
});
