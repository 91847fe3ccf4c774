/* A tiny unit-test helper for in-guest test programs.
 *
 * Every check prints one line, "[PASS] <suite>.<name>" or
 * "[FAIL] <suite>.<name>: <why>", and ut_finish() prints the summary
 * "N passed, M failed" and returns the exit status (0 iff nothing failed and
 * something passed). The harness rejects "[FAIL]" lines and expects
 * "0 failed".
 *
 *   #define UT_SUITE "caps"
 *   #include "utest.h"
 *   int main(void) {
 *     UT_EQ("cap_info_self", CHCORE_CAP_INFO_TYPE(chcore_sys_cap_info(0)), CHCORE_OBJ_CAP_GROUP);
 *     UT_ERR("bad_slot", chcore_sys_cap_info(1023), CHCORE_EBADF);
 *     return ut_finish();
 *   }
 */
#ifndef CHCORE_TESTS_UTEST_H
#define CHCORE_TESTS_UTEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <chcore/syscall.h>

#ifndef UT_SUITE
#error "define UT_SUITE (the test program's name) before including utest.h"
#endif

static int ut_passed, ut_failed;

/* " (-EAGAIN)"-style suffixes come from the one errno list (uapi/errno.h). */
static inline const char* ut_errname(long v) {
  static char bufs[4][24]; /* a few per printf */
  static int next;
  const char* n = v < 0 ? chcore_errno_name(-v) : 0;
  if (n == 0) return "";
  char* buf = bufs[next++ & 3];
  snprintf(buf, sizeof(bufs[0]), "-%s", n);
  return buf;
}

/* Records one check. `why` is printed after "[FAIL] name: " on failure. */
static inline int ut_report(const char* name, int ok, const char* why) {
  if (ok) {
    ut_passed++;
    printf("[PASS] %s.%s\n", UT_SUITE, name);
  } else {
    ut_failed++;
    printf("[FAIL] %s.%s: %s\n", UT_SUITE, name, why);
  }
  return ok;
}

static inline int ut_check(const char* name, int ok, const char* expr, int line) {
  char why[256];
  if (!ok) snprintf(why, sizeof(why), "%s is false (line %d)", expr, line);
  return ut_report(name, ok, why);
}

static inline int ut_check_eq(const char* name, long got, long want, const char* expr, int line) {
  char why[256];
  int ok = got == want;
  if (!ok) {
    snprintf(why, sizeof(why), "%s = %ld%s (%#lx), expected %ld%s (line %d)", expr, got,
                    ut_errname(got), got, want, ut_errname(want), line);
  }
  return ut_report(name, ok, why);
}

static inline long ut_check_ok(const char* name, long got, const char* expr, int line) {
  char why[256];
  if (got < 0)
    snprintf(why, sizeof(why), "%s = %ld%s (line %d)", expr, got, ut_errname(got), line);
  ut_report(name, got >= 0, why);
  return got;
}

/* got must be one of want1, want2 (for calls whose error the ABI leaves
 * open between two, e.g. -EINVAL or -ENOMEM for an absurd size). */
static inline int ut_check_eq2(const char* name, long got, long want1, long want2, const char* expr,
                               int line) {
  char why[256];
  int ok = got == want1 || got == want2;
  if (!ok) {
    snprintf(why, sizeof(why), "%s = %ld%s, expected %ld%s or %ld%s (line %d)", expr, got,
                    ut_errname(got), want1, ut_errname(want1), want2, ut_errname(want2), line);
  }
  return ut_report(name, ok, why);
}

/* cond must hold. */
#define UT_TRUE(name, cond) ut_check((name), !!(cond), #cond, __LINE__)
/* got == want, both as long. */
#define UT_EQ(name, got, want) ut_check_eq((name), (long)(got), (long)(want), #got, __LINE__)
/* got is the error -E<err> (pass the positive CHCORE_E* number). */
#define UT_ERR(name, got, err) ut_check_eq((name), (long)(got), -(long)(err), #got, __LINE__)
#define UT_ERR2(name, got, err1, err2) \
  ut_check_eq2((name), (long)(got), -(long)(err1), -(long)(err2), #got, __LINE__)
/* got >= 0 (a slot, a size, ...); evaluates to got. */
#define UT_OK(name, got) ut_check_ok((name), (long)(got), #got, __LINE__)

/* A failure found without a single expression to show. */
static inline void ut_fail(const char* name, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void ut_fail(const char* name, const char* fmt, ...) {
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  ut_report(name, 0, why);
}

/* Prints the summary; returns the exit status for main. */
/* Free memory (get_free_mem) once the kernel has finished freeing what was
 * in flight: an exited process's last thread is put, and the process's own
 * structures freed, by the CPU that reaps it, just after its waiter wakes.
 * Returns the value that stays the same for 10 reads 1 ms apart (or the
 * last one after 2 s). Leak checks compare two settled values. */
static inline long ut_settled_free_mem(void) {
  long m = chcore_sys_get_free_mem();
  struct timespec ms = {0, 1000000};
  for (int stable = 0, i = 0; stable < 10 && i < 2000; i++) {
    nanosleep(&ms, 0);
    long now = chcore_sys_get_free_mem();
    stable = now == m ? stable + 1 : 0;
    m = now;
  }
  return m;
}

/* Leak check by rounds: runs round(arg) once to warm up, then again until
 * a round leaves the free memory (as settle() reads it) where the round
 * before left it. A leak loses memory in every round; a pool or slab that
 * reaches a new peak (its size depends on how frees on other CPUs
 * interleave) loses it once, and the next round takes nothing more.
 * Returns 0 once a round took nothing, else the bytes the last of
 * max_rounds rounds took. Says so when more than one round was needed. */
static inline long ut_rounds_until_steady(const char* name,
                                          void (*round)(void*), void* arg,
                                          long (*settle)(void),
                                          int max_rounds) {
  round(arg);
  long before = settle();
  long lost = 0;
  for (int r = 1; r <= max_rounds; r++) {
    round(arg);
    long after = settle();
    lost = before - after;
    if (lost == 0) return 0;
    printf("%s: round %d took %ld bytes; running it again\n", name, r, lost);
    before = after;
  }
  return lost;
}

static inline int ut_finish(void) {
  printf("%d passed, %d failed\n", ut_passed, ut_failed);
  return ut_failed == 0 && ut_passed > 0 ? 0 : 1;
}

#endif
