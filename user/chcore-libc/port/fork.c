/* chcore-libc: fork (musl's fork and _Fork, and vfork, make a clone
 * system call without CLONE_VM; it comes here).
 *
 * Three parties (docs/processes.md, "fork"):
 *   1. procmgr makes the child's process and its record (pid to come,
 *      parent: us) and gives us a capability to it (PROCMGR_FORK);
 *   2. the kernel's fork copies us into it: the address space copy-on-write,
 *      the capabilities that any holder may use (servers, PMOs, pipe ends,
 *      notifications) into the same slots, and this thread, whose copy
 *      returns 0 from the same system call;
 *   3. procmgr starts the copy, whose pid is its thread's tid
 *      (PROCMGR_FORK_START).
 * What the kernel does not copy is bound to this process: its connections
 * to servers. The child drops its copies of their state and connects
 * afresh on first use (services.c, file.c); what it says to procmgr before
 * that (its exec, above all) goes through the fork lane, a connection the
 * kernel does copy (chcore/proto/procmgr.h). It takes over each open file
 * through a token we exported before the fork (FS_EXPORT/FS_IMPORT, as
 * posix_spawn's children do), so the descriptions, offsets included, are
 * shared as on Linux. Pipe ends and the console need nothing: the
 * capabilities and the memory that describe them were copied. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include "lock.h"
#include "chcore_fd.h"
#include "chcore_port.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"

/* In the child, before anything else runs: its own pid, no connections,
 * locks that another thread of the parent held left free (that thread is
 * not in the child; POSIX leaves a multithreaded parent's child to
 * async-signal-safe calls until it execs, but the C library's own state
 * must work), files taken over. */
long __chcore_fork_lane = -1;

/* Opens the fork lane before the first fork (one more connection to
 * procmgr, whose buffer it never uses). Without one, children connect. */
static void lane_open(void)
{
	static volatile int lock[1];
	if (__atomic_load_n(&__chcore_fork_lane, __ATOMIC_ACQUIRE) >= 0) return;
	LOCK(lock);
	if (__chcore_fork_lane < 0 && __chcore_procmgr_slot >= 0) {
		long pmo = __chcore_sys_create_pmo(4096, CHCORE_PMO_SHARED);
		if (pmo >= 0) {
			long r = __chcore_sys_ipc_connect((unsigned long)__chcore_procmgr_slot,
			                                  (unsigned long)pmo, PROCMGR_CONNECT_FORK);
			__chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
			if (r >= 0) __atomic_store_n(&__chcore_fork_lane, r, __ATOMIC_RELEASE);
		}
	}
	UNLOCK(lock);
}

/* The child's thread and its tid, which the kernel's fork gave it: the
 * gettid musl makes at once in the child is answered from here. */
static unsigned long fork_tp;
static long fork_tid;

long __chcore_fork_gettid(void)
{
	return fork_tid != 0 && (unsigned long)__builtin_thread_pointer() == fork_tp ? fork_tid : 0;
}

static void child_start(int files, long tid)
{
	__chcore_pid = tid;
	CHCORE_SET(fork_tp, (unsigned long)__builtin_thread_pointer());
	CHCORE_SET(fork_tid, tid);
	__chcore_fd_after_fork();
	__chcore_services_after_fork();
	__chcore_wait_after_fork();
	__chcore_files_after_fork();
	__chcore_cputime_after_fork();
	if (files) __chcore_procmgr_started();
}

long __chcore_fork(void)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ENOSYS;
	lane_open();
	/* Our open files, each exported for the child (tokens kept in them). */
	int files = __chcore_files_before_fork();
	const char *name = __chcore_argv && __chcore_argv[0] ? __chcore_argv[0] : "fork";
	const char *slash = strrchr(name, '/');
	if (slash && slash[1]) name = slash + 1;
	size_t n = strnlen(name, 31);

	struct chcore_ipc_result out;
	LOCK(s->lock);
	memcpy(s->buf, name, n);
	((char *)s->buf)[n] = 0;
	/* RLIMIT_NPROC: procmgr refuses the fork (EAGAIN) at that many
	 * processes. */
	unsigned long nproc = (unsigned long)__chcore_rlimit(RLIMIT_NPROC);
	long r = __chcore_srv_call(s, PROCMGR_FORK, nproc, 0, 0, n + 1, 0, 0, &out);
	long cg = r >= 0 && CHCORE_IPC_INFO_NCAPS(out.info) >= 1 ? (long)chcore_ipc_cap(&out, 0) : -1;
	UNLOCK(s->lock);
	if (r < 0) return r;
	if (cg < 0) return -EIO;

	/* The page of fork-hot.order's data, which both sides write at once
	 * (with the stack's, copied for the child now). */
	long tid;
	long t = __chcore_sys_fork_tid((unsigned long)cg, (unsigned long)&__chcore_pid, &tid);
	if (t == 0) {
		/* The child. (cg was not copied: processes are not.) */
		child_start(files, tid);
		return 0;
	}
	unsigned desc = CHCORE_IPC_CAP(t, CHCORE_RIGHT_CONTROL | CHCORE_RIGHT_COPY);
	LOCK(s->lock);
	r = __chcore_srv_call(s, PROCMGR_FORK_START, (unsigned long)(t < 0 ? t : 0),
	                      files ? 1 : 0, 0, 0, t >= 0 ? 1 : 0, &desc, &out);
	UNLOCK(s->lock);
	__chcore_sys_revoke_cap((unsigned long)cg, CHCORE_REVOKE_SELF);
	if (t > 0) __chcore_sys_revoke_cap((unsigned long)t, CHCORE_REVOKE_SELF);
	return t < 0 ? t : r;
}
