/** `lstm-gen verify`: float reference and integer golden model side by side, per gate, state and output. */
import type { Command } from "commander";
import { dataOptionsFor, readSequences } from "../data/read.js";
import { usageError } from "../errors.js";
import { formatText, parseTolerance, renderHtml, toJson, verify } from "../verify/index.js";
import { VERSION } from "../version.js";
import type { Io } from "./main.js";
import { writeFileAtomically } from "../output.js";
import { addImportOptions, loadModelFromOptions, type ImportCliOptions } from "./import-options.js";
import { addQuantizeOptions, checkQuantizeOptions, quantizeFromOptions, type QuantizeCliOptions } from "./quantize-options.js";

interface VerifyCliOptions extends QuantizeCliOptions, ImportCliOptions {
  readonly data: string;
  readonly tolerance?: string;
  readonly json?: boolean;
  readonly report?: string;
  readonly requireArgmax?: boolean;
}

export function registerVerify(program: Command, io: Io): void {
  const cmd = program
    .command("verify")
    .description("run the float reference and the integer model side by side and check every gate, state and output against a tolerance (exit 1 when out of tolerance)")
    .argument("<model>", "model file")
    .requiredOption("--data <file>", "sequences to verify on (.npy, .json, .csv)")
    .option("--tolerance <spec>", "e.g. gates=0.02,cell=0.05,hidden=0.02,output=0.02 (defaults per weight mode: docs/fixed-point.md §8)")
    .option("--require-argmax", "also fail when a classification output's argmax differs from the float model's")
    .option("--json", "print the full report as JSON")
    .option("--report <file.html>", "write a self-contained HTML report with error-over-time plots");
  addImportOptions(addQuantizeOptions(cmd)).action(async (file: string, o: VerifyCliOptions) => {
    checkQuantizeOptions(o);
    const model = await loadModelFromOptions(file, o);
    const { qm, calibration } = quantizeFromOptions(model, o, !o.json);
    const tolerance = parseTolerance(o.tolerance, qm.weights);
    if (o.report !== undefined && !o.report.toLowerCase().endsWith(".html")) {
      throw usageError(`--report writes HTML: give a file name ending in .html, got '${o.report}'`);
    }
    const data = readSequences(o.data, dataOptionsFor(model));
    const report = verify(model, qm, data, calibration, {
      tolerance,
      requireArgmax: o.requireArgmax ?? false,
      progress: !o.json,
    });
    if (o.report !== undefined) {
      const html = renderHtml(report, { model: file, data: o.data, calibration: o.calibrate ?? `--input-range ${o.inputRange}`, version: VERSION });
      writeFileAtomically(o.report, html);
    }
    io.out((o.json ? JSON.stringify(toJson(report)) : formatText(report)) + "\n");
    if (!report.pass) io.exitCode = 1;
  });
}
