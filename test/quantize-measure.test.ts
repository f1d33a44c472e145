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
const CLASSIFIERS = new Set(["stacked", "wide_range"]);
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
    rows.push(...measureModel(name, model, calib, input, OPTIONS, CLASSIFIERS.has(name)));
  }
  // one block per option set (in OPTIONS order), fixtures in FIXTURES order within it
  const sorted = OPTIONS.flatMap((o) => rows.filter((r) => r.options === o));
  console.log(`\n${formatErrorTable(sorted)}\n`);
  expect(rows).toHaveLength(FIXTURES.length * OPTIONS.length);
  for (const r of rows) {
    const { c, ...rest } = r.stats.trace;
    for (const v of Object.values(rest)) expect(v).toBeLessThan(0.25); // gates and h are in [-1, 1]
    expect(c / r.stats.cRange).toBeLessThan(0.02);
    expect(r.stats.output / r.stats.outputRange).toBeLessThan(0.02);
  }
});
