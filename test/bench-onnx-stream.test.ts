/**
 * The streaming form of an ONNX model that `lstm-gen bench --target wasm` times onnxruntime with: feeding it one frame
 * at a time, with the state passed back in, must give what the original model gives on the whole sequence
 * (onnxruntime-node, float32: 1e-5).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { buildLstm } from "../compiler/bench/models.js";
import { streamingOnnx } from "../compiler/bench/onnx-stream.js";
import { TORCH } from "./helpers/cli.js";

async function compare(bytes: Uint8Array, input: string, I: number, T: number, batchFirst: boolean, every: boolean): Promise<void> {
  const x = Float32Array.from({ length: T * I }, (_, k) => Math.sin(0.37 * k) * 0.9);
  const dims = (t: number) => (batchFirst ? [1, t, I] : [t, 1, I]);
  const whole = await ort.InferenceSession.create(bytes);
  const ref = await whole.run({ [input]: new ort.Tensor("float32", x, dims(T)) });
  const outName = whole.outputNames[0]!;
  const want = ref[outName]!.data as Float32Array;
  const s = streamingOnnx(bytes)!;
  expect(s.states.length).toBeGreaterThan(0);
  const stream = await ort.InferenceSession.create(s.bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const st of s.states) {
    feeds[st.hIn] = new ort.Tensor("float32", new Float32Array(st.dims.reduce((a, b) => a * b, 1)), [...st.dims]);
    feeds[st.cIn] = new ort.Tensor("float32", new Float32Array(st.dims.reduce((a, b) => a * b, 1)), [...st.dims]);
  }
  const got: number[] = [];
  let last: Float32Array = new Float32Array(0);
  for (let t = 0; t < T; t++) {
    feeds[input] = new ort.Tensor("float32", x.slice(t * I, (t + 1) * I), dims(1));
    const r = await stream.run(feeds);
    last = r[outName]!.data as Float32Array;
    if (every) got.push(...last);
    for (const st of s.states) {
      feeds[st.hIn] = r[st.hOut]!;
      feeds[st.cIn] = r[st.cOut]!;
    }
  }
  const g = every ? got : Array.from(last);
  expect(g.length).toBe(want.length);
  for (let k = 0; k < g.length; k++) expect(Math.abs(g[k]! - want[k]!), `value ${k}`).toBeLessThan(1e-5);
}

describe("streamingOnnx", () => {
  it("the suite's one-layer LSTM (time-major, no head): streamed steps give the sequence's Y", async () => {
    const m = buildLstm({ inputSize: 3, hiddenSize: 8, seed: 7 });
    await compare(m.onnx, "X", 3, 12, false, true);
  });

  it("PyTorch exports (batch-first input, zero-state subgraph, head every step / on the last step, two layers)", async () => {
    await compare(readFileSync(join(TORCH, "sine", "model.onnx")), "x", 1, 15, true, true);
    await compare(readFileSync(join(TORCH, "stacked", "model.onnx")), "x", 4, 15, true, false);
  });

  it("refuses a bidirectional model", () => {
    expect(streamingOnnx(readFileSync(join(TORCH, "bidir", "model.onnx")))).toBeUndefined();
  });
});
