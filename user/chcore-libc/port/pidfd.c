/* chcore-libc: pidfds and waitid.
 *
 * A pidfd (pidfd_open) is a description that names a process: its pid and
 * the time it started (procmgr's PROCMGR_PROC_INFO), so that a pid reused
 * by a later process is never taken for it (ESRCH instead). It is always
 * close-on-exec, as on Linux, and is readable (poll) once the process has
 * ended, whether or not it has been waited for. pidfd_send_signal sends
 * through kill or rt_sigqueueinfo. waitid waits through wait4 and reports
 * in a siginfo_t (P_ALL, P_PID, P_PGID, P_PIDFD; WEXITED with WSTOPPED and
 * WCONTINUED, WNOHANG). What is partial: waitid without WEXITED (wait4
 * cannot leave ends out) and WNOWAIT are EINVAL; a pidfd's poll looks
 * again in steps (fd.c, poll_round) rather than being woken. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kstat.h"
#include "chcore_fd.h"
#include "chcore_port.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"
#include "lock.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct pidfd {
	int pid;
	int64_t start_ns;
};

/* The process's record: 1 running, 0 ended (a zombie), -ESRCH gone. */
static long proc_state(int pid, int64_t *start_ns)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ESRCH;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_PROC_INFO, (unsigned long)pid, 0, 0, 0, 0, 0, &out);
	if (r >= 0) {
		const struct procmgr_proc_info *info = s->buf;
		*start_ns = info->start_ns;
		r = info->state == 'Z' ? 0 : 1;
	}
	UNLOCK(s->lock);
	return r;
}

/* The same for the process a pidfd names: -ESRCH if its pid now belongs
 * to another one. */
static long pidfd_state(const struct pidfd *p)
{
	int64_t start;
	long r = proc_state(p->pid, &start);
	if (r >= 0 && start != p->start_ns) return -ESRCH;
	return r;
}

static int pidfd_poll(struct chcore_fd *f, int events)
{
	long st = pidfd_state(f->priv);
	return st == 1 ? 0 : events & (POLLIN | POLLRDNORM);
}

static const struct chcore_fd_ops pidfd_ops = {
	.poll = pidfd_poll,
	.close = __chcore_fd_free_priv,
	.fstat = __chcore_fd_anon_fstat, /* Linux: an anonymous inode */
};

/* The pidfd behind fd: NULL with *err -EBADF (no such fd) or -EINVAL (not
 * a pidfd). The caller puts the returned description. */
static struct chcore_fd *get_pidfd(long fd, long *err)
{
	struct chcore_fd *d = fd >= 0 && fd <= INT32_MAX ? __chcore_fd_get((int)fd) : 0;
	if (!d) {
		*err = -EBADF;
		return 0;
	}
	if (d->type != CHCORE_FD_PIDFD) {
		__chcore_fd_put(d);
		*err = -EINVAL;
		return 0;
	}
	return d;
}

/* pidfd_open(pid, flags) */
CHCORE_LINUX_SYSCALL(pidfd_open)
{
	if ((long)a0 <= 0 || (long)a0 > INT32_MAX) return -EINVAL;
	if (a1 & ~(unsigned long)O_NONBLOCK) return -EINVAL;
	int64_t start;
	long st = proc_state((int)a0, &start);
	if (st < 0) return st;
	struct pidfd *p = malloc(sizeof *p);
	if (!p) return -ENOMEM;
	p->pid = (int)a0;
	p->start_ns = start;
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_PIDFD, &pidfd_ops, O_RDWR | (int)a1, p);
	if (!d) {
		free(p);
		return -ENFILE;
	}
	d->name = "anon_inode:[pidfd]";
	return __chcore_fd_install(d, 0, 1);
}

/* pidfd_send_signal(pidfd, sig, info, flags) */
CHCORE_LINUX_SYSCALL(pidfd_send_signal)
{
	if (a3 != 0) return -EINVAL;
	long err;
	struct chcore_fd *d = get_pidfd((long)a0, &err);
	if (!d) return err;
	struct pidfd p = *(struct pidfd *)d->priv;
	__chcore_fd_put(d);
	long st = pidfd_state(&p);
	if (st <= 0) return -ESRCH; /* ended (Linux: ESRCH once it has exited) */
	if (a2) return __chcore_linux_rt_sigqueueinfo(p.pid, (long)a1, (long)a2, 0, 0, 0);
	return __chcore_linux_kill(p.pid, (long)a1, 0, 0, 0, 0);
}

/* waitid(idtype, id, info, options, rusage) */
CHCORE_LINUX_SYSCALL(waitid)
{
	int idtype = (int)a0, options = (int)a3;
	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | __WALL | __WCLONE)) return -EINVAL;
	if (!(options & WEXITED)) return -EINVAL; /* see above */
	long pid;
	switch (idtype) {
	case P_ALL:
		pid = -1;
		break;
	case P_PID:
		if ((long)a1 <= 0 || (long)a1 > INT32_MAX) return -EINVAL;
		pid = (long)a1;
		break;
	case P_PGID:
		if ((long)a1 < 0 || (long)a1 > INT32_MAX) return -EINVAL;
		pid = -(long)a1; /* 0: the caller's group, as wait4(0) */
		break;
	case P_PIDFD: {
		long err;
		struct chcore_fd *d = get_pidfd((long)a1, &err);
		if (!d) return err;
		pid = ((struct pidfd *)d->priv)->pid;
		__chcore_fd_put(d);
		break;
	}
	default:
		return -EINVAL;
	}
	int w4 = options & (WNOHANG | WCONTINUED);
	if (options & WSTOPPED) w4 |= WUNTRACED;
	int status = 0;
	long r = __chcore_linux_wait4(pid, (long)&status, w4, (long)a4, 0, 0);
	if (r < 0) return r;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (r > 0) {
		si.si_signo = SIGCHLD;
		si.si_pid = (pid_t)r;
		si.si_uid = 0;
		if (WIFEXITED(status)) {
			si.si_code = CLD_EXITED;
			si.si_status = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			si.si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
			si.si_status = WTERMSIG(status);
		} else if (WIFSTOPPED(status)) {
			si.si_code = CLD_STOPPED;
			si.si_status = WSTOPSIG(status);
		} else {
			si.si_code = CLD_CONTINUED;
			si.si_status = SIGCONT;
		}
	}
	/* WNOHANG with nothing to report: a zeroed siginfo (si_pid 0). */
	if (a2 && __chcore_copy_out((void *)a2, &si, sizeof si) < 0) return -EFAULT;
	return 0;
}
