/*
 * Minimal Cortex-M startup for lstm-gen's QEMU test images (mps2-an386 / Cortex-M4F, mps2-an500 / Cortex-M7,
 * microbit / Cortex-M0). No C library start files: the vector table, copying .data, zeroing .bss, enabling the
 * FPU on cores that have one, then main(); output and exit go through ARM semihosting (bkpt 0xab), which QEMU
 * implements with -semihosting-config enable=on,target=native.
 *
 * Only for tests and instruction counts in an emulator; the generated model needs none of this.
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);
void lstmgen_write(const char *s, size_t n);
void lstmgen_exit(int code);
void lstmgen_stack_paint(void);
size_t lstmgen_stack_used(void);

#define SYS_OPEN 0x01
#define SYS_WRITE 0x05
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int stdout_handle = -1;

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
    uintptr_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)code};
    (void)semihost(SYS_EXIT_EXTENDED, args);
    for (;;) {
    }
}

/*
 * Stack high-water mark: paint the free stack (from the end of .bss up to just below the caller's frame) with a
 * pattern, run, then find the deepest word that changed. Measures what the code called after the paint used.
 */
#define STACK_PAINT 0x5AC3A55Cu
static uint32_t *paint_top;

__attribute__((noinline)) void lstmgen_stack_paint(void)
{
    uint32_t *p = &_ebss;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    paint_top = sp - 8; /* leave this function's own frame alone */
    while (p < paint_top) {
        *(volatile uint32_t *)p = STACK_PAINT;
        ++p;
    }
}

size_t lstmgen_stack_used(void)
{
    uint32_t *p = &_ebss;
    while (p < paint_top && *(volatile uint32_t *)p == STACK_PAINT) {
        ++p;
    }
    return (size_t)((uintptr_t)paint_top - (uintptr_t)p);
}

static void Fault_Handler(void)
{
    static const char msg[] = "FAULT\n";
    lstmgen_write(msg, sizeof msg - 1);
    lstmgen_exit(99);
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; ++dst) {
        *(volatile uint32_t *)dst = 0;
    }
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11 (the FPU) before any floating-point instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    lstmgen_exit(main());
}

__attribute__((section(".isr_vector"), used)) void (*const lstmgen_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMon */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};
