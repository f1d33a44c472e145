export const INT16_MIN = -32768;
export const INT16_MAX = 32767;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO16 = 65536;
const TWO32 = 4294967296;
/** §1 `sat16(v) = min(32767, max(-32768, v))`. */
export function sat16(v) {
    return v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v;
}
/** §1 `sat32(v) = min(2^31 - 1, max(-2^31, v))`. */
export function sat32(v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
}
/**
 * §1 Rounding shift right: `floor((v + 2^(n-1)) / 2^n)` (ties towards +∞), `rshr(v, 0) = v`.
 * Exact for integers |v| < 2^53 and 0 ≤ n ≤ 52 (division by a power of two and `floor` are exact on doubles).
 */
export function rshr(v, n) {
    if (n === 0)
        return v;
    const d = 2 ** n;
    return Math.floor((v + d / 2) / d);
}
/** §1 `conv(v, from → to)`: `v · 2^(to - from)` (exact) or `rshr(v, from - to)`. Exact for |result|, |v| < 2^53. */
export function conv(v, from, to) {
    return to >= from ? v * 2 ** (to - from) : rshr(v, from - to);
}
/** Round half away from zero (the compile-time `round` of §1 and §3). */
export function roundHalfAway(x) {
    return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}
/**
 * `rshr(a · b, n)` computed exactly for integers |a| ≤ 2^31, |b| ≤ 2^31, 0 ≤ n ≤ 62, where the product may reach
 * 2^62 (beyond the 2^53 of a double). The product is split into limbs: b = bh·2^16 + bl with 0 ≤ bl < 2^16, so
 * a·bh (< 2^46) and a·bl (< 2^47) are exact, and regrouped as a·b = hi·2^32 + lo with 0 ≤ lo < 2^32.
 *
 * The result is exact whenever |result| < 2^53. Larger results (only possible for n < 10) come back as the
 * nearest double, which has the right sign and a magnitude ≥ 2^53 — callers saturate them (`rq` does).
 */
export function mulShr(a, b, n) {
    const bh = Math.floor(b / TWO16);
    const bl = b - bh * TWO16;
    const x = a * bh; // |x| ≤ 2^46
    const y = a * bl; // |y| < 2^47
    // a·b = x·2^16 + y = xh·2^32 + (xl·2^16 + y)
    const xh = Math.floor(x / TWO16);
    const xl = x - xh * TWO16;
    const l = xl * TWO16 + y; // |l| < 2^48
    const lh = Math.floor(l / TWO32);
    const lo = l - lh * TWO32; // 0 ≤ lo < 2^32
    const hi = xh + lh; // a·b = hi·2^32 + lo, |hi| ≤ 2^30 + 1
    if (n === 0)
        return hi * TWO32 + lo;
    if (n <= 32) {
        // floor((hi·2^32 + lo + 2^(n-1)) / 2^n), with the rounding constant added to the low limb and its carry
        // moved into the high limb.
        let l2 = lo + 2 ** (n - 1); // < 2^33
        const carry = Math.floor(l2 / TWO32);
        l2 -= carry * TWO32;
        return (hi + carry) * 2 ** (32 - n) + Math.floor(l2 / 2 ** n);
    }
    // n ≥ 33: floor((hi + lo/2^32 + 2^(n-33)) / 2^(n-32)) and floor(floor(u)/m) = floor(u/m) for integer m,
    // floor(hi + lo/2^32 + 2^(n-33)) = hi + 2^(n-33) since 0 ≤ lo < 2^32.
    return Math.floor((hi + 2 ** (n - 33)) / 2 ** (n - 32));
}
/**
 * §2 The requantization of one accumulator: `sat32(rshr(rshr(acc, p) · M, n))`, result in Q15.16.
 * Domain: integer |acc| < 2^53 with |rshr(acc, p)| ≤ 2^31 (§6 guarantees it), 0 ≤ M < 2^31, 1 ≤ n ≤ 62.
 */
export function rq(acc, p, mult, shift) {
    return sat32(mulShr(rshr(acc, p), mult, shift));
}
// ---------------------------------------------------------------------------------------------------------------
// §3 Activation units. Inputs are int32 pre-activations z in Q15.16.
// ---------------------------------------------------------------------------------------------------------------
/** §3.1 Table sigmoid, Q15.16 → Q0.15 in [1, 32767]. */
export function sigmoidQ(z, sig) {
    const a = z >= 0 ? z : z === INT32_MIN ? INT32_MAX : -z;
    let y;
    if (a >= 16 * TWO16) {
        y = INT16_MAX;
    }
    else {
        const s = a >> 11;
        const fr = a & 2047;
        const y0 = sig[s];
        y = y0 + (((sig[s + 1] - y0) * fr + 1024) >> 11); // |Δ·fr| < 2^26: int32 shift is exact
    }
    return z >= 0 ? y : 32768 - y;
}
/** §3.1 Table tanh, Q15.16 → Q0.15 in [-32767, 32767]. */
export function tanhQ(z, tnh) {
    const a = z >= 0 ? z : z === INT32_MIN ? INT32_MAX : -z;
    let y;
    if (a >= 8 * TWO16) {
        y = INT16_MAX;
    }
    else {
        const s = a >> 10;
        const fr = a & 1023;
        const y0 = tnh[s];
        y = y0 + (((tnh[s + 1] - y0) * fr + 512) >> 10);
    }
    return z >= 0 ? y : -y;
}
/** §7.2 `expNeg(d)` for 0 ≤ d ≤ 16·2^16 (Q15.16) → exp(-d) in Q0.15, 0 at d = 16·2^16. */
export function expNegQ(d, ex) {
    if (d >= 16 * TWO16)
        return 0;
    const s = d >> 11;
    const fr = d & 2047;
    const y0 = ex[s];
    return y0 + (((ex[s + 1] - y0) * fr + 1024) >> 11);
}
/** §3.2 Hard sigmoid with alpha_q, beta_q in Q0.15 (|alpha_q| < 2^31): Q15.16 → Q0.15 in [0, 32767]. */
export function hardSigmoidQ(z, alphaQ, betaQ) {
    const y = mulShr(alphaQ, z, 16) + betaQ; // |alpha_q · z| < 2^62, |result| < 2^46: exact
    return y > INT16_MAX ? INT16_MAX : y < 0 ? 0 : y;
}
/** §3.3 ReLU: `sat16(conv(max(0, z), 16 → F))`, 0 ≤ F ≤ 15. */
export function reluQ(z, outFrac) {
    return z > 0 ? sat16(rshr(z, 16 - outFrac)) : 0;
}
/** §3.3 Linear: `sat16(conv(z, 16 → F))`, 0 ≤ F ≤ 15. */
export function linearQ(z, outFrac) {
    return sat16(rshr(z, 16 - outFrac));
}
/**
 * §7.2 Integer softmax of int32 Q15.16 logits `z[0..n)`, written to `out` (Q0.15).
 * `m - z_k` can reach 2^32 - 1; it is exact as a double (in C: int64).
 */
export function softmaxQ(z, n, out, ex) {
    let m = INT32_MIN;
    for (let k = 0; k < n; k++)
        if (z[k] > m)
            m = z[k];
    let s = 0;
    for (let k = 0; k < n; k++) {
        const d = Math.min(16 * TWO16, m - z[k]);
        const e = expNegQ(d, ex);
        out[k] = e; // temporarily e_k
        s += e;
    }
    const half = Math.floor(s / 2);
    for (let k = 0; k < n; k++) {
        const p = Math.floor((out[k] * 32768 + half) / s);
        out[k] = p > INT16_MAX ? INT16_MAX : p;
    }
}
// ---------------------------------------------------------------------------------------------------------------
// §3.1 / §7.2 Tables
// ---------------------------------------------------------------------------------------------------------------
function table(f) {
    const t = new Int16Array(513);
    for (let k = 0; k <= 512; k++)
        t[k] = Math.min(INT16_MAX, roundHalfAway(f(k) * 32768));
    return t;
}
/** The activation tables of §3.1 and §7.2 (computed once by the compiler, shipped as data). */
export function buildTables() {
    return {
        sigmoid: table((k) => 1 / (1 + Math.exp(-k / 32))),
        tanh: table((k) => Math.tanh(k / 64)),
        expNeg: table((k) => Math.exp(-k / 32)),
    };
}
