/** The documented exit codes: 0 ok, 1 verification failed, 2 bad usage or input, 3 internal error. */
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { cli, expectOneLineError, TORCH } from "./helpers/cli.js";

vi.mock("../compiler/import/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../compiler/import/index.js")>();
  return {
    ...real,
    // A model file named "crash.onnx" stands for a bug inside lstm-gen: a plain exception, not an LstmGenError.
    loadModel: (file: string, opts?: object) =>
      file.endsWith("crash.onnx") ? Promise.reject(new TypeError("cannot read properties of undefined")) : real.loadModel(file, opts),
  };
});

const dir = join(TORCH, "sine");
const verifyArgs = ["verify", join(dir, "model.onnx"), "--data", join(dir, "input.npy"), "--calibrate", join(dir, "calib.npy")];

describe("exit codes", () => {
  it("0: success", async () => {
    expect((await cli("inspect", join(dir, "model.onnx"))).code).toBe(0);
    expect((await cli(...verifyArgs)).code).toBe(0);
  });

  it("1: verification out of tolerance", async () => {
    expect((await cli(...verifyArgs, "--tolerance", "output=1e-12")).code).toBe(1);
  });

  it("2: bad usage and bad input", async () => {
    expectOneLineError(await cli("frobnicate"), 2, "frobnicate");
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).not.toContain("outputHelp");
    expectOneLineError(await cli("run", join(dir, "model.onnx")), 2, "--input");
    expectOneLineError(await cli("inspect", join(dir, "nothing.onnx")), 2, "nothing.onnx");
  });

  it("3: an internal error asks to report it, in one line, without a stack trace", async () => {
    const r = await cli("inspect", "/tmp/crash.onnx");
    expectOneLineError(r, 3, "internal error", "cannot read properties of undefined", "report");
  });
});
