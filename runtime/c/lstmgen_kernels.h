/*
 * lstmgen_kernels.h - the integer kernels of lstm-gen's C target.
 *
 * Each function implements one operation of docs/fixed-point.md (the section is named in its comment) on
 * the machine widths that section 6 proves exact. The number types are in the suffix (CMSIS-NN style):
 * s8/s16/s32/s64 are int8_t/int16_t/int32_t/int64_t. Every function is `static inline`, so a generated
 * model that copies this file into its .c file is self-contained and two models can be linked together.
 *
 * Rules for this file (the generated code is compiled with -std=c99 -pedantic -Wconversion and as C++):
 * - no float, no allocation, no recursion, no libc call;
 * - every product is widened explicitly before multiplying (correct even where int is 16 bits);
 * - a left shift of a possibly negative value is written as a multiplication (shifting a negative value
 *   left is undefined in C);
 * - a right shift of a negative value is assumed arithmetic; the typedefs below refuse to compile otherwise.
 */
#ifndef LSTMGEN_KERNELS_H
#define LSTMGEN_KERNELS_H

#include <stdint.h>

/* Static assertions (C99 has no _Static_assert): a negative array size stops the compilation. */
typedef char lstmgen_assert_arithmetic_shift_s32[(((int32_t)-1 >> 1) == -1) ? 1 : -1];
typedef char lstmgen_assert_arithmetic_shift_s64[(((int64_t)-1 >> 1) == -1) ? 1 : -1];

/* ---- section 1: saturation and rounding shifts ---------------------------------------------------------- */

/** sat16(v) = min(32767, max(-32768, v)). */
static inline int16_t lstmgen_sat16_s32(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

/** sat16(v) for a 64-bit value. */
static inline int16_t lstmgen_sat16_s64(int64_t v)
{
    return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

/** sat32(v) = min(2^31 - 1, max(-2^31, v)). */
static inline int32_t lstmgen_sat32_s64(int64_t v)
{
    return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

/** rshr(v, n) = floor((v + 2^(n-1)) / 2^n), 1 <= n <= 30; the caller guarantees v + 2^(n-1) fits. */
static inline int32_t lstmgen_rshr_s32(int32_t v, int32_t n)
{
    return (v + ((int32_t)1 << (n - 1))) >> n;
}

/** rshr(v, n) on 64 bits, 1 <= n <= 62; the caller guarantees v + 2^(n-1) fits. */
static inline int64_t lstmgen_rshr_s64(int64_t v, int32_t n)
{
    return (v + ((int64_t)1 << (n - 1))) >> n;
}

/** conv(v, F1 -> F2) with d = F2 - F1: v * 2^d when d >= 0 (exact), rshr(v, -d) otherwise. |d| <= 62. */
static inline int64_t lstmgen_conv_s64(int64_t v, int32_t d)
{
    if (d > 0) {
        return v * ((int64_t)1 << d);
    }
    if (d < 0) {
        return lstmgen_rshr_s64(v, -d);
    }
    return v;
}

/** min(hi, max(lo, v)). */
static inline int32_t lstmgen_clamp_s32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/** sat32(a + b), exact. */
static inline int32_t lstmgen_add_sat_s32(int32_t a, int32_t b)
{
    return lstmgen_sat32_s64((int64_t)a + (int64_t)b);
}

/** sat32(a + b + c), exact (section 4: bias + y(W) + y(R)). */
static inline int32_t lstmgen_add3_sat_s32(int32_t a, int32_t b, int32_t c)
{
    return lstmgen_sat32_s64((int64_t)a + (int64_t)b + (int64_t)c);
}

/* ---- section 2: requantized matrix rows ----------------------------------------------------------------- */

/** acc = sum_k w[k] * v[k] in 32 bits (section 6: accBits = 32 proves it exact). int8 weights. */
static inline int32_t lstmgen_dot_s8_s16_s32(const int8_t *w, const int16_t *v, int32_t n)
{
    int32_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += (int32_t)w[k] * (int32_t)v[k];
    }
    return acc;
}

/** acc = sum_k w[k] * v[k] in 64 bits (accBits = 64). int8 weights. */
static inline int64_t lstmgen_dot_s8_s16_s64(const int8_t *w, const int16_t *v, int32_t n)
{
    int64_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += (int64_t)((int32_t)w[k] * (int32_t)v[k]);
    }
    return acc;
}

/** acc = sum_k w[k] * v[k] in 32 bits. int16 weights. */
static inline int32_t lstmgen_dot_s16_s16_s32(const int16_t *w, const int16_t *v, int32_t n)
{
    int32_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += (int32_t)w[k] * (int32_t)v[k];
    }
    return acc;
}

/** acc = sum_k w[k] * v[k] in 64 bits. int16 weights. */
static inline int64_t lstmgen_dot_s16_s16_s64(const int16_t *w, const int16_t *v, int32_t n)
{
    int64_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += (int64_t)((int32_t)w[k] * (int32_t)v[k]);
    }
    return acc;
}

/**
 * y = sat32(rshr(acc * M, n)), result in Q15.16 (section 2). `acc` is the accumulator after the pre-shift,
 * |acc| < 2^31; M < 2^31; 1 <= n <= 62. The product is 64-bit.
 */
static inline int32_t lstmgen_requantize_s64(int64_t acc, int32_t mult, int32_t shift)
{
    return lstmgen_sat32_s64(lstmgen_rshr_s64(acc * (int64_t)mult, shift));
}

/* ---- section 3: activation units (input z in Q15.16) ----------------------------------------------------- */

/**
 * Section 3.1 sigmoid: `table` holds sig[k] = sigma(k / 32) in Q0.15, k = 0..512. Output Q0.15 in [1, 32767].
 */
static inline int16_t lstmgen_sigmoid_s16(int32_t z, const int16_t *table)
{
    const int32_t a = z >= 0 ? z : (z == INT32_MIN ? INT32_MAX : -z);
    int32_t y;
    if (a >= ((int32_t)16 << 16)) {
        y = 32767;
    } else {
        const int32_t s = a >> 11;
        const int32_t fr = a & 2047;
        y = (int32_t)table[s] + lstmgen_rshr_s32(((int32_t)table[s + 1] - (int32_t)table[s]) * fr, 11);
    }
    return (int16_t)(z >= 0 ? y : 32768 - y);
}

/** Section 3.1 tanh: `table` holds tnh[k] = tanh(k / 64) in Q0.15, k = 0..512. Output Q0.15 in [-32767, 32767]. */
static inline int16_t lstmgen_tanh_s16(int32_t z, const int16_t *table)
{
    const int32_t a = z >= 0 ? z : (z == INT32_MIN ? INT32_MAX : -z);
    int32_t y;
    if (a >= ((int32_t)8 << 16)) {
        y = 32767;
    } else {
        const int32_t s = a >> 10;
        const int32_t fr = a & 1023;
        y = (int32_t)table[s] + lstmgen_rshr_s32(((int32_t)table[s + 1] - (int32_t)table[s]) * fr, 10);
    }
    return (int16_t)(z >= 0 ? y : -y);
}

/** Section 3.2 hard sigmoid: min(32767, max(0, rshr(alpha * z, 16) + beta)), alpha and beta in Q0.15. */
static inline int16_t lstmgen_hard_sigmoid_s16(int32_t z, int32_t alpha, int32_t beta)
{
    const int64_t v = lstmgen_rshr_s64((int64_t)alpha * (int64_t)z, 16) + (int64_t)beta;
    return (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
}

/** Section 3.3 relu: sat16(conv(max(0, z), 16 -> F)) with shift = 16 - F in [1, 16]. */
static inline int16_t lstmgen_relu_s16(int32_t z, int32_t shift)
{
    return lstmgen_sat16_s64(lstmgen_rshr_s64(z > 0 ? (int64_t)z : 0, shift));
}

/** Section 3.3 linear: sat16(conv(z, 16 -> F)) with shift = 16 - F in [1, 16]. */
static inline int16_t lstmgen_linear_s16(int32_t z, int32_t shift)
{
    return lstmgen_sat16_s64(lstmgen_rshr_s64((int64_t)z, shift));
}

/* ---- section 5: cell and hidden update ------------------------------------------------------------------- */

/**
 * int16 cell: c' = sat16(rshr(f*c + conv(i*g, 15+gFrac -> 15+cFrac), 15)) with ig_shift = gFrac - cFrac >= 0.
 * Both products are < 2^30 and their sum fits int32 (section 6).
 */
static inline int16_t lstmgen_cell_update_s16(int16_t f, int16_t c, int16_t i, int16_t g, int32_t ig_shift)
{
    const int32_t fc = (int32_t)f * (int32_t)c;
    int32_t ig = (int32_t)i * (int32_t)g;
    if (ig_shift > 0) {
        ig = lstmgen_rshr_s32(ig, ig_shift);
    }
    return lstmgen_sat16_s32(lstmgen_rshr_s32(fc + ig, 15));
}

/**
 * int32 cell: c' = sat32(rshr(f*c + conv(i*g, 15+gFrac -> 15+cFrac), 15)); ig_conv = cFrac - gFrac (either
 * sign). 64-bit products (section 6).
 */
static inline int32_t lstmgen_cell_update_s32(int16_t f, int32_t c, int16_t i, int16_t g, int32_t ig_conv)
{
    const int64_t fc = (int64_t)f * (int64_t)c;
    const int64_t ig = lstmgen_conv_s64((int64_t)((int32_t)i * (int32_t)g), ig_conv);
    return lstmgen_sat32_s64(lstmgen_rshr_s64(fc + ig, 15));
}

/** h' = sat16(rshr(o * a, 15)): o in Q0.15 [0, 32767], a the hidden activation. */
static inline int16_t lstmgen_hidden_s16(int16_t o, int16_t a)
{
    return lstmgen_sat16_s32(lstmgen_rshr_s32((int32_t)o * (int32_t)a, 15));
}

/* ---- section 7.2: softmax -------------------------------------------------------------------------------- */

/**
 * Softmax of n >= 1 pre-activations z (Q15.16) into out (Q0.15). `table` holds ex[k] = exp(-k / 32) in Q0.15,
 * k = 0..512. out[] also holds the intermediate e_k, so it needs no scratch.
 */
static inline void lstmgen_softmax_s16(const int32_t *z, int32_t n, const int16_t *table, int16_t *out)
{
    int32_t m = z[0];
    int64_t sum = 0;
    int32_t k;
    for (k = 1; k < n; ++k) {
        if (z[k] > m) {
            m = z[k];
        }
    }
    for (k = 0; k < n; ++k) {
        const int64_t d64 = (int64_t)m - (int64_t)z[k];
        const int32_t d = d64 > ((int64_t)16 << 16) ? ((int32_t)16 << 16) : (int32_t)d64;
        int32_t e = 0;
        if (d < ((int32_t)16 << 16)) {
            const int32_t s = d >> 11;
            const int32_t fr = d & 2047;
            e = (int32_t)table[s] + lstmgen_rshr_s32(((int32_t)table[s + 1] - (int32_t)table[s]) * fr, 11);
        }
        out[k] = (int16_t)e;
        sum += e;
    }
    for (k = 0; k < n; ++k) {
        const int64_t p = ((int64_t)out[k] * 32768 + sum / 2) / sum;
        out[k] = (int16_t)(p > 32767 ? 32767 : p);
    }
}

#endif /* LSTMGEN_KERNELS_H */
