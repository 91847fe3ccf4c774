/* mm.*: address spaces as a program sees them (issue 10). One section per
 * run, chosen by argv[1]:
 *
 *   rights      a mapping keeps the rights of the capability it was made
 *               with: mprotect cannot make a read-only PMO (or the boot
 *               ramdisk) writable, nor anything executable without EXEC.
 *   exited      map_pmo / unmap_pmo into a process that has exited fail
 *               with ESRCH and keep no memory.
 *   protect     mprotect(PROT_NONE) and back keeps the contents of ELF
 *               .data and .bss pages, for user and for kernel accesses.
 *   overcommit  a request that can never be backed (more than the free
 *               memory) is ENOMEM at create_pmo, brk and mmap, and malloc
 *               returns NULL; smaller ones still overcommit.
 */
#define UT_SUITE "mm"
#include <chcore/launch.h>
#include <chcore/thread.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utest.h"

#define PAGE 4096ul
#define RW (CHCORE_PROT_READ | CHCORE_PROT_WRITE)
#define RX (CHCORE_PROT_READ | CHCORE_PROT_EXEC)

/* ---- rights ---------------------------------------------------------------- */

/* Maps a new DATA PMO holding `fill` through a copy of its capability with
 * `rights`, read-only. Returns the address (0 on failure); *pmo gets the
 * full-rights slot. */
static unsigned long map_through_copy(const char* name, unsigned rights, char fill, long* pmo) {
  char page[64];
  memset(page, fill, sizeof(page));
  *pmo = chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA);
  if (*pmo < 0 || chcore_sys_write_pmo(*pmo, 0, (unsigned long)page, sizeof(page)) != 0) {
    ut_fail(name, "create/write_pmo failed");
    return 0;
  }
  long copy = chcore_sys_cap_copy(*pmo, rights);
  unsigned long va = chcore_vm_reserve(PAGE);
  long r = chcore_sys_map_pmo(CHCORE_SLOT_SELF, copy, va, CHCORE_PROT_READ);
  chcore_cap_release(copy); /* the mapping stays */
  if (copy < 0 || r != 0) {
    ut_fail(name, "mapping through the copy: cap_copy %ld, map_pmo %ld%s", copy, r, ut_errname(r));
    return 0;
  }
  return va;
}

static void test_rights(void) {
  long pmo;
  /* READ only: neither writable nor executable later. */
  unsigned long va = map_through_copy("rights.read_only_mapped", CHCORE_RIGHT_READ, 'r', &pmo);
  if (va != 0) {
    UT_ERR("rights.read_only_cannot_become_writable", chcore_sys_handle_mprotect(va, PAGE, RW),
           CHCORE_EACCES);
    UT_ERR("rights.read_only_cannot_become_executable", chcore_sys_handle_mprotect(va, PAGE, RX),
           CHCORE_EACCES);
    UT_EQ("rights.read_only_may_stay_readable",
          chcore_sys_handle_mprotect(va, PAGE, CHCORE_PROT_READ), 0);
    UT_EQ("rights.read_only_may_become_none", chcore_sys_handle_mprotect(va, PAGE, 0), 0);
    UT_ERR("rights.none_cannot_become_writable", chcore_sys_handle_mprotect(va, PAGE, RW),
           CHCORE_EACCES);
    UT_EQ("rights.none_back_to_read", chcore_sys_handle_mprotect(va, PAGE, CHCORE_PROT_READ), 0);
    UT_EQ("rights.contents_unchanged", ((volatile char*)va)[10], 'r');
    chcore_cap_release(pmo);
  }

  /* READ | WRITE but no EXEC: writable yes, executable no. */
  va = map_through_copy("rights.read_write_mapped", CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE, 'w',
                        &pmo);
  if (va != 0) {
    UT_EQ("rights.read_write_may_become_writable", chcore_sys_handle_mprotect(va, PAGE, RW), 0);
    ((volatile char*)va)[0] = 'W';
    char c = 0;
    chcore_sys_read_pmo(pmo, 0, (unsigned long)&c, 1);
    UT_EQ("rights.store_reaches_pmo", c, 'W');
    UT_ERR("rights.no_exec_right_no_exec", chcore_sys_handle_mprotect(va, PAGE, RX), CHCORE_EACCES);
    chcore_cap_release(pmo);
  }

  /* All rights (the control): anything but W+X. */
  va = map_through_copy("rights.all_mapped", CHCORE_RIGHTS_ALL, 'a', &pmo);
  if (va != 0) {
    UT_EQ("rights.all_may_become_writable", chcore_sys_handle_mprotect(va, PAGE, RW), 0);
    UT_EQ("rights.all_may_become_executable", chcore_sys_handle_mprotect(va, PAGE, RX), 0);
    chcore_cap_release(pmo);
  }

  /* A multi-page region split by mprotect: both parts keep the limit. */
  long big = chcore_sys_create_pmo(4 * PAGE, CHCORE_PMO_ANONYMOUS);
  long ro = chcore_sys_cap_copy(big, CHCORE_RIGHT_READ);
  unsigned long bva = chcore_vm_reserve(4 * PAGE);
  UT_EQ("rights.map_4_pages_read_only",
        chcore_sys_map_pmo(CHCORE_SLOT_SELF, ro, bva, CHCORE_PROT_READ), 0);
  UT_EQ("rights.split_by_mprotect", chcore_sys_handle_mprotect(bva + PAGE, PAGE, 0), 0);
  UT_ERR("rights.left_part_keeps_limit", chcore_sys_handle_mprotect(bva, PAGE, RW), CHCORE_EACCES);
  UT_ERR("rights.right_part_keeps_limit", chcore_sys_handle_mprotect(bva + 2 * PAGE, 2 * PAGE, RW),
         CHCORE_EACCES);
  UT_ERR("rights.whole_range_refused_at_once", chcore_sys_handle_mprotect(bva, 4 * PAGE, RW),
         CHCORE_EACCES);
  UT_EQ("rights.refused_call_changed_nothing", ((volatile char*)bva)[0], 0);
  chcore_cap_release(ro);
  chcore_cap_release(big);

  /* The boot ramdisk: mapped read-only by the kernel into this (first)
   * process, and mapped again here through our READ | COPY capability. */
  unsigned long rd_size = 0;
  const char* rd = (const char*)((unsigned long)chcore_ramdisk(&rd_size) & ~(PAGE - 1));
  long rd_slot = chcore_ramdisk_slot();
  if (!UT_TRUE("rights.have_ramdisk", rd != 0 && rd_slot >= 0)) return;
  char first = rd[0];
  UT_ERR("rights.ramdisk_cannot_become_writable",
         chcore_sys_handle_mprotect((unsigned long)rd, PAGE, RW), CHCORE_EACCES);
  UT_ERR("rights.ramdisk_cannot_become_executable",
         chcore_sys_handle_mprotect((unsigned long)rd, PAGE, RX), CHCORE_EACCES);
  UT_EQ("rights.ramdisk_none_and_back",
        chcore_sys_handle_mprotect((unsigned long)rd, PAGE, 0) ||
            chcore_sys_handle_mprotect((unsigned long)rd, PAGE, CHCORE_PROT_READ),
        0);
  UT_EQ("rights.ramdisk_readable_again", ((volatile const char*)rd)[0], first);
  unsigned long rva = chcore_vm_reserve(rd_size);
  UT_ERR("rights.ramdisk_cap_cannot_map_writable",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, rd_slot, rva, RW), CHCORE_EACCES);
  if (UT_EQ("rights.ramdisk_cap_maps_read_only",
            chcore_sys_map_pmo(CHCORE_SLOT_SELF, rd_slot, rva, CHCORE_PROT_READ), 0)) {
    UT_ERR("rights.ramdisk_copy_cannot_become_writable", chcore_sys_handle_mprotect(rva, PAGE, RW),
           CHCORE_EACCES);
    UT_EQ("rights.ramdisk_copy_same_bytes", memcmp((const void*)rva, rd, 64), 0);
    chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, rd_slot, rva);
  }

  /* The C library's own mappings are the process's: mprotect works. */
  char* m = mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  UT_TRUE("rights.mmap_read_only", m != MAP_FAILED);
  UT_EQ("rights.own_mmap_may_become_writable", mprotect(m, PAGE, PROT_READ | PROT_WRITE), 0);
  m[0] = 1;
  munmap(m, PAGE);
}

/* ---- exited ------------------------------------------------------------------ */

static void test_exited(void) {
  long child = chcore_spawn_path("/tests/nop", 0, 0);
  if (UT_OK("exited.spawn", child) < 0) return;
  /* Wait without dropping our capability to it (chcore_wait would). */
  long status = chcore_sys_wait_cap_group((unsigned long)child);
  UT_TRUE("exited.child_exited", status >= 0 && CHCORE_WIFEXITED(status));
  UT_OK("exited.cap_still_valid", chcore_sys_cap_info((unsigned long)child));

  const unsigned long va = 0x10000000ul;
  long first_map = 0, first_unmap = 0;
  long before = 0;
  for (int round = 0; round <= 100; round++) {
    if (round == 1) before = ut_settled_free_mem();
    long pmo = chcore_sys_create_pmo(16 * PAGE, round % 2 ? CHCORE_PMO_DATA : CHCORE_PMO_ANONYMOUS);
    if (pmo < 0) {
      ut_fail("exited.create_pmo", "create_pmo = %ld%s", pmo, ut_errname(pmo));
      break;
    }
    long m = chcore_sys_map_pmo((unsigned long)child, (unsigned long)pmo, va, RW);
    long u = chcore_sys_unmap_pmo((unsigned long)child, (unsigned long)pmo, va);
    if (round == 0) {
      first_map = m;
      first_unmap = u;
    } else if (m != first_map || u != first_unmap) {
      ut_fail("exited.same_answer_every_time", "round %d: map %ld, unmap %ld", round, m, u);
      break;
    }
    chcore_cap_release(pmo);
  }
  UT_ERR("exited.map_pmo_is_esrch", first_map, CHCORE_ESRCH);
  UT_ERR("exited.unmap_pmo_is_esrch", first_unmap, CHCORE_ESRCH);
  long after = ut_settled_free_mem();
  char why[96];
  snprintf(why, sizeof(why), "free memory before %ld, after %ld", before, after);
  ut_report("exited.no_memory_kept", after == before, why);
  chcore_cap_release(child);
}

/* ---- protect ------------------------------------------------------------------- */

#define BUF_PAGES 3
/* In the ELF's writable segment: .data (initialised) and .bss (zero). */
static char data_buf[BUF_PAGES * PAGE] __attribute__((aligned(4096))) = {1};
static char bss_buf[BUF_PAGES * PAGE] __attribute__((aligned(4096)));

static void fill(char* buf, int seed) {
  for (unsigned long i = 0; i < BUF_PAGES * PAGE; i++) buf[i] = (char)(i * 7 + seed);
}

static int matches(const char* buf, int seed) {
  for (unsigned long i = 0; i < BUF_PAGES * PAGE; i++)
    if (buf[i] != (char)(i * 7 + seed)) return 0;
  return 1;
}

static void protect_round(const char* what, char* buf, int seed) {
  char name[96];
  unsigned long va = (unsigned long)buf;
  long tmp = chcore_sys_create_pmo(BUF_PAGES * PAGE, CHCORE_PMO_DATA);
  static char check[BUF_PAGES * PAGE];

  /* 1. Away and back, then the kernel reads it first (write_pmo copies
   *    from the buffer). */
  fill(buf, seed);
  snprintf(name, sizeof(name), "protect.%s_none", what);
  UT_EQ(name, chcore_sys_handle_mprotect(va, BUF_PAGES * PAGE, 0), 0);
  snprintf(name, sizeof(name), "protect.%s_back_to_rw", what);
  UT_EQ(name, chcore_sys_handle_mprotect(va, BUF_PAGES * PAGE, RW), 0);
  snprintf(name, sizeof(name), "protect.%s_kernel_reads_it", what);
  UT_EQ(name, chcore_sys_write_pmo(tmp, 0, va, BUF_PAGES * PAGE), 0);
  memset(check, 0, sizeof(check));
  chcore_sys_read_pmo(tmp, 0, (unsigned long)check, sizeof(check));
  snprintf(name, sizeof(name), "protect.%s_kernel_read_same_data", what);
  UT_TRUE(name, matches(check, seed));

  /* 2. Away and back (via read-only), then the user reads it first. */
  fill(buf, seed + 1);
  chcore_sys_handle_mprotect(va, BUF_PAGES * PAGE, 0);
  chcore_sys_handle_mprotect(va, BUF_PAGES * PAGE, CHCORE_PROT_READ);
  snprintf(name, sizeof(name), "protect.%s_user_reads_same_data", what);
  UT_TRUE(name, matches(buf, seed + 1));
  chcore_sys_handle_mprotect(va, BUF_PAGES * PAGE, RW);

  /* 3. Only the middle page away and back, then the kernel writes it
   *    first (read_pmo copies into the buffer) and the user reads all. */
  fill(buf, seed + 2);
  fill(check, seed + 2);
  chcore_sys_write_pmo(tmp, 0, (unsigned long)check, sizeof(check));
  chcore_sys_handle_mprotect(va + PAGE, PAGE, 0);
  chcore_sys_handle_mprotect(va + PAGE, PAGE, RW);
  snprintf(name, sizeof(name), "protect.%s_kernel_writes_it", what);
  UT_EQ(name, chcore_sys_read_pmo(tmp, PAGE, va + PAGE, 16), 0);
  snprintf(name, sizeof(name), "protect.%s_all_pages_kept", what);
  UT_TRUE(name, matches(buf, seed + 2));
  chcore_cap_release(tmp);
}

static void test_protect(void) {
  UT_EQ("protect.data_initialised", data_buf[0], 1);
  protect_round("data", data_buf, 3);
  protect_round("bss", bss_buf, 5);
  /* The port's mprotect handler: a length whose rounding up wraps is
   * ENOMEM, as on Linux, not a successful call on nothing. (Through musl's
   * mprotect() the length is rounded, and wraps, before it gets there.) */
  errno = 0;
  long r = syscall(SYS_mprotect, data_buf, SIZE_MAX, PROT_READ);
  UT_TRUE("protect.size_max_is_enomem", r == -1 && errno == ENOMEM);
  data_buf[0] = 2; /* still writable */
  UT_EQ("protect.failed_call_changed_nothing", data_buf[0], 2);
}

/* ---- overcommit ------------------------------------------------------------------ */

/* One pass of every refusal. `check` is 0 for the warm-up pass, which lets
 * the C library and the address space set up what they keep (malloc's
 * metadata, page tables), so that the second pass can compare free memory. */
static void overcommit_pass(int check, unsigned long free_now) {
  const unsigned long sizes[] = {1ul << 40, (1ul << 44) + PAGE, 1ul << 47};
  const char* names[] = {"1tib", "2pow44_plus_page", "2pow47"};
  /* More than is free, and a part of it that fits (two of which do not). */
  unsigned long over = (free_now + (64ul << 20)) & ~(PAGE - 1);
  unsigned long part = (free_now / 5 * 3) & ~(PAGE - 1);
  char name[96];
#define CHECK(what, cond) (check ? UT_TRUE(what, cond) : (cond))

  /* PMO level: refused before anything is allocated. */
  for (unsigned i = 0; i < 3; i++) {
    for (unsigned long type = 0; type <= CHCORE_PMO_SHARED; type++) {
      snprintf(name, sizeof(name), "overcommit.create_pmo_%s_type%lu", names[i], type);
      CHECK(name, chcore_sys_create_pmo(sizes[i], type) == -CHCORE_ENOMEM);
    }
  }
  CHECK("overcommit.create_pmo_8gib_data",
        chcore_sys_create_pmo(8ul << 30, CHCORE_PMO_DATA) == -CHCORE_ENOMEM);
  CHECK("overcommit.create_pmo_more_than_free",
        chcore_sys_create_pmo(over, CHCORE_PMO_ANONYMOUS) == -CHCORE_ENOMEM);
  /* Smaller ones overcommit: two that together exceed the free memory. */
  long a = chcore_sys_create_pmo(part, CHCORE_PMO_ANONYMOUS);
  long b = chcore_sys_create_pmo(part, CHCORE_PMO_ANONYMOUS);
  CHECK("overcommit.create_pmo_smaller_ones_overcommit", a >= 0 && b >= 0);
  if (a >= 0) chcore_cap_release(a);
  if (b >= 0) chcore_cap_release(b);

  /* brk: the kernel's heap, raw (the old break comes back on failure). */
  long cur = chcore_sys_handle_brk(0);
  CHECK("overcommit.brk_query", cur >= (long)CHCORE_HEAP_BASE);
  CHECK("overcommit.brk_more_than_free", chcore_sys_handle_brk(cur + over) == cur);
  for (unsigned i = 0; i < 3; i++) {
    snprintf(name, sizeof(name), "overcommit.brk_%s", names[i]);
    CHECK(name, chcore_sys_handle_brk(cur + sizes[i]) == cur);
  }
  CHECK("overcommit.brk_small_still_grows",
        chcore_sys_handle_brk(cur + 16 * PAGE) == (long)(cur + 16 * PAGE));
  CHECK("overcommit.brk_shrinks_back", chcore_sys_handle_brk(cur) == cur);

  /* mmap, and malloc on top of it. */
  for (unsigned i = 0; i < 3; i++) {
    errno = 0;
    void* p = mmap(0, sizes[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    snprintf(name, sizeof(name), "overcommit.mmap_%s", names[i]);
    CHECK(name, p == MAP_FAILED && errno == ENOMEM);
    errno = 0;
    void* volatile q = malloc(sizes[i]);
    snprintf(name, sizeof(name), "overcommit.malloc_%s", names[i]);
    CHECK(name, q == NULL && errno == ENOMEM);
    free(q);
  }
  errno = 0;
  void* p = mmap(0, over, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK("overcommit.mmap_more_than_free", p == MAP_FAILED && errno == ENOMEM);
  void* volatile q = malloc(over);
  CHECK("overcommit.malloc_more_than_free", q == NULL);
  free(q);
  char* m = mmap(0, part, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (CHECK("overcommit.mmap_smaller_than_free", m != MAP_FAILED)) {
    m[part - 1] = 1;
    munmap(m, part);
  }
#undef CHECK
}

static void test_overcommit(void) {
  unsigned long free_now = (unsigned long)ut_settled_free_mem();
  /* The first output may set up the console's buffers: before measuring. */
  printf("overcommit: %lu bytes free\n", free_now);
  overcommit_pass(0, free_now);
  long before = ut_settled_free_mem();
  overcommit_pass(1, free_now);
  long after = ut_settled_free_mem();
  char why[96];
  snprintf(why, sizeof(why), "free memory before %ld, after %ld", before, after);
  ut_report("overcommit.refusals_keep_no_memory", after == before, why);
}

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "";
  if (!strcmp(which, "rights")) {
    test_rights();
  } else if (!strcmp(which, "exited")) {
    test_exited();
  } else if (!strcmp(which, "protect")) {
    test_protect();
  } else if (!strcmp(which, "overcommit")) {
    test_overcommit();
  } else {
    printf("usage: mm_vm rights|exited|protect|overcommit\n");
    return 2;
  }
  return ut_finish();
}
