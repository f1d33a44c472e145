/**
 * Atomic output: files are written into a temporary directory beside the destination and renamed into place
 * only when everything is written. A failure (or Ctrl-C) leaves the previous output untouched and no temp files.
 *
 * An output directory is replaced as a whole, so lstm-gen only replaces a directory that is missing, empty, or
 * marked as its own by the `.lstm-gen` file every output directory gets; anything else (`--out .`, a project
 * directory) is refused before anything is written.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { inputError, usageError } from "./errors.js";

export type OutputFiles = ReadonlyMap<string, string | Uint8Array>;

/** The marker file of an lstm-gen output directory. Deterministic: outputs stay byte-identical across runs. */
export const OUTPUT_MARKER = ".lstm-gen";
export const OUTPUT_MARKER_TEXT = "Written by lstm-gen; the next `lstm-gen compile --out` to this directory replaces it as a whole.\n";

function safeRelative(name: string): string {
  const parts = name.split("/");
  if (name.startsWith("/") || name.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new Error(`refusing to write outside the output directory: ${name}`);
  }
  return join(...parts);
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function isSameOrAncestor(dir: string, of: string): boolean {
  return of === dir || of.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Check that `out` may be written as a whole (missing, empty, or an earlier lstm-gen output); throws the
 * one-line usage or input error otherwise. `compile` calls it before doing any work; the write checks again.
 */
export function checkOutputDirectory(out: string): void {
  let cwd: string;
  try {
    cwd = process.cwd(); // before resolve(), which needs it for a relative path
  } catch (e) {
    throw usageError(`--out ${out}: the current directory is gone (${errnoCode(e) ?? (e as Error).message})`);
  }
  const dest = resolve(out);
  if (isSameOrAncestor(dest, cwd) || isSameOrAncestor(realOrResolved(dest), realOrResolved(cwd))) {
    throw usageError(`--out ${out}: is the current directory or one of its parents; the output directory is replaced as a whole, choose a new or empty directory`);
  }
  let isDir: boolean;
  try {
    isDir = statSync(dest).isDirectory();
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT") return;
    throw usageError(`cannot create ${out}: ${code ?? (e as Error).message}`);
  }
  if (!isDir) throw inputError(out, "exists and is not a directory");
  let names: string[];
  try {
    names = readdirSync(dest);
  } catch (e) {
    throw usageError(`cannot create ${out}: ${errnoCode(e) ?? (e as Error).message}`);
  }
  if (names.length > 0 && !names.includes(OUTPUT_MARKER)) {
    throw usageError(
      `--out ${out}: exists, is not empty and was not written by lstm-gen (no ${OUTPUT_MARKER} file); choose a new or empty directory`,
    );
  }
}

/** Run a file-system step of creating the output; errno failures become "cannot create DIR: CODE" (exit 2). */
function creating<T>(out: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    const code = errnoCode(e);
    if (code === undefined) throw e;
    throw usageError(`cannot create ${out}: ${code}`);
  }
}

/**
 * Write `files` (relative paths → contents) as the directory `out`, plus the `.lstm-gen` marker, replacing a
 * previous output directory (see checkOutputDirectory). `prepare`, if given, runs against the complete
 * temporary directory before the rename (post-checks that need the files on disk); if it throws, nothing is
 * replaced. The directory gets the usual permissions (0777 & ~umask).
 */
export async function writeOutputAtomically(out: string, files: OutputFiles, prepare?: (dir: string) => Promise<void> | void): Promise<void> {
  checkOutputDirectory(out);
  const dest = resolve(out);
  const parent = dirname(dest);
  creating(out, () => mkdirSync(parent, { recursive: true }));
  let tmp: string | undefined = creating(out, () => mkdtempSync(join(parent, `.${basename(dest)}.tmp-`)));
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
    const all = new Map(files);
    all.set(OUTPUT_MARKER, OUTPUT_MARKER_TEXT);
    for (const [name, content] of [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const path = join(tmp, safeRelative(name));
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      } catch (e) {
        throw usageError(`cannot write ${join(out, name)}: ${errnoCode(e) ?? (e as Error).message}`);
      }
    }
    const dir = tmp;
    creating(out, () => chmodSync(dir, 0o777 & ~process.umask()));
    if (prepare) await prepare(tmp);
    // Check again: the directory may have changed while the output was being built.
    checkOutputDirectory(out);
    let old: string | undefined;
    if (existsSync(dest)) {
      old = creating(out, () => mkdtempSync(join(parent, `.${basename(dest)}.old-`)));
      rmSync(old, { recursive: true });
      const o = old;
      creating(out, () => renameSync(dest, o));
    }
    try {
      renameSync(tmp, dest);
    } catch (e) {
      if (old) renameSync(old, dest);
      old = undefined;
      const code = errnoCode(e);
      if (code === undefined) throw e;
      throw usageError(`cannot create ${out}: ${code}`);
    }
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
