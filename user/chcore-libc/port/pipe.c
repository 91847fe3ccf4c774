/* chcore-libc: pipes. A pipe's ends are kernel objects (kernel/ipc/pipe.h,
 * docs/pipes.md); a pipe description holds the capability to one end and
 * reads and writes with the kernel's pipe_read and pipe_write, which block
 * in the kernel. The end object is the open file description Linux has:
 * its O_NONBLOCK is kept there, shared with every process holding the end,
 * and the other side sees end-of-file or EPIPE when the last capability to
 * it goes, in whatever way its holders ended. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <string.h>
#include "kstat.h"
#include "chcore_fd.h"
#include "chcore_native.h"
#include "uapi/pipe.h"

/* Linux's numbers (fcntl.h shows them only to _GNU_SOURCE). */
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static unsigned slot_of(struct chcore_fd *d)
{
	return (unsigned)(unsigned long)d->priv;
}

static long pipe_read(struct chcore_fd *d, void *buf, size_t len)
{
	return __chcore_sys_pipe_read(slot_of(d), (unsigned long)buf, len, 0);
}

/* The kernel writes at most what fits; a blocking write goes on until all
 * of it is written (as Linux's does), a non-blocking one stops at the
 * first refusal. */
static long pipe_write(struct chcore_fd *d, const void *buf, size_t len)
{
	size_t done = 0;
	do {
		long r = __chcore_sys_pipe_write(slot_of(d), (unsigned long)buf + done, len - done, 0);
		if (r < 0) return done > 0 ? (long)done : r;
		done += (size_t)r;
	} while (done < len);
	return (long)done;
}

static long pipe_close(struct chcore_fd *d)
{
	__chcore_sys_revoke_cap(slot_of(d), CHCORE_REVOKE_SELF);
	return 0;
}

static long pipe_ioctl(struct chcore_fd *d, unsigned long req, void *arg)
{
	if (req != FIONREAD) return -ENOTTY;
	long n = __chcore_sys_pipe_ctl(slot_of(d), CHCORE_PIPE_NREAD, 0);
	if (n < 0) return n;
	int v = (int)n;
	return __chcore_copy_out(arg, &v, sizeof v);
}

static long pipe_fcntl(struct chcore_fd *d, int cmd, long arg)
{
	(void)arg;
	switch (cmd) {
	case F_GETPIPE_SZ:
		return __chcore_sys_pipe_ctl(slot_of(d), CHCORE_PIPE_GET_SIZE, 0);
	case F_SETPIPE_SZ:
		/* The size is fixed: a request up to it is met (Linux rounds
		 * up too), a larger one is refused as over the limit. */
		if (arg < 0) return -EINVAL;
		return arg <= CHCORE_PIPE_SIZE ? CHCORE_PIPE_SIZE : -EPERM;
	}
	return -EINVAL;
}

/* The end's status flags live in the kernel, shared with other holders. */
static int pipe_getfl(struct chcore_fd *d)
{
	long k = __chcore_sys_pipe_ctl(slot_of(d), CHCORE_PIPE_GET_FLAGS, 0);
	int f = d->flags & ~O_NONBLOCK;
	return k > 0 && (k & CHCORE_PIPE_NONBLOCK) ? f | O_NONBLOCK : f;
}

static void pipe_setfl(struct chcore_fd *d, int flags)
{
	__chcore_sys_pipe_ctl(slot_of(d), CHCORE_PIPE_SET_FLAGS,
	                      (flags & O_NONBLOCK) ? CHCORE_PIPE_NONBLOCK : 0);
}

static int pipe_poll(struct chcore_fd *d, int events)
{
	struct chcore_poll_item it = {slot_of(d), 0, 0};
	if (events & (POLLIN | POLLRDNORM)) it.events |= CHCORE_POLLIN;
	if (events & (POLLOUT | POLLWRNORM)) it.events |= CHCORE_POLLOUT;
	if (__chcore_sys_poll((unsigned long)&it, 1, CHCORE_POLL_NOW) < 0) return POLLERR;
	return __chcore_poll_revents(it.revents, events);
}

static unsigned pipe_wait_slot(struct chcore_fd *d)
{
	return slot_of(d);
}

static long pipe_fstat(struct chcore_fd *d, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_ino = slot_of(d);
	st->st_dev = 0x10; /* pipefs-like: not any mount's */
	return 0;
}

static const struct chcore_fd_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.close = pipe_close,
	.ioctl = pipe_ioctl,
	.fcntl = pipe_fcntl,
	.poll = pipe_poll,
	.fstat = pipe_fstat,
	.getfl = pipe_getfl,
	.setfl = pipe_setfl,
	.wait_slot = pipe_wait_slot,
};

/* A description of the end in `slot` (the caller's capability, which the
 * description takes over). NULL when the pool is exhausted (the
 * capability is then released). */
static struct chcore_fd *pipe_desc(unsigned slot, int flags)
{
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_PIPE, &pipe_ops, flags,
	                                      (void *)(unsigned long)slot);
	if (!d) {
		__chcore_sys_revoke_cap(slot, CHCORE_REVOKE_SELF);
		return 0;
	}
	/* /proc/<pid>/fd's "pipe:[N]", N as fstat's st_ino. */
	char num[12], *p = num + sizeof num;
	*--p = 0;
	do *--p = (char)('0' + slot % 10); while ((slot /= 10) != 0);
	memcpy(d->tag, "pipe:[", 6);
	size_t n = strlen(p);
	memcpy(d->tag + 6, p, n);
	memcpy(d->tag + 6 + n, "]", 2);
	d->name = d->tag;
	return d;
}

CHCORE_LINUX_SYSCALL(pipe2)
{
	int *ufds = (int *)a0;
	int flags = (int)a1;
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
	unsigned slots[2];
	long r = __chcore_sys_pipe_create((unsigned long)slots,
	                                  (flags & O_NONBLOCK) ? CHCORE_PIPE_NONBLOCK : 0);
	if (r < 0) return r;
	int status = flags & O_NONBLOCK;
	struct chcore_fd *rd = pipe_desc(slots[0], O_RDONLY | status);
	struct chcore_fd *wr = pipe_desc(slots[1], O_WRONLY | status);
	if (!rd || !wr) {
		if (rd) __chcore_fd_put(rd);
		if (wr) __chcore_fd_put(wr);
		return -ENFILE;
	}
	int fd[2];
	fd[0] = __chcore_fd_install(rd, 0, flags & O_CLOEXEC);
	if (fd[0] < 0) {
		__chcore_fd_put(wr);
		return fd[0];
	}
	fd[1] = __chcore_fd_install(wr, 0, flags & O_CLOEXEC);
	if (fd[1] < 0) {
		__chcore_linux_close(fd[0], 0, 0, 0, 0, 0);
		return fd[1];
	}
	if (__chcore_copy_out(ufds, fd, sizeof fd) < 0) {
		__chcore_linux_close(fd[0], 0, 0, 0, 0, 0);
		__chcore_linux_close(fd[1], 0, 0, 0, 0, 0);
		return -EFAULT;
	}
	return 0;
}

/* ---- Passing ends to a child (spawn.c) ------------------------------------------- */

unsigned __chcore_pipe_slot(struct chcore_fd *d)
{
	return d->type == CHCORE_FD_PIPE ? slot_of(d) : ~0u;
}

void __chcore_pipe_import(int fd, unsigned slot, int flags)
{
	struct chcore_fd *d = pipe_desc(slot, flags);
	if (d) __chcore_fd_install_at(d, fd);
}
