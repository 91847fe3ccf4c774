/* chcore-libc: resource limits, getrlimit / setrlimit / prlimit64.
 *
 * The limits are the process's own, kept here with Linux's defaults. They
 * are enforced where the port owns the resource:
 *   RLIMIT_NOFILE  the fd table (fd.c): no new fd at or above the soft
 *                  limit (dup, fcntl F_DUPFD: EMFILE; dup2/dup3 to such an
 *                  fd: EBADF; ppoll of more fds: EINVAL); the hard limit
 *                  can be at most the table's size, 1024 (Linux's nr_open:
 *                  more is EPERM)
 *   RLIMIT_AS      mmap and brk (mm.c): ENOMEM when the program's image,
 *                  brk heap and mappings would exceed it
 *   RLIMIT_DATA    mmap of private writable memory and brk (mm.c): ENOMEM
 *                  when the image's data, the heap and the private writable
 *                  mappings would exceed it
 *   RLIMIT_NPROC   fork and posix_spawn (procmgr counts the processes):
 *                  EAGAIN at the soft limit
 * The others are recorded and reported, and limit nothing yet.
 *
 * Privilege: every process runs as user 0 (getuid), with no capability
 * model behind it, so raising a hard limit is allowed, as for root on
 * Linux (an unprivileged Linux process gets EPERM). A soft limit above its
 * hard limit is EINVAL. A fork's child has its parent's limits (they are
 * in its memory); a program started by posix_spawn or exec starts with
 * the defaults. */
#include <errno.h>
#include <sys/resource.h>
#include "lock.h"
#include "chcore_fd.h"

#define INF RLIM_INFINITY
#define MIB (1024ull * 1024)

/* Linux's defaults for a process of root (init_task's, and those a login
 * gives), with this system's sizes where it has its own. */
static struct rlimit limits[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { INF, INF },
	[RLIMIT_FSIZE] = { INF, INF },
	[RLIMIT_DATA] = { INF, INF },
	[RLIMIT_STACK] = { 8 * MIB, INF }, /* the first program's stack is 8 MiB */
	[RLIMIT_CORE] = { 0, INF },
	[RLIMIT_RSS] = { INF, INF },
	[RLIMIT_NPROC] = { INF, INF },
	[RLIMIT_NOFILE] = { CHCORE_FD_MAX, CHCORE_FD_MAX },
	[RLIMIT_MEMLOCK] = { 8 * MIB, 8 * MIB },
	[RLIMIT_AS] = { INF, INF },
	[RLIMIT_LOCKS] = { INF, INF },
	[RLIMIT_SIGPENDING] = { INF, INF },
	[RLIMIT_MSGQUEUE] = { 819200, 819200 },
	[RLIMIT_NICE] = { 0, 0 },
	[RLIMIT_RTPRIO] = { 0, 0 },
	[RLIMIT_RTTIME] = { INF, INF },
};
static volatile int limit_lock[1];

unsigned long long __chcore_rlimit(int resource)
{
	if ((unsigned)resource >= RLIM_NLIMITS) return INF;
	return __atomic_load_n(&limits[resource].rlim_cur, __ATOMIC_RELAXED);
}

/* Linux's do_prlimit: the checks of the new limits, then both swapped under
 * the lock. new and old are the port's copies. */
static long do_prlimit(unsigned resource, const struct rlimit *new, struct rlimit *old)
{
	if (resource >= RLIM_NLIMITS) return -EINVAL;
	if (new) {
		if (new->rlim_cur > new->rlim_max) return -EINVAL;
		if (resource == RLIMIT_NOFILE && new->rlim_max > CHCORE_FD_MAX) return -EPERM;
	}
	LOCK(limit_lock);
	if (old) *old = limits[resource];
	if (new) {
		__atomic_store_n(&limits[resource].rlim_cur, new->rlim_cur, __ATOMIC_RELAXED);
		__atomic_store_n(&limits[resource].rlim_max, new->rlim_max, __ATOMIC_RELAXED);
	}
	UNLOCK(limit_lock);
	return 0;
}

/* prlimit64(pid, resource, new, old): pid 0 or our own; other processes'
 * limits come with the process manager (ESRCH until then). */
CHCORE_LINUX_SYSCALL(prlimit64)
{
	struct rlimit new, old;
	if (a2 && __chcore_copy_in(&new, (const void *)a2, sizeof new) < 0) return -EFAULT;
	if (a0 != 0 && a0 != __chcore_pid) return -ESRCH;
	long r = do_prlimit((unsigned)a1, a2 ? &new : 0, a3 ? &old : 0);
	if (r == 0 && a3) r = __chcore_copy_out((void *)a3, &old, sizeof old);
	return r;
}

CHCORE_LINUX_SYSCALL(getrlimit)
{
	struct rlimit old;
	long r = do_prlimit((unsigned)a0, 0, &old);
	if (r == 0) r = __chcore_copy_out((void *)a1, &old, sizeof old);
	return r;
}

CHCORE_LINUX_SYSCALL(setrlimit)
{
	struct rlimit new;
	if (__chcore_copy_in(&new, (const void *)a1, sizeof new) < 0) return -EFAULT;
	return do_prlimit((unsigned)a0, &new, 0);
}
