import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpy } from "../compiler/data/npy.js";
import { VERSION } from "../compiler/version.js";
import { cli, cliProcess, expectOneLineError, REPO, TORCH } from "./helpers/cli.js";

const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"] as const;

function npy(file: string) {
  const set = parseNpy(file, readFileSync(file));
  const data = set.sequences.flatMap((s) => Array.from(s.data));
  return { set, data };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

describe("lstm-gen CLI", () => {
  it("prints help for the program and each command", async () => {
    const top = await cli("--help");
    expect(top.code).toBe(0);
    for (const c of ["inspect", "run", "verify", "compile"]) expect(top.stdout).toContain(c);
    for (const c of ["inspect", "run", "verify", "compile"]) {
      const r = await cli(c, "--help");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: lstm-gen ${c}`);
    }
  });

  it("keeps its version equal to package.json", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect((await cli("--version")).stdout.trim()).toBe(VERSION);
  });

  it("inspects a PyTorch export: layers, head, parameters, conventions", async () => {
    const r = await cli("inspect", join(TORCH, "stacked/model.onnx"), "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { layers: { hiddenSize: number; inputSize: number; direction: string }[]; head: { reads: string; layers: unknown[] }; parameters: number; source: { format: string; conventions: string[] } };
    expect(s.layers.map((l) => [l.inputSize, l.hiddenSize, l.direction])).toEqual([
      [4, 24, "forward"],
      [24, 24, "forward"],
    ]);
    expect(s.head.reads).toBe("last");
    expect(s.head.layers).toHaveLength(1);
    // PyTorch: 4·H·(I + H + 1) per layer (its two biases are summed into one) + the head.
    expect(s.parameters).toBe(4 * 24 * (4 + 24 + 1) + 4 * 24 * (24 + 24 + 1) + 3 * 24 + 3);
    expect(s.source.format).toBe("onnx");
    expect(s.source.conventions.join(" ")).toMatch(/i,o,f,c/);
    const text = await cli("inspect", join(TORCH, "stacked/model.onnx"));
    expect(text.stdout).toMatch(/layer 1 +LSTM .* 24 → 24 forward/);
  });

  for (const name of FIXTURES) {
    it(`runs the PyTorch fixture '${name}' with the float engine within 1e-4 of PyTorch`, async () => {
      const dir = join(TORCH, name);
      const r = await cli("run", join(dir, "model.onnx"), "--input", join(dir, "input.npy"), "--json");
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout) as { outputs: { name: string; shape: number[]; data: number[] }[] };
      expect(out.outputs).toHaveLength(1);
      const expected = parseNpy("expected.npy", readFileSync(join(dir, "expected.npy")));
      const exp = expected.sequences.flatMap((s) => Array.from(s.data));
      expect(out.outputs[0]!.shape[0]).toBe(npy(join(dir, "input.npy")).set.sequences.length);
      expect(maxAbsDiff(out.outputs[0]!.data, exp)).toBeLessThan(1e-4);
    });
  }

  for (const name of ["sine", "forget_bias"]) {
    it(`runs a 2000-step sequence of '${name}' within 1e-4 of PyTorch`, async () => {
      const dir = join(TORCH, name);
      const r = await cli("run", join(dir, "model.onnx"), "--input", join(dir, "long_input.npy"), "--json");
      const out = JSON.parse(r.stdout) as { outputs: { shape: number[]; data: number[] }[] };
      expect(out.outputs[0]!.shape.slice(0, 2)).toEqual([1, 2000]);
      expect(maxAbsDiff(out.outputs[0]!.data, npy(join(dir, "long_expected.npy")).data)).toBeLessThan(1e-4);
    });
  }

  it("prints a readable table without --json", async () => {
    const dir = join(TORCH, "stacked");
    const r = await cli("run", join(dir, "model.onnx"), "--input", join(dir, "input.npy"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shape \[\d+, 3\]/);
    expect(r.stdout).toMatch(/^ {2}\[0\] /m);
  });

  it("reads CSV and JSON inputs like NPY", async () => {
    const dir = join(TORCH, "sine");
    const { set } = npy(join(dir, "input.npy"));
    const tmp = mkdtempSync(join(tmpdir(), "lstm-gen-cli-"));
    const seqs = set.sequences.slice(0, 2);
    writeFileSync(join(tmp, "x.csv"), seqs.map((s) => Array.from(s.data, (v) => v.toPrecision(17)).join("\n")).join("\n\n") + "\n");
    writeFileSync(join(tmp, "x.json"), JSON.stringify(seqs.map((s) => Array.from(s.data, (v) => [v]))));
    const a = JSON.parse((await cli("run", join(dir, "model.onnx"), "--input", join(tmp, "x.csv"), "--json")).stdout);
    const b = JSON.parse((await cli("run", join(dir, "model.onnx"), "--input", join(tmp, "x.json"), "--json")).stdout);
    expect(a).toEqual(b);
    expect(a.outputs[0].shape[0]).toBe(2);
  });

  describe("verify", () => {
    const dir = join(TORCH, "wide_range");
    const args = ["verify", join(dir, "model.onnx"), "--data", join(dir, "input.npy"), "--calibrate", join(dir, "calib.npy")];

    it("passes with the default tolerance and prints a per-gate table", async () => {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      for (const q of ["gate 'input' (i)", "gate 'forget' (f)", "gate 'cell' (g)", "gate 'output' (o)", "cell state (c)", "hidden state (h)", "output"]) {
        expect(r.stdout).toContain(q);
      }
      expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("result: PASS");
    });

    it("exits 1 with an impossible tolerance and names the gate in JSON and text", async () => {
      const r = await cli(...args, "--tolerance", "gates=1e-9", "--json");
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout) as { pass: boolean; worst: string };
      expect(j.pass).toBe(false);
      expect(j.worst).toMatch(/gate '(input|forget|cell|output)'/);
      const t = await cli(...args, "--weights", "int16", "--tolerance", "hidden=1e-9");
      expect(t.code).toBe(1);
      expect(t.stdout).toMatch(/worst: .*hidden state/);
    });

    it("writes a self-contained HTML report", async () => {
      const tmp = mkdtempSync(join(tmpdir(), "lstm-gen-report-"));
      const file = join(tmp, "sub/report.html");
      expect((await cli(...args, "--report", file)).code).toBe(0);
      const html = readFileSync(file, "utf8");
      expect(html).toContain("<svg");
      expect(html).not.toMatch(/https?:|src=/);
    });

    it("rejects a malformed tolerance with exit 2", async () => {
      expectOneLineError(await cli(...args, "--tolerance", "gatez=0.1"), 2, "gatez");
    });
  });

  describe("bad input: one line, exit 2, no stack trace", () => {
    const tmp = mkdtempSync(join(tmpdir(), "lstm-gen-bad-"));

    it("a missing model file", async () => {
      expectOneLineError(await cli("inspect", join(tmp, "nope.onnx")), 2, "nope.onnx", "no such file");
    });

    it("a file that is not an ONNX model", async () => {
      const f = join(tmp, "garbage.onnx");
      writeFileSync(f, "this is not a protobuf at all \u0000\u00ff");
      expectOneLineError(await cli("inspect", f), 2, "garbage.onnx");
    });

    it("an unsupported model format", async () => {
      const f = join(tmp, "model.pb");
      writeFileSync(f, "x");
      expectOneLineError(await cli("inspect", f), 2, "model.pb", "unsupported model format");
    });

    it("an input with the wrong width", async () => {
      const f = join(tmp, "wide.csv");
      writeFileSync(f, "1,2,3\n4,5,6\n");
      expectOneLineError(await cli("run", join(TORCH, "sine/model.onnx"), "--input", f), 2, "wide.csv", "3 features", "expects 1");
    });

    it("an unknown engine or option", async () => {
      expectOneLineError(await cli("run", join(TORCH, "sine/model.onnx"), "--input", "x.csv", "--engine", "gpu"), 2, "gpu");
      expectOneLineError(await cli("inspect", "--frobnicate"), 2, "frobnicate");
    });

    it("an integer engine without calibration data", async () => {
      const dir = join(TORCH, "sine");
      expectOneLineError(await cli("run", join(dir, "model.onnx"), "--input", join(dir, "input.npy"), "--engine", "fixed"), 2, "--calibrate");
    });

    it("calibration data with extreme values is blamed on the calibration file", async () => {
      const f = join(tmp, "huge-calib.csv");
      writeFileSync(f, "1e30\n-2e30\n3\n");
      const dir = join(TORCH, "sine");
      expectOneLineError(
        await cli("run", join(dir, "model.onnx"), "--input", join(dir, "input.npy"), "--engine", "fixed", "--calibrate", f),
        2,
        "huge-calib.csv",
        "input feature 0",
      );
    });

    it("as a real process: the installed entry point", () => {
      const r = cliProcess("run", join(tmp, "missing.onnx"), "--input", "x.npy");
      expectOneLineError(r, 2, "missing.onnx");
      const ok = cliProcess("inspect", join(TORCH, "sine/model.onnx"));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain("LSTM");
    });
  });
});
