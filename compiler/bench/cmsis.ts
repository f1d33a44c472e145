/**
 * CMSIS-NN reference figures for the suite's one-layer LSTMs: executed instructions per time step, measured by the
 * issue author ("Performance") with the same QEMU instruction-counting method (TCG plugin, mps2-an386 for the M4,
 * microbit for the M0), arm-none-eabi-gcc 12.2 -O2. They are data quoted from the issue, not measured here.
 *
 * s8: arm_lstm_unidirectional_s8 (int8 weights and activations, int16 cell); s16: arm_lstm_unidirectional_s16;
 * float32: a plain float32 C LSTM on the Cortex-M4F's FPU.
 */
export interface CmsisFigures {
  readonly s8M4: number;
  readonly s16M4: number;
  readonly float32M4F: number;
  readonly s8M0: number;
}

/** Keyed by "<input>x<hidden>". */
export const CMSIS_NN: Readonly<Record<string, CmsisFigures>> = {
  "1x32": { s8M4: 27_486, s16M4: 31_758, float32M4F: 33_559, s8M0: 69_756 },
  "8x32": { s8M4: 29_404, s16M4: 34_637, float32M4F: 39_016, s8M0: 74_894 },
  "3x48": { s8M4: 47_553, s16M4: 55_434, float32M4F: 68_794, s8M0: 122_368 },
  "40x128": { s8M4: 235_823, s16M4: 289_140, float32M4F: 483_812, s8M0: 662_894 },
};

export const CMSIS_SOURCE = "issue \"Performance\": measured by its author with the same QEMU instruction counting, arm-none-eabi-gcc 12.2 -O2";
