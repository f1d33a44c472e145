/**
 * Atomic output: files are written into a temporary directory beside the destination and renamed into place
 * only when everything is written. A failure (or Ctrl-C) leaves the previous output untouched and no temp files.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { inputError, usageError } from "./errors.js";

export type OutputFiles = ReadonlyMap<string, string | Uint8Array>;

function safeRelative(name: string): string {
  const parts = name.split("/");
  if (name.startsWith("/") || name.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new Error(`refusing to write outside the output directory: ${name}`);
  }
  return join(...parts);
}

/**
 * Write `files` (relative paths → contents) as the directory `out`, replacing a previous output directory.
 * `prepare`, if given, runs against the complete temporary directory before the rename (post-checks that need
 * the files on disk); if it throws, nothing is replaced.
 */
export async function writeOutputAtomically(out: string, files: OutputFiles, prepare?: (dir: string) => Promise<void> | void): Promise<void> {
  const dest = resolve(out);
  if (existsSync(dest) && !statSync(dest).isDirectory()) throw inputError(out, "exists and is not a directory");
  const parent = dirname(dest);
  mkdirSync(parent, { recursive: true });
  let tmp: string | undefined = mkdtempSync(join(parent, `.${basename(dest)}.tmp-`));
  const cleanup = () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const [name, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const path = join(tmp, safeRelative(name));
      mkdirSync(dirname(path), { recursive: true });
      try {
        writeFileSync(path, content);
      } catch (e) {
        throw usageError(`cannot write ${join(out, name)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (prepare) await prepare(tmp);
    let old: string | undefined;
    if (existsSync(dest)) {
      old = mkdtempSync(join(parent, `.${basename(dest)}.old-`));
      rmSync(old, { recursive: true });
      renameSync(dest, old);
    }
    renameSync(tmp, dest);
    tmp = undefined;
    if (old) rmSync(old, { recursive: true, force: true });
  } finally {
    cleanup();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/** Write one file atomically (temp file beside it, then rename), creating its directory. */
export function writeFileAtomically(file: string, content: string | Uint8Array): void {
  const dest = resolve(file);
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${process.pid}`);
  try {
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw usageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
