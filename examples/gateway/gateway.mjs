#!/usr/bin/env node
// Edge-gateway example: streams sensor frames, one at a time, through a model compiled by
//   lstm-gen compile model.onnx --target wasm --out build --name model
// and prints the model's output after every frame, as a gateway forwarding predictions would.
//
// Usage: node gateway.mjs <build/model.js> <frames.csv> [--checkpoint <state.bin>] [--resume <state.bin>]
//
//   frames.csv    one frame per line, comma-separated numbers (inputSize values); a first line that is not
//                 numeric is a header. Lines are read as they arrive (a file, or /dev/stdin fed by a sensor).
//   --resume      restore the stream state saved by an earlier run before the first frame
//   --checkpoint  save the stream state after the last frame (written atomically), to continue later
//
// Output (stdout): a CSV header `step,y0,y1,...`, then one line per frame with the dequantized outputs.
// Uses only the generated wrapper's API: load, step, saveState, restoreState, outputSize.
import { createReadStream } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

function usage(message) {
  process.stderr.write(`gateway: ${message}\nusage: node gateway.mjs <model.js> <frames.csv> [--checkpoint <file>] [--resume <file>]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const positional = [];
const options = {};
for (let k = 0; k < args.length; k++) {
  const a = args[k];
  if (a === "--checkpoint" || a === "--resume") {
    if (k + 1 >= args.length) usage(`${a} needs a file`);
    options[a.slice(2)] = args[++k];
  } else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (positional.length !== 2) usage("expected a model wrapper (.js) and a CSV file");
const [wrapperPath, csvPath] = positional;

const { load } = await import(pathToFileURL(resolve(wrapperPath)).href);
const model = await load(); // the .wasm next to the wrapper
if (!model.streaming) usage("this model has reverse or bidirectional layers and cannot run frame by frame");
if (options.resume) model.restoreState(new Uint8Array(await readFile(options.resume)));

const out = process.stdout;
out.write(["step", ...Array.from({ length: model.outputSize }, (_, k) => `y${k}`)].join(",") + "\n");
const frame = new Float64Array(model.inputSize);
let step = 0;
let line = 0;
const lines = createInterface({ input: createReadStream(csvPath), crlfDelay: Infinity });
for await (const text of lines) {
  line++;
  const fields = text.split(",").map((f) => f.trim());
  if (fields.length === 1 && fields[0] === "") continue;
  const values = fields.map((f) => (/^nan$/i.test(f) ? NaN : f === "" ? NaN : Number(f)));
  if (values.some((v, k) => Number.isNaN(v) && !/^nan$/i.test(fields[k]))) {
    if (line === 1) continue; // a header
    usage(`${csvPath}:${line}: not a row of numbers`);
  }
  if (values.length !== model.inputSize) usage(`${csvPath}:${line}: ${values.length} values, the model takes ${model.inputSize}`);
  frame.set(values);
  const y = model.dequantize(model.step(frame));
  out.write(`${step},${Array.from(y).join(",")}\n`);
  step++;
}
if (options.checkpoint) {
  const tmp = `${options.checkpoint}.tmp`;
  await writeFile(tmp, model.saveState());
  await rename(tmp, options.checkpoint);
}
process.stderr.write(`gateway: ${step} frames${options.checkpoint ? `, state saved to ${options.checkpoint}` : ""}\n`);
