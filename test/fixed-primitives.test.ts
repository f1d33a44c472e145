/**
 * The integer primitives of docs/fixed-point.md §1–§3 and §7.2, each against an independent reference:
 * BigInt arithmetic for the shifts and the requantization, Math.tanh / Math.exp for the tables.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildTables,
  conv,
  expNegQ,
  hardSigmoidQ,
  linearQ,
  mulShr,
  reluQ,
  roundHalfAway,
  rq,
  rshr,
  sat16,
  sat32,
  sigmoidQ,
  softmaxQ,
  tanhQ,
} from "../compiler/quantize/primitives.js";

const FC = { seed: 20240501, numRuns: 2000 } as const;
const TWO31 = 2 ** 31;

/** §1 rshr on unbounded integers: BigInt `>>` is a floor division by 2^n. */
function rshrBig(v: bigint, n: bigint): bigint {
  return n === 0n ? v : (v + (1n << (n - 1n))) >> n;
}
function sat32Big(v: bigint): bigint {
  return v > 2147483647n ? 2147483647n : v < -2147483648n ? -2147483648n : v;
}
/** §2 rq in BigInt: sat32(rshr(rshr(acc, p) · M, n)). */
function rqBig(acc: number, p: number, m: number, n: number): number {
  return Number(sat32Big(rshrBig(rshrBig(BigInt(acc), BigInt(p)) * BigInt(m), BigInt(n))));
}

describe("§1 rshr, sat, conv", () => {
  it("rshr rounds to nearest with ties towards +inf, on negatives too", () => {
    expect(rshr(5, 1)).toBe(3); // 2.5 -> 3
    expect(rshr(-5, 1)).toBe(-2); // -2.5 -> -2 (tie towards +inf)
    expect(rshr(-6, 2)).toBe(-1); // -1.5 -> -1
    expect(rshr(-7, 2)).toBe(-2); // -1.75 -> -2
    expect(rshr(6, 2)).toBe(2); // 1.5 -> 2
    expect(rshr(-1, 1)).toBe(0); // -0.5 -> 0
    expect(rshr(-3, 1)).toBe(-1); // -1.5 -> -1
    expect(rshr(1, 1)).toBe(1); // 0.5 -> 1
    expect(rshr(12345, 0)).toBe(12345);
    expect(rshr(-(2 ** 46), 46)).toBe(-1);
    expect(rshr(2 ** 45, 46)).toBe(1); // exactly 0.5
    expect(rshr(-(2 ** 45), 46)).toBe(0); // exactly -0.5
  });

  it("rshr equals the BigInt reference for |v| < 2^52, n in 0..40", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 52n) + 1n, max: 2n ** 52n - 1n }), fc.integer({ min: 0, max: 40 }), (v, n) => {
        expect(rshr(Number(v), n)).toBe(Number(rshrBig(v, BigInt(n))));
      }),
      FC,
    );
  });

  it("sat16 and sat32 clamp at the int16/int32 limits", () => {
    expect([sat16(32767), sat16(32768), sat16(-32768), sat16(-32769), sat16(0)]).toEqual([32767, 32767, -32768, -32768, 0]);
    expect(sat32(TWO31)).toBe(TWO31 - 1);
    expect(sat32(-TWO31 - 1)).toBe(-TWO31);
    expect(sat32(TWO31 - 1)).toBe(TWO31 - 1);
    expect(sat32(3 * TWO31)).toBe(TWO31 - 1);
  });

  it("conv shifts left exactly and right with rshr", () => {
    expect(conv(-3, 4, 10)).toBe(-192);
    expect(conv(-3, 10, 4)).toBe(0); // -3/64 rounds to 0
    expect(conv(-32, 10, 4)).toBe(0); // -0.5 -> 0
    expect(conv(-33, 10, 4)).toBe(-1);
    expect(conv(32, 10, 4)).toBe(1); // 0.5 -> 1
    expect(conv(7, 8, 8)).toBe(7);
    expect(conv(-32768, 0, 16)).toBe(-TWO31);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 31 }), (v, a, b) => {
        const ref = b >= a ? BigInt(v) << BigInt(b - a) : rshrBig(BigInt(v), BigInt(a - b));
        expect(conv(v, a, b)).toBe(Number(ref));
      }),
      FC,
    );
  });

  it("roundHalfAway rounds ties away from zero", () => {
    expect([roundHalfAway(2.5), roundHalfAway(-2.5), roundHalfAway(0.49), roundHalfAway(-0.5), roundHalfAway(-1.2)]).toEqual([3, -3, 0, -1, -1]);
  });
});

describe("§2 requantization (the one product that reaches 2^62)", () => {
  const extremesAcc = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) + 1, 2 ** 30, -(2 ** 30), 12345678, -12345679];
  const extremesM = [0, 1, 2 ** 30, 2 ** 31 - 1, 2 ** 30 + 1, 1518500250];
  const shifts = [1, 2, 15, 16, 17, 30, 31, 32, 33, 34, 46, 47, 61, 62];

  it("mulShr and rq equal the BigInt reference on every combination of extreme values", () => {
    let cases = 0;
    for (const a of extremesAcc) {
      for (const m of extremesM) {
        for (const n of shifts) {
          expect(rq(a, 0, m, n), `acc=${a} M=${m} n=${n}`).toBe(rqBig(a, 0, m, n));
          const exact = rshrBig(BigInt(a) * BigInt(m), BigInt(n));
          if (exact < 2n ** 53n && exact > -(2n ** 53n)) expect(mulShr(a, m, n)).toBe(Number(exact));
          cases++;
        }
      }
    }
    expect(cases).toBe(extremesAcc.length * extremesM.length * shifts.length);
  });

  it("mulShr is exact for |a|, |b| <= 2^31 (both signs) whenever the result is below 2^53", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
        fc.integer({ min: 0, max: 62 }),
        (a, b, n) => {
          const exact = rshrBig(BigInt(a) * BigInt(b), BigInt(n));
          const got = mulShr(a, b, n);
          if (exact < 2n ** 53n && exact > -(2n ** 53n)) expect(got).toBe(Number(exact));
          else expect(Math.sign(got)).toBe(Number(exact > 0n) - Number(exact < 0n)); // large: right sign, saturates
        },
      ),
      FC,
    );
  });

  it("rq equals the BigInt reference on random accumulators, pre-shifts and multipliers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 62 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (p, m, n, frac) => {
          // |rshr(acc, p)| < 2^31 as §6 guarantees
          const acc = Math.trunc(frac * (2 ** (31 + p) - 2 ** p));
          expect(rq(acc, p, m, n)).toBe(rqBig(acc, p, m, n));
        },
      ),
      FC,
    );
  });
});

/** Max error in Q0.15 steps of an activation unit over every z in [lo, hi] (step 1 in Q15.16). */
function maxErrorLsb(unit: (z: number) => number, f: (x: number) => number, lo: number, hi: number, step = 1): { err: number; at: number } {
  let err = 0;
  let at = 0;
  for (let z = lo; z <= hi; z += step) {
    const e = Math.abs(unit(z) - f(z / 65536) * 32768);
    if (e > err) {
      err = e;
      at = z;
    }
  }
  return { err, at };
}

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

describe("§3.1 / §7.2 table activation units against Math", () => {
  const t = buildTables();
  // docs/fixed-point.md §3.1 states these bounds (interpolation + table rounding + interpolation rounding).
  const BOUND = { sigmoid: 1.39, tanh: 1.78, expNeg: 5.0 };

  it("the tables are exactly the §3.1/§7.2 formulas", () => {
    expect(t.sigmoid.length).toBe(513);
    expect(t.sigmoid[0]).toBe(16384);
    expect(t.sigmoid[512]).toBe(32767);
    expect(t.tanh[0]).toBe(0);
    expect(t.tanh[512]).toBe(32767);
    expect(t.expNeg[0]).toBe(32767);
    expect(t.expNeg[512]).toBe(roundHalfAway(Math.exp(-16) * 32768)); // 4
    for (let k = 0; k <= 512; k++) {
      expect(t.tanh[k]).toBe(Math.min(32767, Math.round(Math.tanh(k / 64) * 32768)));
      expect(t.sigmoid[k]).toBe(Math.min(32767, Math.round(sigma(k / 32) * 32768)));
      expect(t.expNeg[k]).toBe(Math.min(32767, Math.round(Math.exp(-k / 32) * 32768)));
    }
  });

  it("sigmoid: every z in [-17, 17] (Q15.16, step 2^-16) within the stated bound", () => {
    const unit = (z: number) => sigmoidQ(z, t.sigmoid);
    const { err, at } = maxErrorLsb(unit, sigma, -17 * 65536, 17 * 65536);
    console.log(`sigmoid table: max |error| = ${err.toFixed(3)} LSB (Q0.15) at z = ${(at / 65536).toFixed(6)}; bound ${BOUND.sigmoid}`);
    expect(err).toBeLessThan(BOUND.sigmoid + 1);
    expect(err).toBeLessThan(BOUND.sigmoid);
    // and the int16-spaced inputs z = k·2^4, k over the whole int16 range ([-8, 8))
    const bad: number[] = [];
    for (let k = -32768; k <= 32767; k++) if (!(Math.abs(unit(k * 16) - sigma(k / 4096) * 32768) < BOUND.sigmoid)) bad.push(k);
    expect(bad).toEqual([]);
  });

  it("sigmoid: output range [1, 32767], odd symmetry and monotonicity, extremes", () => {
    const unit = (z: number) => sigmoidQ(z, t.sigmoid);
    expect(unit(0)).toBe(16384);
    expect(unit(2 ** 31 - 1)).toBe(32767);
    expect(unit(-(2 ** 31))).toBe(1);
    expect(unit(16 * 65536)).toBe(32767);
    expect(unit(-16 * 65536)).toBe(1);
    let prev = 0;
    const bad: number[] = [];
    for (let z = -17 * 65536; z <= 17 * 65536; z++) {
      const y = unit(z);
      if (!(y >= prev && y >= 1 && y <= 32767) || (z !== 0 && unit(-z) !== 32768 - y)) bad.push(z);
      prev = y;
    }
    expect(bad).toEqual([]);
  });

  it("tanh: every z in [-9, 9] within the stated bound", () => {
    const unit = (z: number) => tanhQ(z, t.tanh);
    const { err, at } = maxErrorLsb(unit, Math.tanh, -9 * 65536, 9 * 65536);
    console.log(`tanh table:    max |error| = ${err.toFixed(3)} LSB (Q0.15) at z = ${(at / 65536).toFixed(6)}; bound ${BOUND.tanh}`);
    expect(err).toBeLessThan(BOUND.tanh);
    const bad: number[] = [];
    for (let k = -32768; k <= 32767; k++) if (!(Math.abs(unit(k * 16) - Math.tanh(k / 4096) * 32768) < BOUND.tanh)) bad.push(k);
    expect(unit(2 ** 31 - 1)).toBe(32767);
    expect(unit(-(2 ** 31))).toBe(-32767);
    expect(unit(0)).toBe(0);
    let prev = -32767;
    for (let z = -9 * 65536; z <= 9 * 65536; z++) {
      const y = unit(z);
      if (!(y >= prev && Math.abs(y) <= 32767 && unit(-z) === -y)) bad.push(z);
      prev = y;
    }
    expect(bad).toEqual([]);
  });

  it("expNeg: every d in [0, 16] within the stated bound, 0 at 16", () => {
    const unit = (d: number) => expNegQ(d, t.expNeg);
    const { err, at } = maxErrorLsb(unit, (x) => Math.exp(-x), 0, 16 * 65536 - 1);
    console.log(`expNeg table:  max |error| = ${err.toFixed(3)} LSB (Q0.15) at d = ${(at / 65536).toFixed(6)}; bound ${BOUND.expNeg}`);
    expect(err).toBeLessThan(BOUND.expNeg);
    expect(unit(16 * 65536)).toBe(0);
    expect(unit(0)).toBe(32767);
  });
});

describe("§3.2 hard sigmoid, §3.3 relu/linear", () => {
  it("hardSigmoid equals the BigInt formula, stays in [0, 32767], on random and extreme z", () => {
    const ref = (z: number, a: number, b: number) => {
      const y = rshrBig(BigInt(a) * BigInt(z), 16n) + BigInt(b);
      return Number(y > 32767n ? 32767n : y < 0n ? 0n : y);
    };
    const alphas = [6554, 5461, 32768, 2 ** 31 - 1, -(2 ** 31) + 1, 1];
    for (const a of alphas) {
      for (const z of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 65536, -65536, 163840, -163840]) {
        expect(hardSigmoidQ(z, a, 16384)).toBe(ref(z, a, 16384));
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), (z, a, b) => {
        const y = hardSigmoidQ(z, a, b);
        expect(y).toBe(ref(z, a, b));
        expect(y >= 0 && y <= 32767).toBe(true);
      }),
      FC,
    );
    // Keras 2 hard sigmoid: 0.2x + 0.5; at x = 1: 0.7
    expect(hardSigmoidQ(65536, 6554, 16384)).toBe(6554 + 16384);
  });

  it("relu and linear convert Q15.16 to the output format with rounding and int16 saturation", () => {
    expect(reluQ(-5, 10)).toBe(0);
    expect(reluQ(65536, 10)).toBe(1024);
    expect(reluQ(65536 * 100, 10)).toBe(32767);
    expect(reluQ(2 ** 31 - 1, 0)).toBe(32767);
    expect(reluQ(32768, 0)).toBe(1); // 0.5 -> 1
    expect(linearQ(-32768, 0)).toBe(0); // -0.5 -> 0
    expect(linearQ(-32769, 0)).toBe(-1);
    expect(linearQ(-(2 ** 31), 15)).toBe(-32768);
    expect(linearQ(-(2 ** 31), 0)).toBe(-32768);
    expect(linearQ(3 * 65536, 15)).toBe(32767);
  });
});

describe("§7.2 softmax", () => {
  const t = buildTables();
  it("sums to about 1, is within a few LSB of the float softmax, and handles extreme logits", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 12 }), fc.boolean(), (zs, small) => {
        const z = small ? zs.map((v) => v >> 12) : zs; // small: logits within ±16, where the tables matter
        const out = new Int16Array(z.length);
        softmaxQ(z, z.length, out, t.expNeg);
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp((v - m) / 65536));
        const s = e.reduce((a, b) => a + b, 0);
        let sum = 0;
        out.forEach((p, k) => {
          expect(p >= 0 && p <= 32767).toBe(true);
          // expNeg error ≤ 5 LSB per term, relative to S ≥ 32767; plus the rounding of the division
          expect(Math.abs(p - (e[k]! / s) * 32768)).toBeLessThan(5 * z.length + 2);
          sum += p;
        });
        expect(Math.abs(sum - 32768)).toBeLessThanOrEqual(z.length + 5 * z.length);
        // the maximum keeps the largest probability
        expect(out[z.indexOf(m)]).toBe(Math.max(...out));
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
