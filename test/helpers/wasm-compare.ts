/** Bit-exact comparison of int16 outputs that names every mismatching position (up to a limit). */
import { expect } from "vitest";

export function mismatchReport(got: ArrayLike<number>, want: ArrayLike<number>, width: number, limit = 20): string[] {
  const out: string[] = [];
  if (got.length !== want.length) out.push(`length ${got.length}, expected ${want.length}`);
  let count = 0;
  for (let j = 0; j < Math.min(got.length, want.length); j++) {
    if (got[j] !== want[j]) {
      count++;
      if (out.length < limit) out.push(`[${Math.floor(j / width)}, ${j % width}]: got ${got[j]}, expected ${want[j]}`);
    }
  }
  if (count > limit) out.push(`… ${count} mismatches in all`);
  return out;
}

/** Fails with the list of mismatching [row, column] positions. */
export function expectSameInts(got: ArrayLike<number>, want: ArrayLike<number>, width: number, what: string): void {
  expect(mismatchReport(got, want, width), what).toEqual([]);
}
