/** The one input sequence a benchmark runs: `steps` frames taken from representative data, in order. */
import type { SequenceSet } from "../data/sequences.js";
import { quantizeInput } from "../golden/golden.js";
import type { QuantizedModel } from "../quantize/qmodel.js";

export interface BenchSequence {
  readonly steps: number;
  /** Float input [steps, I]. */
  readonly x: Float64Array;
  /** The same, quantized with the model's input scales. */
  readonly xq: Int16Array;
}

/** The first `steps` frames of `set` (its sequences one after the other, from the start again if too few). */
export function benchSequence(qm: QuantizedModel, set: SequenceSet, steps: number): BenchSequence {
  const I = qm.input.size;
  const x = new Float64Array(steps * I);
  const frames = set.sequences.flatMap((s) => Array.from({ length: s.steps }, (_, t) => s.data.subarray(t * I, (t + 1) * I)));
  if (frames.length === 0) throw new Error("internal: benchSequence: no frames");
  for (let t = 0; t < steps; t++) x.set(frames[t % frames.length]!, t * I);
  return { steps, x, xq: quantizeInput(qm, x) };
}
