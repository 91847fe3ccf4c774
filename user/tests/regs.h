/* Register-level helpers for the ABI tests (regs.S).
 *
 * regs_probe() loads x0-x30 (x8 = the system-call number, x0-x5 = its
 * arguments), q0-q31, FPCR and FPSR from `in`, executes `svc #0`, and stores
 * every register as it is afterwards into `out` (plus SP before and after).
 * The caller's callee-saved registers and FPCR are restored before it
 * returns. regs_diff() then says whether everything except x0 survived. */
#ifndef CHCORE_TESTS_REGS_H
#define CHCORE_TESTS_REGS_H

#include <stdio.h>

struct regs {
  unsigned long x[31]; /* x0-x30 */
  unsigned long sp;    /* out: sp after the svc */
  unsigned long fpcr;
  unsigned long fpsr;
  unsigned long sp_before; /* out: sp before the svc */
  unsigned long pad;
  unsigned long q[32][2]; /* q0-q31, low and high half */
} __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct regs, sp) == 248, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct regs, fpcr) == 256, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct regs, fpsr) == 264, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct regs, sp_before) == 272, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct regs, q) == 288, "regs.S offsets");

/* Returns x0 after the svc. */
long regs_probe(const struct regs* in, struct regs* out);
/* The same with `svc #0x1000`: IPC's fast path for ipc_call (uapi/ipc.h). */
long regs_probe_ipc_fast(const struct regs* in, struct regs* out);

/* Thread entries for create_thread (x0 = the argument):
 *   regs_exit_thread        ends the thread at once (thread_exit)
 *   regs_dump_thread        x0 -> struct thread_dump: stores every register
 *                           as the thread started, sets done, thread_exit */
void regs_exit_thread(void);
void regs_dump_thread(void);

struct thread_dump {
  unsigned long x[31]; /* x[0] is the argument itself */
  unsigned long sp;
  unsigned long tpidr;
  unsigned long fpcr;
  unsigned long fpsr;
  unsigned long done; /* set to 1 last, with release semantics */
  unsigned long q[32][2];
} __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct thread_dump, sp) == 248, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct thread_dump, done) == 280, "regs.S offsets");
_Static_assert(__builtin_offsetof(struct thread_dump, q) == 288, "regs.S offsets");

/* The FPCR bits every AArch64 implementation keeps as written: AHP, DN, FZ,
 * RMode. (Trap enables and FZ16 may be RES0, so they read back as 0.) */
#define REGS_FPCR_MASK ((1ul << 26) | (1ul << 25) | (1ul << 24) | (3ul << 22))
/* FPSR's cumulative flags: IOC DZC OFC UFC IXC IDC, and QC. */
#define REGS_FPSR_MASK (0x9ful | (1ul << 27))

static inline unsigned long regs_mix(unsigned long v) {
  v ^= v >> 31;
  v *= 0x9e3779b97f4a7c15ul;
  v ^= v >> 29;
  return v;
}

/* Fills every register of `in` with a pattern that depends on `seed` and
 * the register, then sets the number and arguments. */
static inline void regs_fill(struct regs* in, unsigned long seed, long nr,
                             const unsigned long args[6]) {
  for (int i = 0; i < 31; i++) in->x[i] = regs_mix(seed * 64 + (unsigned long)i + 1);
  for (int i = 0; i < 32; i++) {
    in->q[i][0] = regs_mix(seed * 64 + 100 + (unsigned long)i);
    in->q[i][1] = ~regs_mix(seed * 64 + 200 + (unsigned long)i);
  }
  in->fpcr = regs_mix(seed + 300) & REGS_FPCR_MASK;
  in->fpsr = regs_mix(seed + 400) & REGS_FPSR_MASK;
  in->sp = in->sp_before = in->pad = 0;
  for (int i = 0; i < 6; i++) in->x[i] = args != 0 ? args[i] : 0;
  in->x[8] = (unsigned long)nr;
}

/* 0 if `out` has every register of `in` except x0 (and the same sp before
 * and after); else 1 with the first difference described in why. */
static inline int regs_diff(const struct regs* in, const struct regs* out, char* why,
                            unsigned long n) {
  for (int i = 1; i < 31; i++) {
    if (out->x[i] != in->x[i]) {
      snprintf(why, n, "x%d changed: %#lx -> %#lx", i, in->x[i], out->x[i]);
      return 1;
    }
  }
  if (out->sp != out->sp_before) {
    snprintf(why, n, "sp changed: %#lx -> %#lx", out->sp_before, out->sp);
    return 1;
  }
  for (int i = 0; i < 32; i++) {
    if (out->q[i][0] != in->q[i][0] || out->q[i][1] != in->q[i][1]) {
      snprintf(why, n, "q%d changed: %#lx:%#lx -> %#lx:%#lx", i, in->q[i][1], in->q[i][0],
                      out->q[i][1], out->q[i][0]);
      return 1;
    }
  }
  if ((out->fpcr & REGS_FPCR_MASK) != in->fpcr) {
    snprintf(why, n, "fpcr changed: %#lx -> %#lx", in->fpcr, out->fpcr);
    return 1;
  }
  if ((out->fpsr & REGS_FPSR_MASK) != in->fpsr) {
    snprintf(why, n, "fpsr changed: %#lx -> %#lx", in->fpsr, out->fpsr);
    return 1;
  }
  return 0;
}

#endif
