/** Bit-exact comparison of C outputs with the golden model, listing every mismatching position. */
import { expect } from "vitest";
import { runGolden } from "../../compiler/golden/golden.js";
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import type { IntSeq } from "./c-models.js";

export function expectBitExact(qm: QuantizedModel, seqs: readonly IntSeq[], outs: readonly Int16Array[]): void {
  expect(outs.length).toBe(seqs.length);
  const bad: string[] = [];
  seqs.forEach((s, n) => {
    const want = runGolden(qm, s.xq, s.steps).output;
    const got = outs[n]!;
    if (got.length !== want.length) bad.push(`sequence ${n}: ${got.length} values, golden has ${want.length}`);
    for (let k = 0; k < Math.min(got.length, want.length); k++) {
      if (got[k] !== want[k]) bad.push(`sequence ${n} [${k}]: C ${got[k]}, golden ${want[k]}`);
    }
  });
  expect(bad, `${bad.length} mismatches:\n${bad.slice(0, 200).join("\n")}`).toEqual([]);
}
