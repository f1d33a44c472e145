/*
 * A QEMU TCG plugin (plugin API version 1, QEMU 7.2) that counts executed guest instructions exactly, in total
 * and inside regions delimited by two guest functions: every execution of the instruction at `begin=<addr>`
 * opens a region, every execution of the instruction at `end=<addr>` closes it. At exit it writes
 * "regions <n> total <sum> min <min> max <max> all <count>" to the file named by `out=<path>`.
 *
 * Debian's QEMU ships no qemu-plugin.h, so the few declarations needed are written here to match QEMU 7.2's
 * include/qemu/qemu-plugin.h. Build: cc -O2 -shared -fPIC -o libinsncount.so insncount.c
 * Used by targets/c/bench.ts for lstm-gen's instructions-per-step figures; not part of any generated model.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t count;      /* instructions executed so far */
static uint64_t begin_addr, end_addr;
static uint64_t opened;     /* count when the current region opened */
static int in_region;
static uint64_t regions, sum, min_region = UINT64_MAX, max_region;
static char out_path[4096];

static void on_begin(unsigned int vcpu, void *ud)
{
    (void)vcpu;
    (void)ud;
    opened = count;
    in_region = 1;
}

static void on_end(unsigned int vcpu, void *ud)
{
    (void)vcpu;
    (void)ud;
    if (in_region) {
        uint64_t n = count - opened;
        ++regions;
        sum += n;
        if (n < min_region) min_region = n;
        if (n > max_region) max_region = n;
        in_region = 0;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        /* Callbacks run before the inline add of the same instruction is counted or not: the same for every region. */
        if (va == begin_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (va == end_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *ud)
{
    FILE *f;
    (void)id;
    (void)ud;
    f = fopen(out_path, "w");
    if (f == NULL) return;
    fprintf(f, "regions %" PRIu64 " total %" PRIu64 " min %" PRIu64 " max %" PRIu64 " all %" PRIu64 "\n", regions, sum,
            regions ? min_region : 0, max_region, count);
    fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "begin=", 6) == 0) begin_addr = strtoull(argv[i] + 6, NULL, 0);
        else if (strncmp(argv[i], "end=", 4) == 0) end_addr = strtoull(argv[i] + 4, NULL, 0);
        else if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    }
    if (out_path[0] == 0 || begin_addr == 0 || end_addr == 0) return 1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
