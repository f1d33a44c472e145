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

  it("with no arguments prints the help and exits 2, without commander's internal text", async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("Usage: lstm-gen");
    expect(r.stdout + r.stderr).toContain("compile [options] <model>");
    expect(r.stderr).not.toContain("outputHelp");
    const p = cliProcess();
    expect(p.code).toBe(2);
    expect(p.stdout + p.stderr).toContain("Usage: lstm-gen");
    expect(p.stderr).not.toContain("outputHelp");
    expect(p.stderr).not.toMatch(/\bat .*:\d+:\d+/);
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

    it("--weights and --cell are validated even when the engine does not quantize", async () => {
      const dir = join(TORCH, "sine");
      const base = ["run", join(dir, "model.onnx"), "--input", join(dir, "input.npy")];
      expectOneLineError(await cli(...base, "--engine", "float", "--weights", "weights.h5"), 2, "--weights", "int8, int16", "weights.h5");
      expectOneLineError(await cli(...base, "--cell", "int64"), 2, "--cell", "int16, int32");
      expectOneLineError(await cli(...base, "--input-headroom", "99"), 2, "--input-headroom");
      const v = ["verify", join(dir, "model.onnx"), "--data", join(dir, "input.npy"), "--calibrate", join(dir, "calib.npy")];
      expectOneLineError(await cli(...v, "--weights", "int4"), 2, "--weights");
      expectOneLineError(await cli("bench", join(dir, "model.onnx"), "--target", "host", "--input-range", "-1,1", "--cell", "int8"), 2, "--cell");
      expect((await cli(...base, "--engine", "float", "--weights", "int16", "--cell", "int32")).code).toBe(0);
    });

    it("run: options that do not apply are refused", async () => {
      const dir = join(TORCH, "sine");
      const base = ["run", join(dir, "model.onnx"), "--input", join(dir, "input.npy"), "--calibrate", join(dir, "calib.npy")];
      expectOneLineError(await cli(...base, "--engine", "fixed", "--simd"), 2, "--simd", "--engine wasm");
      expectOneLineError(await cli(...base, "--engine", "wasm", "--sanitize"), 2, "--sanitize", "--engine c");
      expectOneLineError(await cli(...base, "--engine", "fixed", "--input-range", "-1,1"), 2, "give one of --calibrate", "--input-range");
      expectOneLineError(await cli(...base, "--head", "last"), 2, "--head", ".safetensors");
      expectOneLineError(await cli(...base, "--weights-file", join(dir, "calib.npy")), 2, "--weights-file", ".json");
      expectOneLineError(await cli("inspect", join(dir, "model.onnx"), "--batch-first"), 2, "--batch-first", ".safetensors");
    });

    it("run with a fixed-point engine warns once about saturated inputs, without changing them", async () => {
      const dir = join(TORCH, "sine");
      const big = join(tmp, "big.csv");
      const huge = join(tmp, "huge.csv");
      // Calibrated on |x| < 1.98 with 2 bits of headroom: the int16 input format ends near 7.92.
      writeFileSync(big, "0.5\n100\n-100\n3\n50\n");
      writeFileSync(huge, "0.5\n1e6\n-1e6\n3\n1e6\n");
      const args = (input: string, ...extra: string[]) => ["run", join(dir, "model.onnx"), "--input", input, "--calibrate", join(dir, "calib.npy"), ...extra];
      const r = await cli(...args(big, "--engine", "fixed"));
      expect(r.code).toBe(0);
      expect(r.stderr.trimEnd().split("\n")).toEqual([
        "lstm-gen: warning: 3 of 5 input values are outside the calibrated range (|x| > 7.92 in feature 0) and were saturated; calibrate on data that covers such inputs, or raise --input-headroom",
      ]);
      // Saturation, not some other change: 100 and 1e6 give the same integer inputs, hence the same outputs.
      const h = await cli(...args(huge, "--engine", "fixed"));
      expect(h.stderr).toContain("3 of 5 input values");
      expect(h.stdout).toBe(r.stdout);
      // --json keeps stderr clean for programs that read it as "no problems"; the values are the same.
      const j = await cli(...args(big, "--engine", "fixed", "--json"));
      expect(j.stderr).toBe("");
      const hj = await cli(...args(huge, "--engine", "fixed", "--json"));
      expect(JSON.parse(hj.stdout)).toEqual(JSON.parse(j.stdout));
      // In range: no warning; the float engine never warns.
      const ok = await cli(...args(join(dir, "input.npy"), "--engine", "fixed"));
      expect(ok.code).toBe(0);
      expect(ok.stderr).toBe("");
      const f = await cli(...args(big, "--engine", "float"));
      expect(f.code).toBe(0);
      expect(f.stderr).toBe("");
      const one = join(tmp, "one.csv");
      writeFileSync(one, "0.5\n-9\n");
      expect((await cli(...args(one, "--engine", "fixed"))).stderr).toContain("warning: 1 of 2 input values is outside the calibrated range (|x| > 7.92 in feature 0) and was saturated");
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
