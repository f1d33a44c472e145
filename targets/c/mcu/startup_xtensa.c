/*
 * Startup, output and exit for lstm-gen's Xtensa test images: QEMU's `sim` machine with the lx106 core (the
 * ESP8266's), run with semihosting. The reset vector sets the stack pointer (a1 in the call0 ABI) and jumps to
 * lstmgen_start, which clears .bss and calls main(). QEMU loads .data from the image. Output and exit are the
 * Xtensa simulator calls that QEMU implements (`simcall`, a2 = call number: 4 write, 1 exit).
 *
 * Debian's libgcc for xtensa-lx106 lacks the hand-written helpers of GCC's lib1funcs, which the LX106 needs
 * because it has no divider and no high-half multiply: __umulsidi3, __muldi3, __divsi3, __udivsi3, __umodsi3
 * (and the 64-bit __divdi3, __udivdi3, __umoddi3, which no generated code calls). Plain C versions of the first
 * five, built from 32-bit operations, follow; they are exact, and the bit-exact tests run through them. (The
 * ESP8266 SDK links its own libgcc. Instruction counts measured here include these helpers.)
 */
#include <stddef.h>
#include <stdint.h>

void lstmgen_write(const char *s, size_t n);
void lstmgen_exit(int code);
void lstmgen_start(void);
int main(void);

extern uint32_t __bss_start[], __bss_end[];

__asm__(".section .reset, \"ax\"\n"
        ".global lstmgen_reset\n"
        "lstmgen_reset:\n"
        "    j 1f\n"
        "    .align 4\n"
        "2:  .word lstmgen_start\n"
        "3:  .word __stack_top\n"
        "1:  l32r a1, 3b\n"
        "    l32r a0, 2b\n"
        "    jx a0\n"
        ".text\n");

#define SIMCALL_EXIT 1
#define SIMCALL_WRITE 4

static int simcall(int op, int a, const void *b, size_t c)
{
    register int a2 __asm__("a2") = op;
    register int a3 __asm__("a3") = a;
    register const void *a4 __asm__("a4") = b;
    register size_t a5 __asm__("a5") = c;
    /* QEMU returns the result in a2 and an errno in a3. */
    __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}

void lstmgen_write(const char *s, size_t n)
{
    while (n > 0) {
        int w = simcall(SIMCALL_WRITE, 1, s, n);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

void lstmgen_exit(int code)
{
    (void)simcall(SIMCALL_EXIT, code, NULL, 0);
    for (;;) {
    }
}

void lstmgen_start(void)
{
    uint32_t *p;
    for (p = __bss_start; p < __bss_end; ++p) {
        *p = 0;
    }
    lstmgen_exit(main());
}

/* ---- libgcc helpers missing from Debian's xtensa-lx106 libgcc ---------------------------------------- */

uint64_t __umulsidi3(uint32_t a, uint32_t b);
int64_t __muldi3(int64_t a, int64_t b);
uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);
int32_t __divsi3(int32_t n, int32_t d);

/* a · b as 64 bits, from four 16 × 16-bit products. */
uint64_t __umulsidi3(uint32_t a, uint32_t b)
{
    const uint32_t a0 = a & 0xFFFFu, a1 = a >> 16, b0 = b & 0xFFFFu, b1 = b >> 16;
    const uint32_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint32_t mid = (p00 >> 16) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
    const uint32_t lo = (p00 & 0xFFFFu) | (mid << 16);
    const uint32_t hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
    return ((uint64_t)hi << 32) | lo;
}

/* a · b mod 2^64 (also the signed product: two's complement). */
int64_t __muldi3(int64_t a, int64_t b)
{
    const uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    const uint32_t al = (uint32_t)ua, ah = (uint32_t)(ua >> 32), bl = (uint32_t)ub, bh = (uint32_t)(ub >> 32);
    const uint64_t low = __umulsidi3(al, bl);
    const uint32_t hi = (uint32_t)(low >> 32) + al * bh + ah * bl;
    return (int64_t)(((uint64_t)hi << 32) | (uint32_t)low);
}

/* Restoring division, one quotient bit per iteration (d != 0). */
static uint32_t udivmod(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0, r = 0;
    int k;
    for (k = 31; k >= 0; --k) {
        r = (r << 1) | ((n >> k) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << k;
        }
    }
    *rem = r;
    return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    return udivmod(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    (void)udivmod(n, d, &r);
    return r;
}

/* Truncating signed division (C semantics). */
int32_t __divsi3(int32_t n, int32_t d)
{
    const uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    const uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    const uint32_t q = __udivsi3(un, ud);
    return (n < 0) != (d < 0) ? (int32_t)(0u - q) : (int32_t)q;
}
