/**
 * Atomic outputs under failure: a full disk and Ctrl-C leave the previous output untouched and no temp files.
 * The full disk is a real one: a 48 KiB tmpfs (CI runs as root, like the sessions that develop lstm-gen).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from "../compiler/output.js";
import { cli, expectOneLineError, REPO, TORCH } from "./helpers/cli.js";

const model = join(TORCH, "stacked/model.onnx");
const calib = join(TORCH, "stacked/calib.npy");

function previousOutput(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "net.c"), "/* the previous, good output */\n");
  writeFileSync(join(dir, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
}

describe("atomic outputs", () => {
  const disk = mkdtempSync(join(tmpdir(), "lstm-gen-full-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", disk], { encoding: "utf8" });
  afterAll(() => {
    if (mounted.status === 0) spawnSync("umount", [disk]);
  });

  it("a full disk: exit 2 naming the file, previous output untouched, no temp files", async () => {
    expect(mounted.stderr).toBe("");
    expect(mounted.status).toBe(0);
    const out = join(disk, "out");
    previousOutput(out);
    // The stacked model's C (~60 KB with its packaging) cannot fit in what is left of 48 KiB.
    const r = await cli("compile", model, "--target", "arduino", "--out", out, "--name", "net", "--calibrate", calib);
    expectOneLineError(r, 2, "cannot write", "ENOSPC");
    expect(readdirSync(disk)).toEqual(["out"]);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, "net.c"]);
    expect(readFileSync(join(out, "net.c"), "utf8")).toContain("previous, good output");
  });

  it("a read-only file system: exit 2 'cannot create DIR: EROFS', not an internal error", async () => {
    const ro = mkdtempSync(join(tmpdir(), "lstm-gen-ro-"));
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", ro], { encoding: "utf8" });
    expect(m.stderr).toBe("");
    try {
      const out = join(ro, "out");
      const r = await cli("compile", model, "--target", "c", "--out", out, "--name", "net", "--calibrate", calib);
      expectOneLineError(r, 2, `cannot create ${out}`, "EROFS");
      expect(readdirSync(ro)).toEqual([]);
    } finally {
      spawnSync("umount", [ro]);
    }
  });

  it("Ctrl-C during a compile: previous output untouched, no temp files", async () => {
    const parent = mkdtempSync(join(tmpdir(), "lstm-gen-sigint-"));
    const out = join(parent, "out");
    previousOutput(out);
    for (const delay of [300, 900, 1500, 2500]) {
      const child = spawn(process.execPath, [resolve(REPO, "bin/lstm-gen.js"), "compile", model, "--target", "wasm", "--out", out, "--name", "net", "--calibrate", calib], {
        stdio: "ignore",
      });
      const exited = new Promise<void>((res) => child.on("exit", () => res()));
      await new Promise((res) => setTimeout(res, delay));
      child.kill("SIGINT");
      await exited;
      const names = readdirSync(parent);
      expect(names.filter((n) => n.includes(".tmp-") || n.includes(".old-"))).toEqual([]);
      expect(names).toEqual(["out"]);
      // Either the compile finished before the signal (a complete new output) or the old output is intact.
      const files = readdirSync(out).sort();
      if (files.includes("net.wasm")) expect(files).toEqual([OUTPUT_MARKER, "asconfig.json", "assembly", "net.d.ts", "net.js", "net.wasm"]);
      else expect(readFileSync(join(out, "net.c"), "utf8")).toContain("previous, good output");
    }
  });
});
