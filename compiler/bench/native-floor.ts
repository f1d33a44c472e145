/**
 * What the machine itself allows for the matrix products of one WebAssembly step: the same multiply-accumulates as
 * the SIMD block step (runtime/as/lstm_simd.ts, `lstmStepSimd`: four units per pass, int16 weight pairs against a
 * splatted input pair, one `pmaddwd` per 8 multiply-accumulates), written with x86 intrinsics and compiled natively by
 * the host's C compiler at -O2. Three forms:
 *
 *  - `plain128`: the loop of lstmStepSimd as it stands (128-bit, the vector width WebAssembly SIMD has);
 *  - `unrolled128`: two column pairs per pass, GCC's best 128-bit form here (V8 does not gain from it; see
 *    docs/generated-wasm-api.md);
 *  - `avx256`: eight units per pass in 256-bit vectors, which WebAssembly has no way to express.
 *
 * Only the dot products are timed, not the activations or the cell update, so each figure is a lower bound for a
 * whole step in that form. The suite sets them beside the per-step budgets that the Performance goals imply
 * (docs/benchmarks.md). x86-64 hosts with AVX2 only; elsewhere the measurement is left out and says why.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { compile, hostCompiler, run } from "../../targets/c/toolchain.js";

export interface NativeFloor {
  /** µs per step of the dot products of one step, each form the fastest of its rounds. */
  readonly plain128Us: number;
  readonly unrolled128Us: number;
  readonly avx256Us: number;
  /** Multiply-accumulates per step, padding included (4H · 2 · (⌈I/2⌉ + ⌈H/2⌉)). */
  readonly macs: number;
  readonly compiler: string;
}

/** The benchmark's C source for H units (H a multiple of 4) and the given column pairs of W and R. */
export function nativeFloorSource(H: number, xPairs: number, hPairs: number): string {
  const pairs = xPairs + hPairs;
  return `/* lstm-gen: native floor of the WebAssembly block step's dot products (compiler/bench/native-floor.ts). */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BLOCKS ${H / 4}
#define XPAIRS ${xPairs}
#define PAIRS ${pairs}
#define AVX __attribute__((target("avx2"), noinline))

/* Per block of four units: XPAIRS pairs of W then the pairs of R, each pair [4 gates][4 units][2] int16. */
static int16_t w[BLOCKS * PAIRS * 32] __attribute__((aligned(64)));
/* The step's input x (2 * XPAIRS int16), then h. */
static int16_t v[PAIRS * 2] __attribute__((aligned(64)));
/* Per block: the four gates' sums (4 units each) of W·x, then of R·h. */
static int32_t out[BLOCKS * 32] __attribute__((aligned(64)));

#define DOT(a, k, xs) a = _mm_add_epi32(a, _mm_madd_epi16(_mm_load_si128((const __m128i *)(p + (k))), xs))
/* One column pair of the four gates (32 int16 at p + off) against the splatted pair xs. */
#define GATES4(off, xs) do { DOT(a0, (off), xs); DOT(a1, (off) + 8, xs); DOT(a2, (off) + 16, xs); DOT(a3, (off) + 24, xs); } while (0)

/* The input pair k, (v[2k], v[2k+1]), as one 32-bit value (memcpy: v is int16_t). */
static inline int32_t pair(int k) {
  int32_t q;
  memcpy(&q, v + 2 * k, sizeof q);
  return q;
}

/* The four gates' sums of one block and side, as the step keeps them (it requantizes W·x and R·h apart). */
#define STORE4(b, side) do { \\
    int32_t *o = out + 32 * (b) + 16 * (side); \\
    _mm_store_si128((__m128i *)o, a0); _mm_store_si128((__m128i *)(o + 4), a1); \\
    _mm_store_si128((__m128i *)(o + 8), a2); _mm_store_si128((__m128i *)(o + 12), a3); \\
  } while (0)

/* lstmStepSimd's loop: per block, the W pairs against x, then the R pairs against h, four gate accumulators. */
AVX static void plain128(void) {
  for (int b = 0; b < BLOCKS; b++) {
    const int16_t *p = w + (size_t)b * PAIRS * 32;
    for (int side = 0; side < 2; side++) {
      const int k0 = side ? XPAIRS : 0, k1 = side ? PAIRS : XPAIRS;
      __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
      for (int k = k0; k < k1; k++) {
        GATES4(0, _mm_set1_epi32(pair(k)));
        p += 32;
      }
      STORE4(b, side);
    }
  }
}

/* The same with two column pairs per pass. */
AVX static void unrolled128(void) {
  for (int b = 0; b < BLOCKS; b++) {
    const int16_t *p = w + (size_t)b * PAIRS * 32;
    for (int side = 0; side < 2; side++) {
      const int k0 = side ? XPAIRS : 0, k1 = side ? PAIRS : XPAIRS;
      __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
      int k = k0;
      for (; k + 2 <= k1; k += 2) {
        const __m128i xs = _mm_set1_epi32(pair(k));
        const __m128i ys = _mm_set1_epi32(pair(k + 1));
        GATES4(0, xs);
        GATES4(32, ys);
        p += 64;
      }
      if (k < k1) {
        GATES4(0, _mm_set1_epi32(pair(k)));
        p += 32;
      }
      STORE4(b, side);
    }
  }
}

/* Eight units per pass, in its own layout: per pair of blocks and column pair, [4 gates][8 units][2] int16, so one
 * 256-bit load holds a gate's pair for eight units. */
static int16_t w8[(BLOCKS + 1) / 2 * PAIRS * 64] __attribute__((aligned(64)));

#define DOT8(a, k, xs) a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(p + (k))), xs))

AVX static void avx256(void) {
  for (int b = 0; b < BLOCKS; b += 2) {
    const int16_t *p = w8 + (size_t)(b / 2) * PAIRS * 64;
    for (int side = 0; side < 2; side++) {
      const int k0 = side ? XPAIRS : 0, k1 = side ? PAIRS : XPAIRS;
      __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
      for (int k = k0; k < k1; k++) {
        const __m256i xs = _mm256_set1_epi32(pair(k));
        DOT8(c0, 0, xs); DOT8(c1, 16, xs); DOT8(c2, 32, xs); DOT8(c3, 48, xs);
        p += 64;
      }
      /* Lanes 0-3 are block b's units, lanes 4-7 block b + 1's. */
      __m128i a0 = _mm256_castsi256_si128(c0), a1 = _mm256_castsi256_si128(c1);
      __m128i a2 = _mm256_castsi256_si128(c2), a3 = _mm256_castsi256_si128(c3);
      STORE4(b, side);
      if (b + 1 < BLOCKS) {
        a0 = _mm256_extracti128_si256(c0, 1);
        a1 = _mm256_extracti128_si256(c1, 1);
        a2 = _mm256_extracti128_si256(c2, 1);
        a3 = _mm256_extracti128_si256(c3, 1);
        STORE4(b + 1, side);
      }
    }
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A checksum of out: the three forms must agree, or the benchmark itself is wrong. */
static uint32_t sum(void) {
  uint32_t h = 2166136261u;
  for (int k = 0; k < BLOCKS * 32; k++) h = (h ^ (uint32_t)out[k]) * 16777619u;
  return h;
}

int main(void) {
  if (!__builtin_cpu_supports("avx2")) {
    puts("no-avx2");
    return 0;
  }
  uint32_t r = 12345u;
  for (int k = 0; k < BLOCKS * PAIRS * 32; k++) {
    r = r * 1103515245u + 12345u;
    w[k] = (int16_t)((int)(r >> 16) % 255 - 127);
  }
  /* w8 holds the same weights as w (an odd last block pairs with zeros). */
  for (int b = 0; b < BLOCKS; b++)
    for (int k = 0; k < PAIRS; k++)
      for (int g = 0; g < 4; g++)
        for (int u = 0; u < 4; u++)
          for (int j = 0; j < 2; j++)
            w8[((size_t)(b / 2) * PAIRS + k) * 64 + g * 16 + (b % 2) * 8 + u * 2 + j] = w[((size_t)b * PAIRS + k) * 32 + g * 8 + u * 2 + j];
  for (int k = 0; k < PAIRS * 2; k++) {
    r = r * 1103515245u + 12345u;
    v[k] = (int16_t)(r >> 16);
  }
  void (*const forms[3])(void) = {plain128, unrolled128, avx256};
  const char *const names[3] = {"plain128", "unrolled128", "avx256"};
  double best[3] = {1e9, 1e9, 1e9};
  uint32_t check[3];
  const int batch = 50;
  for (int round = 0; round < 300; round++) {
    for (int f = 0; f < 3; f++) {
      const double t0 = now();
      for (int k = 0; k < batch; k++) forms[f]();
      const double t = (now() - t0) / batch;
      if (t < best[f]) best[f] = t;
      check[f] = sum();
    }
  }
  for (int f = 0; f < 3; f++) printf("%s %.4f %08x\\n", names[f], best[f] * 1e6, (unsigned)check[f]);
  return 0;
}
`;
}

/** Measures the floor for an LSTM layer of I inputs and H units (H a multiple of 4), or says why it cannot here. */
export async function measureNativeFloor(I: number, H: number): Promise<NativeFloor | { readonly skipped: string }> {
  if (H % 4 !== 0) return { skipped: `H = ${H} is not a multiple of 4 (the block step's condition)` };
  if (process.arch !== "x64") return { skipped: `needs an x86-64 host (this is ${process.arch})` };
  const xPairs = Math.ceil(I / 2);
  const hPairs = Math.ceil(H / 2);
  const cc = hostCompiler();
  const dir = mkdtempSync(join(tmpdir(), "lstm-gen-floor-"));
  try {
    writeFileSync(join(dir, "floor.c"), nativeFloorSource(H, xPairs, hPairs));
    await compile(cc, ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "floor.c", "-o", "floor"], dir);
    const res = await run(join(dir, "floor"), [], { cwd: dir, timeoutMs: 120_000 });
    if (res.code !== 0) throw new Error(`internal: native floor benchmark failed (exit ${res.code}): ${res.stderr.slice(0, 400)}`);
    if (/^no-avx2$/m.test(res.stdout)) return { skipped: "the CPU has no AVX2" };
    const got = new Map<string, { us: number; check: string }>();
    for (const m of res.stdout.matchAll(/^(\w+) ([\d.]+) ([0-9a-f]{8})$/gm)) got.set(m[1]!, { us: Number(m[2]), check: m[3]! });
    const a = got.get("plain128");
    const b = got.get("unrolled128");
    const c = got.get("avx256");
    if (!a || !b || !c) throw new Error(`internal: native floor benchmark printed ${JSON.stringify(res.stdout.slice(0, 200))}`);
    if (a.check !== b.check || a.check !== c.check) throw new Error(`internal: native floor forms disagree (${a.check}, ${b.check}, ${c.check})`);
    return { plain128Us: a.us, unrolled128Us: b.us, avx256Us: c.us, macs: 4 * H * 2 * (xPairs + hPairs), compiler: `${basename(cc)} -O2` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
