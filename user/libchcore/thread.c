/* Threads and libchcore's anonymous mappings. */
#include <chcore/syscall.h>
#include <chcore/thread.h>

#define PAGE_SIZE 4096ul

static unsigned long next_map = CHCORE_MAP_BASE;

unsigned long chcore_vm_reserve(unsigned long size) {
  size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  if (size == 0 || size > CHCORE_MAP_END - CHCORE_MAP_BASE) return 0;
  /* The guard page goes below the mapping: stacks grow down into it. */
  unsigned long span = size + PAGE_SIZE;
  unsigned long old = __atomic_load_n(&next_map, __ATOMIC_RELAXED);
  do {
    if (CHCORE_MAP_END - old < span) return 0;
  } while (!__atomic_compare_exchange_n(&next_map, &old, old + span, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  return old + PAGE_SIZE;
}

long chcore_cap_release(long slot) {
  return chcore_sys_revoke_cap((unsigned long)slot, CHCORE_REVOKE_SELF);
}

long chcore_map_anon(unsigned long size, unsigned type, unsigned prot, unsigned long* addr) {
  size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  unsigned long va = chcore_vm_reserve(size);
  if (va == 0) return -CHCORE_ENOMEM;
  long pmo = chcore_sys_create_pmo(size, type);
  if (pmo < 0) return pmo;
  long r = chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va, prot);
  if (r < 0) {
    chcore_cap_release(pmo);
    return r;
  }
  *addr = va;
  return pmo;
}

void __chcore_thread_entry(void);

struct thread_start {
  void (*fn)(void*);
  void* arg;
};

long chcore_thread_create(void (*fn)(void* arg), void* arg, unsigned long tls) {
  unsigned long stack;
  long pmo = chcore_map_anon(CHCORE_THREAD_STACK_SIZE, CHCORE_PMO_ANONYMOUS,
                             CHCORE_PROT_READ | CHCORE_PROT_WRITE, &stack);
  if (pmo < 0) return pmo;
  /* The mapping holds its own reference to the PMO. */
  chcore_cap_release(pmo);

  unsigned long top = stack + CHCORE_THREAD_STACK_SIZE;
  struct thread_start* start = (struct thread_start*)(top - sizeof(struct thread_start));
  start->fn = fn;
  start->arg = arg;
  /* sp stays 16-byte aligned and below the {fn, arg} pair. */
  unsigned long sp = (unsigned long)start & ~15ul;
  return chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)__chcore_thread_entry, sp,
                                  (unsigned long)start, tls, 0);
}
