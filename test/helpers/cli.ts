/** Run the CLI in-process or as a real process, capturing its output and exit code. */
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { main, type Io } from "../../compiler/cli/main.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = resolve(REPO, "test/fixtures");
export const TORCH = resolve(FIXTURES, "torch");
export const SHARED = resolve(REPO, "../shared");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(...argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The installed entry point (`bin/lstm-gen.js` over `dist/`), as a user runs it. */
export function cliProcess(...argv: string[]): CliResult {
  const r = spawnSync(process.execPath, [resolve(REPO, "bin/lstm-gen.js"), ...argv], { encoding: "utf8", cwd: REPO });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user-facing error: one line on stderr, no stack trace. */
export function expectOneLineError(r: CliResult, code: number, ...fragments: string[]): void {
  if (r.code !== code) throw new Error(`expected exit ${code}, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got:\n${r.stderr}`);
  if (/\bat .*:\d+:\d+/.test(r.stderr)) throw new Error(`stack trace on stderr:\n${r.stderr}`);
  for (const f of fragments) {
    if (!r.stderr.includes(f)) throw new Error(`stderr lacks '${f}':\n${r.stderr}`);
  }
}
