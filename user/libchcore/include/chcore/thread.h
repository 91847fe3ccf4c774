/* Raw kernel threads in the calling process, and libchcore's own corner of
 * the address space for their stacks and other PMO mappings.
 *
 * A raw thread is the kernel's thread object and nothing more: the C
 * library does not know it. It has no thread control block of its own
 * (TPIDR_EL0 is whatever the creator passes), so it must not call into the
 * C library (no printf, no errno, no malloc, no locks): only the system-call
 * stubs of chcore/syscall.h, atomics and its own memory. Programs that want
 * threads use pthread_create; raw threads are for tests and measurements of
 * the kernel's own thread primitives (affinity, priorities, TLS registers,
 * exit while running, creation cost). */
#ifndef CHCORE_THREAD_H
#define CHCORE_THREAD_H

#ifdef __cplusplus
extern "C" {
#endif

/* [CHCORE_MAP_BASE, CHCORE_MAP_END) belongs to libchcore's mapping
 * allocator (chcore_map_anon); programs mapping PMOs by hand should stay out
 * of it, and so does the C library's mmap (which has 0x4000_0000_0000 to
 * 0x5000_0000_0000). See user/README.md for the whole layout. */
#define CHCORE_MAP_BASE 0x0000580000000000ul
#define CHCORE_MAP_END 0x0000600000000000ul

#define CHCORE_THREAD_STACK_SIZE (64ul * 1024)

/* Reserves size bytes (page-aligned up) of address space in the map area,
 * followed by an unmapped guard page. Returns the address, or 0 when the
 * area is exhausted. Never reused (no free yet). */
unsigned long chcore_vm_reserve(unsigned long size);

/* Creates a PMO of `type` (CHCORE_PMO_*) and `size` bytes and maps it with
 * `prot` in the calling process at a fresh address in the map area. Returns
 * the PMO's slot (the mapping stays if the caller revokes it) and stores the
 * address in *addr, or returns -errno. */
long chcore_map_anon(unsigned long size, unsigned type, unsigned prot, unsigned long* addr);

/* Starts fn(arg) on a new thread of this process with a fresh
 * CHCORE_THREAD_STACK_SIZE stack (below a guard page) and TPIDR_EL0 = tls.
 * When fn returns, the thread ends (thread_exit). Returns the thread's slot
 * (revoke it with chcore_cap_release when no longer needed) or -errno. The
 * stack is not reclaimed when the thread ends. */
long chcore_thread_create(void (*fn)(void* arg), void* arg, unsigned long tls);

/* Drops a capability of this process (revoke_cap(slot, CHCORE_REVOKE_SELF)). */
long chcore_cap_release(long slot);

#ifdef __cplusplus
}
#endif

#endif
