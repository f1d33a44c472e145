/**
 * examples/gateway/gateway.mjs, run as a user runs it (a plain `node` process over a compiled model in a temporary
 * directory): every printed output equals the golden model's streaming output, and a stream split in two runs with
 * --checkpoint / --resume prints the same values as one uninterrupted run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goldenInit, goldenStep } from "../compiler/golden/golden.js";
import { readSequences } from "../compiler/data/read.js";
import { quantizeInput } from "../compiler/golden/golden.js";
import { writeWasm } from "../targets/wasm/index.js";
import { FIXTURE_DIR, loadFixture } from "./helpers/c-models.js";

const GATEWAY = resolve(import.meta.dirname, "..", "examples", "gateway", "gateway.mjs");
const DIR = mkdtempSync(join(tmpdir(), "lstm-gen-gateway-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function gateway(...args: string[]): { rows: number[][]; stderr: string } {
  const r = spawnSync(process.execPath, [GATEWAY, ...args], { encoding: "utf8", cwd: DIR });
  if (r.status !== 0) throw new Error(`gateway exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^step,y0/);
  return { rows: lines.slice(1).map((l) => l.split(",").map(Number)), stderr: r.stderr };
}

describe.each([
  ["sine", "long_input.npy", 400],
  ["wide_range", "input.npy", 50],
] as const)("gateway over %s", (name, file, frames) => {
  it("prints the golden model's output after every frame, and resumes from a checkpoint", async () => {
    const fx = loadFixture(name);
    const model = join(DIR, name);
    await writeWasm(fx.qm, model, { name, version: "0.0.0-test", modelHash: name, simd: name === "sine" });
    const I = fx.qm.input.size;
    const data = readSequences(join(FIXTURE_DIR, name, file), { features: I }).sequences[0]!.data.subarray(0, frames * I);
    const csvRows = Array.from({ length: frames }, (_, t) => Array.from(data.subarray(t * I, (t + 1) * I), (v) => String(v)).join(","));
    const header = Array.from({ length: I }, (_, k) => `x${k}`).join(",");
    writeFileSync(join(DIR, `${name}.csv`), [header, ...csvRows].join("\n") + "\n");
    const half = Math.floor(frames / 2);
    writeFileSync(join(DIR, `${name}-a.csv`), csvRows.slice(0, half).join("\n") + "\n");
    writeFileSync(join(DIR, `${name}-b.csv`), csvRows.slice(half).join("\r\n") + "\r\n");

    // The golden model, streaming, on the same float frames quantized as the golden model does.
    const xq = quantizeInput(fx.qm, Float64Array.from(data));
    const st = goldenInit(fx.qm);
    const y = new Int16Array(fx.qm.outputSize);
    const want: number[][] = [];
    for (let t = 0; t < frames; t++) {
      goldenStep(fx.qm, st, xq.subarray(t * I, (t + 1) * I), y);
      want.push([t, ...Array.from(y, (v) => v * 2 ** -fx.qm.outputFrac)]);
    }

    const whole = gateway(join(model, `${name}.js`), `${name}.csv`);
    expect(whole.rows).toEqual(want);
    expect(whole.stderr).toContain(`${frames} frames`);

    const a = gateway(join(model, `${name}.js`), `${name}-a.csv`, "--checkpoint", "state.bin");
    const b = gateway(join(model, `${name}.js`), `${name}-b.csv`, "--resume", "state.bin");
    const split = [...a.rows, ...b.rows.map(([t, ...v]) => [t! + half, ...v])];
    expect(split).toEqual(want);
  });
});
