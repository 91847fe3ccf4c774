/* cap.cycles: processes that never ran and hold capabilities to each other
 * are freed once no live process can reach them (docs/processes.md,
 * "Who keeps a process alive"), and never before.
 *
 * Each scenario runs once first, so that memory the kernel keeps after the
 * first use (slab caches growing to a working size) is not counted; then
 * free memory (get_free_mem, settled) must come back to exactly where it was.
 * The processes each get a DATA PMO, allocated at creation and mapped into
 * them, so a leaked process costs well over a page. */
#define UT_SUITE "cap.cycles"
#include <chcore/thread.h>

#include "utest.h"

enum {
  ROUNDS = 100,
  PMO_SIZE = 4 * 4096,
  BIG_PMO_SIZE = 64 * 4096, /* more than a process without one costs, many times over */
  CHAIN = 2000,
};

static unsigned long free_mem(void) { return (unsigned long)ut_settled_free_mem(); }

static int check_balance(const char* name, unsigned long before) {
  unsigned long after = free_mem();
  printf("cap.cycles: %s: free memory before %lu, after %lu\n", name, before, after);
  char why[128];
  snprintf(why, sizeof(why), "%ld bytes lost", (long)(before - after));
  return ut_report(name, after == before, why);
}

/* A thread-less process with a PMO of `size` bytes of its own (mapped, and
 * a capability in its table), or -errno. */
static long make_process_with(const char* name, unsigned long size) {
  long cg = chcore_sys_create_cap_group((unsigned long)name, strlen(name), 0);
  if (cg < 0) return cg;
  long pmo = chcore_sys_create_pmo(size, CHCORE_PMO_DATA);
  if (pmo < 0) {
    chcore_cap_release(cg);
    return pmo;
  }
  long r = chcore_sys_map_pmo(cg, pmo, 0x10000000, CHCORE_PROT_READ);
  if (r == 0) r = chcore_sys_cap_transfer(cg, pmo, CHCORE_RIGHT_READ);
  chcore_cap_release(pmo);
  if (r < 0) {
    chcore_cap_release(cg);
    return r;
  }
  return cg;
}

static long make_process(const char* name) { return make_process_with(name, PMO_SIZE); }

/* Gives `holder` a capability to `target` (with `rights`); 1 on success. */
static int give(const char* name, long holder, long target, unsigned rights) {
  long r = chcore_sys_cap_transfer(holder, target, rights);
  if (r < 0) ut_fail(name, "cap_transfer(%ld, %ld) = %ld%s", holder, target, r, ut_errname(r));
  return r >= 0;
}

/* `n` processes in a ring, each holding a capability to the next (and, with
 * `both_ways`, to the previous); then the creator lets go. */
static int ring(const char* name, int n, int both_ways) {
  long p[8];
  for (int i = 0; i < n; i++) {
    p[i] = make_process("ring");
    if (p[i] < 0) {
      ut_fail(name, "creating process %d: %ld%s", i, p[i], ut_errname(p[i]));
      while (i-- > 0) chcore_cap_release(p[i]);
      return 0;
    }
  }
  int ok = 1;
  for (int i = 0; i < n && ok; i++) {
    ok = give(name, p[i], p[(i + 1) % n], CHCORE_RIGHTS_ALL);
    if (ok && both_ways) ok = give(name, p[(i + 1) % n], p[i], CHCORE_RIGHT_CONTROL);
  }
  for (int i = 0; i < n; i++) chcore_cap_release(p[i]);
  return ok;
}

static void test_pairs(void) {
  if (!ring("pairs", 2, 0)) return;
  unsigned long before = free_mem();
  for (int i = 0; i < ROUNDS; i++)
    if (!ring("pairs", 2, 0)) return;
  check_balance("pairs_100", before);
}

static void test_rings(void) {
  if (!ring("rings", 5, 1)) return;
  unsigned long before = free_mem();
  for (int i = 0; i < ROUNDS / 5; i++)
    if (!ring("rings", 5, 1)) return;
  check_balance("rings_of_5_20", before);
}

/* A process that holds itself (a capability to its own cap_group, received
 * from its creator) and its partner several times, with copies derived from
 * each other. */
static int tangle(const char* name) {
  long a = make_process("tangle-a"), b = make_process("tangle-b");
  int ok = a >= 0 && b >= 0;
  if (!ok) ut_fail(name, "creating processes: %ld, %ld", a, b);
  for (int i = 0; ok && i < 3; i++)
    ok = give(name, a, b, CHCORE_RIGHTS_ALL) && give(name, b, a, CHCORE_RIGHT_COPY) &&
         give(name, a, a, CHCORE_RIGHTS_ALL);
  if (a >= 0) chcore_cap_release(a);
  if (b >= 0) chcore_cap_release(b);
  return ok;
}

static void test_tangle(void) {
  if (!tangle("tangle")) return;
  unsigned long before = free_mem();
  for (int i = 0; i < ROUNDS / 2; i++)
    if (!tangle("tangle")) return;
  check_balance("tangle_50", before);
}

/* A cycle that a live process can still reach is not freed: A <-> B, and C
 * (a bare process the creator keeps) holds A. Only when C goes does the
 * pair go. A and B each have a big PMO, so that whether they are still
 * there shows in free memory. */
static void test_reachable_kept(void) {
  if (!ring("reachable", 2, 0)) return; /* warm up */
  unsigned long before = free_mem();
  long a = make_process_with("kept-a", BIG_PMO_SIZE);
  long b = make_process_with("kept-b", BIG_PMO_SIZE);
  long c = chcore_sys_create_cap_group((unsigned long)"kept-c", 6, 0);
  if (a < 0 || b < 0 || c < 0) {
    ut_fail("reachable", "creating processes: %ld, %ld, %ld", a, b, c);
    return;
  }
  if (!give("reachable", a, b, CHCORE_RIGHTS_ALL) || !give("reachable", b, a, CHCORE_RIGHTS_ALL) ||
      !give("reachable", c, a, CHCORE_RIGHT_READ))
    return;
  chcore_cap_release(a);
  chcore_cap_release(b);
  /* A and B (with their big PMOs) must still be there. */
  unsigned long while_kept = free_mem();
  if (!UT_TRUE("reachable_pair_kept", while_kept + 2 * BIG_PMO_SIZE <= before))
    printf("cap.cycles: before %lu, with C holding the pair %lu\n", before, while_kept);
  /* A copy of C's capability: revoking the original leaves C alive. */
  long c2 = chcore_sys_cap_copy(c, CHCORE_RIGHT_READ);
  UT_OK("reachable_copy", c2);
  chcore_cap_release(c);
  UT_TRUE("reachable_still_kept", free_mem() + 2 * BIG_PMO_SIZE <= before);
  chcore_cap_release(c2);
  check_balance("reachable_freed_with_holder", before);
}

/* A long chain P1 -> P2 -> ... -> Pn, held by its head only: releasing the
 * head frees all of it (without the kernel recursing once per process). */
static int chain(const char* name, int n) {
  long head = make_process("chain");
  if (head < 0) {
    ut_fail(name, "creating the head: %ld%s", head, ut_errname(head));
    return 0;
  }
  long prev = head;
  int ok = 1;
  for (int i = 1; i < n && ok; i++) {
    long p = chcore_sys_create_cap_group((unsigned long)"link", 4, 0);
    if (p < 0) {
      ut_fail(name, "creating link %d: %ld%s", i, p, ut_errname(p));
      ok = 0;
      break;
    }
    ok = give(name, prev, p, CHCORE_RIGHTS_ALL);
    if (prev != head) chcore_cap_release(prev);
    prev = p;
  }
  if (prev != head) chcore_cap_release(prev);
  chcore_cap_release(head);
  return ok;
}

static void test_chain(void) {
  if (!chain("chain", CHAIN)) return;
  unsigned long before = free_mem();
  if (!chain("chain", CHAIN)) return;
  check_balance("chain_2000", before);
}

int main(void) {
  test_pairs();
  test_rings();
  test_tangle();
  test_reachable_kept();
  test_chain();
  return ut_finish();
}
