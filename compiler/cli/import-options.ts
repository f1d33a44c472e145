/** Options that tell an importer what a weights-only file cannot (shared by every command that loads a model). */
import { extname } from "node:path";
import { Option, type Command } from "commander";
import { usageError } from "../errors.js";
import type { DenseActivation, Model } from "../ir/model.js";
import { loadModel, type ImportOptions } from "../import/index.js";

export interface ImportCliOptions {
  readonly head?: "last" | "every";
  readonly batchFirst?: boolean;
  readonly headActivation?: DenseActivation;
  readonly weightsFile?: string;
}

export function addImportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--head <reads>", "safetensors: the nn.Linear head reads the last step or every step").choices(["last", "every"]))
    .option("--batch-first", "safetensors: the model was trained with batch_first=True (inputs are [N, T, I] either way)")
    .addOption(new Option("--head-activation <act>", "safetensors: activation after the head").choices(["linear", "relu", "tanh", "sigmoid", "softmax"]))
    .option("--weights-file <file>", "Keras architecture JSON: its HDF5 weights file (save_weights)");
}

/** Refuse the options that do not apply to this model file's format (they would otherwise pass silently). */
export function checkImportOptions(file: string, o: ImportCliOptions): void {
  const ext = extname(file).toLowerCase();
  if (ext !== ".safetensors") {
    const given = [
      ...(o.head !== undefined ? ["--head"] : []),
      ...(o.headActivation !== undefined ? ["--head-activation"] : []),
      ...(o.batchFirst !== undefined ? ["--batch-first"] : []),
    ];
    if (given.length > 0) {
      throw usageError(`${given.join(", ")}: for .safetensors models only; ${file} is not one (its own format describes the head and the layout)`);
    }
  }
  if (o.weightsFile !== undefined && ext !== ".json") {
    throw usageError(`--weights-file: for Keras architecture JSON models (.json) only; ${file} is not one`);
  }
}

export function loadModelFromOptions(file: string, o: ImportCliOptions): Promise<Model> {
  checkImportOptions(file, o);
  const opts: ImportOptions = {
    ...(o.head !== undefined ? { head: o.head } : {}),
    ...(o.batchFirst !== undefined ? { batchFirst: o.batchFirst } : {}),
    ...(o.headActivation !== undefined ? { headActivation: o.headActivation } : {}),
    ...(o.weightsFile !== undefined ? { weights: o.weightsFile } : {}),
  };
  return loadModel(file, opts);
}
