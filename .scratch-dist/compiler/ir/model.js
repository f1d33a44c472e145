/**
 * The lstm-gen intermediate representation (IR).
 *
 * This is the one contract between importers, the float reference, the quantizer and the emitters.
 * Gates are addressed by *name*; no code outside an importer knows how a framework orders them.
 *
 * All weights are float64, row-major. A matrix `W [H, I]` has `rows = H`, `cols = I` and element
 * (r, c) at `data[r * cols + c]`, so `W x` computes one output per row.
 */
export const GATE_NAMES = ["input", "forget", "cell", "output"];
