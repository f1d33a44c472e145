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

/*
 * On RISC-V the generated layer-step functions are kept out of line. Inlined into the public step function,
 * their extra live values made GCC 12 (-O2, RV32IMC) spill inside the dot-product loops: 36,358 instead of
 * 23,430 instructions per step for torch/sine (1 -> 32), 17,442 instead of 12,513 for torch/bidir. On the
 * Cortex-M cores inlining was within 3% either way, so they keep the compiler's choice.
 */
#if defined(__GNUC__) && defined(__riscv)
#define LSTMGEN_NOINLINE __attribute__((noinline))
#else
#define LSTMGEN_NOINLINE
#endif

/*
 * The activation tables of section 3.1 are the same in every generated model, and their names end in a hash of
 * their contents. On ELF toolchains (GCC, Clang) they are weak definitions, so a program with several models
 * needs only one copy: compiled with -fdata-sections and linked with -Wl,--gc-sections (the usual embedded
 * setting), the linker keeps one and drops the others. Hidden visibility keeps them out of a shared library's
 * exported symbols. Define LSTMGEN_PRIVATE_TABLES to make each model's tables static instead.
 */
#if defined(__GNUC__) && defined(__ELF__) && !defined(LSTMGEN_PRIVATE_TABLES) && defined(__cplusplus)
/* C++: a const at namespace scope is internal unless its definition says extern. */
#define LSTMGEN_TABLE(name) extern const int16_t name[513]; extern __attribute__((weak, visibility("hidden"))) const int16_t name[513]
#elif defined(__GNUC__) && defined(__ELF__) && !defined(LSTMGEN_PRIVATE_TABLES)
/* C: the extern declaration first, for -Wmissing-variable-declarations. */
#define LSTMGEN_TABLE(name) extern const int16_t name[513]; __attribute__((weak, visibility("hidden"))) const int16_t name[513]
#else
#define LSTMGEN_TABLE(name) static const int16_t name[513]
#endif

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

/* ---- section 2, fast variants (bit-exact with the functions above; selected by the emitter) -------------- */
/*
 * The emitter uses these for an LSTM cell whose eight matrices all have int8 weights and 32-bit accumulators
 * (the default). Accumulators are exact integer sums within the bounds of section 6, so the order in which the
 * products are added does not change them; the variants below only reorder the sum.
 * On cores with the Arm DSP extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33...) two int8 weights are sign-extended
 * by one SXTB16 and multiplied with two int16 activations by one SMLAD; on Thumb-1 cores (Cortex-M0/M0+) the loop
 * and the high-word multiply are inline assembly (when optimizing for speed); elsewhere they are plain C. Every
 * variant is checked bit for bit against the golden model by the tests (host, QEMU Cortex-M0/M4/M7, RV32IMC).
 */

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/** SXTB16: the bytes 0 and 2 of x, sign-extended into the two halfwords of the result. */
static inline uint32_t lstmgen_sxtb16(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

/** SXTB16 with ROR #8: the bytes 1 and 3 of x, sign-extended into the two halfwords of the result. */
static inline uint32_t lstmgen_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/** SMLAD: acc + lo(a) * lo(b) + hi(a) * hi(b) (signed halfwords; the caller guarantees no overflow). */
static inline int32_t lstmgen_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/** SMMUL: the high word of the 64-bit product a * b, floor(a * b / 2^32). */
static inline int32_t lstmgen_smmul(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/** QADD: sat32(a + b). */
static inline int32_t lstmgen_qadd(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#endif

/*
 * The multi-instruction inline-assembly loops below are for GCC at -O1..-O3 only. Clang (and armclang) cannot
 * allocate their register constraints, and they pin registers: the Armv7E-M loop uses r9, which position-
 * independent builds reserve as the static base (RWPI, -msingle-pic-base, -fPIC). Define LSTMGEN_NO_ASM to leave
 * them out in any build (for example with -ffixed-r9 or -ffixed-r8); the C loops give the same results.
 */
#if defined(__GNUC__) && !defined(__clang__) && !defined(LSTMGEN_NO_ASM) && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#if defined(__thumb__) && !defined(__thumb2__)
#define LSTMGEN_THUMB1_ASM 1
#endif
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__) && !defined(__ARM_RWPI) && !defined(__PIC__)
#define LSTMGEN_DSP_ASM 1
#endif
#endif
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LSTMGEN_BYTES_LITTLE_ENDIAN 1
#endif
#endif

/**
 * Byte j (0..3, bits 8j..8j+7) of a weight word, as a signed int8 value. Conversions of out-of-range values to
 * signed types are implementation-defined in C99 and wrap on every compiler lstm-gen supports (asserted below).
 */
static inline int32_t lstmgen_byte_s8(uint32_t q, int32_t j)
{
    return (int32_t)(int8_t)(uint8_t)(q >> (8 * j));
}

typedef char lstmgen_assert_wrapping_s8[((int8_t)(uint8_t)0xFFu == -1) ? 1 : -1];

/**
 * Byte j (0..3) of the 32-bit word *p, bits 8j..8j+7, unsigned. On Thumb-1 (little-endian) a byte load with an
 * immediate offset; elsewhere a shift and a mask (one UBFX on Armv7-M).
 */
static inline int32_t lstmgen_word_byte(const int32_t *p, int32_t j)
{
#if defined(LSTMGEN_THUMB1_ASM) && defined(LSTMGEN_BYTES_LITTLE_ENDIAN)
    return (int32_t)((const uint8_t *)p)[j];
#else
    return (int32_t)(((uint32_t)*p >> (8 * j)) & 0xFFu);
#endif
}

/**
 * Four int8 matrix rows times one int16 vector of length n, 32-bit accumulators (accBits = 32 for every row):
 * acc[j] = sum_k w_j[k] * v[k], j = 0..3, the same values as lstmgen_dot_s8_s16_s32 on each row.
 * The weights come as n 32-bit words (the emitter writes them; byte b of a word is bits 8b..8b+7): for each
 * group of four columns k..k+3 (k = 0, 4, ...) and each row j the word of bytes w_j[k], w_j[k+2], w_j[k+1],
 * w_j[k+3]; then for each of the n % 4 remaining columns k the word of bytes w_0[k], w_1[k], w_2[k], w_3[k].
 * The byte order lets SXTB16 give the weights of columns (k, k+1) and SXTB16 ROR 8 those of (k+2, k+3), which
 * SMLAD multiplies with the int16 pairs (v[k], v[k+1]) and (v[k+2], v[k+3]), loaded as one 32-bit word each.
 */
static inline void lstmgen_dot4_s8_s16_s32(const uint32_t *w, const int16_t *v, int32_t n, int32_t acc[4])
{
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t a2 = 0;
    int32_t a3 = 0;
    const int32_t m = n - (n & 3);
    int32_t k;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(LSTMGEN_BYTES_LITTLE_ENDIAN)
    /* SMLAD pairs the low halfwords and the high halfwords: v[k] must be the low half of the word loaded from
       &v[k], which holds on little-endian cores only (a big-endian core takes the C loop below). */
    k = 0;
#if defined(LSTMGEN_DSP_ASM)
    if (m >= 8 && ((uintptr_t)v & 3u) == 0u) {
        /* Armv7E-M at -O1..-O3, v word-aligned: the loop below written out, two groups of four columns per
           pass; per group one LDM of the four weight words, one LDM of the four inputs, 8 SXTB16, 8 SMLAD
           (18 instructions per 16 multiply-accumulates, plus 3 per pass). The weights and inputs sit in fixed
           registers so that the LDM register lists are ascending; the end pointer is read from the stack so
           that the block needs 13 registers (it also compiles with -fno-omit-frame-pointer). */
        register uint32_t q0 __asm__("r8");
        register uint32_t q1 __asm__("r9");
        register uint32_t q2 __asm__("r10");
        register uint32_t q3 __asm__("r11");
        register uint32_t x0 __asm__("r4");
        register uint32_t x1 __asm__("r5");
        uint32_t t;
        const int16_t *vp = v;
        const int16_t *const vend = v + (m & ~(int32_t)7);
        __asm__(
            ".syntax unified\n\t"
            "1:\n\t"
            "ldm %[w]!, {%[q0], %[q1], %[q2], %[q3]}\n\t"
            "ldm %[vp]!, {%[x0], %[x1]}\n\t"
            "sxtb16 %[t], %[q0]\n\t" "smlad %[a0], %[t], %[x0], %[a0]\n\t"
            "sxtb16 %[q0], %[q0], ror #8\n\t" "smlad %[a0], %[q0], %[x1], %[a0]\n\t"
            "sxtb16 %[t], %[q1]\n\t" "smlad %[a1], %[t], %[x0], %[a1]\n\t"
            "sxtb16 %[q1], %[q1], ror #8\n\t" "smlad %[a1], %[q1], %[x1], %[a1]\n\t"
            "sxtb16 %[t], %[q2]\n\t" "smlad %[a2], %[t], %[x0], %[a2]\n\t"
            "sxtb16 %[q2], %[q2], ror #8\n\t" "smlad %[a2], %[q2], %[x1], %[a2]\n\t"
            "sxtb16 %[t], %[q3]\n\t" "smlad %[a3], %[t], %[x0], %[a3]\n\t"
            "sxtb16 %[q3], %[q3], ror #8\n\t" "smlad %[a3], %[q3], %[x1], %[a3]\n\t"
            "ldm %[w]!, {%[q0], %[q1], %[q2], %[q3]}\n\t"
            "ldm %[vp]!, {%[x0], %[x1]}\n\t"
            "sxtb16 %[t], %[q0]\n\t" "smlad %[a0], %[t], %[x0], %[a0]\n\t"
            "sxtb16 %[q0], %[q0], ror #8\n\t" "smlad %[a0], %[q0], %[x1], %[a0]\n\t"
            "sxtb16 %[t], %[q1]\n\t" "smlad %[a1], %[t], %[x0], %[a1]\n\t"
            "sxtb16 %[q1], %[q1], ror #8\n\t" "smlad %[a1], %[q1], %[x1], %[a1]\n\t"
            "sxtb16 %[t], %[q2]\n\t" "smlad %[a2], %[t], %[x0], %[a2]\n\t"
            "sxtb16 %[q2], %[q2], ror #8\n\t" "smlad %[a2], %[q2], %[x1], %[a2]\n\t"
            "sxtb16 %[t], %[q3]\n\t" "smlad %[a3], %[t], %[x0], %[a3]\n\t"
            "sxtb16 %[q3], %[q3], ror #8\n\t" "smlad %[a3], %[q3], %[x1], %[a3]\n\t"
            "ldr %[t], %[vend]\n\t"
            "cmp %[vp], %[t]\n\t"
            "bne 1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [vp] "+r"(vp), [t] "=&r"(t),
              [q0] "=&r"(q0), [q1] "=&r"(q1), [q2] "=&r"(q2), [q3] "=&r"(q3), [x0] "=&r"(x0), [x1] "=&r"(x1)
            : [vend] "m"(vend)
            : "cc", "memory");
        k = m & ~(int32_t)7;
    }
#endif
    for (; k < m; k += 4) {
        uint32_t v01;
        uint32_t v23;
        const uint32_t q0 = w[0];
        const uint32_t q1 = w[1];
        const uint32_t q2 = w[2];
        const uint32_t q3 = w[3];
        __builtin_memcpy(&v01, &v[k], 4);
        __builtin_memcpy(&v23, &v[k + 2], 4);
        a0 = lstmgen_smlad(lstmgen_sxtb16(q0), v01, a0);
        a1 = lstmgen_smlad(lstmgen_sxtb16(q1), v01, a1);
        a2 = lstmgen_smlad(lstmgen_sxtb16(q2), v01, a2);
        a3 = lstmgen_smlad(lstmgen_sxtb16(q3), v01, a3);
        a0 = lstmgen_smlad(lstmgen_sxtb16_ror8(q0), v23, a0);
        a1 = lstmgen_smlad(lstmgen_sxtb16_ror8(q1), v23, a1);
        a2 = lstmgen_smlad(lstmgen_sxtb16_ror8(q2), v23, a2);
        a3 = lstmgen_smlad(lstmgen_sxtb16_ror8(q3), v23, a3);
        w += 4;
    }
#else
    for (k = 0; k < m; k += 4) {
        const int32_t x0 = v[k];
        const int32_t x1 = v[k + 1];
        const int32_t x2 = v[k + 2];
        const int32_t x3 = v[k + 3];
        const int8_t *b = (const int8_t *)w;
#if defined(LSTMGEN_BYTES_LITTLE_ENDIAN)
        /* byte j of a word is at address j: load the weights one by one (RISC-V has a sign-extending byte load
           with an immediate offset) */
        a0 += (int32_t)b[0] * x0 + (int32_t)b[2] * x1 + (int32_t)b[1] * x2 + (int32_t)b[3] * x3;
        a1 += (int32_t)b[4] * x0 + (int32_t)b[6] * x1 + (int32_t)b[5] * x2 + (int32_t)b[7] * x3;
        a2 += (int32_t)b[8] * x0 + (int32_t)b[10] * x1 + (int32_t)b[9] * x2 + (int32_t)b[11] * x3;
        a3 += (int32_t)b[12] * x0 + (int32_t)b[14] * x1 + (int32_t)b[13] * x2 + (int32_t)b[15] * x3;
#else
        uint32_t q = w[0];
        (void)b;
        a0 += lstmgen_byte_s8(q, 0) * x0 + lstmgen_byte_s8(q, 2) * x1 + lstmgen_byte_s8(q, 1) * x2 + lstmgen_byte_s8(q, 3) * x3;
        q = w[1];
        a1 += lstmgen_byte_s8(q, 0) * x0 + lstmgen_byte_s8(q, 2) * x1 + lstmgen_byte_s8(q, 1) * x2 + lstmgen_byte_s8(q, 3) * x3;
        q = w[2];
        a2 += lstmgen_byte_s8(q, 0) * x0 + lstmgen_byte_s8(q, 2) * x1 + lstmgen_byte_s8(q, 1) * x2 + lstmgen_byte_s8(q, 3) * x3;
        q = w[3];
        a3 += lstmgen_byte_s8(q, 0) * x0 + lstmgen_byte_s8(q, 2) * x1 + lstmgen_byte_s8(q, 1) * x2 + lstmgen_byte_s8(q, 3) * x3;
#endif
        w += 4;
    }
#endif
    for (k = m; k < n; ++k) {
        const int32_t x = v[k];
        const uint32_t q = *w++;
        a0 += lstmgen_byte_s8(q, 0) * x;
        a1 += lstmgen_byte_s8(q, 1) * x;
        a2 += lstmgen_byte_s8(q, 2) * x;
        a3 += lstmgen_byte_s8(q, 3) * x;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#if defined(LSTMGEN_THUMB1_ASM) && defined(LSTMGEN_BYTES_LITTLE_ENDIAN)
#define LSTMGEN_DOT4_PACKED 1
#endif
#if defined(LSTMGEN_DOT4_PACKED)
/** v[0] + ... + v[n-1] modulo 2^32 (the vsum argument of lstmgen_dot4p_s8_s16_s32). */
static inline int32_t lstmgen_sum_s16(const int16_t *v, int32_t n)
{
    uint32_t s = 0u;
    int32_t k;
    for (k = 0; k < n; ++k) {
        s += (uint32_t)(int32_t)v[k];
    }
    return (int32_t)s;
}

/**
 * lstmgen_dot4_s8_s16_s32 for Thumb-1 (Cortex-M0/M0+/M23 at -O1..-O3), on another weight layout that the emitter
 * writes for these cores only (LSTMGEN_DOT4_PACKED): for each column k one word Q_k holding the four rows'
 * weights as digits, Q_k = c_0 + 2^8 c_1 + 2^16 c_2 + 2^24 c_3 with c_j = w_j[k] + 128 (0..255) for j < 3 and
 * c_3 = w_3[k] (-128..127); as bytes, bytes 0..2 are w_j[k] XOR 0x80 and byte 3 is w_3[k].
 * Because the lower digits are non-negative, Q_k >> 8r (arithmetic) is exactly sum_{j >= r} 2^(8(j-r)) c_j, so
 * one MULS per row and column, without extracting bytes, gives modulo 2^32
 *   A_r = sum_k v[k] (Q_k >> 8r) = sum_{j >= r} 2^(8(j-r)) T_j,   T_j = sum_k v[k] c_j[k],
 * and T_r = A_r - 2^8 A_(r+1) (T_3 = A_3), all modulo 2^32. With vsum = sum_k v[k] (modulo 2^32),
 * acc[j] = T_j - 128 vsum for j < 3 and acc[3] = T_3: the exact dot products modulo 2^32, which are the exact
 * dot products because they fit in 32 bits (section 6). 58 instructions per 16 multiply-accumulates with a
 * word-aligned v (62 otherwise), against 70 for the byte-extracting loop.
 */
static inline void lstmgen_dot4p_s8_s16_s32(const uint32_t *w, const int16_t *v, int32_t n, int32_t vsum, int32_t acc[4])
{
    uint32_t a0 = 0u;
    uint32_t a1 = 0u;
    uint32_t a2 = 0u;
    uint32_t a3 = 0u;
    const int32_t m = n - (n & 3);
    int32_t k;
    if (m > 0) {
#define LSTMGEN_T1P_COL(x) \
            "ldm %[w]!, {%[q]}\n\t" \
            "asrs %[t], %[q], #8\n\t" "muls %[t], %[" x "]\n\t" "add %[a1], %[t]\n\t" \
            "asrs %[t], %[q], #16\n\t" "muls %[t], %[" x "]\n\t" "add %[a2], %[t]\n\t" \
            "asrs %[t], %[q], #24\n\t" "muls %[t], %[" x "]\n\t" "add %[a3], %[t]\n\t" \
            "muls %[q], %[" x "]\n\t" "add %[a0], %[q]\n\t"
#define LSTMGEN_T1P_END \
            LSTMGEN_T1P_COL("x0") LSTMGEN_T1P_COL("x1") LSTMGEN_T1P_COL("x2") LSTMGEN_T1P_COL("x3") \
            "ldr %[t], %[vend]\n\t" \
            "cmp %[vp], %[t]\n\t" \
            "bne 1b\n\t" \
            ".syntax divided\n\t"
        uint32_t q;
        uint32_t t;
        int32_t x0;
        int32_t x2;
        const int16_t *vp = v;
        const int16_t *const vend = v + m;
        if (((uintptr_t)v & 3u) == 0u) {
            register int32_t x1 __asm__("r1");
            register int32_t x3 __asm__("r3");
            __asm__(
                ".syntax unified\n\t"
                "1:\n\t"
                "mov %[t], %[vp]\n\t"
                "ldm %[t]!, {%[x1], %[x3]}\n\t"
                "mov %[vp], %[t]\n\t"
                "sxth %[x0], %[x1]\n\t" "asrs %[x1], %[x1], #16\n\t"
                "sxth %[x2], %[x3]\n\t" "asrs %[x3], %[x3], #16\n\t"
                LSTMGEN_T1P_END
                : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [w] "+l"(w), [vp] "+h"(vp), [x0] "=&l"(x0),
                  [x1] "=&l"(x1), [x2] "=&l"(x2), [x3] "=&l"(x3), [q] "=&l"(q), [t] "=&l"(t)
                : [vend] "m"(vend)
                : "cc", "memory");
        } else {
            int32_t x1;
            int32_t x3;
            __asm__(
                ".syntax unified\n\t"
                "1:\n\t"
                "mov %[t], %[vp]\n\t"
                "ldrh %[x0], [%[t], #0]\n\t" "sxth %[x0], %[x0]\n\t"
                "ldrh %[x1], [%[t], #2]\n\t" "sxth %[x1], %[x1]\n\t"
                "ldrh %[x2], [%[t], #4]\n\t" "sxth %[x2], %[x2]\n\t"
                "ldrh %[x3], [%[t], #6]\n\t" "sxth %[x3], %[x3]\n\t"
                "adds %[t], #8\n\t"
                "mov %[vp], %[t]\n\t"
                LSTMGEN_T1P_END
                : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [w] "+l"(w), [vp] "+h"(vp), [x0] "=&l"(x0),
                  [x1] "=&l"(x1), [x2] "=&l"(x2), [x3] "=&l"(x3), [q] "=&l"(q), [t] "=&l"(t)
                : [vend] "m"(vend)
                : "cc", "memory");
        }
#undef LSTMGEN_T1P_END
#undef LSTMGEN_T1P_COL
    }
    for (k = m; k < n; ++k) {
        const uint32_t x = (uint32_t)(int32_t)v[k];
        const int32_t q = (int32_t)*w++;
        a0 += (uint32_t)q * x;
        a1 += (uint32_t)(q >> 8) * x;
        a2 += (uint32_t)(q >> 16) * x;
        a3 += (uint32_t)(q >> 24) * x;
    }
    {
        const uint32_t o = (uint32_t)vsum << 7;
        acc[0] = (int32_t)(a0 - (a1 << 8) - o);
        acc[1] = (int32_t)(a1 - (a2 << 8) - o);
        acc[2] = (int32_t)(a2 - (a3 << 8) - o);
        acc[3] = (int32_t)a3;
    }
}
#endif

#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__) || defined(LSTMGEN_MULHI_PIECES)
#define LSTMGEN_MULHI_BY_PIECES 1
/**
 * floor(a * b / 2^32) for any int32 a and 0 <= b < 2^31, from 16-bit pieces in 32-bit arithmetic (for cores
 * without a 32x32 -> 64 multiply, such as Cortex-M0, where a 64-bit product is a call to __aeabi_lmul).
 * With a = ah 2^16 + al, b = bh 2^16 + bl (al, bl unsigned 16-bit): a b = ah bh 2^32 + (t1 + t2) 2^16 + t0,
 * t0 = al bl < 2^32, t1 = ah bl (|t1| < 2^31), t2 = al bh < 2^31; so the floor is
 * ah bh + floor(t1 / 2^16) + floor(((t1 mod 2^16) + t2 + floor(t0 / 2^16)) / 2^16), the last sum < 2^32.
 */
static inline int32_t lstmgen_mulhi_pieces_s32(int32_t a, int32_t b)
{
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const int32_t bh = b >> 16;
    const uint32_t bl = (uint32_t)b & 0xFFFFu;
    const uint32_t t0 = al * bl;
    const int32_t t1 = ah * (int32_t)bl;
    const uint32_t t2 = al * (uint32_t)bh;
    const uint32_t u = ((uint32_t)t1 & 0xFFFFu) + t2 + (t0 >> 16);
    return ah * bh + (t1 >> 16) + (int32_t)(u >> 16);
}
#endif

/** floor(a * b / 2^32) for any int32 a and 0 <= b < 2^31 (the high word of the 64-bit product). */
static inline int32_t lstmgen_mulhi_s32(int32_t a, int32_t b)
{
#if defined(LSTMGEN_THUMB1_ASM)
    /* lstmgen_mulhi_pieces_s32 written out for Thumb-1 (18 instructions; GCC's code for the C needs about 30) */
    int32_t ah;
    int32_t bh;
    uint32_t t0;
    uint32_t al = (uint32_t)a;
    uint32_t bl = (uint32_t)b;
    __asm__(
        ".syntax unified\n\t"
        "asrs %[ah], %[al], #16\n\t"
        "uxth %[al], %[al]\n\t"
        "asrs %[bh], %[bl], #16\n\t"
        "uxth %[bl], %[bl]\n\t"
        "movs %[t0], %[al]\n\t"
        "muls %[t0], %[bl]\n\t" /* t0 = al bl */
        "muls %[bl], %[ah]\n\t" /* t1 = ah bl */
        "muls %[al], %[bh]\n\t" /* t2 = al bh */
        "muls %[ah], %[bh]\n\t" /* ah bh */
        "lsrs %[t0], %[t0], #16\n\t"
        "uxth %[bh], %[bl]\n\t"
        "adds %[t0], %[t0], %[bh]\n\t"
        "adds %[t0], %[t0], %[al]\n\t" /* u = (t1 mod 2^16) + t2 + floor(t0 / 2^16) */
        "lsrs %[t0], %[t0], #16\n\t"
        "asrs %[bl], %[bl], #16\n\t"
        "adds %[ah], %[ah], %[bl]\n\t"
        "adds %[ah], %[ah], %[t0]\n\t"
        ".syntax divided\n\t"
        : [ah] "=&l"(ah), [bh] "=&l"(bh), [t0] "=&l"(t0), [al] "+l"(al), [bl] "+l"(bl)
        :
        : "cc");
    return ah;
#elif defined(LSTMGEN_MULHI_BY_PIECES)
    return lstmgen_mulhi_pieces_s32(a, b);
#elif defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    return lstmgen_smmul(a, b);
#else
    return (int32_t)(((int64_t)a * (int64_t)b) >> 32);
#endif
}

/**
 * lstmgen_requantize_s64 for a row whose shift n is at least 33 (the emitter checks it); s1 = n - 33 in [0, 29].
 * With hi = floor(acc M / 2^32): rshr(acc M, n) = floor((hi + 2^(n-33)) / 2^(n-32)), because the low word only
 * adds a fraction below 2^32 before the division; and rshr(hi, s) = floor((floor(hi / 2^(s-1)) + 1) / 2).
 * |acc| < 2^31 and 0 <= M < 2^31 give |hi| <= 2^30, so the result is below 2^30 in magnitude and sat32 never
 * bites. (A row with M = 0 gives 0 for any n; the emitter gives it s1 = 0.)
 */
static inline int32_t lstmgen_requantize_hi_s32(int32_t acc, int32_t mult, int32_t s1)
{
    return ((lstmgen_mulhi_s32(acc, mult) >> s1) + 1) >> 1;
}

/** sat32(a + b), as lstmgen_add_sat_s32, without 64-bit arithmetic (QADD on cores with the DSP extension). */
static inline int32_t lstmgen_add_sat_fast_s32(int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    return lstmgen_qadd(a, b);
#else
    if (b > 0 && a > INT32_MAX - b) {
        return INT32_MAX;
    }
    if (b < 0 && a < INT32_MIN - b) {
        return INT32_MIN;
    }
    return a + b;
#endif
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
    /* e_k <= 32767 and n <= 65536 (the emitter checks it): sum and e_k * 32768 + sum / 2 stay below 2^31, so the
       division is 32-bit (a hardware divide on Armv7-M, no 64-bit helper), of non-negative values (= floor). */
    int32_t m = z[0];
    int32_t sum = 0;
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
        const int32_t p = ((int32_t)out[k] * 32768 + sum / 2) / sum;
        out[k] = (int16_t)(p > 32767 ? 32767 : p);
    }
}

#endif /* LSTMGEN_KERNELS_H */
