/* chcore-libc: thread control blocks for threads the C library did not
 * create.
 *
 * An IPC server's handler threads are made by the kernel (ipc_accept), one
 * per client connection, not by pthread_create; yet a handler calls malloc,
 * printf and sets errno like any other code. Each such thread needs what
 * pthread_create would have given it: its own struct pthread with the TLS
 * image, its tid (mutexes and the thread-list lock compare owners by tid),
 * and a C library that knows it is multithreaded (need_locks, so malloc
 * and stdio lock). __chcore_foreign_tls_create builds that block without a
 * stack (the creator provides one); libchcore's server code calls it once
 * per handler slot and __chcore_foreign_tls_enter on the thread itself.
 *
 * The block is linked into musl's thread list like a pthread's and is never
 * freed: a server keeps its handler slots (and their blocks) for the next
 * client, so the number of blocks is the most clients it had at once. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "pthread_impl.h"
#include "libc.h"
#include "chcore_port.h"

static void *noop(void *arg)
{
	return arg;
}

/* Returns the thread pointer (TPIDR_EL0 value) of a new control block, or
 * 0 when memory is short. */
unsigned long __chcore_foreign_tls_create(void)
{
	/* The first thread of a process switches the C library to its
	 * multithreaded state (stdio locks, the main thread's TSD, ...): let
	 * pthread_create do that once rather than repeat its private steps. */
	if (!libc.threaded) {
		pthread_t t;
		if (pthread_create(&t, 0, noop, 0) != 0) return 0;
		pthread_join(t, 0);
	}
	size_t size = (libc.tls_size + __pthread_tsd_size + PAGE_SIZE - 1) & -PAGE_SIZE;
	unsigned char *map = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) return 0;
	unsigned char *tsd = map + size - __pthread_tsd_size;
	struct pthread *self = __pthread_self();
	struct pthread *td = __copy_tls(tsd - libc.tls_size);
	td->map_base = map;
	td->map_size = size;
	td->self = td;
	td->tsd = (void *)tsd;
	td->locale = &libc.global_locale;
	td->detach_state = DT_DETACHED;
	td->robust_list.head = &td->robust_list.head;
	td->canary = self->canary;
	td->sysinfo = self->sysinfo;
	/* Until the thread itself sets it, no tid: nobody else can own a lock
	 * in its name. */
	td->tid = 0;
	__tl_lock();
	if (!libc.threads_minus_1++) libc.need_locks = 1;
	td->next = self->next;
	td->prev = self;
	td->next->prev = td;
	td->prev->next = td;
	__tl_unlock();
	return (unsigned long)TP_ADJ(td);
}

/* On the thread that runs with the block: records its tid. The kernel
 * gives a new handler thread (a new tid) to a reused block. */
void __chcore_foreign_tls_enter(void)
{
	struct pthread *td = __pthread_self();
	td->tid = (int)__chcore_sys_gettid();
}
