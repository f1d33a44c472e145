/**
 * The native floor benchmark behind docs/benchmarks.md's "WebAssembly goals against the machine": its three forms
 * (128-bit, 128-bit unrolled, 256-bit) must compute the same sums, or the comparison would time different work.
 * The program checks that itself (a checksum per form) and measureNativeFloor throws when they differ. Times are
 * not asserted (they are benchmark figures, not test results).
 */
import { describe, expect, it } from "vitest";
import { measureNativeFloor, nativeFloorSource } from "../compiler/bench/native-floor.js";

describe("native floor benchmark", () => {
  it("builds warning-free and its forms agree, also with an odd number of unit blocks and odd column counts", async () => {
    for (const [I, H] of [[5, 20], [3, 48]] as const) {
      const f = await measureNativeFloor(I, H);
      if (process.arch !== "x64") {
        expect(f).toEqual({ skipped: `needs an x86-64 host (this is ${process.arch})` });
        continue;
      }
      if (!("plain128Us" in f)) throw new Error(`not measured: ${f.skipped}`);
      expect(f.macs).toBe(4 * H * 2 * (Math.ceil(I / 2) + Math.ceil(H / 2)));
      for (const t of [f.plain128Us, f.unrolled128Us, f.avx256Us]) expect(t).toBeGreaterThan(0);
    }
  });

  it("is laid out as the block step: H/4 blocks of ⌈I/2⌉ + ⌈H/2⌉ column pairs", () => {
    const src = nativeFloorSource(128, 20, 64);
    expect(src).toMatch(/#define BLOCKS 32\n#define XPAIRS 20\n#define PAIRS 84\n/);
    // H not a multiple of 4 has no block step (the emitter picks another form), so nothing to compare.
    return expect(measureNativeFloor(3, 30)).resolves.toEqual({ skipped: "H = 30 is not a multiple of 4 (the block step's condition)" });
  });
});
