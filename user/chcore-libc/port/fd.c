/* chcore-libc: the fd table and the generic file system calls. Each call
 * finds the open file description of its fd and hands the work to the
 * description's fd_ops (see chcore_fd.h). The caller's structures (iovec
 * arrays, pollfd arrays, timeouts, ioctl arguments) are read and written
 * only through __chcore_copy_in/out, so a bad pointer is EFAULT; data
 * buffers go to the ops, which do the same. New fds stay below the soft
 * RLIMIT_NOFILE (rlimit.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "kstat.h"
#include "lock.h"
#include "chcore_fd.h"

static struct chcore_fd *fds[CHCORE_FD_MAX];
static unsigned char cloexec[CHCORE_FD_MAX];
static struct chcore_fd pool[CHCORE_FD_POOL];
static volatile int fd_lock[1];
static int fd_ready;

/* fds 0-2 are the console. Runs from the start-up constructor, and before it
 * if something uses an fd earlier (another constructor, say). */
void __chcore_fd_init(void)
{
	if (fd_ready) return;
	for (int i = 0; i < 3; i++) {
		__chcore_console_fds[i].refs = 1;
		fds[i] = &__chcore_console_fds[i];
	}
	fd_ready = 1;
}

struct chcore_fd *__chcore_fd_new(int type, const struct chcore_fd_ops *ops, int flags, void *priv)
{
	struct chcore_fd *d = 0;
	LOCK(fd_lock);
	for (int i = 0; i < CHCORE_FD_POOL; i++) {
		if (pool[i].type == CHCORE_FD_FREE) {
			d = &pool[i];
			d->type = type;
			d->refs = 1; /* the caller's: install takes it over, put drops it */
			d->flags = flags;
			d->ops = ops;
			d->priv = priv;
			d->offset = 0;
			break;
		}
	}
	UNLOCK(fd_lock);
	return d;
}

static void release(struct chcore_fd *d)
{
	if (d->ops->close) d->ops->close(d);
	/* The console's own descriptions are not in the pool and stay. */
	if (d >= pool && d < pool + CHCORE_FD_POOL) {
		LOCK(fd_lock);
		d->type = CHCORE_FD_FREE;
		UNLOCK(fd_lock);
	}
}

void __chcore_fd_put(struct chcore_fd *d)
{
	if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0) release(d);
}

struct chcore_fd *__chcore_fd_get(int fd)
{
	if (!fd_ready) __chcore_fd_init();
	if ((unsigned)fd >= CHCORE_FD_MAX) return 0;
	LOCK(fd_lock);
	struct chcore_fd *d = fds[fd];
	if (d) __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	UNLOCK(fd_lock);
	return d;
}

/* One past the highest fd a new descriptor may get: the soft RLIMIT_NOFILE,
 * at most the table's size. */
static int fd_limit(void)
{
	unsigned long long lim = __chcore_rlimit(RLIMIT_NOFILE);
	return lim < CHCORE_FD_MAX ? (int)lim : CHCORE_FD_MAX;
}

/* Takes over one reference of the caller's for the new entry. */
int __chcore_fd_install(struct chcore_fd *d, int min_fd, int close_on_exec)
{
	if (!fd_ready) __chcore_fd_init();
	int fd = -EMFILE, limit = fd_limit();
	if (min_fd < 0) min_fd = 0;
	LOCK(fd_lock);
	for (int i = min_fd; i < limit; i++) {
		if (fds[i] == 0) {
			fds[i] = d;
			cloexec[i] = close_on_exec != 0;
			fd = i;
			break;
		}
	}
	UNLOCK(fd_lock);
	if (fd < 0) __chcore_fd_put(d);
	return fd;
}

/* Whether fd is close-on-exec (it is not inherited at spawn). */
int __chcore_fd_cloexec(int fd)
{
	if ((unsigned)fd >= CHCORE_FD_MAX) return 0;
	return cloexec[fd];
}

/* Puts the description at exactly fd (replacing what was there), taking
 * over the caller's reference: a new process's inherited fds. */
void __chcore_fd_install_at(struct chcore_fd *d, int fd)
{
	if (!fd_ready) __chcore_fd_init();
	LOCK(fd_lock);
	struct chcore_fd *prev = fds[fd];
	fds[fd] = d;
	cloexec[fd] = 0;
	UNLOCK(fd_lock);
	if (prev) __chcore_fd_put(prev);
}

/* ---- The system calls ----------------------------------------------------------- */

#define GET_OR_EBADF(d, fd) \
	struct chcore_fd *d = __chcore_fd_get((int)(fd)); \
	if (d == 0) return -EBADF

static int can_read(struct chcore_fd *d)
{
	return (d->flags & O_ACCMODE) != O_WRONLY;
}

static int can_write(struct chcore_fd *d)
{
	return (d->flags & O_ACCMODE) != O_RDONLY;
}

CHCORE_LINUX_SYSCALL(read)
{
	GET_OR_EBADF(d, a0);
	long r = !can_read(d) ? -EBADF : d->ops->read ? d->ops->read(d, (void *)a1, (size_t)a2) : -EINVAL;
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(write)
{
	GET_OR_EBADF(d, a0);
	long r = !can_write(d) ? -EBADF
	         : d->ops->write ? d->ops->write(d, (const void *)a1, (size_t)a2) : -EINVAL;
	__chcore_fd_put(d);
	return r;
}

/* The caller's iovec array is read IOV_BATCH entries at a time. */
#define IOV_BATCH 32

/* Copies entries [first, first + IOV_BATCH) (fewer at the end) of the
 * caller's array into batch; returns how many, or -EFAULT. */
static long iov_batch(struct iovec *batch, const struct iovec *uiov, long cnt, long first)
{
	long n = cnt - first < IOV_BATCH ? cnt - first : IOV_BATCH;
	/* The caller's address as a number: it may be anything, even NULL. */
	const void *src = (const void *)((uintptr_t)uiov + (uintptr_t)first * sizeof *batch);
	long r = __chcore_copy_in(batch, src, (size_t)n * sizeof *batch);
	return r < 0 ? r : n;
}

/* Linux's checks before any transfer: the count, every entry readable,
 * the total representable. */
static long check_iov(const struct iovec *uiov, long cnt)
{
	if (cnt < 0 || cnt > IOV_MAX) return -EINVAL;
	struct iovec batch[IOV_BATCH];
	size_t total = 0;
	for (long first = 0; first < cnt; first += IOV_BATCH) {
		long n = iov_batch(batch, uiov, cnt, first);
		if (n < 0) return n;
		for (long i = 0; i < n; i++) {
			if (batch[i].iov_len > SSIZE_MAX - total) return -EINVAL;
			total += batch[i].iov_len;
		}
	}
	return 0;
}

/* readv/writev a batch at a time: through the type's writev if it has one
 * (writing), else the single-buffer operation one buffer after the other;
 * stops at the first short transfer. Bytes done, or the error if nothing
 * was done. */
static long iov_each(struct chcore_fd *d, const struct iovec *uiov, long cnt, int write)
{
	struct iovec batch[IOV_BATCH];
	long total = 0, r = 0;
	for (long first = 0; first < cnt; first += IOV_BATCH) {
		long n = iov_batch(batch, uiov, cnt, first);
		if (n < 0) {
			r = n;
			break;
		}
		if (write && d->ops->writev) {
			size_t want = 0;
			for (long i = 0; i < n; i++) want += batch[i].iov_len;
			r = d->ops->writev(d, batch, (int)n);
			if (r < 0) break;
			total += r;
			if ((size_t)r < want) break;
			continue;
		}
		for (long i = 0; i < n; i++) {
			if (batch[i].iov_len == 0) continue;
			r = write ? d->ops->write(d, batch[i].iov_base, batch[i].iov_len)
			          : d->ops->read(d, batch[i].iov_base, batch[i].iov_len);
			if (r < 0) goto out;
			total += r;
			if ((size_t)r < batch[i].iov_len) goto out;
		}
	}
out:
	return (total > 0 || r >= 0) ? total : r;
}

CHCORE_LINUX_SYSCALL(readv)
{
	const struct iovec *iov = (const struct iovec *)a1;
	long r = check_iov(iov, a2);
	if (r < 0) return r;
	GET_OR_EBADF(d, a0);
	if (!can_read(d) || !d->ops->read) {
		r = can_read(d) ? -EINVAL : -EBADF;
	} else {
		r = iov_each(d, iov, a2, 0);
	}
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(writev)
{
	const struct iovec *iov = (const struct iovec *)a1;
	long r = check_iov(iov, a2);
	if (r < 0) return r;
	GET_OR_EBADF(d, a0);
	if (!can_write(d)) {
		r = -EBADF;
	} else if (!d->ops->writev && !d->ops->write) {
		r = -EINVAL;
	} else {
		r = iov_each(d, iov, a2, 1);
	}
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(pread64)
{
	if (a3 < 0) return -EINVAL;
	GET_OR_EBADF(d, a0);
	long r = !can_read(d) ? -EBADF
	         : d->ops->pread ? d->ops->pread(d, (void *)a1, (size_t)a2, (off_t)a3) : -ESPIPE;
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(pwrite64)
{
	if (a3 < 0) return -EINVAL;
	GET_OR_EBADF(d, a0);
	long r = !can_write(d) ? -EBADF
	         : d->ops->pwrite ? d->ops->pwrite(d, (const void *)a1, (size_t)a2, (off_t)a3) : -ESPIPE;
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(lseek)
{
	GET_OR_EBADF(d, a0);
	long r = d->ops->lseek ? d->ops->lseek(d, (off_t)a1, (int)a2) : -ESPIPE;
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(ioctl)
{
	int fd = (int)a0;
	unsigned long req = (unsigned long)a1 & 0xffffffffu;
	GET_OR_EBADF(d, fd);
	long r;
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		LOCK(fd_lock);
		cloexec[fd] = req == FIOCLEX;
		UNLOCK(fd_lock);
		r = 0;
		break;
	case FIONBIO: {
		int on;
		r = __chcore_copy_in(&on, (const void *)a2, sizeof on);
		if (r < 0) break;
		if (on)
			__atomic_or_fetch(&d->flags, O_NONBLOCK, __ATOMIC_RELAXED);
		else
			__atomic_and_fetch(&d->flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
		break;
	}
	default:
		r = d->ops->ioctl ? d->ops->ioctl(d, req, (void *)a2) : -ENOTTY;
	}
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(fcntl)
{
	int fd = (int)a0, cmd = (int)a1;
	GET_OR_EBADF(d, fd);
	long r;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* Linux: a minimum at or above RLIMIT_NOFILE is EINVAL; no
		 * free fd from there up to it is EMFILE. */
		if (a2 < 0 || a2 >= fd_limit()) {
			r = -EINVAL;
			break;
		}
		/* The new entry takes over our reference. */
		return __chcore_fd_install(d, (int)a2, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		r = cloexec[fd] ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		LOCK(fd_lock);
		cloexec[fd] = (a2 & FD_CLOEXEC) != 0;
		UNLOCK(fd_lock);
		r = 0;
		break;
	case F_GETFL:
		r = d->flags;
		break;
	case F_SETFL: {
		const int settable = O_APPEND | O_NONBLOCK;
		int old = __atomic_load_n(&d->flags, __ATOMIC_RELAXED), new;
		do {
			new = (old & ~settable) | ((int)a2 & settable);
		} while (!__atomic_compare_exchange_n(&d->flags, &old, new, 0, __ATOMIC_RELAXED,
		                                      __ATOMIC_RELAXED));
		r = 0;
		break;
	}
	default:
		r = d->ops->fcntl ? d->ops->fcntl(d, cmd, a2) : -EINVAL;
	}
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(close)
{
	int fd = (int)a0;
	if (!fd_ready) __chcore_fd_init();
	if ((unsigned)fd >= CHCORE_FD_MAX) return -EBADF;
	LOCK(fd_lock);
	struct chcore_fd *d = fds[fd];
	fds[fd] = 0;
	cloexec[fd] = 0;
	UNLOCK(fd_lock);
	if (d == 0) return -EBADF;
	__chcore_fd_put(d);
	return 0;
}

CHCORE_LINUX_SYSCALL(dup)
{
	GET_OR_EBADF(d, a0);
	return __chcore_fd_install(d, 0, 0);
}

CHCORE_LINUX_SYSCALL(dup3)
{
	int oldfd = (int)a0, newfd = (int)a1, flags = (int)a2;
	if (flags & ~O_CLOEXEC) return -EINVAL;
	if (oldfd == newfd) return -EINVAL;
	/* Linux: a target at or above RLIMIT_NOFILE is EBADF. */
	if (newfd < 0 || newfd >= fd_limit()) return -EBADF;
	GET_OR_EBADF(d, oldfd);
	LOCK(fd_lock);
	struct chcore_fd *prev = fds[newfd];
	fds[newfd] = d; /* takes over our reference */
	cloexec[newfd] = (flags & O_CLOEXEC) != 0;
	UNLOCK(fd_lock);
	if (prev) __chcore_fd_put(prev);
	return newfd;
}

CHCORE_LINUX_SYSCALL(fstat)
{
	GET_OR_EBADF(d, a0);
	struct kstat st;
	long r = d->ops->fstat ? d->ops->fstat(d, &st) : -ENOSYS;
	__chcore_fd_put(d);
	if (r >= 0) r = __chcore_copy_out((void *)a1, &st, sizeof st);
	return r;
}

/* ppoll(fds, nfds, timeout, sigmask, sigsetsize): asks every description's
 * poll op; until something is ready or the time is up, waits. When every
 * fd is the console and one of them wants input (a program waiting on
 * stdin), it waits in the kernel until input arrives or the deadline
 * passes, using no CPU; otherwise by yielding, then sleeping up to 10 ms
 * at a time. The caller's array is copied in once and back (with the
 * revents) at the end; its checks come in Linux's order: the timeout,
 * the signal mask (checked, then ignored), nfds against RLIMIT_NOFILE,
 * the array. */
CHCORE_LINUX_SYSCALL(ppoll)
{
	struct pollfd *upfd = (struct pollfd *)a0;
	unsigned long n = (unsigned long)a1;
	const struct timespec *utmo = (const struct timespec *)a2;
	unsigned long deadline = ~0ul;
	if (utmo) {
		struct timespec tmo;
		if (__chcore_copy_in(&tmo, utmo, sizeof tmo) < 0) return -EFAULT;
		if (tmo.tv_sec < 0 || (unsigned long)tmo.tv_nsec >= 1000000000ul) return -EINVAL;
		unsigned long ns = (unsigned long)tmo.tv_sec > (~0ul >> 31) ? ~0ul >> 1
		                   : (unsigned long)tmo.tv_sec * 1000000000ul + tmo.tv_nsec;
		deadline = __chcore_monotonic_ns() + ns;
	}
	if (a3) {
		unsigned long mask;
		if ((unsigned long)a4 != sizeof mask) return -EINVAL;
		if (__chcore_copy_in(&mask, (const void *)a3, sizeof mask) < 0) return -EFAULT;
	}
	if (n > __chcore_rlimit(RLIMIT_NOFILE) || n > CHCORE_FD_MAX) return -EINVAL;
	struct pollfd pfd[n ? n : 1];
	if (__chcore_copy_in(pfd, upfd, n * sizeof *pfd) < 0) return -EFAULT;
	long count;
	for (unsigned round = 0;; round++) {
		int console_only = 1, console_input = 0;
		count = 0;
		for (unsigned long i = 0; i < n; i++) {
			pfd[i].revents = 0;
			if (pfd[i].fd < 0) continue;
			struct chcore_fd *d = __chcore_fd_get(pfd[i].fd);
			if (d == 0) {
				pfd[i].revents = POLLNVAL;
			} else {
				if (!__chcore_fd_is_console(d))
					console_only = 0;
				else if (pfd[i].events & (POLLIN | POLLRDNORM))
					console_input = 1;
				int want = pfd[i].events | POLLERR | POLLHUP;
				int ready = d->ops->poll ? d->ops->poll(d, want)
				            : want & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
				pfd[i].revents = (short)(ready & want);
				__chcore_fd_put(d);
			}
			if (pfd[i].revents) count++;
		}
		if (count > 0) break;
		unsigned long now = __chcore_monotonic_ns();
		if (now >= deadline) break;
		if (console_only && console_input) {
			long r = __chcore_console_wait_input(deadline);
			if (r == -ETIMEDOUT) break;
			if (r >= 0) continue;
		}
		if (round < 16) {
			__chcore_sys_yield();
		} else {
			unsigned long step = 1000000ul * (round < 56 ? 1 + (round - 16) / 4 : 10);
			if (step > deadline - now) step = deadline - now;
			__chcore_sleep_ns(step);
		}
	}
	if (__chcore_copy_out(upfd, pfd, n * sizeof *pfd) < 0) return -EFAULT;
	return count;
}
