/* Host stand-in for musl's internal lock.h (src/internal/lock.h), for the
 * libc port's fd.c under the host tests. musl's LOCK/UNLOCK take a
 * `volatile int[1]`; here they are a spin lock on __atomic builtins, so
 * that the multi-threaded tests exercise real mutual exclusion. */
#ifndef CHCORE_HOST_SHIM_LOCK_H
#define CHCORE_HOST_SHIM_LOCK_H

#include <sched.h>

static inline void chcore_shim_lock(volatile int *l)
{
	for (unsigned spins = 0; __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE); spins++) {
		/* Two shared cores: let a preempted holder run rather than spin. */
		if (spins >= 64) sched_yield();
		else __builtin_ia32_pause();
	}
}

static inline void chcore_shim_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#define LOCK(x) chcore_shim_lock(x)
#define UNLOCK(x) chcore_shim_unlock(x)

#endif
