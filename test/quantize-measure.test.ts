/**
 * Prints the error table of docs/fixed-point.md §8 (max |fixed − float| per gate, cell, hidden and output on the
 * PyTorch fixtures, calibrated on calib.npy, measured on input.npy). Reproduce with:
 *
 *   npx vitest run test/quantize-measure.test.ts
 *
 * The assertions only pin the table's shape and a loose ceiling; the accuracy limits live in
 * golden-fixtures.test.ts.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { readSequences } from "../compiler/data/read.js";
import { importOnnx } from "../compiler/import/onnx/index.js";
import { formatErrorTable, measureModel, type MeasureRow } from "../compiler/quantize/measure.js";

const ROOT = join(import.meta.dirname, "fixtures", "torch");
const FIXTURES = ["sine", "stacked", "wide_range", "forget_bias", "bidir"];
const OPTIONS = [
  { weights: "int8", cell: "int16" },
  { weights: "int16", cell: "int16" },
  { weights: "int8", cell: "int32" },
  { weights: "int16", cell: "int32" },
] as const;

it("measures the §8 error table", () => {
  const rows: MeasureRow[] = [];
  for (const name of FIXTURES) {
    const dir = join(ROOT, name);
    const model = importOnnx(join(dir, "model.onnx"));
    const calib = readSequences(join(dir, "calib.npy"), { features: model.inputSize });
    const input = readSequences(join(dir, "input.npy"), { features: model.inputSize });
    rows.push(...measureModel(name, model, calib, input, OPTIONS));
  }
  const sorted = [...rows].sort((a, b) => (a.options.cell ?? "").localeCompare(b.options.cell ?? "") || (a.options.weights ?? "").localeCompare(b.options.weights ?? ""));
  console.log(formatErrorTable(sorted));
  expect(rows).toHaveLength(FIXTURES.length * OPTIONS.length);
  for (const r of rows) {
    for (const v of Object.values(r.stats.trace)) expect(v).toBeLessThan(0.25);
    expect(r.stats.output / r.stats.outputRange).toBeLessThan(0.02);
  }
});
