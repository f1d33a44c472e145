/**
 * Microcontroller figures of one quantized model: executed instructions per time step, counted exactly under QEMU
 * by a TCG plugin (targets/c/bench.ts), and flash, RAM and worst stack from a real cross-compile of the model's
 * .c alone (targets/c/size.ts). Both are deterministic: they repeat exactly run after run.
 */
import type { QuantizedModel } from "../quantize/qmodel.js";
import { countInstructions } from "../../targets/c/bench.js";
import { DEFAULT_MAX_STEPS, emitC } from "../../targets/c/emit.js";
import type { HarnessSequence } from "../../targets/c/harness.js";
import { measureSizes } from "../../targets/c/size.js";
import type { Mcu } from "../../targets/c/toolchain.js";

export interface McuResult {
  readonly mcu: Mcu;
  /** Mean executed instructions per time step (QEMU TCG plugin; instructions, not cycles). */
  readonly instructionsPerStep: number;
  /** Fewest and most instructions of one step (equal to the mean for models that run whole sequences). */
  readonly minStep: number;
  readonly maxStep: number;
  /** True: measured per `<name>_step` call; false: one `<name>_run` over the sequence, divided by its steps. */
  readonly streaming: boolean;
  readonly steps: number;
  /** e.g. "arm-none-eabi-gcc 12.2.1 -O2". */
  readonly compiler: string;
  readonly flashWeights: number;
  readonly flashCode: number;
  readonly ramState: number;
  readonly ramScratch: number;
  readonly stackWorst: number;
  /**
   * The sequence bound the sizes were measured with: `lstm-gen compile`'s default. It matters only for models with
   * reverse or bidirectional layers, whose state holds buffers for a whole sequence.
   */
  readonly maxSteps: number;
}

export async function benchMcu(qm: QuantizedModel, seq: HarnessSequence, mcu: Mcu): Promise<McuResult> {
  const count = await countInstructions(qm, seq, mcu);
  const files = emitC(qm, { name: "model", version: "bench", modelHash: "-", modelFile: "-", maxSteps: DEFAULT_MAX_STEPS });
  const sizes = measureSizes(files, mcu, "model");
  return {
    mcu,
    instructionsPerStep: count.perStep,
    minStep: count.minStep,
    maxStep: count.maxStep,
    streaming: count.streaming,
    steps: count.steps,
    compiler: `${sizes.compiler} ${count.flags}`,
    flashWeights: sizes.flashWeights,
    flashCode: sizes.flashCode,
    ramState: sizes.ramState,
    ramScratch: sizes.ramScratch,
    stackWorst: sizes.stackWorst,
    maxSteps: DEFAULT_MAX_STEPS,
  };
}
