import { describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { DEFAULT_TOLERANCE, formatTolerance, parseTolerance } from "../compiler/verify/tolerance.js";

/** Parsing `spec` fails with a one-line usage error that contains every fragment. */
function expectUsageError(spec: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    parseTolerance(spec, "int8");
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LstmGenError);
  const err = caught as LstmGenError;
  expect(err.kind).toBe("usage");
  expect(err.message).not.toMatch(/[\r\n]/);
  for (const f of fragments) expect(err.message).toContain(f);
}

describe("parseTolerance", () => {
  it("returns the defaults of the weight mode for an absent or blank spec", () => {
    expect(parseTolerance(undefined, "int8")).toEqual(DEFAULT_TOLERANCE.int8);
    expect(parseTolerance("", "int16")).toEqual(DEFAULT_TOLERANCE.int16);
    expect(parseTolerance("  ", "int8")).toEqual(DEFAULT_TOLERANCE.int8);
  });

  it("keeps int16 defaults tighter than int8 defaults", () => {
    for (const k of ["gates", "cell", "hidden", "output"] as const) {
      expect(DEFAULT_TOLERANCE.int16[k]).toBeLessThan(DEFAULT_TOLERANCE.int8[k]);
    }
  });

  it("parses all four keys", () => {
    expect(parseTolerance("gates=0.02,cell=0.05,hidden=0.03,output=0.01", "int8")).toEqual({
      gates: 0.02,
      cell: 0.05,
      hidden: 0.03,
      output: 0.01,
    });
  });

  it("overrides only the keys given and accepts spaces, exponents and zero", () => {
    expect(parseTolerance(" gates = 1e-9 , output=0 ", "int16")).toEqual({ ...DEFAULT_TOLERANCE.int16, gates: 1e-9, output: 0 });
    expect(parseTolerance("cell=.5", "int8")).toEqual({ ...DEFAULT_TOLERANCE.int8, cell: 0.5 });
  });

  it("round-trips through formatTolerance", () => {
    const t = parseTolerance("gates=0.001,cell=0.25", "int8");
    expect(parseTolerance(formatTolerance(t), "int16")).toEqual(t);
  });

  it("refuses an unknown key, naming it and the valid keys", () => {
    expectUsageError("gate=0.1", "'gate'", "gates, cell, hidden, output");
    expectUsageError("gates=0.1,bias=2", "'bias'");
  });

  it("refuses bad numbers, naming the key", () => {
    expectUsageError("gates=abc", "'gates'", "'abc'");
    expectUsageError("cell=-0.1", "'cell'", "non-negative");
    expectUsageError("hidden=", "'hidden'");
    expectUsageError("output=Infinity", "'output'");
    expectUsageError("output=NaN", "'output'");
    expectUsageError("gates=0x10", "'gates'");
    expectUsageError("gates=1e999", "'gates'");
  });

  it("refuses a missing '=', an empty entry and a repeated key", () => {
    expectUsageError("gates", "'gates'", "=");
    expectUsageError("gates=0.1,,cell=0.2", "empty entry");
    expectUsageError("gates=0.1,gates=0.2", "'gates'", "twice");
  });

  it("does not mutate the defaults", () => {
    const before = { ...DEFAULT_TOLERANCE.int8 };
    const t = parseTolerance("gates=0.9", "int8") as { gates: number };
    t.gates = 7;
    expect(DEFAULT_TOLERANCE.int8).toEqual(before);
  });
});
