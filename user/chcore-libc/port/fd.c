/* chcore-libc: the fd table and the generic file system calls. Each call
 * finds the open file description of its fd and hands the work to the
 * description's fd_ops (see chcore_fd.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
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

/* Takes over one reference of the caller's for the new entry. */
int __chcore_fd_install(struct chcore_fd *d, int min_fd, int close_on_exec)
{
	if (!fd_ready) __chcore_fd_init();
	int fd = -EMFILE;
	if (min_fd < 0) min_fd = 0;
	LOCK(fd_lock);
	for (int i = min_fd; i < CHCORE_FD_MAX; i++) {
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

static long check_iov(const struct iovec *iov, long cnt)
{
	if (cnt < 0 || cnt > IOV_MAX) return -EINVAL;
	size_t total = 0;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total) return -EINVAL;
		total += iov[i].iov_len;
	}
	return 0;
}

/* readv/writev through the single-buffer operation, one buffer after the
 * other, stopping at the first short transfer: bytes done, or the error if
 * nothing was done. */
static long iov_each(struct chcore_fd *d, const struct iovec *iov, long cnt, int write)
{
	long total = 0, r = 0;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len == 0) continue;
		r = write ? d->ops->write(d, iov[i].iov_base, iov[i].iov_len)
		          : d->ops->read(d, iov[i].iov_base, iov[i].iov_len);
		if (r < 0) break;
		total += r;
		if ((size_t)r < iov[i].iov_len) break;
	}
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
	} else if (d->ops->writev) {
		r = d->ops->writev(d, iov, (int)a2);
	} else if (!d->ops->write) {
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
	case FIONBIO:
		if (*(const int *)a2)
			__atomic_or_fetch(&d->flags, O_NONBLOCK, __ATOMIC_RELAXED);
		else
			__atomic_and_fetch(&d->flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
		r = 0;
		break;
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
		if (a2 < 0 || a2 >= CHCORE_FD_MAX) {
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
	if ((unsigned)newfd >= CHCORE_FD_MAX) return -EBADF;
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
	long r = d->ops->fstat ? d->ops->fstat(d, (struct kstat *)a1) : -ENOSYS;
	__chcore_fd_put(d);
	return r;
}

/* ppoll(fds, nfds, timeout, sigmask, sigsetsize): asks every description's
 * poll op; until something is ready or the time is up, waits. When every
 * fd is the console and one of them wants input (a program waiting on
 * stdin), it waits in the kernel until input arrives or the deadline
 * passes, using no CPU; otherwise by yielding, then sleeping up to 10 ms
 * at a time. */
CHCORE_LINUX_SYSCALL(ppoll)
{
	struct pollfd *pfd = (struct pollfd *)a0;
	unsigned long n = (unsigned long)a1;
	const struct timespec *tmo = (const struct timespec *)a2;
	if (n > CHCORE_FD_MAX) return -EINVAL;
	unsigned long deadline = ~0ul;
	if (tmo) {
		if (tmo->tv_sec < 0 || (unsigned long)tmo->tv_nsec >= 1000000000ul) return -EINVAL;
		unsigned long ns = (unsigned long)tmo->tv_sec > (~0ul >> 31) ? ~0ul >> 1
		                   : (unsigned long)tmo->tv_sec * 1000000000ul + tmo->tv_nsec;
		deadline = __chcore_monotonic_ns() + ns;
	}
	for (unsigned round = 0;; round++) {
		long count = 0;
		int console_only = 1, console_input = 0;
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
		if (count > 0) return count;
		unsigned long now = __chcore_monotonic_ns();
		if (now >= deadline) return 0;
		if (console_only && console_input) {
			long r = __chcore_console_wait_input(deadline);
			if (r == -ETIMEDOUT) return 0;
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
}
