/* chcore-libc: the character devices of /dev (devfs holds their names).
 *
 * Opening /dev/null, /dev/zero, /dev/full, /dev/random or /dev/urandom
 * gives a description of type CHCORE_FD_DEVICE whose ops are here: the
 * devices do their work in the process, with no call to a server per read
 * or write (as Linux's drivers do theirs in the kernel). /dev/tty and
 * /dev/console give the process's console description (console.c). file.c
 * recognises them by st_rdev when openat has found them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "kstat.h"
#include "lock.h"
#include "chcore_fd.h"

#define MAJMIN(ma, mi) (((unsigned long)(ma) << 8) | (mi))
#define DEV_NULL MAJMIN(1, 3)
#define DEV_ZERO MAJMIN(1, 5)
#define DEV_FULL MAJMIN(1, 7)
#define DEV_RANDOM MAJMIN(1, 8)
#define DEV_URANDOM MAJMIN(1, 9)
#define DEV_TTY MAJMIN(5, 0)
#define DEV_CONSOLE MAJMIN(5, 1)

static unsigned long rdev_of(struct chcore_fd *d)
{
	return (unsigned long)d->priv;
}

static long dev_read(struct chcore_fd *d, void *buf, size_t len)
{
	switch (rdev_of(d)) {
	case DEV_NULL:
		return 0;
	case DEV_RANDOM:
	case DEV_URANDOM:
		/* The kernel's generator writes the caller's buffer itself (and
		 * checks it). It never blocks: random is urandom, as on Linux
		 * since 5.6 once seeded. */
		return __chcore_sys_getrandom((unsigned long)buf, len, 0);
	default: { /* zero, full */
		static const char zeros[1024];
		size_t done = 0;
		while (done < len) {
			size_t n = len - done < sizeof zeros ? len - done : sizeof zeros;
			if (__chcore_copy_out((char *)buf + done, zeros, n) < 0) return done ? (long)done : -EFAULT;
			done += n;
		}
		return (long)done;
	}
	}
}

static long dev_write(struct chcore_fd *d, const void *buf, size_t len)
{
	(void)buf;
	return rdev_of(d) == DEV_FULL ? -ENOSPC : (long)len;
}

static long dev_pread(struct chcore_fd *d, void *buf, size_t len, off_t off)
{
	(void)off;
	return dev_read(d, buf, len);
}

static long dev_pwrite(struct chcore_fd *d, const void *buf, size_t len, off_t off)
{
	(void)off;
	return dev_write(d, buf, len);
}

static long dev_lseek(struct chcore_fd *d, off_t off, int whence)
{
	(void)d;
	(void)off;
	(void)whence;
	return 0;
}

static long dev_fstat(struct chcore_fd *d, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0666;
	st->st_rdev = rdev_of(d);
	st->st_nlink = 1;
	st->st_blksize = 4096;
	if (d->name) __chcore_device_node(d->name, st);
	return 0;
}

void __chcore_device_node(const char *path, struct kstat *st)
{
	static struct {
		const char *path;
		unsigned long dev, ino;
	} known[8];
	static volatile int lock[1];
	LOCK(lock);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (known[i].path != path) continue;
		st->st_dev = known[i].dev;
		st->st_ino = known[i].ino;
		UNLOCK(lock);
		return;
	}
	UNLOCK(lock);
	struct kstat n;
	if (__chcore_stat_path(path, &n) < 0) return;
	st->st_dev = n.st_dev;
	st->st_ino = n.st_ino;
	LOCK(lock);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (known[i].path && known[i].path != path) continue;
		known[i].path = path;
		known[i].dev = n.st_dev;
		known[i].ino = n.st_ino;
		break;
	}
	UNLOCK(lock);
}

static const struct chcore_fd_ops device_ops = {
	.read = dev_read,
	.write = dev_write,
	.lseek = dev_lseek,
	.pread = dev_pread,
	.pwrite = dev_pwrite,
	.fstat = dev_fstat,
};

/* The description for a device node found by openat: a new one, or the
 * console's (with a reference for the caller); NULL with *err for a
 * device this library has no driver for (ENXIO, as Linux says). */
struct chcore_fd *__chcore_device_open(unsigned long rdev, int flags, long *err)
{
	if (rdev == DEV_TTY || rdev == DEV_CONSOLE) {
		struct chcore_fd *d = &__chcore_console_fds[0];
		__chcore_fd_hold(d);
		return d;
	}
	if (rdev != DEV_NULL && rdev != DEV_ZERO && rdev != DEV_FULL && rdev != DEV_RANDOM &&
	    rdev != DEV_URANDOM) {
		*err = -ENXIO;
		return 0;
	}
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_DEVICE, &device_ops,
	                                      flags & (O_ACCMODE | O_APPEND | O_NONBLOCK),
	                                      (void *)rdev);
	if (!d) {
		*err = -ENFILE;
		return 0;
	}
	d->name = rdev == DEV_NULL     ? "/dev/null"
	          : rdev == DEV_ZERO   ? "/dev/zero"
	          : rdev == DEV_FULL   ? "/dev/full"
	          : rdev == DEV_RANDOM ? "/dev/random"
	                               : "/dev/urandom";
	return d;
}

/* For spawn.c: a device description's number (0 if d is none). */
unsigned long __chcore_device_rdev(struct chcore_fd *d)
{
	return d->type == CHCORE_FD_DEVICE ? rdev_of(d) : 0;
}
