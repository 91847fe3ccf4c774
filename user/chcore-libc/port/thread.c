/* chcore-libc: threads. pthread_create calls __clone (overrides/src/thread/
 * aarch64/clone.s), which comes here: the new thread is the kernel's
 * create_thread in this process, with the stack and TLS musl prepared. Its
 * first code (__chcore_clone_start) does what Linux's clone flags ask for:
 * the tid in *ptid and *ctid, set_tid_address(ctid) for CLONE_CHILD_CLEARTID
 * (the kernel zeroes that word and wakes a futex waiter when the thread
 * exits: pthread_join and musl's thread-list lock depend on it). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include "chcore_port.h"
#include "chcore_fd.h"

/* What the new thread needs, at the top of its stack. */
struct clone_start {
	int (*fn)(void *);
	void *arg;
	int *ptid, *ctid;
	unsigned long flags;
	/* The parent waits here (in its own frame) for the child's tid. */
	volatile int *handshake;
};

hidden void __chcore_clone_child(void);

static long futex_wait(volatile int *addr, int val)
{
	return __chcore_sys_futex((unsigned long)addr, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG,
	                          (unsigned long)(unsigned)val,
	                          0, 0, 0);
}

static void futex_wake(volatile int *addr, int n)
{
	__chcore_sys_futex((unsigned long)addr, CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG, (unsigned long)n, 0, 0, 0);
}

/* __clone(func, stack, flags, arg, ptid, tls, ctid): the tid of the new
 * thread, or a negative errno. */
hidden int __chcore_clone(int (*fn)(void *), void *stack, int flags, void *arg, int *ptid,
                          void *tls, int *ctid)
{
	/* New processes (fork, vfork, posix_spawn) come with the process manager. */
	if ((flags & (CLONE_VM | CLONE_THREAD)) != (CLONE_VM | CLONE_THREAD)) return -ENOSYS;
	if (stack == 0) return -EINVAL;
	unsigned long sp = ((uintptr_t)stack & -16ul) - ((sizeof(struct clone_start) + 15) & -16ul);
	volatile int handshake = 0;
	struct clone_start *s = (struct clone_start *)sp;
	s->fn = fn;
	s->arg = arg;
	s->ptid = ptid;
	s->ctid = ctid;
	s->flags = (unsigned)flags;
	s->handshake = &handshake;
	unsigned long tp;
	if (flags & CLONE_SETTLS) {
		tp = (uintptr_t)tls;
	} else {
		__asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(tp));
	}
	/* The thread runs on its own: no capability to it (CHCORE_THREAD_TID). */
	long r = __chcore_sys_create_thread(CHCORE_SLOT_SELF, (uintptr_t)__chcore_clone_child, sp, sp,
	                                    tp, CHCORE_THREAD_TID);
	if (r < 0) return (int)r;
	/* Linux returns the tid, and has written *ptid before either thread
	 * goes on: wait until the child has done so. */
	int tid;
	while ((tid = __atomic_load_n(&handshake, __ATOMIC_ACQUIRE)) == 0)
		futex_wait(&handshake, 0);
	return tid;
}

/* The first C code of a thread made by __chcore_clone (x0 = its start block). */
hidden _Noreturn void __chcore_clone_start(struct clone_start *s)
{
	int (*fn)(void *) = s->fn;
	void *arg = s->arg;
	unsigned long flags = s->flags;
	int tid = (int)__chcore_sys_gettid();
	if (flags & CLONE_CHILD_CLEARTID) __chcore_sys_set_tid_address((uintptr_t)s->ctid);
	if (flags & CLONE_CHILD_SETTID) *s->ctid = tid;
	if (flags & CLONE_PARENT_SETTID) *s->ptid = tid;
	volatile int *handshake = s->handshake;
	__atomic_store_n(handshake, tid, __ATOMIC_RELEASE);
	/* The parent may already have seen the tid and returned; a wake on its
	 * old stack slot is harmless (futex waiters recheck their condition). */
	futex_wake(handshake, 1);
	fn(arg);
	for (;;) __chcore_sys_thread_exit();
}

/* __unmapself(base, size), on the small static stack (see __unmapself.s):
 * the thread's own stack goes, then the thread. */
hidden _Noreturn void __chcore_unmapself(void *base, size_t size)
{
	__chcore_munmap((uintptr_t)base, size);
	for (;;) __chcore_sys_thread_exit();
}

/* clone(flags, stack, ptid, tls, ctid): without CLONE_VM, a new process
 * (musl's fork and vfork ask for clone(SIGCHLD, 0)): fork.c. A vfork
 * (CLONE_VFORK) is a fork: the child has its own copy-on-write memory,
 * which POSIX allows. A raw clone of a thread, without __clone's function
 * pointer, cannot start one here. */
CHCORE_LINUX_SYSCALL(clone)
{
	unsigned long flags = (unsigned long)a0;
	if (flags & CLONE_VM) return -ENOSYS;
	if (flags & ~(0xfful | CLONE_VFORK)) return -EINVAL;
	if (a1) return -EINVAL; /* a child on another stack: not for a fork */
	return __chcore_fork();
}

CHCORE_LINUX_SYSCALL(exit)
{
	for (;;) __chcore_sys_thread_exit();
}

CHCORE_LINUX_SYSCALL(exit_group)
{
	for (;;) __chcore_sys_exit_group((unsigned long)a0);
}

CHCORE_LINUX_SYSCALL(set_tid_address)
{
	return __chcore_sys_set_tid_address((unsigned long)a0);
}

CHCORE_LINUX_SYSCALL(gettid)
{
	long tid = __chcore_fork_gettid();
	return tid ? tid : __chcore_sys_gettid();
}

/* getcpu(cpu, node, unused): sched_getcpu() comes here (there is no vDSO). */
CHCORE_LINUX_SYSCALL(getcpu)
{
	long cpu = __chcore_sys_get_cpu();
	if (cpu < 0) return cpu;
	unsigned c = (unsigned)cpu, node = 0;
	long r = a0 ? __chcore_copy_out((void *)a0, &c, sizeof c) : 0;
	if (r == 0 && a1) r = __chcore_copy_out((void *)a1, &node, sizeof node);
	return r;
}

/* The calling thread, named as Linux lets a thread name itself: 0 or its
 * own tid. ChCore addresses threads by capability, and the libc keeps none
 * for its other threads, so other tids are not found. */
static int is_self(long tid)
{
	return tid == 0 || tid == __chcore_sys_gettid();
}

/* sched_getaffinity(tid, size, mask): all online CPUs, or the one the
 * thread is pinned to. Returns the bytes written (8), as Linux's call does;
 * musl zeroes the rest of the caller's set. */
CHCORE_LINUX_SYSCALL(sched_getaffinity)
{
	if (!is_self(a0)) return -ESRCH;
	if ((unsigned long)a1 < sizeof(unsigned long)) return -EINVAL;
	long mask = __chcore_sys_online_cpus();
	if (mask < 0) return mask;
	long pinned = __chcore_sys_get_affinity(CHCORE_THREAD_SELF);
	if (pinned >= 0 && pinned < 64) mask &= 1l << pinned;
	long r = __chcore_copy_out((void *)a2, &mask, sizeof mask);
	return r < 0 ? r : (long)sizeof mask;
}

/* sched_setaffinity(tid, size, mask): the kernel pins a thread to one CPU
 * or lets it run anywhere, so a mask of one online CPU pins and a mask with
 * every online CPU unpins; other masks give EINVAL. */
CHCORE_LINUX_SYSCALL(sched_setaffinity)
{
	if (!is_self(a0)) return -ESRCH;
	if ((unsigned long)a1 == 0) return -EINVAL;
	unsigned long want = 0;
	if (__chcore_copy_in(&want, (const void *)a2,
	                     (unsigned long)a1 < sizeof(want) ? (unsigned long)a1 : sizeof(want)) < 0)
		return -EFAULT;
	long online = __chcore_sys_online_cpus();
	if (online < 0) return online;
	want &= (unsigned long)online;
	if (want == 0) return -EINVAL;
	if (want == (unsigned long)online)
		return __chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
	if (want & (want - 1)) return -EINVAL;
	return __chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)__builtin_ctzl(want));
}

CHCORE_LINUX_SYSCALL(futex)
{
	return __chcore_sys_futex((unsigned long)a0, (unsigned long)a1, (unsigned long)a2,
	                          (unsigned long)a3, (unsigned long)a4, (unsigned long)a5);
}

CHCORE_LINUX_SYSCALL(sched_yield)
{
	return __chcore_sys_yield();
}
