/**
 * `verify` end to end on the PyTorch-trained fixtures: import → calibrate → quantize → golden model vs float
 * reference. The default tolerances must pass on the fixtures that docs/fixed-point.md §8 measures, and an
 * impossible tolerance must fail and name the offending gate.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readSequences } from "../compiler/data/read.js";
import type { SequenceSet } from "../compiler/data/sequences.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import type { Model } from "../compiler/ir/model.js";
import { calibrate, type Calibration } from "../compiler/quantize/calibrate.js";
import type { WeightMode } from "../compiler/quantize/qmodel.js";
import { quantizeModel } from "../compiler/quantize/quantize.js";
import {
  cellRangeFromCalibration,
  DEFAULT_TOLERANCE,
  formatText,
  MAX_SERIES_POINTS,
  parseTolerance,
  renderHtml,
  toJson,
  verify,
  type VerifyReport,
} from "../compiler/verify/index.js";

const TORCH = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures/torch");

interface Fixture {
  readonly model: Model;
  readonly cal: Calibration;
  readonly calib: SequenceSet;
  readonly input: SequenceSet;
}

const cache = new Map<string, Fixture>();
function fixture(name: string, input = "input.npy"): Fixture {
  const key = `${name}/${input}`;
  let f = cache.get(key);
  if (!f) {
    const model = importOnnx(resolve(TORCH, name, "model.onnx"));
    const calib = readSequences(resolve(TORCH, name, "calib.npy"), { features: model.inputSize });
    f = { model, calib, cal: calibrate(model, calib), input: readSequences(resolve(TORCH, name, input), { features: model.inputSize }) };
    cache.set(key, f);
  }
  return f;
}

function run(name: string, weights: WeightMode, spec?: string, opts: { input?: string; requireArgmax?: boolean } = {}): VerifyReport {
  const f = fixture(name, opts.input);
  const qm = quantizeModel(f.model, f.cal, { weights, cell: "int16", inputHeadroom: 2 });
  return verify(f.model, qm, f.input, f.cal, {
    tolerance: parseTolerance(spec, weights),
    progress: false,
    ...(opts.requireArgmax ? { requireArgmax: true } : {}),
  });
}

describe("verify on the PyTorch fixtures", () => {
  it.each([
    ["sine", "int8"],
    ["sine", "int16"],
    ["forget_bias", "int8"],
    ["forget_bias", "int16"],
    ["wide_range", "int8"],
    ["wide_range", "int16"],
    ["stacked", "int8"],
    ["stacked", "int16"],
    ["bidir", "int8"],
    ["bidir", "int16"],
  ] as const)("%s passes with the %s defaults", (name, weights) => {
    const report = run(name, weights);
    expect(report.failures).toEqual([]);
    expect(report.pass).toBe(true);
    expect(report.weights).toBe(weights);
    expect(report.cell).toBe("int16");
    expect(report.tolerance).toEqual(DEFAULT_TOLERANCE[weights]);
    // the quantized model is close, not identical: every gate of every cell shows some error
    for (const r of report.results) expect(r.maxError).toBeGreaterThan(0);
    expect(formatText(report).split("\n").at(-1)).toBe("result: PASS");
    expect(toJson(report).pass).toBe(true);
  });

  it("fails with gates=1e-9 and names a gate as the worst offender", () => {
    const report = run("sine", "int8", "gates=1e-9");
    expect(report.pass).toBe(false);
    expect(report.worst).toMatch(/^layer 0 forward gate '(input|forget|cell|output)' \([ifgo]\): max error \S+ > 1e-9 at sequence \d+, step \d+, unit \d+$/);
    expect(report.failures).toHaveLength(4);
    for (const f of report.failures) expect(f).toMatch(/gate '/);
    const text = formatText(report);
    expect(text).toContain(`worst: ${report.worst}`);
    expect(text.split("\n").at(-1)).toBe("result: FAIL (4 checks failed)");
    expect(toJson(report).pass).toBe(false);
  });

  it("compares both layers of a stacked classifier and checks its argmax", () => {
    const report = run("stacked", "int8", undefined, { requireArgmax: true });
    expect(new Set(report.results.map((r) => r.layer))).toEqual(new Set([0, 1, null]));
    expect(report.argmax).toMatchObject({ vectors: 8, disagreements: 0, required: true, pass: true });
    expect(report.pass).toBe(true);
    const out = report.results.at(-1)!;
    expect(out.series.axis).toBe("sequence");
    expect(out.at?.step).toBeNull();
  });

  it("compares the reverse cell of a bidirectional layer", () => {
    const report = run("bidir", "int8");
    expect(report.results.filter((r) => r.direction === "reverse").map((r) => r.quantity)).toEqual(["i", "f", "g", "o", "c", "h"]);
    expect(report.cellRange).toEqual(cellRangeFromCalibration(fixture("bidir").cal));
    expect(report.cellRange[0]).toHaveLength(2);
  });

  it("keeps the drift plot of a 2000-step sequence to 500 points and renders it self-contained", () => {
    const report = run("forget_bias", "int8", undefined, { input: "long_input.npy" });
    expect(report.pass).toBe(true);
    expect(report.maxSteps).toBe(2000);
    for (const r of report.results) {
      expect(r.series.x.length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
      expect(r.series.bucket).toBe(4);
    }
    const html = renderHtml(report, { model: "forget_bias/model.onnx", data: "long_input.npy" });
    expect(html.match(/<svg /g)).toHaveLength(7);
    expect(html).not.toMatch(/https?:|\bsrc\s*=|<script/i);
  });

  it("gives the same report whether the cell ranges come from the Calibration or the calibration data", () => {
    const f = fixture("sine");
    const qm = quantizeModel(f.model, f.cal, { weights: "int8", cell: "int16", inputHeadroom: 2 });
    const opts = { tolerance: DEFAULT_TOLERANCE.int8, progress: false };
    expect(verify(f.model, qm, f.input, f.calib, opts)).toEqual(verify(f.model, qm, f.input, f.cal, opts));
  });
});
