/* proc.leaks: creating and destroying things many times returns every byte
 * of physical memory (get_free_mem before == after), like xv6's usertests.
 *
 * Each cycle runs once first, so that memory the kernel allocates once and
 * keeps (caches that grow to a working size, the first use of a table) is
 * not counted. The kernel frees a process's last pieces (its last thread,
 * its own structures) just after its waiter wakes, so both sides of a
 * comparison are settled values (ut_settled_free_mem); a real leak stays. */
#define UT_SUITE "leaks"
#include <chcore/launch.h>
#include <chcore/thread.h>

#include "utest.h"

enum { CYCLES = 200 };

static unsigned long free_mem(void) { return (unsigned long)ut_settled_free_mem(); }

static void check_balance(const char* name, unsigned long before) {
  unsigned long after = free_mem();
  printf("leaks: %s: free memory before %lu, after %lu\n", name, before, after);
  char why[128];
  snprintf(why, sizeof(why), "%ld bytes lost", (long)(before - after));
  ut_report(name, after == before, why);
}

static int spawn_wait(const char* path, const char* const argv[], long want) {
  long child = chcore_spawn_path(path, argv, 0);
  if (child < 0) {
    ut_fail("spawn", "chcore_spawn_path(%s) = %ld%s", path, child, ut_errname(child));
    return 0;
  }
  long status = chcore_wait(child);
  if (want >= 0 ? status != want : status >= 0) {
    ut_fail("spawn", "%s exited with %ld", path, status);
    return 0;
  }
  return 1;
}

static void test_spawn_wait(void) {
  if (!spawn_wait("/tests/nop", 0, 0)) return;
  unsigned long before = free_mem();
  for (int i = 0; i < CYCLES; i++) {
    if (!spawn_wait("/tests/nop", 0, 0)) return;
  }
  check_balance("spawn_wait_200", before);
}

static void test_killed(void) {
  /* Processes the kernel kills must be cleaned up as well. */
  if (!spawn_wait("/tests/crash_null", 0, -1)) return;
  unsigned long before = free_mem();
  for (int i = 0; i < 10; i++) {
    if (!spawn_wait("/tests/crash_null", 0, -1)) return;
  }
  check_balance("killed_10", before);
}

static void test_failed_spawn(void) {
  /* chcore_spawn fails after loading (arguments too large): the half-made
   * child must be destroyed completely. */
  static char big[CHCORE_ARG_MAX + 16];
  memset(big, 'x', sizeof(big) - 1);
  const char* argv[] = {"/tests/nop", big, 0};
  long r = chcore_spawn_path("/tests/nop", argv, 0);
  if (!UT_ERR("failed_spawn_is_e2big", r, CHCORE_E2BIG)) return;
  unsigned long before = free_mem();
  for (int i = 0; i < 50; i++) chcore_spawn_path("/tests/nop", argv, 0);
  check_balance("failed_spawn_50", before);
}

static void test_pmo_map_cycle(void) {
  unsigned long va = chcore_vm_reserve(4 * 4096);
  unsigned long before = 0;
  for (int round = 0; round <= CYCLES; round++) {
    if (round == 1) before = free_mem();
    long pmo = chcore_sys_create_pmo(4 * 4096, round % 2 ? CHCORE_PMO_DATA : CHCORE_PMO_ANONYMOUS);
    if (pmo < 0 ||
        chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE) != 0) {
      ut_fail("pmo_map_cycle", "round %d: create/map failed (pmo %ld)", round, pmo);
      return;
    }
    /* Touch every page, so that anonymous pages are really allocated. */
    for (int p = 0; p < 4; p++) ((volatile char*)va)[p * 4096] = (char)round;
    chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, pmo, va);
    chcore_cap_release(pmo);
  }
  check_balance("pmo_map_cycle_200", before);
}

static void test_cap_group_cycle(void) {
  unsigned long before = 0;
  for (int round = 0; round <= CYCLES; round++) {
    if (round == 1) before = free_mem();
    long cg = chcore_sys_create_cap_group((unsigned long)"leak", 4, 0);
    long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
    if (cg < 0 || pmo < 0) {
      ut_fail("cap_group_cycle", "round %d: cap_group %ld, pmo %ld", round, cg, pmo);
      return;
    }
    /* Give the empty process a mapping and a capability to drop with it. */
    chcore_sys_map_pmo(cg, pmo, 0x10000000, CHCORE_PROT_READ);
    chcore_sys_cap_transfer(cg, pmo, CHCORE_RIGHT_READ);
    chcore_cap_release(pmo);
    chcore_cap_release(cg);
  }
  check_balance("cap_group_cycle_200", before);
}

static void test_cap_copy_cycle(void) {
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  unsigned long before = 0;
  for (int round = 0; round <= CYCLES; round++) {
    if (round == 1) before = free_mem();
    long c[8];
    for (int i = 0; i < 8; i++) c[i] = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ);
    for (int i = 0; i < 8; i++) chcore_cap_release(c[i]);
  }
  check_balance("cap_copy_cycle_200", before);
  chcore_cap_release(pmo);
}

int main(void) {
  test_spawn_wait();
  test_killed();
  test_failed_spawn();
  test_pmo_map_cycle();
  test_cap_group_cycle();
  test_cap_copy_cycle();
  return ut_finish();
}
