/* chcore-libc: signalfd. A signalfd description holds a set of signals;
 * reading it takes pending signals of the set (the calling thread's, then
 * its process's) as struct signalfd_siginfo records, through the kernel's
 * sigtimedwait: blocking until one comes (a handler of another signal
 * interrupts it: EINTR), or EAGAIN with O_NONBLOCK. As on Linux the set's
 * signals should be blocked, or they are delivered the usual way first.
 * poll finds it readable while one of them is pending (and blocked); the
 * poller looks again in steps (fd.c, poll_round) rather than being woken.
 * Always readable by the thread that reads it: a signal pending on
 * another thread is not its to take, as on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include "kstat.h"
#include "chcore_fd.h"
#include "chcore_port.h"
#include "uapi/pipe.h" /* CHCORE_POLL_NOW, CHCORE_POLL_FOREVER */

#define SIGSET_BYTES (_NSIG / 8)

struct sigfd {
	unsigned long mask; /* bit sig - 1; never SIGKILL or SIGSTOP */
};

static void to_ssi(struct signalfd_siginfo *o, const siginfo_t *si)
{
	memset(o, 0, sizeof *o);
	o->ssi_signo = (uint32_t)si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	o->ssi_pid = (uint32_t)si->si_pid;
	o->ssi_uid = (uint32_t)si->si_uid;
	if (si->si_signo == SIGCHLD) o->ssi_status = si->si_status;
	if (si->si_code == SI_TIMER) {
		o->ssi_tid = (uint32_t)si->si_timerid;
		o->ssi_overrun = (uint32_t)si->si_overrun;
	}
	if (si->si_code <= SI_QUEUE && si->si_code != SI_TKILL) {
		o->ssi_int = si->si_value.sival_int;
		o->ssi_ptr = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	}
	if (si->si_signo == SIGSEGV || si->si_signo == SIGBUS || si->si_signo == SIGILL ||
	    si->si_signo == SIGFPE || si->si_signo == SIGTRAP)
		o->ssi_addr = (uint64_t)(uintptr_t)si->si_addr;
}

static long sigfd_read(struct chcore_fd *f, void *buf, size_t len)
{
	const struct sigfd *s = f->priv;
	size_t n = len / sizeof(struct signalfd_siginfo);
	if (n == 0) return -EINVAL;
	size_t got = 0;
	while (got < n) {
		siginfo_t si;
		unsigned long dl = got == 0 && !(f->flags & O_NONBLOCK) ? CHCORE_POLL_FOREVER
		                                                         : CHCORE_POLL_NOW;
		long r = __chcore_sys_sigtimedwait(s->mask, (unsigned long)&si, dl);
		if (r < 0) {
			if (got > 0) break;
			return r; /* -EAGAIN (nothing, O_NONBLOCK), -EINTR */
		}
		struct signalfd_siginfo o;
		to_ssi(&o, &si);
		if (__chcore_copy_out((char *)buf + got * sizeof o, &o, sizeof o) < 0)
			return got ? (long)(got * sizeof o) : -EFAULT;
		got++;
	}
	return (long)(got * sizeof(struct signalfd_siginfo));
}

static int sigfd_poll(struct chcore_fd *f, int events)
{
	const struct sigfd *s = f->priv;
	unsigned long pending = 0;
	if (__chcore_sys_sigpending((unsigned long)&pending) < 0) return 0;
	return pending & s->mask ? events & (POLLIN | POLLRDNORM) : 0;
}

static const struct chcore_fd_ops sigfd_ops = {
	.read = sigfd_read,
	.poll = sigfd_poll,
	.close = __chcore_fd_free_priv,
	.fstat = __chcore_fd_anon_fstat, /* Linux: an anonymous inode */
};

/* signalfd4(fd, mask, sizemask, flags): a new signalfd (fd -1) or a new
 * set for an existing one. */
CHCORE_LINUX_SYSCALL(signalfd4)
{
	if (a2 != SIGSET_BYTES) return -EINVAL;
	if (a3 & ~(unsigned long)(SFD_NONBLOCK | SFD_CLOEXEC)) return -EINVAL;
	unsigned long mask;
	if (__chcore_copy_in(&mask, (const void *)a1, sizeof mask) < 0) return -EFAULT;
	mask &= ~((1ul << (SIGKILL - 1)) | (1ul << (SIGSTOP - 1)));
	if ((int)a0 == -1) {
		struct sigfd *s = malloc(sizeof *s);
		if (!s) return -ENOMEM;
		s->mask = mask;
		int fl = O_RDONLY | ((a3 & SFD_NONBLOCK) ? O_NONBLOCK : 0);
		struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_SIGNALFD, &sigfd_ops, fl, s);
		if (!d) {
			free(s);
			return -ENFILE;
		}
		d->name = "anon_inode:[signalfd]";
		return __chcore_fd_install(d, 0, (a3 & SFD_CLOEXEC) != 0);
	}
	struct chcore_fd *d = (long)a0 >= 0 ? __chcore_fd_get((int)a0) : 0;
	if (!d) return -EBADF;
	long r = -EINVAL;
	if (d->type == CHCORE_FD_SIGNALFD) {
		((struct sigfd *)d->priv)->mask = mask;
		r = (long)(int)a0;
	}
	__chcore_fd_put(d);
	return r;
}
