/**
 * Build helpers for the C target's tests: temporary directories that are always removed, and compiler runs
 * that fail the test with the compiler's own diagnostics. A missing compiler fails (never skips) the test.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../../targets/c/toolchain.js";

/** The strict warning set every generated C file must pass (C99). */
export const STRICT_C = [
  "-std=c99",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-pedantic",
  "-Wconversion",
  "-Wdouble-promotion",
  "-Wshadow",
  "-Wstrict-prototypes",
  "-Wmissing-prototypes",
  "-Wcast-qual",
  "-Wundef",
  "-Wvla",
  "-Wpointer-arith",
];

/** Run `fn` in a fresh temporary directory holding `files`; the directory is removed afterwards. */
export async function inTempDir<T>(files: ReadonlyMap<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-ctest-"));
  try {
    for (const [f, text] of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run a tool in `dir`; throws with the full command and its output unless it exits 0 with nothing on stderr. */
export async function mustRun(cmd: string, args: readonly string[], dir: string, opts: { allowStderr?: boolean } = {}): Promise<string> {
  let r;
  try {
    r = await run(cmd, args, { cwd: dir, timeoutMs: 120_000 });
  } catch (e) {
    throw new Error(`cannot run '${cmd}' (is it installed?): ${(e as Error).message}`);
  }
  if (r.code !== 0 || (!opts.allowStderr && r.stderr.trim() !== "")) {
    throw new Error(`${cmd} ${args.join(" ")}\nexit ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  }
  return r.stdout;
}
