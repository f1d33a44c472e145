/**
 * No code injection: strings a model controls (graph, node, tensor and output names, doc strings) must never reach
 * generated C, AssemblyScript, JS, CMake, JSON or HTML as code. A real PyTorch export is renamed with hostile
 * strings, compiled for every target, and the outputs are compiled and searched.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxPkg from "onnx-proto";
import { describe, expect, it } from "vitest";
import { cli, TORCH } from "./helpers/cli.js";

const { onnx } = onnxPkg;

/** Payloads that would break out of a C/JS comment or string, inject a directive, or break a line. */
const PAYLOADS = [
  "*/ int pwned = 1; /*",
  "/* open comment",
  "line\nbreak #include <stdlib.h>",
  "#include \"evil.h\"",
  "back\\slash\\",
  "quote\" ' `tick`",
  "${process.exit(7)}",
  "sep\u2028arator\u2029end",
  "int",
  "__attribute__((constructor)) void x(void){}",
  "</script><script>alert(1)</script>",
];

function hostileModel(src: string, dest: string): void {
  const m = onnx.ModelProto.decode(readFileSync(src));
  const g = m.graph!;
  const rename = new Map<string, string>();
  let k = 0;
  const hostile = (old: string) => {
    if (!old) return old;
    if (!rename.has(old)) rename.set(old, `${PAYLOADS[k++ % PAYLOADS.length]}#${k}`);
    return rename.get(old)!;
  };
  g.name = PAYLOADS[0]!;
  g.docString = PAYLOADS[2]!;
  m.docString = PAYLOADS[6]!;
  m.producerName = PAYLOADS[1]!;
  for (const t of g.initializer ?? []) t.name = hostile(t.name!);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) v.name = hostile(v.name!);
  for (const n of g.node ?? []) {
    n.name = hostile(n.name || `node${k}`);
    n.docString = PAYLOADS[3]!;
    n.input = (n.input ?? []).map((i) => (i ? hostile(i) : i));
    n.output = (n.output ?? []).map((o) => (o ? hostile(o) : o));
  }
  writeFileSync(dest, onnx.ModelProto.encode(m).finish());
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("model-controlled strings never become code", () => {
  const tmp = mkdtempSync(join(tmpdir(), "lstm-gen-inject-"));
  const model = join(tmp, "hostile.onnx");
  hostileModel(join(TORCH, "stacked/model.onnx"), model);
  const calib = join(TORCH, "stacked/calib.npy");

  it("the hostile model still imports and runs, and inspect prints one line per item", async () => {
    const r = await cli("inspect", model);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u2028\u2029]/);
    // Every model string is folded onto its own line: the layout has exactly one line per item.
    expect(r.stdout.trimEnd().split("\n").filter((l) => /^(layer|output|input|head|model) /.test(l))).toHaveLength(6);
    const j = await cli("inspect", model, "--json");
    expect(() => JSON.parse(j.stdout)).not.toThrow();
  });

  for (const target of ["c", "esp-idf", "arduino", "wasm"] as const) {
    it(`--target ${target}: outputs compile and contain no payload`, async () => {
      const out = join(tmp, target);
      const r = await cli("compile", model, "--target", target, "--out", out, "--name", "net", "--calibrate", calib);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      for (const f of files(out)) {
        if (f.endsWith(".wasm")) continue;
        const raw = readFileSync(f, "utf8");
        // A `//` comment in AssemblyScript/JS ends only at a line terminator (checked below on the raw text), so a
        // payload inside one is inert; C files are searched whole (a backslash ending a C comment line splices).
        const text = /\.(ts|js)$/.test(f) ? raw.split("\n").map((l) => l.replace(/\/\/.*$/, "")).join("\n") : raw;
        expect(raw).not.toMatch(/[\u2028\u2029\r]/);
        for (const p of PAYLOADS) {
          if (p === "int") continue; // a C keyword occurs legitimately
          expect(text.includes(p), `${f} contains ${JSON.stringify(p)}`).toBe(false);
        }
        expect(text).not.toMatch(/pwned = 1/);
        expect(text).not.toMatch(/[\u2028\u2029]/);
        expect(text).not.toContain("evil.h");
        expect(text).not.toContain("process.exit");
      }
      const cFiles = files(out).filter((f) => f.endsWith(".c"));
      for (const c of cFiles) {
        const cc = spawnSync("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-c", c, "-o", join(tmp, "x.o")], { encoding: "utf8" });
        expect(cc.stderr).toBe("");
        expect(cc.status).toBe(0);
      }
    });
  }

  it("the HTML report escapes names", async () => {
    const report = join(tmp, "report.html");
    const r = await cli("verify", model, "--data", join(TORCH, "stacked/input.npy"), "--calibrate", calib, "--report", report);
    expect(r.code).toBe(0);
    const html = readFileSync(report, "utf8");
    expect(html).not.toContain("<script>");
    expect(html).not.toMatch(/[\u2028\u2029]/);
  });

  it("--name must be an identifier of the chosen target and not one of its reserved words", async () => {
    const cases: Record<string, { c: boolean; wasm: boolean }> = {
      "*/x": { c: false, wasm: false },
      "a\nb": { c: false, wasm: false },
      "#include": { c: false, wasm: false },
      "x${y}": { c: false, wasm: false },
      class: { c: false, wasm: false },
      static: { c: false, wasm: false },
      namespace: { c: false, wasm: false },
      let: { c: true, wasm: false },
      function: { c: true, wasm: false },
      _Bool: { c: false, wasm: true },
    };
    for (const [name, ok] of Object.entries(cases)) {
      for (const target of ["c", "wasm"] as const) {
        const out = join(tmp, `n-${target}`);
        const r = await cli("compile", model, "--target", target, "--out", out, "--name", name, "--calibrate", calib);
        const label = `--target ${target} --name ${JSON.stringify(name)}`;
        if (ok[target]) {
          expect(r.stderr, label).toBe("");
          expect(r.code, label).toBe(0);
        } else {
          expect(r.code, label).toBe(2);
          expect(r.stderr.trimEnd().split("\n"), label).toHaveLength(1);
          expect(r.stderr, label).toContain(target === "c" ? "generated C" : "generated AssemblyScript");
        }
      }
    }
  });
});
