/**
 * mulberry32: a tiny seeded PRNG returning floats in [0, 1). Everything random in lstm-gen (the `--input-range`
 * calibration sweep, benchmark models, test data) is drawn from it, so results repeat exactly.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1); // 32-bit wrap intended: the generator's mixing step
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
