/**
 * The Node example of docs/generated-wasm-api.md (the code block after the "tested by test/wasm-docs.test.ts"
 * marker) runs as written, next to a compiled model, and prints what the golden model computes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { goldenInit, goldenStep, quantizeInput } from "../compiler/golden/golden.js";
import { writeWasm } from "../targets/wasm/index.js";
import { loadFixture } from "./helpers/c-models.js";

const DOC = resolve(import.meta.dirname, "..", "docs", "generated-wasm-api.md");
const DIR = mkdtempSync(join(tmpdir(), "lstm-gen-wasm-docs-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

it("the Node example of the docs runs and prints the golden model's outputs", async () => {
  const text = readFileSync(DOC, "utf8");
  const m = /<!-- tested by test\/wasm-docs\.test\.ts[^>]*-->\n```js\n([\s\S]*?)```/.exec(text);
  expect(m, "the tested example is missing from the docs").not.toBeNull();
  const { qm } = loadFixture("forget_bias"); // 2 inputs, streaming, one output per step
  await writeWasm(qm, DIR, { name: "model", version: "0.0.0-test", modelHash: "docs", simd: false });
  writeFileSync(join(DIR, "main.mjs"), m![1]!);
  const r = spawnSync(process.execPath, ["main.mjs"], { cwd: DIR, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const lines = r.stdout.trimEnd().split("\n");
  const frames = [[0.1, 0.5], [0.2, -0.4], [0.3, 0.0]];
  const st = goldenInit(qm);
  const y = new Int16Array(qm.outputSize);
  frames.forEach((f, t) => {
    goldenStep(qm, st, quantizeInput(qm, Float64Array.from(f)), y);
    expect(lines[t]).toBe(Array.from(y, (v) => v * 2 ** -qm.outputFrac).join(","));
  });
  expect(lines[3]).toBe("true");
});
