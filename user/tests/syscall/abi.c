/* syscall.abi: every system call, called with hostile arguments, must
 * return the documented negative errno and leave the process running; and
 * every system call must preserve every register but x0, general-purpose and
 * FP/SIMD alike.
 *
 * Runs as the first process (slots 0 and 1 taken), so slot 5 is still empty
 * when the invalid-slot checks run. */
#define UT_SUITE "syscall_abi"
#include <chcore/launch.h>
#include <chcore/thread.h>

#include "regs.h"
#include "utest.h"

#define PAGE 4096ul
#define KERNEL_ADDR 0xffff000000000000ul /* start of the kernel half */
#define KERNEL_TEXT 0xffff000040080000ul /* where the kernel image is on virt */
#define UNMAPPED 0x0000100000000000ul    /* 16 TiB: nothing is mapped there */
#define USER_TOP CHCORE_USER_TOP         /* first address above user space */
#define HIGH_BIT 0x8000000000000000ul
#define WRAP_ADDR 0xfffffffffffffff0ul /* + 0x100 wraps around zero */
#define HUGE_LEN 0x4000000000000000ul
#define JUNK 0xdeadbeefcafef00dul

/* Slot numbers that name nothing: negative, far too large, the last slot
 * (empty), a small empty one, one past the table, and one that is slot 0 if
 * the kernel truncated it to 32 bits. */
/* 200: an empty slot inside the table (a process has a handful of capabilities). */
static const long bad_slots[] = {-1, 1l << 30, CHCORE_MAX_CAPS - 1, 200, CHCORE_MAX_CAPS, 1l << 32};
/* Addresses no user buffer may have. */
static const unsigned long bad_ptrs[] = {0, KERNEL_ADDR, KERNEL_TEXT, UNMAPPED, USER_TOP, HIGH_BIT};

/* Runs `call` with `var` set to each value of `vals`; every result must be
 * -err. One report line for the whole list. */
#define EXPECT_EACH(name, vals, var, call, err)                                              \
  do {                                                                                       \
    int ok_ = 1;                                                                             \
    char why_[200];                                                                          \
    for (unsigned i_ = 0; i_ < sizeof(vals) / sizeof((vals)[0]); i_++) {                     \
      unsigned long var = (unsigned long)(vals)[i_];                                         \
      long r_ = (call);                                                                      \
      if (r_ != -(long)(err) && ok_) {                                                       \
        ok_ = 0;                                                                             \
        snprintf(why_, sizeof(why_), "%s = %#lx: %s = %ld%s, expected %s", #var, var, \
                        #call, r_, ut_errname(r_), ut_errname(-(long)(err)));                \
      }                                                                                      \
    }                                                                                        \
    ut_report((name), ok_, why_);                                                            \
  } while (0)

static long pmo;         /* a 4 KiB DATA PMO with all rights */
static unsigned long va; /* 16 free pages of address space */
static char buf[256];
static char exit_stack[256] __attribute__((aligned(16)));

static void test_bad_slots(void) {
  EXPECT_EACH("cap_info.bad_slot", bad_slots, s, chcore_sys_cap_info(s), CHCORE_EBADF);
  EXPECT_EACH("create_thread.bad_slot", bad_slots, s,
              chcore_sys_create_thread(s, (unsigned long)regs_exit_thread,
                                       (unsigned long)(exit_stack + sizeof(exit_stack)), 0, 0, 0),
              CHCORE_EBADF);
  EXPECT_EACH("map_pmo.bad_cg_slot", bad_slots, s, chcore_sys_map_pmo(s, pmo, va, CHCORE_PROT_READ),
              CHCORE_EBADF);
  EXPECT_EACH("map_pmo.bad_pmo_slot", bad_slots, s,
              chcore_sys_map_pmo(CHCORE_SLOT_SELF, s, va, CHCORE_PROT_READ), CHCORE_EBADF);
  EXPECT_EACH("unmap_pmo.bad_cg_slot", bad_slots, s, chcore_sys_unmap_pmo(s, pmo, va),
              CHCORE_EBADF);
  EXPECT_EACH("unmap_pmo.bad_pmo_slot", bad_slots, s, chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, s, va),
              CHCORE_EBADF);
  EXPECT_EACH("write_pmo.bad_slot", bad_slots, s, chcore_sys_write_pmo(s, 0, (unsigned long)buf, 8),
              CHCORE_EBADF);
  EXPECT_EACH("read_pmo.bad_slot", bad_slots, s, chcore_sys_read_pmo(s, 0, (unsigned long)buf, 8),
              CHCORE_EBADF);
  EXPECT_EACH("cap_copy.bad_slot", bad_slots, s, chcore_sys_cap_copy(s, CHCORE_RIGHTS_ALL),
              CHCORE_EBADF);
  EXPECT_EACH("cap_transfer.bad_cg_slot", bad_slots, s,
              chcore_sys_cap_transfer(s, pmo, CHCORE_RIGHTS_ALL), CHCORE_EBADF);
  EXPECT_EACH("cap_transfer.bad_slot", bad_slots, s,
              chcore_sys_cap_transfer(CHCORE_SLOT_SELF, s, CHCORE_RIGHTS_ALL), CHCORE_EBADF);
  EXPECT_EACH("revoke_cap.bad_slot", bad_slots, s, chcore_sys_revoke_cap(s, CHCORE_REVOKE_SELF),
              CHCORE_EBADF);
  EXPECT_EACH("revoke_cap.bad_slot_derived", bad_slots, s,
              chcore_sys_revoke_cap(s, CHCORE_REVOKE_DERIVED), CHCORE_EBADF);
  EXPECT_EACH("wait_cap_group.bad_slot", bad_slots, s, chcore_sys_wait_cap_group(s), CHCORE_EBADF);
}

static void test_wrong_types(long thread) {
  /* A PMO where a cap_group is expected. */
  UT_ERR("create_thread.pmo_as_cg",
         chcore_sys_create_thread(pmo, (unsigned long)regs_exit_thread,
                                  (unsigned long)(exit_stack + sizeof(exit_stack)), 0, 0, 0),
         CHCORE_EINVAL);
  UT_ERR("map_pmo.pmo_as_cg", chcore_sys_map_pmo(pmo, pmo, va, CHCORE_PROT_READ), CHCORE_EINVAL);
  UT_ERR("unmap_pmo.pmo_as_cg", chcore_sys_unmap_pmo(pmo, pmo, va), CHCORE_EINVAL);
  UT_ERR("cap_transfer.pmo_as_cg", chcore_sys_cap_transfer(pmo, pmo, CHCORE_RIGHTS_ALL),
         CHCORE_EINVAL);
  UT_ERR("wait_cap_group.pmo", chcore_sys_wait_cap_group(pmo), CHCORE_EINVAL);
  /* A cap_group where a PMO is expected. */
  UT_ERR("map_pmo.cg_as_pmo",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, CHCORE_SLOT_SELF, va, CHCORE_PROT_READ),
         CHCORE_EINVAL);
  UT_ERR("unmap_pmo.cg_as_pmo", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, CHCORE_SLOT_SELF, va),
         CHCORE_EINVAL);
  UT_ERR("write_pmo.cg", chcore_sys_write_pmo(CHCORE_SLOT_SELF, 0, (unsigned long)buf, 8),
         CHCORE_EINVAL);
  UT_ERR("read_pmo.cg", chcore_sys_read_pmo(CHCORE_SLOT_SELF, 0, (unsigned long)buf, 8),
         CHCORE_EINVAL);
  /* A thread where either is expected. */
  if (thread >= 0) {
    UT_ERR("map_pmo.thread_as_cg", chcore_sys_map_pmo(thread, pmo, va, CHCORE_PROT_READ),
           CHCORE_EINVAL);
    UT_ERR("map_pmo.thread_as_pmo",
           chcore_sys_map_pmo(CHCORE_SLOT_SELF, thread, va, CHCORE_PROT_READ), CHCORE_EINVAL);
    UT_ERR("write_pmo.thread", chcore_sys_write_pmo(thread, 0, (unsigned long)buf, 8),
           CHCORE_EINVAL);
    UT_ERR("create_thread.thread_as_cg",
           chcore_sys_create_thread(thread, (unsigned long)regs_exit_thread,
                                    (unsigned long)(exit_stack + sizeof(exit_stack)), 0, 0, 0),
           CHCORE_EINVAL);
  }
}

static void test_rights(void) {
  long ro = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ);
  long wo = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_WRITE);
  long weak_self = chcore_sys_cap_copy(CHCORE_SLOT_SELF, CHCORE_RIGHTS_ALL & ~CHCORE_RIGHT_CONTROL);
  UT_TRUE("rights.copies_made", ro >= 0 && wo >= 0 && weak_self >= 0);
  UT_EQ("rights.cap_info_read_only", chcore_sys_cap_info(ro),
        CHCORE_OBJ_PMO | (CHCORE_RIGHT_READ << 8));
  UT_EQ("rights.cap_info_write_only", chcore_sys_cap_info(wo),
        CHCORE_OBJ_PMO | (CHCORE_RIGHT_WRITE << 8));

  UT_ERR("write_pmo.no_write_right", chcore_sys_write_pmo(ro, 0, (unsigned long)buf, 8),
         CHCORE_EACCES);
  UT_ERR("read_pmo.no_read_right", chcore_sys_read_pmo(wo, 0, (unsigned long)buf, 8),
         CHCORE_EACCES);
  UT_ERR("map_pmo.write_needs_write_right",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, ro, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE),
         CHCORE_EACCES);
  UT_ERR("map_pmo.exec_needs_exec_right",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, ro, va, CHCORE_PROT_READ | CHCORE_PROT_EXEC),
         CHCORE_EACCES);
  UT_ERR("map_pmo.read_needs_read_right",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, wo, va, CHCORE_PROT_READ), CHCORE_EACCES);
  UT_ERR("cap_copy.needs_copy_right", chcore_sys_cap_copy(ro, CHCORE_RIGHT_READ), CHCORE_EACCES);
  UT_ERR("cap_transfer.needs_copy_right",
         chcore_sys_cap_transfer(CHCORE_SLOT_SELF, ro, CHCORE_RIGHT_READ), CHCORE_EACCES);
  UT_ERR("create_thread.needs_control",
         chcore_sys_create_thread(weak_self, (unsigned long)regs_exit_thread,
                                  (unsigned long)(exit_stack + sizeof(exit_stack)), 0, 0, 0),
         CHCORE_EACCES);
  UT_ERR("map_pmo.needs_control", chcore_sys_map_pmo(weak_self, pmo, va, CHCORE_PROT_READ),
         CHCORE_EACCES);
  UT_ERR("unmap_pmo.needs_control", chcore_sys_unmap_pmo(weak_self, pmo, va), CHCORE_EACCES);
  UT_ERR("cap_transfer.needs_control", chcore_sys_cap_transfer(weak_self, pmo, CHCORE_RIGHT_READ),
         CHCORE_EACCES);
  UT_ERR("wait_cap_group.needs_control", chcore_sys_wait_cap_group(weak_self), CHCORE_EACCES);
  chcore_cap_release(ro);
  chcore_cap_release(wo);
  chcore_cap_release(weak_self);
}

static void test_pointers(void) {
  EXPECT_EACH("putstr.bad_pointer", bad_ptrs, p, chcore_sys_putstr(p, 8), CHCORE_EFAULT);
  EXPECT_EACH("create_cap_group.bad_name_pointer", bad_ptrs, p,
              chcore_sys_create_cap_group(p, 8, 0), CHCORE_EFAULT);
  EXPECT_EACH("write_pmo.bad_pointer", bad_ptrs, p, chcore_sys_write_pmo(pmo, 0, p, 8),
              CHCORE_EFAULT);
  EXPECT_EACH("read_pmo.bad_pointer", bad_ptrs, p, chcore_sys_read_pmo(pmo, 0, p, 8),
              CHCORE_EFAULT);
  /* Ranges that wrap around the top of the address space. */
  UT_ERR("putstr.wrapping_range", chcore_sys_putstr(WRAP_ADDR, 0x100), CHCORE_EFAULT);
  UT_ERR("create_cap_group.wrapping_range", chcore_sys_create_cap_group(WRAP_ADDR, 20, 0),
         CHCORE_EFAULT);
  UT_ERR("write_pmo.wrapping_range", chcore_sys_write_pmo(pmo, 0, WRAP_ADDR, 0x100), CHCORE_EFAULT);
  UT_ERR("read_pmo.wrapping_range", chcore_sys_read_pmo(pmo, 0, WRAP_ADDR, 0x100), CHCORE_EFAULT);
  /* A range that starts in user space and runs into the kernel half. */
  UT_ERR("putstr.range_into_kernel", chcore_sys_putstr(USER_TOP - 8, 64), CHCORE_EFAULT);

  /* A buffer whose end runs off a mapped page into an unmapped one. */
  unsigned long page;
  long p = chcore_map_anon(PAGE, CHCORE_PMO_DATA, CHCORE_PROT_READ | CHCORE_PROT_WRITE, &page);
  if (UT_OK("setup.map_page", p) >= 0) {
    char* tail = (char*)(page + PAGE - 8);
    memcpy(tail, "partial\n", 8);
    UT_ERR("putstr.runs_off_mapping", chcore_sys_putstr((unsigned long)tail, 64), CHCORE_EFAULT);
    UT_ERR("create_cap_group.runs_off_mapping",
           chcore_sys_create_cap_group((unsigned long)tail, 20, 0), CHCORE_EFAULT);
    UT_ERR("write_pmo.runs_off_mapping", chcore_sys_write_pmo(pmo, 0, (unsigned long)tail, 64),
           CHCORE_EFAULT);
    UT_ERR("read_pmo.runs_off_mapping", chcore_sys_read_pmo(pmo, 0, (unsigned long)tail, 64),
           CHCORE_EFAULT);
    chcore_cap_release(p);
  }
  /* read_pmo writes into our memory: read-only memory (our own code) must
   * be refused, not written. */
  UT_ERR("read_pmo.into_read_only_memory", chcore_sys_read_pmo(pmo, 0, 0x400000, 8), CHCORE_EFAULT);
  UT_EQ("read_pmo.text_unchanged", memcmp((const void*)0x400000, "\177ELF", 4), 0);
}

static void test_lengths(void) {
  UT_ERR("putstr.too_long", chcore_sys_putstr((unsigned long)buf, CHCORE_PUTSTR_MAX + 1),
         CHCORE_EINVAL);
  UT_ERR("putstr.huge_length", chcore_sys_putstr((unsigned long)buf, HUGE_LEN), CHCORE_EINVAL);
  UT_ERR("putstr.length_minus_1", chcore_sys_putstr((unsigned long)buf, ~0ul), CHCORE_EINVAL);
  memcpy(buf, "abi-name-31-characters-long-xxx", 31);
  long cg = UT_OK("create_cap_group.longest_name",
                  chcore_sys_create_cap_group((unsigned long)buf, CHCORE_NAME_MAX - 1, 0));
  if (cg >= 0) chcore_cap_release(cg);
  UT_ERR("create_cap_group.name_too_long",
         chcore_sys_create_cap_group((unsigned long)buf, CHCORE_NAME_MAX, 0), CHCORE_EINVAL);
  UT_ERR("create_cap_group.huge_name_length",
         chcore_sys_create_cap_group((unsigned long)buf, HUGE_LEN, 0), CHCORE_EINVAL);
  UT_ERR("write_pmo.past_end", chcore_sys_write_pmo(pmo, PAGE, (unsigned long)buf, 1),
         CHCORE_EINVAL);
  UT_ERR("write_pmo.across_end", chcore_sys_write_pmo(pmo, PAGE - 100, (unsigned long)buf, 200),
         CHCORE_EINVAL);
  UT_ERR("write_pmo.wrapping_offset",
         chcore_sys_write_pmo(pmo, WRAP_ADDR, (unsigned long)buf, 0x100), CHCORE_EINVAL);
  UT_ERR("write_pmo.huge_length", chcore_sys_write_pmo(pmo, 0, (unsigned long)buf, HUGE_LEN),
         CHCORE_EINVAL);
  UT_ERR("read_pmo.past_end", chcore_sys_read_pmo(pmo, PAGE, (unsigned long)buf, 1), CHCORE_EINVAL);
  UT_ERR("read_pmo.across_end", chcore_sys_read_pmo(pmo, PAGE - 100, (unsigned long)buf, 200),
         CHCORE_EINVAL);
  UT_ERR("read_pmo.wrapping_offset", chcore_sys_read_pmo(pmo, WRAP_ADDR, (unsigned long)buf, 0x100),
         CHCORE_EINVAL);
  UT_ERR("read_pmo.huge_length", chcore_sys_read_pmo(pmo, 0, (unsigned long)buf, HUGE_LEN),
         CHCORE_EINVAL);
  UT_EQ("write_pmo.last_byte", chcore_sys_write_pmo(pmo, PAGE - 1, (unsigned long)buf, 1), 0);
  UT_EQ("read_pmo.last_byte", chcore_sys_read_pmo(pmo, PAGE - 1, (unsigned long)buf, 1), 0);
}

static void test_create_pmo(void) {
  static const unsigned long bad_sizes[] = {0, 1, PAGE + 1, ~0ul};
  EXPECT_EACH("create_pmo.bad_size", bad_sizes, size, chcore_sys_create_pmo(size, CHCORE_PMO_DATA),
              CHCORE_EINVAL);
  static const unsigned long bad_types[] = {3, 99, ~0ul, 1ul << 32};
  EXPECT_EACH("create_pmo.bad_type", bad_types, type, chcore_sys_create_pmo(PAGE, type),
              CHCORE_EINVAL);
  /* More than the machine has: either answer is an honest refusal. */
  UT_ERR2("create_pmo.data_1tib", chcore_sys_create_pmo(1ul << 40, CHCORE_PMO_DATA), CHCORE_ENOMEM,
          CHCORE_EINVAL);
  UT_ERR2("create_pmo.huge", chcore_sys_create_pmo(HUGE_LEN, CHCORE_PMO_ANONYMOUS), CHCORE_ENOMEM,
          CHCORE_EINVAL);
  UT_ERR2("create_pmo.minus_one_page", chcore_sys_create_pmo(~0ul - PAGE + 1, CHCORE_PMO_ANONYMOUS),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  for (unsigned long type = 0; type <= CHCORE_PMO_SHARED; type++) {
    long p = chcore_sys_create_pmo(2 * PAGE, type);
    char name[48];
    snprintf(name, sizeof(name), "create_pmo.type_%lu", type);
    if (UT_OK(name, p) >= 0) chcore_cap_release(p);
  }
}

static void test_map_pmo(void) {
  long two = chcore_sys_create_pmo(2 * PAGE, CHCORE_PMO_DATA);
  static const unsigned long bad_addrs[] = {
      1,        PAGE + 8, KERNEL_ADDR,          KERNEL_TEXT,
      USER_TOP, HIGH_BIT, 0xfffffffffffff000ul, USER_TOP - PAGE /* crosses the top */};
  EXPECT_EACH("map_pmo.bad_address", bad_addrs, a,
              chcore_sys_map_pmo(CHCORE_SLOT_SELF, two, a, CHCORE_PROT_READ), CHCORE_EINVAL);
  UT_ERR("map_pmo.unaligned", chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va + 1, CHCORE_PROT_READ),
         CHCORE_EINVAL);
  UT_ERR("map_pmo.write_and_exec",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va, CHCORE_PROT_WRITE | CHCORE_PROT_EXEC),
         CHCORE_EINVAL);
  UT_ERR("map_pmo.rwx",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va,
                            CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_PROT_EXEC),
         CHCORE_EINVAL);
  UT_ERR("map_pmo.unknown_prot_bits",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va, CHCORE_PROT_READ | 0x8), CHCORE_EINVAL);
  UT_ERR("map_pmo.over_our_text",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, 0x400000, CHCORE_PROT_READ), CHCORE_EEXIST);
  UT_EQ("map_pmo.ok",
        chcore_sys_map_pmo(CHCORE_SLOT_SELF, two, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE), 0);
  UT_ERR("map_pmo.same_place_twice",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va, CHCORE_PROT_READ), CHCORE_EEXIST);
  UT_ERR("map_pmo.overlapping_end",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, two, va + PAGE, CHCORE_PROT_READ), CHCORE_EEXIST);
  UT_ERR("map_pmo.overlapping_start",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, two, va - PAGE, CHCORE_PROT_READ), CHCORE_EEXIST);
  /* The mapping works: write through memory, read through the PMO. */
  ((volatile char*)va)[PAGE + 5] = 'm';
  char c = 0;
  chcore_sys_read_pmo(two, PAGE + 5, (unsigned long)&c, 1);
  UT_EQ("map_pmo.memory_is_the_pmo", c, 'm');
  UT_ERR("unmap_pmo.unaligned", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, two, va + 8), CHCORE_EINVAL);
  UT_ERR("unmap_pmo.kernel_address", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, two, KERNEL_ADDR),
         CHCORE_EINVAL);
  UT_ERR("unmap_pmo.wrapping", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, two, 0xfffffffffffff000ul),
         CHCORE_EINVAL);
  UT_EQ("unmap_pmo.ok", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, two, va), 0);
  UT_EQ("map_pmo.again_after_unmap",
        chcore_sys_map_pmo(CHCORE_SLOT_SELF, two, va, CHCORE_PROT_READ), 0);
  UT_EQ("map_pmo.data_kept", ((volatile char*)va)[PAGE + 5], 'm');
  UT_EQ("unmap_pmo.ok_again", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, two, va), 0);
  chcore_cap_release(two);
}

static void test_revoke_flags(void) {
  long c = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ);
  static const unsigned long bad_flags[] = {2, 0xff, ~0ul};
  EXPECT_EACH("revoke_cap.bad_flags", bad_flags, f, chcore_sys_revoke_cap(c, f), CHCORE_EINVAL);
  UT_OK("revoke_cap.bad_flags_kept_cap", chcore_sys_cap_info(c));
  chcore_cap_release(c);
}

static void test_brk(void) {
  unsigned long base = CHCORE_HEAP_BASE;
  UT_EQ("brk.starts_at_heap_base", chcore_sys_handle_brk(0), base);
  UT_EQ("brk.grow", chcore_sys_handle_brk(base + 3 * PAGE), base + 3 * PAGE);
  volatile char* heap = (volatile char*)base;
  for (unsigned long i = 0; i < 3 * PAGE; i += 512) heap[i] = (char)(i >> 9);
  int same = 1;
  for (unsigned long i = 0; i < 3 * PAGE; i += 512) same &= heap[i] == (char)(i >> 9);
  UT_TRUE("brk.memory_usable", same);
  UT_EQ("brk.query", chcore_sys_handle_brk(0), base + 3 * PAGE);
  const unsigned long bad[] = {KERNEL_ADDR, HIGH_BIT, USER_TOP + PAGE, base - PAGE, 1, ~0ul};
  int ok = 1;
  char why[128];
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    long r = chcore_sys_handle_brk(bad[i]);
    if (r != (long)(base + 3 * PAGE) && ok) {
      ok = 0;
      snprintf(why, sizeof(why), "brk(%#lx) = %#lx, expected the old break %#lx", bad[i], r,
                      base + 3 * PAGE);
    }
  }
  ut_report("brk.bad_address_keeps_break", ok, why);
  UT_EQ("brk.shrink", chcore_sys_handle_brk(base), base);
  UT_EQ("brk.shrunk", chcore_sys_handle_brk(0), base);
  UT_EQ("brk.grow_again", chcore_sys_handle_brk(base + PAGE), base + PAGE);
  UT_EQ("brk.regrown_memory_is_zero", heap[512], 0);
  chcore_sys_handle_brk(base);
}

static void test_mprotect(void) {
  unsigned long page;
  long p =
      chcore_map_anon(2 * PAGE, CHCORE_PMO_ANONYMOUS, CHCORE_PROT_READ | CHCORE_PROT_WRITE, &page);
  if (UT_OK("mprotect.setup", p) < 0) return;
  ((volatile char*)page)[0] = 'a';
  UT_EQ("mprotect.read_only", chcore_sys_handle_mprotect(page, PAGE, CHCORE_PROT_READ), 0);
  UT_EQ("mprotect.still_readable", ((volatile char*)page)[0], 'a');
  UT_EQ("mprotect.read_write",
        chcore_sys_handle_mprotect(page, PAGE, CHCORE_PROT_READ | CHCORE_PROT_WRITE), 0);
  ((volatile char*)page)[0] = 'b';
  UT_EQ("mprotect.writable_again", ((volatile char*)page)[0], 'b');
  UT_ERR("mprotect.unaligned", chcore_sys_handle_mprotect(page + 1, PAGE, CHCORE_PROT_READ),
         CHCORE_EINVAL);
  UT_ERR("mprotect.write_and_exec",
         chcore_sys_handle_mprotect(page, PAGE, CHCORE_PROT_WRITE | CHCORE_PROT_EXEC),
         CHCORE_EINVAL);
  UT_ERR("mprotect.unknown_prot_bits",
         chcore_sys_handle_mprotect(page, PAGE, CHCORE_PROT_READ | 0x10), CHCORE_EINVAL);
  /* Linux says -ENOMEM for ranges that are not (all) mapped; -EINVAL is
   * also an honest answer for addresses outside user space. */
  UT_ERR2("mprotect.unmapped", chcore_sys_handle_mprotect(UNMAPPED, PAGE, CHCORE_PROT_READ),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  UT_ERR2("mprotect.partly_unmapped", chcore_sys_handle_mprotect(page, 4 * PAGE, CHCORE_PROT_READ),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  UT_ERR2("mprotect.kernel", chcore_sys_handle_mprotect(KERNEL_ADDR, PAGE, CHCORE_PROT_READ),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  UT_ERR2("mprotect.wrapping",
          chcore_sys_handle_mprotect(0xfffffffffffff000ul, 2 * PAGE, CHCORE_PROT_READ),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  UT_ERR2("mprotect.huge", chcore_sys_handle_mprotect(page, HUGE_LEN, CHCORE_PROT_READ),
          CHCORE_ENOMEM, CHCORE_EINVAL);
  ((volatile char*)page)[0] = 'c';
  UT_EQ("mprotect.failed_calls_changed_nothing", ((volatile char*)page)[0], 'c');
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, p, page);
  chcore_cap_release(p);
}

/* console_read: nothing is ever typed during this test, so every call that
 * could block is either refused before blocking or NONBLOCK. A bad buffer
 * fails at once even for a blocking call: the kernel checks it first. */
static void test_console_read(void) {
  const unsigned long nb = CHCORE_CONSOLE_NONBLOCK;
  EXPECT_EACH("console_read.bad_pointer", bad_ptrs, p, chcore_sys_console_read(p, 8, 0, 0),
              CHCORE_EFAULT);
  EXPECT_EACH("console_read.bad_pointer_nonblock", bad_ptrs, p,
              chcore_sys_console_read(p, 8, nb, 0), CHCORE_EFAULT);
  UT_ERR("console_read.wrapping_range", chcore_sys_console_read(WRAP_ADDR, 0x100, 0, 0),
         CHCORE_EFAULT);
  UT_ERR("console_read.range_into_kernel", chcore_sys_console_read(USER_TOP - 8, 64, 0, 0),
         CHCORE_EFAULT);
  /* Read-only memory (the text of this program) is not a buffer. */
  UT_ERR("console_read.read_only_buffer",
         chcore_sys_console_read((unsigned long)test_console_read, 8, 0, 0), CHCORE_EFAULT);
  /* A huge length is clamped to CHCORE_CONSOLE_READ_MAX, and buf has room for that. */
  UT_ERR("console_read.huge_length", chcore_sys_console_read((unsigned long)buf, HUGE_LEN, nb, 0),
         CHCORE_EAGAIN);
  UT_ERR("console_read.length_minus_1", chcore_sys_console_read((unsigned long)buf, ~0ul, nb, 0),
         CHCORE_EAGAIN);
  UT_EQ("console_read.zero_length_bad_pointer", chcore_sys_console_read(KERNEL_ADDR, 0, 0, 0), 0);
  UT_ERR("console_read.unknown_flags", chcore_sys_console_read((unsigned long)buf, 8, 1ul << 40, 0),
         CHCORE_EINVAL);
  UT_ERR("console_read.junk_flags",
         chcore_syscall6(CHCORE_SYS_console_read, (unsigned long)buf, 8, JUNK, JUNK, JUNK, JUNK),
         CHCORE_EINVAL);
  UT_ERR("console_read.poll_nonblock",
         chcore_sys_console_read(JUNK, JUNK, CHCORE_CONSOLE_POLL | nb, 0), CHCORE_EAGAIN);
  /* A deadline already past: -ETIMEDOUT at once; also one at 0 and at the
   * largest value with NONBLOCK (nothing waits, so -EAGAIN wins). */
  UT_ERR("console_read.deadline_passed",
         chcore_sys_console_read((unsigned long)buf, 8, CHCORE_CONSOLE_DEADLINE, 1),
         CHCORE_ETIMEDOUT);
  UT_ERR("console_read.poll_deadline_zero",
         chcore_sys_console_read(0, 0, CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_DEADLINE, 0),
         CHCORE_ETIMEDOUT);
  UT_ERR("console_read.huge_deadline_nonblock",
         chcore_sys_console_read((unsigned long)buf, 8, CHCORE_CONSOLE_DEADLINE | nb, ~0ul),
         CHCORE_EAGAIN);
}

/* getrandom: the kernel's generator. */
static void test_getrandom(void) {
  static unsigned char big[CHCORE_GETRANDOM_MAX + 64];
  unsigned char a[32] = {0}, b[32] = {0};
  EXPECT_EACH("getrandom.bad_pointer", bad_ptrs, p, chcore_sys_getrandom(p, 16, 0), CHCORE_EFAULT);
  UT_ERR("getrandom.wrapping_range", chcore_sys_getrandom(WRAP_ADDR, 0x100, 0), CHCORE_EFAULT);
  UT_ERR("getrandom.range_into_kernel", chcore_sys_getrandom(USER_TOP - 8, 64, 0), CHCORE_EFAULT);
  UT_ERR("getrandom.read_only_buffer",
         chcore_sys_getrandom((unsigned long)test_getrandom, 8, 0), CHCORE_EFAULT);
  UT_ERR("getrandom.unknown_flags", chcore_sys_getrandom((unsigned long)a, 8, 1), CHCORE_EINVAL);
  UT_ERR("getrandom.junk_flags",
         chcore_syscall6(CHCORE_SYS_getrandom, (unsigned long)a, 8, JUNK, JUNK, JUNK, JUNK),
         CHCORE_EINVAL);
  UT_EQ("getrandom.zero_length_bad_pointer", chcore_sys_getrandom(KERNEL_ADDR, 0, 0), 0);
  UT_EQ("getrandom.huge_length_is_clamped", chcore_sys_getrandom((unsigned long)big, HUGE_LEN, 0),
        CHCORE_GETRANDOM_MAX);
  UT_EQ("getrandom.length_minus_1_is_clamped", chcore_sys_getrandom((unsigned long)big, ~0ul, 0),
        CHCORE_GETRANDOM_MAX);
  UT_EQ("getrandom.fills", chcore_sys_getrandom((unsigned long)a, sizeof(a), 0), (long)sizeof(a));
  UT_EQ("getrandom.fills_again", chcore_sys_getrandom((unsigned long)b, sizeof(b), 0),
        (long)sizeof(b));
  UT_TRUE("getrandom.calls_differ", memcmp(a, b, sizeof(a)) != 0);
  /* 4096 bytes: about half of the 32768 bits are set (6 sigma: 543). */
  long ones = 0;
  for (int i = 0; i < CHCORE_GETRANDOM_MAX; i++) ones += __builtin_popcount(big[i]);
  UT_TRUE("getrandom.half_the_bits_set", ones > 16384 - 543 && ones < 16384 + 543);
  /* Past the end of the buffer the kernel wrote nothing. */
  int untouched = 1;
  for (int i = CHCORE_GETRANDOM_MAX; i < CHCORE_GETRANDOM_MAX + 64; i++) untouched &= big[i] == 0;
  UT_TRUE("getrandom.writes_only_len", untouched);
}

static void test_online_cpus(void) {
  long mask = chcore_syscall6(CHCORE_SYS_online_cpus, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK);
  UT_TRUE("online_cpus.positive_with_cpu0", mask > 0 && (mask & 1));
  long cpu = chcore_sys_get_cpu();
  UT_TRUE("online_cpus.has_current_cpu", cpu >= 0 && cpu < 63 && (mask >> cpu) & 1);
  /* Every online CPU can be pinned to; the next one cannot. */
  int ok = 1;
  for (long c = 0; c < 63; c++) {
    long r = chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)c);
    if ((mask >> c) & 1) ok &= r == 0 && chcore_sys_get_cpu() == c;
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  UT_TRUE("online_cpus.each_can_be_pinned", ok);
  int top = 63 - __builtin_clzl((unsigned long)mask);
  UT_ERR("online_cpus.next_is_not", chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)top + 1),
         CHCORE_EINVAL);
}

/* user_copy(dst, src, len): both ranges in the caller's memory, checked as
 * any user pointer; what the libc port reads and writes its caller's
 * memory with (libc.bad_args tests that side). */
static void test_user_copy(void) {
  static char big[CHCORE_USER_COPY_MAX + 16];
  char a[64], b[64];
  for (int i = 0; i < 64; i++) a[i] = (char)i;
  memset(b, 0x55, sizeof(b));
  UT_EQ("user_copy.copies", chcore_sys_user_copy((unsigned long)b, (unsigned long)a, 40), 0);
  UT_TRUE("user_copy.bytes_arrive", memcmp(a, b, 40) == 0 && b[40] == 0x55);
  EXPECT_EACH("user_copy.bad_source", bad_ptrs, p, chcore_sys_user_copy((unsigned long)b, p, 8),
              CHCORE_EFAULT);
  EXPECT_EACH("user_copy.bad_destination", bad_ptrs, p,
              chcore_sys_user_copy(p, (unsigned long)a, 8), CHCORE_EFAULT);
  UT_ERR("user_copy.small_address", chcore_sys_user_copy((unsigned long)b, 1, 8), CHCORE_EFAULT);
  UT_ERR("user_copy.wrapping_range", chcore_sys_user_copy((unsigned long)b, WRAP_ADDR, 0x20),
         CHCORE_EFAULT);
  UT_ERR("user_copy.range_into_kernel", chcore_sys_user_copy(USER_TOP - 8, (unsigned long)a, 16),
         CHCORE_EFAULT);
  /* Our own code is read-only: readable as a source, refused as a
   * destination, and left unchanged. */
  UT_EQ("user_copy.from_read_only", chcore_sys_user_copy((unsigned long)b, 0x400000, 4), 0);
  UT_EQ("user_copy.from_read_only_bytes", memcmp(b, "\177ELF", 4), 0);
  UT_ERR("user_copy.into_read_only", chcore_sys_user_copy(0x400000, (unsigned long)a, 4),
         CHCORE_EFAULT);
  UT_EQ("user_copy.text_unchanged", memcmp((const void*)0x400000, "\177ELF", 4), 0);
  /* A range that runs off a mapped page into an unmapped one. */
  unsigned long page;
  long pm = chcore_map_anon(PAGE, CHCORE_PMO_DATA, CHCORE_PROT_READ | CHCORE_PROT_WRITE, &page);
  if (UT_OK("user_copy.setup_page", pm) >= 0) {
    UT_ERR("user_copy.source_runs_off_mapping",
           chcore_sys_user_copy((unsigned long)big, page + PAGE - 8, 64), CHCORE_EFAULT);
    UT_ERR("user_copy.destination_runs_off_mapping",
           chcore_sys_user_copy(page + PAGE - 8, (unsigned long)big, 64), CHCORE_EFAULT);
    chcore_cap_release(pm);
  }
  UT_EQ("user_copy.zero_length_bad_pointers", chcore_sys_user_copy(KERNEL_ADDR, 0, 0), 0);
  UT_ERR("user_copy.too_long",
         chcore_sys_user_copy((unsigned long)big, (unsigned long)big + 8, CHCORE_USER_COPY_MAX + 1),
         CHCORE_EINVAL);
  UT_ERR("user_copy.huge_length", chcore_sys_user_copy((unsigned long)b, (unsigned long)a, ~0ul),
         CHCORE_EINVAL);
  /* The longest copy, overlapping in both directions, as memmove. */
  for (int i = 0; i < CHCORE_USER_COPY_MAX + 16; i++) big[i] = (char)(i * 7 + i / 251);
  UT_EQ("user_copy.longest_overlap_up",
        chcore_sys_user_copy((unsigned long)big + 16, (unsigned long)big, CHCORE_USER_COPY_MAX), 0);
  int ok = 1;
  for (int i = 0; i < CHCORE_USER_COPY_MAX; i++) ok &= big[i + 16] == (char)(i * 7 + i / 251);
  UT_TRUE("user_copy.overlap_up_is_memmove", ok);
  UT_EQ("user_copy.longest_overlap_down",
        chcore_sys_user_copy((unsigned long)big, (unsigned long)big + 16, CHCORE_USER_COPY_MAX), 0);
  ok = 1;
  for (int i = 0; i < CHCORE_USER_COPY_MAX; i++) ok &= big[i] == (char)(i * 7 + i / 251);
  UT_TRUE("user_copy.overlap_down_is_memmove", ok);
}
/* set_copy_fixup: bad ranges are EINVAL; a good one is EEXIST, since the
 * C library registered its copy loop at start-up (that the loop's faults
 * become EFAULT is libc.bad_args' and fs.files' part). */
static void test_copy_fixup(void) {
  unsigned long f = (unsigned long)test_copy_fixup;
  UT_ERR("set_copy_fixup.empty_range", chcore_sys_set_copy_fixup(f, f, f), CHCORE_EINVAL);
  UT_ERR("set_copy_fixup.reversed_range", chcore_sys_set_copy_fixup(f + 8, f, f), CHCORE_EINVAL);
  UT_ERR("set_copy_fixup.end_past_user_space", chcore_sys_set_copy_fixup(f, USER_TOP + 4, f),
         CHCORE_EINVAL);
  UT_ERR("set_copy_fixup.kernel_fixup", chcore_sys_set_copy_fixup(f, f + 8, KERNEL_TEXT),
         CHCORE_EINVAL);
  UT_ERR("set_copy_fixup.unaligned", chcore_sys_set_copy_fixup(f + 2, f + 8, f), CHCORE_EINVAL);
  UT_ERR("set_copy_fixup.once", chcore_sys_set_copy_fixup(f, f + 8, f), CHCORE_EEXIST);
}

static void test_simple_calls(void) {
  UT_EQ("null.junk_args", chcore_syscall6(CHCORE_SYS_null, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK), 0);
  UT_EQ("yield.junk_args", chcore_syscall6(CHCORE_SYS_yield, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK),
        0);
  long c = chcore_syscall6(CHCORE_SYS_getc, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK);
  char why[64];
  snprintf(why, sizeof(why), "getc() = %ld", c);
  ut_report("getc.byte_or_eagain", c == -CHCORE_EAGAIN || (c >= 0 && c <= 255), why);
  long f = chcore_syscall6(CHCORE_SYS_get_free_mem, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK);
  snprintf(why, sizeof(why), "get_free_mem() = %ld", f);
  ut_report("get_free_mem.positive", f > 0, why);
  static const long unknown[] = {
      CHCORE_NR_SYSCALLS, 1000, 0xffffffffl, -1, 1l << 32, (1l << 32) | CHCORE_SYS_yield, HIGH_BIT};
  EXPECT_EACH("unknown_numbers_enosys", unknown, nr, chcore_syscall6((long)nr, 0, 0, 0, 0, 0, 0),
              CHCORE_ENOSYS);
  /* Every number inside the table without a system call. */
  int ok = 1;
  for (long nr = 0; nr < CHCORE_NR_SYSCALLS; nr++) {
    if (chcore_syscall_nargs(nr) >= 0) continue;
    long r = chcore_syscall6(nr, 0, 0, 0, 0, 0, 0);
    if (r != -CHCORE_ENOSYS && ok) {
      ok = 0;
      snprintf(why, sizeof(why), "number %ld returned %ld", nr, r);
    }
  }
  ut_report("unassigned_numbers_enosys", ok, why);
}

/* The first number below CHCORE_NR_SYSCALLS without a system call. */
static long first_unassigned(void) {
  for (long nr = 0; nr < CHCORE_NR_SYSCALLS; nr++)
    if (chcore_syscall_nargs(nr) < 0) return nr;
  return CHCORE_NR_SYSCALLS;
}

/* thread_exit ignores its registers and ends only the calling thread. */
static unsigned long junk_thread_ran;
static void junk_exit_thread(void* arg) {
  (void)arg;
  __atomic_store_n(&junk_thread_ran, 1, __ATOMIC_RELEASE);
  chcore_syscall6(CHCORE_SYS_thread_exit, JUNK, JUNK, JUNK, JUNK, JUNK, JUNK);
  __atomic_store_n(&junk_thread_ran, 2, __ATOMIC_RELEASE); /* not reached */
}

static void test_thread_exit(void) {
  long t = chcore_thread_create(junk_exit_thread, 0, 0);
  if (UT_OK("thread_exit.create", t) < 0) return;
  for (int i = 0; i < 100000 && __atomic_load_n(&junk_thread_ran, __ATOMIC_ACQUIRE) == 0; i++)
    chcore_sys_yield();
  for (int i = 0; i < 100; i++) chcore_sys_yield();
  UT_EQ("thread_exit.junk_args_end_only_the_thread",
        __atomic_load_n(&junk_thread_ran, __ATOMIC_ACQUIRE), 1);
  chcore_cap_release(t);
}

/* ---- Registers across system calls ------------------------------------------- */

static unsigned long probe_seed = 1;

/* Runs system call nr with args through regs_probe; reports `name` and
 * returns x0. */
static long probe(const char* name, long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                  unsigned long a3, unsigned long a4, unsigned long a5) {
  struct regs in, out;
  const unsigned long args[6] = {a0, a1, a2, a3, a4, a5};
  regs_fill(&in, probe_seed++, nr, args);
  long r = regs_probe(&in, &out);
  char why[160];
  char full[64];
  snprintf(full, sizeof(full), "regs.%s", name);
  if (regs_diff(&in, &out, why, sizeof(why)) == 0) {
    ut_report(full, 1, "");
  } else {
    char why2[200];
    snprintf(why2, sizeof(why2), "%s (returned %ld)", why, r);
    ut_report(full, 0, why2);
  }
  return r;
}

/* A second thread that does the same around its own yields, so that yield
 * really switches between two threads' register sets. */
static unsigned long noise_done;
static char noise_why[160];
static void noise_thread(void* arg) {
  (void)arg;
  struct regs in, out;
  for (int i = 0; i < 200 && noise_why[0] == '\0'; i++) {
    regs_fill(&in, 0x5000000ul + (unsigned long)i, CHCORE_SYS_yield, 0);
    regs_probe(&in, &out);
    regs_diff(&in, &out, noise_why, sizeof(noise_why));
  }
  __atomic_store_n(&noise_done, 1, __ATOMIC_RELEASE);
}

/* Yield with another thread yielding too; `pinned`: both on CPU 0, where
 * yield takes its shortest path (the kernel's yield_fast). */
static void yield_between_threads(int pinned) {
  const char* sfx = pinned ? ".pinned" : "";
  char n1[64], n2[64];
  snprintf(n1, sizeof(n1), "regs.yield_between_threads%s.main", sfx);
  snprintf(n2, sizeof(n2), "regs.yield_between_threads%s.other", sfx);
  noise_done = 0;
  noise_why[0] = '\0';
  if (pinned) chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  long nt = chcore_thread_create(noise_thread, 0, 0);
  if (UT_OK("regs.noise_thread", nt) >= 0) {
    if (pinned) chcore_sys_set_affinity((unsigned long)nt, 0);
    int fails = 0;
    char fwhy[160] = "";
    for (int i = 0; i < 200 && __atomic_load_n(&noise_done, __ATOMIC_ACQUIRE) == 0; i++) {
      struct regs in, out;
      regs_fill(&in, 0x6000000ul + (unsigned long)i, CHCORE_SYS_yield, 0);
      regs_probe(&in, &out);
      if (!fails && regs_diff(&in, &out, fwhy, sizeof(fwhy))) fails = 1;
    }
    for (int i = 0; i < 100000 && __atomic_load_n(&noise_done, __ATOMIC_ACQUIRE) == 0; i++)
      chcore_sys_yield();
    ut_report(n1, !fails, fwhy);
    ut_report(n2, __atomic_load_n(&noise_done, __ATOMIC_ACQUIRE) && noise_why[0] == '\0',
              noise_why[0] ? noise_why : "the other thread did not finish");
    chcore_cap_release(nt);
  }
  if (pinned) chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
}

/* Results written besides x0: create_cap_group's pid_out, and
 * create_thread with CHCORE_THREAD_TID (a tid back, no capability made). */
static char tid_stack[256] __attribute__((aligned(16)));
static void test_out_values(void) {
  unsigned long pid = 0;
  long cg = chcore_sys_create_cap_group((unsigned long)"out", 3, (unsigned long)&pid);
  if (UT_OK("out.create_cap_group", cg) < 0) return;
  UT_EQ("out.pid_is_cap_info_id", pid, CHCORE_CAP_INFO_ID(chcore_sys_cap_info(cg)));
  chcore_cap_release(cg);
  long before = chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA);
  long tid = chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)regs_exit_thread,
                                      (unsigned long)(tid_stack + sizeof(tid_stack)), 0, 0,
                                      CHCORE_THREAD_TID);
  long after = chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA);
  UT_TRUE("out.thread_tid", tid > 0 && tid != (long)chcore_sys_gettid());
  /* No slot was taken between the two PMOs'. */
  UT_EQ("out.thread_no_capability", after, before + 1);
  chcore_cap_release(before);
  chcore_cap_release(after);
}

static void test_registers(void) {
  static const char msg[] = "syscall_abi: a putstr inside the register probe\n";
  char rbuf[16];
  long r;

  probe("null", CHCORE_SYS_null, 0, 0, 0, 0, 0, 0);
  probe("putstr", CHCORE_SYS_putstr, (unsigned long)msg, sizeof(msg) - 1, 0, 0, 0, 0);
  probe("putstr.error", CHCORE_SYS_putstr, KERNEL_ADDR, 8, 0, 0, 0, 0);
  probe("getc", CHCORE_SYS_getc, 0, 0, 0, 0, 0, 0);
  probe("console_read", CHCORE_SYS_console_read, (unsigned long)buf, 8, CHCORE_CONSOLE_NONBLOCK, 0,
        0, 0);
  probe("console_read.error", CHCORE_SYS_console_read, KERNEL_ADDR, 8, 0, 0, 0, 0);
  probe("getrandom", CHCORE_SYS_getrandom, (unsigned long)buf, 8, 0, 0, 0, 0);
  probe("getrandom.error", CHCORE_SYS_getrandom, KERNEL_ADDR, 8, 0, 0, 0, 0);
  /* The kernel's copy takes a page fault on an untouched anonymous page
   * and resolves it: that exception overwrote ELR_EL1 and SPSR_EL1, which
   * the return must then restore from the saved context. */
  long anon = chcore_sys_create_pmo(PAGE, CHCORE_PMO_ANONYMOUS);
  if (UT_OK("regs.anon_pmo", anon) >= 0 &&
      UT_OK("regs.anon_map", chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)anon,
                                                va + 2 * PAGE,
                                                CHCORE_PROT_READ | CHCORE_PROT_WRITE)) == 0) {
    r = probe("getrandom.first_touch", CHCORE_SYS_getrandom, va + 2 * PAGE + 64, 8, 0, 0, 0, 0);
    UT_EQ("getrandom.first_touch.result", r, 8);
    chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)anon, va + 2 * PAGE);
  }
  if (anon >= 0) chcore_cap_release(anon);
  probe("online_cpus", CHCORE_SYS_online_cpus, 0, 0, 0, 0, 0, 0);
  probe("user_copy", CHCORE_SYS_user_copy, (unsigned long)rbuf, (unsigned long)msg, 8, 0, 0, 0);
  probe("user_copy.error", CHCORE_SYS_user_copy, (unsigned long)rbuf, KERNEL_ADDR, 8, 0, 0, 0);
  probe("set_copy_fixup.error", CHCORE_SYS_set_copy_fixup, PAGE, 2 * PAGE, PAGE, 0, 0, 0);
  long cg =
      probe("create_cap_group", CHCORE_SYS_create_cap_group, (unsigned long)"probe", 5, 0, 0, 0, 0);
  probe("create_cap_group.error", CHCORE_SYS_create_cap_group, 0, 5, 0, 0, 0, 0);
  long t = probe("create_thread", CHCORE_SYS_create_thread, CHCORE_SLOT_SELF,
                 (unsigned long)regs_exit_thread, (unsigned long)(exit_stack + sizeof(exit_stack)),
                 0, 0, 0);
  probe("create_thread.error", CHCORE_SYS_create_thread, 1023, 0, 0, 0, 0, 0);
  probe("yield", CHCORE_SYS_yield, 0, 0, 0, 0, 0, 0);
  long p = probe("create_pmo", CHCORE_SYS_create_pmo, PAGE, CHCORE_PMO_DATA, 0, 0, 0, 0);
  probe("create_pmo.error", CHCORE_SYS_create_pmo, 0, CHCORE_PMO_DATA, 0, 0, 0, 0);
  probe("map_pmo", CHCORE_SYS_map_pmo, CHCORE_SLOT_SELF, (unsigned long)p, va, CHCORE_PROT_READ, 0,
        0);
  probe("map_pmo.error", CHCORE_SYS_map_pmo, CHCORE_SLOT_SELF, (unsigned long)p, va,
        CHCORE_PROT_READ, 0, 0);
  probe("write_pmo", CHCORE_SYS_write_pmo, (unsigned long)p, 0, (unsigned long)msg, 8, 0, 0);
  probe("write_pmo.error", CHCORE_SYS_write_pmo, (unsigned long)p, 0, KERNEL_ADDR, 8, 0, 0);
  probe("read_pmo", CHCORE_SYS_read_pmo, (unsigned long)p, 0, (unsigned long)rbuf, 8, 0, 0);
  probe("read_pmo.error", CHCORE_SYS_read_pmo, (unsigned long)p, PAGE, (unsigned long)rbuf, 8, 0,
        0);
  probe("unmap_pmo", CHCORE_SYS_unmap_pmo, CHCORE_SLOT_SELF, (unsigned long)p, va, 0, 0, 0);
  probe("unmap_pmo.error", CHCORE_SYS_unmap_pmo, CHCORE_SLOT_SELF, 1023, va, 0, 0, 0);
  long c = probe("cap_copy", CHCORE_SYS_cap_copy, (unsigned long)p, CHCORE_RIGHT_READ, 0, 0, 0, 0);
  probe("cap_copy.error", CHCORE_SYS_cap_copy, 1023, 0, 0, 0, 0, 0);
  probe("cap_transfer", CHCORE_SYS_cap_transfer, (unsigned long)cg, (unsigned long)p,
        CHCORE_RIGHT_READ, 0, 0, 0);
  probe("cap_transfer.error", CHCORE_SYS_cap_transfer, (unsigned long)cg, 1023, 0, 0, 0, 0);
  probe("cap_info", CHCORE_SYS_cap_info, (unsigned long)c, 0, 0, 0, 0, 0);
  probe("cap_info.error", CHCORE_SYS_cap_info, 1023, 0, 0, 0, 0, 0);
  probe("revoke_cap", CHCORE_SYS_revoke_cap, (unsigned long)c, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  probe("revoke_cap.error", CHCORE_SYS_revoke_cap, 1023, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  probe("handle_brk", CHCORE_SYS_handle_brk, 0, 0, 0, 0, 0, 0);
  probe("handle_brk.grow", CHCORE_SYS_handle_brk, CHCORE_HEAP_BASE + PAGE, 0, 0, 0, 0, 0);
  probe("handle_brk.shrink", CHCORE_SYS_handle_brk, CHCORE_HEAP_BASE, 0, 0, 0, 0, 0);
  chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)p, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  probe("handle_mprotect", CHCORE_SYS_handle_mprotect, va, PAGE, CHCORE_PROT_READ, 0, 0, 0);
  probe("handle_mprotect.error", CHCORE_SYS_handle_mprotect, va + 1, PAGE, CHCORE_PROT_READ, 0, 0,
        0);
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)p, va);
  probe("get_free_mem", CHCORE_SYS_get_free_mem, 0, 0, 0, 0, 0, 0);
  probe("wait_cap_group.error", CHCORE_SYS_wait_cap_group, 1023, 0, 0, 0, 0, 0);
  r = probe("test_echo", CHCORE_SYS_test_echo, 1, 2, 3, 4, 5, 6);
  char why[64];
  snprintf(why, sizeof(why), "test_echo(1..6) = %ld", r);
  ut_report("test_echo.result", r == 91 || r == -CHCORE_ENOSYS, why);
  probe("unknown_64", 64, 0, 0, 0, 0, 0, 0);
  probe("unknown_1000", 1000, 0, 0, 0, 0, 0, 0);
  probe("unknown_minus_1", -1, 0, 0, 0, 0, 0, 0);
  probe("unknown_unassigned", first_unassigned(), 0, 0, 0, 0, 0, 0);

  /* A blocking wait: the calling thread sleeps while a child runs. */
  long child = chcore_spawn_path("/tests/nop", 0, 0);
  if (UT_OK("regs.spawn_for_wait", child) >= 0) {
    r = probe("wait_cap_group", CHCORE_SYS_wait_cap_group, (unsigned long)child, 0, 0, 0, 0, 0);
    UT_EQ("wait_cap_group.status", r, 0);
    chcore_cap_release(child);
  }

  yield_between_threads(0);
  yield_between_threads(1);

  if (t >= 0) chcore_cap_release(t);
  if (p >= 0) chcore_cap_release(p);
  if (cg >= 0) chcore_cap_release(cg);
}

int main(void) {
  pmo = chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA);
  va = chcore_vm_reserve(16 * PAGE) + 4 * PAGE;
  if (UT_OK("setup.create_pmo", pmo) < 0) return ut_finish();

  test_bad_slots();
  long thread = chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)regs_exit_thread,
                                         (unsigned long)(exit_stack + sizeof(exit_stack)), 0, 0, 0);
  UT_OK("setup.create_thread", thread);
  UT_EQ("setup.thread_cap_type", CHCORE_CAP_INFO_TYPE(chcore_sys_cap_info(thread)),
        CHCORE_OBJ_THREAD);
  test_wrong_types(thread);
  test_rights();
  test_pointers();
  test_lengths();
  test_create_pmo();
  test_map_pmo();
  test_revoke_flags();
  test_brk();
  test_mprotect();
  test_simple_calls();
  test_console_read();
  test_getrandom();
  test_online_cpus();
  test_user_copy();
  test_copy_fixup();
  test_thread_exit();
  test_registers();
  test_out_values();
  if (thread >= 0) chcore_cap_release(thread);
  return ut_finish();
}
