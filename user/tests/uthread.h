/* Joinable threads with reclaimable stacks, for the scheduling tests.
 *
 * Each thread gets its own stack PMO; the thread registers its `tid_word`
 * with set_tid_address, so the kernel zeroes it and futex-wakes it when the
 * thread exits (the way musl's pthread_join waits). ut_join waits for that,
 * then unmaps the stack and drops the capabilities, returning every page. */
#ifndef CHCORE_TESTS_UTHREAD_H
#define CHCORE_TESTS_UTHREAD_H

#include <chcore/syscall.h>
#include <chcore/thread.h>

#define UT_STACK_SIZE (64ul * 1024)

struct ut_thread {
  long slot;    /* thread capability */
  long pmo;     /* its stack */
  unsigned long stack;
  volatile unsigned tid_word;
  void (*fn)(void*);
  void* arg;
};

struct ut_thread_start {
  void (*fn)(void*);
  void* arg;
};

void __chcore_thread_entry(void);

/* Stack addresses are recycled, so that a test creating thousands of
 * threads keeps using the same page tables (libchcore's map area only
 * grows). Single-threaded use: only the main thread starts and joins. */
static unsigned long ut_free_stacks[256];
static int ut_nfree_stacks;

static long ut_stack_map(unsigned long* va) {
  *va = ut_nfree_stacks > 0 ? ut_free_stacks[--ut_nfree_stacks] : chcore_vm_reserve(UT_STACK_SIZE);
  if (*va == 0) return -CHCORE_ENOMEM;
  long pmo = chcore_sys_create_pmo(UT_STACK_SIZE, CHCORE_PMO_ANONYMOUS);
  if (pmo < 0) return pmo;
  long r = chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, *va,
                              CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  if (r < 0) {
    chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
    return r;
  }
  return pmo;
}

static void ut_stack_unmap(long pmo, unsigned long va) {
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va);
  chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
  if (ut_nfree_stacks < 256) ut_free_stacks[ut_nfree_stacks++] = va;
}

static void ut_thread_body(void* p) {
  struct ut_thread* t = (struct ut_thread*)p;
  chcore_sys_set_tid_address((unsigned long)&t->tid_word);
  t->fn(t->arg);
}

/* Starts fn(arg) in a new thread of this process; 0 or -errno. */
static inline long ut_thread_start(struct ut_thread* t, void (*fn)(void*), void* arg) {
  t->fn = fn;
  t->arg = arg;
  t->tid_word = 1;
  t->pmo = ut_stack_map(&t->stack);
  if (t->pmo < 0) return t->pmo;
  unsigned long top = t->stack + UT_STACK_SIZE;
  struct ut_thread_start* s = (struct ut_thread_start*)(top - sizeof(*s));
  s->fn = ut_thread_body;
  s->arg = t;
  t->slot = chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)__chcore_thread_entry,
                                     (unsigned long)s & ~15ul, (unsigned long)s, 0, 0);
  if (t->slot < 0) {
    ut_stack_unmap(t->pmo, t->stack);
    return t->slot;
  }
  return 0;
}

/* Waits until the thread has exited, then frees its stack. */
static inline void ut_thread_join(struct ut_thread* t) {
  unsigned v;
  while ((v = __atomic_load_n(&t->tid_word, __ATOMIC_ACQUIRE)) != 0)
    chcore_sys_futex((unsigned long)&t->tid_word, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG, v,
                     0, 0, 0);
  ut_stack_unmap(t->pmo, t->stack);
  chcore_sys_revoke_cap((unsigned long)t->slot, CHCORE_REVOKE_SELF);
}

struct ut_timespec {
  long sec, nsec;
};

static inline unsigned long ut_now_ns(void) {
  struct ut_timespec ts;
  chcore_sys_clock_gettime(CHCORE_CLOCK_MONOTONIC, (unsigned long)&ts);
  return (unsigned long)ts.sec * 1000000000ul + (unsigned long)ts.nsec;
}

static inline long ut_sleep_ns(unsigned long ns) {
  struct ut_timespec ts = {(long)(ns / 1000000000ul), (long)(ns % 1000000000ul)};
  return chcore_sys_clock_nanosleep(CHCORE_CLOCK_MONOTONIC, 0, (unsigned long)&ts, 0);
}

#endif
