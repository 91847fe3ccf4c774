/* What the in-guest benchmarks share (tests/qemu/bench.py reads their
 * output): the virtual counter, and the line
 *   BENCH <name> <hundredths of a ns per operation>
 * Under -icount shift=0 one instruction is one nanosecond, so the figure is
 * instructions per operation. */
#ifndef CHCORE_TESTS_BENCH_H
#define CHCORE_TESTS_BENCH_H

#include <stdio.h>

static inline unsigned long bench_counter(void) {
  unsigned long v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
  return v;
}

static inline unsigned long bench_freq(void) {
  unsigned long v;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
  return v;
}

/* Around the measured loop: the part that tests/qemu/profile/profile.py
 * counts, per function. Hint instructions that the CPU executes as NOPs
 * and the profiling plugin recognises. */
static inline void bench_profile_begin(void) { __asm__ volatile("hint #0x60"); }
static inline void bench_profile_end(void) { __asm__ volatile("hint #0x61"); }

/* Prints the figure of `ops` operations that took `ticks` counter ticks. */
static inline void bench_report(const char* name, unsigned long ticks, unsigned long ops) {
  unsigned long f = bench_freq();
  unsigned long centi = ticks / f * 100000000000ul + ticks % f * 100000000000ul / f;
  printf("BENCH %s %lu\n", name, centi / ops);
}

#endif
