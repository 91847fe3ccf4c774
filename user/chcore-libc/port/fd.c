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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "kstat.h"
#include "lock.h"
#include "chcore_fd.h"
#include "chcore_native.h"
#include "uapi/object.h"
#include "uapi/pipe.h"

static struct chcore_fd *fds[CHCORE_FD_MAX];
static unsigned char cloexec[CHCORE_FD_MAX];
/* The descriptions: CHCORE_FD_POOL_CHUNK in the program's data, more in
 * chunks from the heap as a program opens more (up to CHCORE_FD_POOL), so
 * that a small program's image does not carry space for 1024 of them
 * (every page of data costs a spawn a page to allocate and zero). Chunks
 * are never freed: a description's address stays valid. */
struct pool_chunk {
	struct chcore_fd d[CHCORE_FD_POOL_CHUNK];
	struct pool_chunk *next;
};
static struct pool_chunk pool0;
static int pool_chunks = 1;
static volatile int fd_lock[1];
static int fd_ready;
/* One past the highest fd ever installed (under fd_lock): what a walk over
 * the table (a spawn's inherited fds) has to look at, rather than all
 * CHCORE_FD_MAX entries. */
static int fds_end;

/* What /proc/<pid>/fd/ and cwd show of this process: the table, each
 * description's name, the working directory. The kernel keeps the block's
 * address (set_proc_info; a fork's child inherits it, an exec starts
 * anew) and procmgr reads the block and what it points to from outside
 * (cap_group_read), without telling us: nothing here is locked for it, and
 * it checks what it reads (uapi/object.h). */
static struct chcore_proc_info proc_info;

/* fds 0-2 are the console. Runs from the start-up constructor, and before it
 * if something uses an fd earlier (another constructor, say). */
void __chcore_fd_init(void)
{
	if (fd_ready) return;
	for (int i = 0; i < 3; i++) {
		__chcore_console_fds[i].refs = 1;
		fds[i] = &__chcore_console_fds[i];
	}
	fds_end = 3;
	fd_ready = 1;
	proc_info = (struct chcore_proc_info){
		.magic = CHCORE_PROC_INFO_MAGIC,
		.fd_max = CHCORE_FD_MAX,
		.fds = (unsigned long)fds,
		.fds_end = (unsigned long)&fds_end,
		.name_off = offsetof(struct chcore_fd, name),
		.cwd = (unsigned long)__chcore_cwd_buffer(),
	};
	__chcore_sys_set_proc_info((unsigned long)&proc_info);
}

/* Descriptions of the pool in use, per type (with fd_lock): __chcore_fd_each
 * of a type nobody uses (files, at every fork of a program that has none
 * open) scans nothing. */
static int live_of_type[CHCORE_FD_SIGNALFD + 1];

/* A free description of the pool, set up; NULL if none. With fd_lock. */
static struct chcore_fd *take_free(int type, const struct chcore_fd_ops *ops, int flags, void *priv)
{
	for (struct pool_chunk *c = &pool0; c; c = c->next) {
		for (int i = 0; i < CHCORE_FD_POOL_CHUNK; i++) {
			struct chcore_fd *d = &c->d[i];
			if (d->type != CHCORE_FD_FREE) continue;
			d->type = type;
			if ((unsigned)type <= CHCORE_FD_SIGNALFD) live_of_type[type]++;
			d->refs = 1; /* the caller's: install takes it over, put drops it */
			d->flags = flags;
			d->ops = ops;
			d->priv = priv;
			d->offset = 0;
			d->name = 0;
			return d;
		}
	}
	return 0;
}

struct chcore_fd *__chcore_fd_new(int type, const struct chcore_fd_ops *ops, int flags, void *priv)
{
	LOCK(fd_lock);
	struct chcore_fd *d = take_free(type, ops, flags, priv);
	int grow = !d && pool_chunks * CHCORE_FD_POOL_CHUNK < CHCORE_FD_POOL;
	UNLOCK(fd_lock);
	if (!grow) return d;
	/* A new chunk (allocated without the lock; another thread may have
	 * added one meanwhile, then this one goes back). */
	struct pool_chunk *c = calloc(1, sizeof *c);
	if (!c) return 0;
	LOCK(fd_lock);
	d = take_free(type, ops, flags, priv);
	if (!d && pool_chunks * CHCORE_FD_POOL_CHUNK < CHCORE_FD_POOL) {
		struct pool_chunk *last = &pool0;
		while (last->next) last = last->next;
		last->next = c;
		pool_chunks++;
		c = 0;
		d = take_free(type, ops, flags, priv);
	}
	UNLOCK(fd_lock);
	free(c);
	return d;
}

void __chcore_fd_each(int type, void (*fn)(struct chcore_fd *, void *), void *ctx)
{
	LOCK(fd_lock);
	if ((unsigned)type > CHCORE_FD_SIGNALFD || live_of_type[type] > 0)
		for (struct pool_chunk *c = &pool0; c; c = c->next)
			for (int i = 0; i < CHCORE_FD_POOL_CHUNK; i++)
				if (c->d[i].type == type) fn(&c->d[i], ctx);
	UNLOCK(fd_lock);
}

void __chcore_fd_after_fork(void)
{
	CHCORE_SET(fd_lock[0], 0);
}

static void release(struct chcore_fd *d)
{
	if (d->ops->close) d->ops->close(d);
	LOCK(fd_lock);
	if ((unsigned)d->type <= CHCORE_FD_SIGNALFD) live_of_type[d->type]--;
	d->type = CHCORE_FD_FREE;
	UNLOCK(fd_lock);
}

static int counted(const struct chcore_fd *d)
{
	return d < __chcore_console_fds || d >= __chcore_console_fds + 3;
}

void __chcore_fd_hold(struct chcore_fd *d)
{
	if (counted(d)) __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
}

void __chcore_fd_put(struct chcore_fd *d)
{
	if (counted(d) && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0) release(d);
}

long __chcore_fd_free_priv(struct chcore_fd *d)
{
	free(d->priv);
	return 0;
}

long __chcore_fd_anon_fstat(struct chcore_fd *d, struct kstat *st)
{
	(void)d;
	*st = (struct kstat){ 0 };
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	return 0;
}

struct chcore_fd *__chcore_fd_get(int fd)
{
	if (!fd_ready) __chcore_fd_init();
	if ((unsigned)fd >= CHCORE_FD_MAX) return 0;
	LOCK(fd_lock);
	struct chcore_fd *d = fds[fd];
	if (d) __chcore_fd_hold(d);
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
			if (i >= fds_end) fds_end = i + 1;
			fd = i;
			break;
		}
	}
	UNLOCK(fd_lock);
	if (fd < 0) __chcore_fd_put(d);
	return fd;
}

/* What a spawned child inherits: the description of every fd without
 * FD_CLOEXEC, with a reference each, into out[fd] (out has CHCORE_FD_MAX
 * entries, NULL where nothing is inherited). Returns one past the highest
 * fd set. One pass under the lock: a consistent snapshot. */
int __chcore_fd_inheritable(struct chcore_fd **out)
{
	if (!fd_ready) __chcore_fd_init();
	int end = 0;
	LOCK(fd_lock);
	for (int fd = 0; fd < fds_end; fd++) {
		struct chcore_fd *d = fds[fd];
		if (!d || cloexec[fd]) continue;
		__chcore_fd_hold(d);
		out[fd] = d;
		end = fd + 1;
	}
	UNLOCK(fd_lock);
	return end;
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
	if (fd >= fds_end) fds_end = fd + 1;
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

/* sendfile: a read-and-write loop through a buffer of the port's (BusyBox's
 * cat, cp and tar use it before falling back to read and write). With an
 * offset, in_fd is read with pread from *offset, which is updated, and its
 * position stays; without, in_fd is read from its position. It stops at the
 * end of the input or a short write; an error after some bytes have moved
 * returns the bytes, as on Linux. */
#define SENDFILE_CHUNK 4096

CHCORE_LINUX_SYSCALL(sendfile)
{
	off_t off = 0;
	off_t *uoff = (off_t *)a2;
	long count = a3, done = 0, r = 0;
	if (count < 0) return -EINVAL;
	if (uoff && (r = __chcore_copy_in(&off, uoff, sizeof off)) < 0) return r;
	if (uoff && off < 0) return -EINVAL;
	struct chcore_fd *out = __chcore_fd_get((int)a0);
	if (out == 0) return -EBADF;
	struct chcore_fd *in = __chcore_fd_get((int)a1);
	if (in == 0) {
		__chcore_fd_put(out);
		return -EBADF;
	}
	if (!can_read(in) || !can_write(out)) r = -EBADF;
	else if (!in->ops->read || !out->ops->write) r = -EINVAL;
	else if (uoff && !in->ops->pread) r = -ESPIPE;
	char buf[SENDFILE_CHUNK];
	while (r == 0 && done < count) {
		size_t want = count - done < SENDFILE_CHUNK ? (size_t)(count - done) : SENDFILE_CHUNK;
		long got = uoff ? in->ops->pread(in, buf, want, off) : in->ops->read(in, buf, want);
		if (got <= 0) {
			r = got;
			break;
		}
		long put = 0;
		while (put < got) {
			long w = out->ops->write(out, buf + put, (size_t)(got - put));
			if (w <= 0) {
				r = w < 0 ? w : -EIO;
				break;
			}
			put += w;
		}
		done += put;
		off += put;
		if (put < got && !uoff && in->ops->lseek) /* give back what was not written */
			in->ops->lseek(in, put - got, SEEK_CUR);
	}
	__chcore_fd_put(in);
	__chcore_fd_put(out);
	if (uoff && done > 0) __chcore_copy_out(uoff, &off, sizeof off);
	return done > 0 ? done : r;
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
		int now = on ? __atomic_or_fetch(&d->flags, O_NONBLOCK, __ATOMIC_RELAXED)
		             : __atomic_and_fetch(&d->flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
		if (d->ops->setfl) d->ops->setfl(d, now);
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
		r = d->ops->getfl ? d->ops->getfl(d) : d->flags;
		break;
	case F_SETFL: {
		const int settable = O_APPEND | O_NONBLOCK;
		int old = __atomic_load_n(&d->flags, __ATOMIC_RELAXED), new;
		do {
			new = (old & ~settable) | ((int)a2 & settable);
		} while (!__atomic_compare_exchange_n(&d->flags, &old, new, 0, __ATOMIC_RELAXED,
		                                      __ATOMIC_RELAXED));
		if (d->ops->setfl) d->ops->setfl(d, new);
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
	if (newfd >= fds_end) fds_end = newfd + 1;
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

/* ---- Waiting for several fds: ppoll, pselect6 (epoll.c builds on them) ---------- */

int __chcore_poll_revents(int k, int events)
{
	int r = k & (POLLERR | POLLHUP | POLLNVAL);
	if (k & CHCORE_POLLIN) r |= events & (POLLIN | POLLRDNORM);
	if (k & CHCORE_POLLOUT) r |= events & (POLLOUT | POLLWRNORM);
	return r;
}

/* Descriptions the kernel can wait on (pipe ends, the console:
 * fd_ops.wait_slot) go to its poll call; the others answer through
 * fd_ops.poll. If one of those is ready the kernel only looks; else it
 * blocks until one of its objects has an event or the deadline, using no
 * CPU meanwhile. A description of neither kind that is not ready (an epoll
 * fd inside a poll set) has nothing to wake its poller: then the wait goes
 * in steps (yields, then sleeps of up to 10 ms) with a new look after each.
 * The descriptions stay referenced until the kernel has answered, so a
 * concurrent close cannot hand their slots to something else. */
static long poll_round(struct pollfd *pfd, unsigned long n, unsigned long deadline, int *unwaitable)
{
	struct chcore_fd *held[n ? n : 1];
	struct chcore_poll_item items[n ? n : 1];
	unsigned idx[n ? n : 1];
	unsigned long nk = 0;
	long count = 0;
	*unwaitable = 0;
	for (unsigned long i = 0; i < n; i++) {
		held[i] = 0;
		pfd[i].revents = 0;
		if (pfd[i].fd < 0) continue;
		struct chcore_fd *d = __chcore_fd_get(pfd[i].fd);
		if (d == 0) {
			pfd[i].revents = POLLNVAL;
			count++;
			continue;
		}
		held[i] = d;
		if (d->ops->wait_slot) {
			struct chcore_poll_item *it = &items[nk];
			it->slot = d->ops->wait_slot(d);
			it->events = 0;
			it->revents = 0;
			if (pfd[i].events & (POLLIN | POLLRDNORM)) it->events |= CHCORE_POLLIN;
			if (pfd[i].events & (POLLOUT | POLLWRNORM)) it->events |= CHCORE_POLLOUT;
			idx[nk++] = (unsigned)i;
			continue;
		}
		int want = pfd[i].events | POLLERR | POLLHUP;
		int ready = d->ops->poll ? d->ops->poll(d, want)
		            : want & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
		pfd[i].revents = (short)(ready & want);
		if (pfd[i].revents)
			count++;
		else if (d->ops->poll)
			*unwaitable = 1;
	}
	/* The kernel only looks when something is ready already or when the
	 * caller goes on in steps; else it waits (with no items: a sleep). */
	unsigned long kdl = count > 0 || *unwaitable ? CHCORE_POLL_NOW : deadline;
	long r = 0;
	if (nk > 0 || kdl != CHCORE_POLL_NOW) {
		r = __chcore_sys_poll((unsigned long)items, nk, kdl);
		for (unsigned long k = 0; r >= 0 && k < nk; k++) {
			struct pollfd *p = &pfd[idx[k]];
			p->revents = (short)__chcore_poll_revents(items[k].revents, p->events);
			if (p->revents) count++;
		}
	}
	for (unsigned long i = 0; i < n; i++)
		if (held[i]) __chcore_fd_put(held[i]);
	return r < 0 ? r : count;
}

long __chcore_poll_fds(struct pollfd *pfd, unsigned long n, unsigned long deadline)
{
	for (unsigned round = 0;; round++) {
		int unwaitable;
		unsigned long now = __chcore_monotonic_ns();
		/* Each round's deadline: the real one, or one step on. */
		unsigned long dl = deadline;
		if (now >= deadline) dl = CHCORE_POLL_NOW;
		long count = poll_round(pfd, n, dl, &unwaitable);
		if (count != 0 || !unwaitable || dl == CHCORE_POLL_NOW) return count;
		now = __chcore_monotonic_ns();
		if (now >= deadline) return 0;
		if (round < 16) {
			__chcore_sys_yield();
		} else {
			unsigned long step = 1000000ul * (round < 56 ? 1 + (round - 16) / 4 : 10);
			if (step > deadline - now) step = deadline - now;
			__chcore_sleep_ns(step);
		}
	}
}

/* An absolute CLOCK_MONOTONIC deadline from a relative timeout (~0ul for
 * none); -EINVAL for an invalid one. */
static long deadline_from(const struct timespec *tmo, unsigned long *out)
{
	*out = ~0ul;
	if (!tmo) return 0;
	if (tmo->tv_sec < 0 || (unsigned long)tmo->tv_nsec >= 1000000000ul) return -EINVAL;
	unsigned long ns = (unsigned long)tmo->tv_sec > (~0ul >> 31) ? ~0ul >> 1
	                   : (unsigned long)tmo->tv_sec * 1000000000ul + tmo->tv_nsec;
	*out = __chcore_monotonic_ns() + ns;
	if (*out == ~0ul) *out -= 1;
	return 0;
}

/* ppoll(fds, nfds, timeout, sigmask, sigsetsize). The caller's array is
 * copied in once and back (with the revents) at the end; its checks come
 * in Linux's order: the timeout, the signal mask (checked, then ignored:
 * no signal interrupts a wait yet), nfds against RLIMIT_NOFILE, the
 * array. */
CHCORE_LINUX_SYSCALL(ppoll)
{
	struct pollfd *upfd = (struct pollfd *)a0;
	unsigned long n = (unsigned long)a1;
	const struct timespec *utmo = (const struct timespec *)a2;
	unsigned long deadline = ~0ul;
	if (utmo) {
		struct timespec tmo;
		if (__chcore_copy_in(&tmo, utmo, sizeof tmo) < 0) return -EFAULT;
		long r = deadline_from(&tmo, &deadline);
		if (r < 0) return r;
	}
	if (a3) {
		unsigned long mask;
		if ((unsigned long)a4 != sizeof mask) return -EINVAL;
		if (__chcore_copy_in(&mask, (const void *)a3, sizeof mask) < 0) return -EFAULT;
	}
	if (n > __chcore_rlimit(RLIMIT_NOFILE) || n > CHCORE_FD_MAX) return -EINVAL;
	struct pollfd pfd[n ? n : 1];
	if (__chcore_copy_in(pfd, upfd, n * sizeof *pfd) < 0) return -EFAULT;
	long count = __chcore_poll_fds(pfd, n, deadline);
	if (count < 0) return count;
	if (__chcore_copy_out(upfd, pfd, n * sizeof *pfd) < 0) return -EFAULT;
	return count;
}

/* pselect6(n, readfds, writefds, exceptfds, timeout, {sigmask, size}):
 * the sets become a pollfd array, as Linux's select is poll underneath.
 * An fd in a set that is not open is EBADF; the sets are rewritten with
 * the ready fds only; readable means POLLIN, POLLHUP or POLLERR, writable
 * POLLOUT or POLLERR, exceptional POLLPRI. The timeout is left as given. */
#define FD_WORDS(n) (((n) + 63) / 64)
CHCORE_LINUX_SYSCALL(pselect6)
{
	long n = a0;
	unsigned long *uset[3] = {(unsigned long *)a1, (unsigned long *)a2, (unsigned long *)a3};
	if (n < 0 || n > CHCORE_FD_MAX) return -EINVAL;
	unsigned long deadline = ~0ul;
	if (a4) {
		struct timespec tmo;
		if (__chcore_copy_in(&tmo, (const void *)a4, sizeof tmo) < 0) return -EFAULT;
		long r = deadline_from(&tmo, &deadline);
		if (r < 0) return r;
	}
	if (a5) {
		unsigned long sm[2];
		if (__chcore_copy_in(sm, (const void *)a5, sizeof sm) < 0) return -EFAULT;
		if (sm[0] && sm[1] != 8) return -EINVAL;
	}
	unsigned long set[3][FD_WORDS(CHCORE_FD_MAX)];
	size_t bytes = (size_t)FD_WORDS(n) * 8;
	for (int s = 0; s < 3; s++) {
		memset(set[s], 0, sizeof set[s]);
		if (uset[s] && __chcore_copy_in(set[s], uset[s], bytes) < 0) return -EFAULT;
	}
	struct pollfd pfd[n ? n : 1];
	unsigned long np = 0;
	static const short ev[3] = {POLLIN, POLLOUT, POLLPRI};
	for (long fd = 0; fd < n; fd++) {
		short want = 0;
		for (int s = 0; s < 3; s++)
			if (set[s][fd / 64] >> (fd % 64) & 1) want |= ev[s];
		if (!want) continue;
		pfd[np].fd = (int)fd;
		pfd[np].events = want;
		pfd[np].revents = 0;
		np++;
	}
	long r = __chcore_poll_fds(pfd, np, deadline);
	if (r < 0) return r;
	for (unsigned long i = 0; i < np; i++)
		if (pfd[i].revents & POLLNVAL) return -EBADF;
	for (int s = 0; s < 3; s++) memset(set[s], 0, sizeof set[s]);
	long count = 0;
	static const short got[3] = {POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI};
	for (unsigned long i = 0; i < np; i++) {
		for (int s = 0; s < 3; s++) {
			if ((pfd[i].events & ev[s]) && (pfd[i].revents & got[s])) {
				set[s][pfd[i].fd / 64] |= 1ul << (pfd[i].fd % 64);
				count++;
			}
		}
	}
	for (int s = 0; s < 3; s++)
		if (uset[s] && __chcore_copy_out(uset[s], set[s], bytes) < 0) return -EFAULT;
	return count;
}
