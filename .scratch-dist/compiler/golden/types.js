/**
 * Types of the integer golden model (docs/fixed-point.md implemented in plain TypeScript). Every integer target
 * (C, AssemblyScript/WASM) must reproduce `IntSequenceRun` values bit for bit.
 */
export {};
