/**
 * The performance models of the C target: one LSTM layer of the sizes CMSIS-NN's LSTM benchmarks use,
 * (input, hidden) = (1, 32), (8, 32), (3, 48), (40, 128), random weights quantized by the normal quantizer,
 * no head (the figure is the LSTM step alone, as CMSIS-NN measures it; `<name>_step` then copies h to y,
 * H int16 copies). Seeded, so the instruction counts repeat exactly.
 */
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { intSequences, synthModel, type IntSeq } from "./c-models.js";

export const PERF_SIZES = [
  [1, 32],
  [8, 32],
  [3, 48],
  [40, 128],
] as const;

export function perfModel(inputSize: number, hidden: number): { qm: QuantizedModel; seq: IntSeq } {
  const { qm } = synthModel({ name: `perf_${inputSize}_${hidden}`, seed: 100 + inputSize * 1000 + hidden, inputSize, layers: [{ hidden }], weightScale: 0.4 });
  const [seq] = intSequences(qm, 1, 8, 7 + hidden);
  return { qm, seq: seq! };
}
