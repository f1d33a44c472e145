/*
 * Output and exit for lstm-gen's RISC-V test images (QEMU virt, rv32imc). picolibc's semihost crt0 sets up the
 * stack, .data and .bss and turns main()'s return value into the semihosting exit status. Output goes through
 * a semihosting SYS_WRITE to ":tt" opened for writing, which QEMU sends to its stdout (picolibc's own stdout
 * ends up on QEMU's stderr).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

void lstmgen_write(const char *s, size_t n);
void lstmgen_exit(int code);

#define SYS_OPEN 0x01
#define SYS_WRITE 0x05

static long semihost(long op, void *arg)
{
    register long a0 __asm__("a0") = op;
    register void *a1 __asm__("a1") = arg;
    /*
     * The RISC-V semihosting sequence: uncompressed slli / ebreak / srai. QEMU only recognises it when the three
     * instructions lie in one page, so align it (the padding executes as nops).
     */
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                     "slli zero, zero, 0x1f\n\t"
                     "ebreak\n\t"
                     "srai zero, zero, 7\n\t"
                     ".option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
}

static long stdout_handle = -1;

void lstmgen_write(const char *s, size_t n)
{
    if (stdout_handle < 0) {
        uintptr_t open_args[3] = {(uintptr_t)":tt", 4 /* "w" */, 3};
        stdout_handle = semihost(SYS_OPEN, open_args);
    }
    {
        uintptr_t args[3] = {(uintptr_t)stdout_handle, (uintptr_t)s, (uintptr_t)n};
        (void)semihost(SYS_WRITE, args);
    }
}

void lstmgen_exit(int code)
{
    exit(code);
}
