/* A QEMU TCG plugin (QEMU 7.2's plugin API, version 1) for profile.py:
 * counts the instructions executed in each translation block while the
 * guest is between two marker instructions, `hint #0x60` (on) and
 * `hint #0x61` (off), which the CPU executes as NOPs (bench.h's
 * bench_profile_begin/end). A block is keyed by its virtual address and its
 * first four instructions, so that the same address in different
 * programs (every program is linked at 0x400000) stays apart; profile.py
 * finds the program by matching the code bytes. At exit it writes one line
 * per block: vaddr, instructions, instructions executed, the four words.
 *
 * The few declarations of qemu-plugin.h it needs are repeated here (the
 * header is not packaged); they are QEMU's stable plugin ABI. Built by
 * profile.py with the host's cc:  cc -O2 -shared -fPIC -o x.so insn_profile.c
 *
 * With -icount, QEMU runs the vCPUs in turn on one host thread, so the
 * counters need no atomics; profile.py always passes -icount. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- From qemu-plugin.h (QEMU_PLUGIN_VERSION 1) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
  const char* target_name;
  struct {
    int min, cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus, max_vcpus;
    } system;
  };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb*);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void* userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb*, qemu_plugin_vcpu_udata_cb_t,
                                          enum qemu_plugin_cb_flags, void*);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn*, qemu_plugin_vcpu_udata_cb_t,
                                            enum qemu_plugin_cb_flags, void*);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb*);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb*);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb*, size_t);
const void* qemu_plugin_insn_data(const struct qemu_plugin_insn*);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void*);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- The profile ---- */
#define HINT_ON 0xd5032c1fu  /* hint #0x60 */
#define HINT_OFF 0xd5032c3fu /* hint #0x61 */

struct block {
  uint64_t vaddr;
  uint32_t code[4]; /* its first instructions (zero past its end) */
  unsigned n;       /* instructions */
  uint64_t count;   /* instructions executed while on */
  struct block* next;
};

#define BUCKETS (1u << 20)
static struct block* buckets[BUCKETS];
static int on;
static const char* out_path = "insn_profile.txt";

static unsigned hash(const struct block* b) {
  return (unsigned)(b->vaddr ^ (b->vaddr >> 32) ^ b->code[0] * 31u ^ b->code[1] * 7u ^ b->n);
}

static void executed(unsigned int vcpu, void* data) {
  (void)vcpu;
  struct block* b = data;
  if (on) b->count += b->n;
}

static void mark_on(unsigned int vcpu, void* data) {
  (void)vcpu, (void)data;
  on = 1;
}

static void mark_off(unsigned int vcpu, void* data) {
  (void)vcpu, (void)data;
  on = 0;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  struct block key;
  memset(&key, 0, sizeof key);
  key.vaddr = qemu_plugin_tb_vaddr(tb);
  key.n = (unsigned)qemu_plugin_tb_n_insns(tb);
  for (unsigned i = 0; i < key.n && i < 4; i++)
    memcpy(&key.code[i], qemu_plugin_insn_data(qemu_plugin_tb_get_insn(tb, i)), 4);
  struct block** head = &buckets[hash(&key) & (BUCKETS - 1)];
  struct block* b = *head;
  while (b && !(b->vaddr == key.vaddr && b->n == key.n && !memcmp(b->code, key.code, sizeof key.code)))
    b = b->next;
  if (!b) {
    b = malloc(sizeof *b);
    if (!b) abort();
    *b = key;
    b->next = *head;
    *head = b;
  }
  qemu_plugin_register_vcpu_tb_exec_cb(tb, executed, QEMU_PLUGIN_CB_NO_REGS, b);
  for (unsigned i = 0; i < key.n; i++) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    uint32_t w;
    memcpy(&w, qemu_plugin_insn_data(insn), 4);
    if (w == HINT_ON) qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_on, QEMU_PLUGIN_CB_NO_REGS, 0);
    if (w == HINT_OFF) qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_off, QEMU_PLUGIN_CB_NO_REGS, 0);
  }
}

static void finished(qemu_plugin_id_t id, void* data) {
  (void)id, (void)data;
  FILE* f = fopen(out_path, "w");
  if (!f) return;
  for (unsigned h = 0; h < BUCKETS; h++)
    for (struct block* b = buckets[h]; b; b = b->next)
      if (b->count)
        fprintf(f, "%llx %u %llu %08x %08x %08x %08x\n", (unsigned long long)b->vaddr, b->n,
                (unsigned long long)b->count, b->code[0], b->code[1], b->code[2], b->code[3]);
  fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  (void)info;
  for (int i = 0; i < argc; i++)
    if (!strncmp(argv[i], "out=", 4)) out_path = argv[i] + 4;
  qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
  qemu_plugin_register_atexit_cb(id, finished, 0);
  return 0;
}
