/* chcore-libc: the console, fds 0-2, and the port's own messages.
 *
 * The console is a terminal whose line discipline is the kernel's
 * (kernel/console/input.cpp, docs/terminal.md): canonical mode with line
 * editing and echo, the signal characters, ICRNL on input and ONLCR on
 * output, raw mode with VMIN/VTIME, all as termios says. Output goes to
 * the kernel's putstr in pieces of at most CHCORE_PUTSTR_MAX bytes; input
 * comes from the kernel's console_read, which blocks until there is input
 * (a line, in canonical mode) or, for O_NONBLOCK, returns EAGAIN. The
 * termios ioctls are the kernel's tty_ctl; the foreground process group
 * (TIOCGPGRP/TIOCSPGRP, tcgetpgrp/tcsetpgrp) is procmgr's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include "kstat.h"
#include "lock.h"
#include "chcore_fd.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"
#include "uapi/pipe.h"
#include "uapi/signal.h"
#include "uapi/tty.h"

/* ---- Output ----------------------------------------------------------------- */

static long putstr_all(const char *s, size_t len)
{
	while (len > 0) {
		size_t n = len < CHCORE_PUTSTR_MAX ? len : CHCORE_PUTSTR_MAX;
		long r = __chcore_sys_putstr((unsigned long)s, n);
		if (r < 0) return r;
		if (r == 0) return -EIO;
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Writes the buffers in as few putstr calls as the staging buffer allows
 * (the kernel applies the terminal's ONLCR). The bytes of a caller's buffers (from_caller) are
 * read through __chcore_copy_in, a piece at a time; the port's own
 * messages directly. Returns the input bytes written, or an error if
 * nothing was (-EFAULT for a caller's bad buffer: the bytes before it are
 * written, as Linux's write does up to the fault). */
static long put_translated(const struct iovec *iov, int cnt, int from_caller)
{
	char buf[CHCORE_PUTSTR_MAX];
	char in[1024];
	size_t fill = 0;         /* bytes staged in buf */
	long staged_in = 0;      /* input bytes they stand for */
	long done = 0;           /* input bytes already on the console */
	long err = 0;
	for (int i = 0; i < cnt && !err; i++) {
		uintptr_t s = (uintptr_t)iov[i].iov_base; /* the caller's: maybe NULL */
		for (size_t j = 0; j < iov[i].iov_len && !err;) {
			size_t n = iov[i].iov_len - j;
			const char *p = (const char *)(s + j);
			if (from_caller) {
				if (n > sizeof in) n = sizeof in;
				err = __chcore_copy_in(in, p, n);
				if (err) break;
				p = in;
			}
			for (size_t k = 0; k < n; k++) {
				if (fill + 2 > sizeof buf) {
					long r = putstr_all(buf, fill);
					if (r < 0) return done ? done : r;
					done += staged_in;
					fill = 0;
					staged_in = 0;
				}
				buf[fill++] = p[k];
				staged_in++;
			}
			j += n;
		}
	}
	if (fill > 0) {
		long r = putstr_all(buf, fill);
		if (r < 0) return done ? done : r;
		done += staged_in;
	}
	return done ? done : err;
}

void __chcore_console_raw_crlf(const char *s, size_t len)
{
	struct iovec iov = { (void *)s, len };
	put_translated(&iov, 1, 0);
}

/* ---- Messages of the port ------------------------------------------------------ */

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size) o->buf[o->len++] = c;
}

static void out_s(struct out *o, const char *s)
{
	if (s == 0) s = "(null)";
	while (*s) out_c(o, *s++);
}

static void out_u(struct out *o, unsigned long v, unsigned base, const char *prefix)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	out_s(o, prefix);
	while (n) out_c(o, tmp[--n]);
}

static void out_d(struct out *o, long v)
{
	if (v < 0) {
		out_c(o, '-');
		out_u(o, -(unsigned long)v, 10, "");
	} else {
		out_u(o, (unsigned long)v, 10, "");
	}
}

static int vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	if (size == 0) return 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		int lng = 0;
		fmt++;
		while (*fmt == 'l') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': out_s(&o, va_arg(ap, const char *)); break;
		case 'c': out_c(&o, (char)va_arg(ap, int)); break;
		case 'd': out_d(&o, lng ? va_arg(ap, long) : va_arg(ap, int)); break;
		case 'u': out_u(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, ""); break;
		case 'x': out_u(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, "0x"); break;
		case 'p': out_u(&o, (unsigned long)va_arg(ap, void *), 16, "0x"); break;
		case 'A': {
			long v = va_arg(ap, long);
			if (v > -4096 && v < 65536) out_d(&o, v);
			else out_u(&o, (unsigned long)v, 16, "0x");
			break;
		}
		case '%': out_c(&o, '%'); break;
		case 0: fmt--; break;
		default: out_c(&o, '%'); out_c(&o, *fmt); break;
		}
	}
	o.buf[o.len] = 0;
	return (int)o.len;
}

int __chcore_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void __chcore_message(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vformat(buf, sizeof buf, fmt, ap);
	va_end(ap);
	__chcore_console_raw_crlf(buf, (size_t)n);
}

/* ---- Input ------------------------------------------------------------------- */

/* The kernel buffers what the UART receives (its receive interrupt fills a
 * 4 KiB ring) and console_read blocks the caller until a byte is there, so
 * a waiting reader costs no CPU at all. The port keeps no input buffer of
 * its own: FIONREAD asks the kernel how many bytes wait
 * (CHCORE_CONSOLE_POLL) without taking them, and ppoll waits for input
 * with the kernel's poll call (CHCORE_POLL_CONSOLE). */

/* Bytes waiting in the kernel, without taking or waiting for any. */
static int input_waiting(void)
{
	long r = __chcore_sys_console_read(0, 0, CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_NONBLOCK, 0);
	return r > 0 ? (int)r : 0;
}

/* What the line discipline has for us (a line in canonical mode; 0 at an
 * end of file), up to len: blocks while there is nothing unless
 * O_NONBLOCK (-EAGAIN). The kernel writes the caller's buffer (and checks
 * it before blocking). */
static long pgrp_call2(unsigned op, long w1, long w2);

/* Job control: a process of a background group may not read the terminal.
 * procmgr sends its group SIGTTIN, which by default stops it; once
 * continued it asks again. With a handler for SIGTTIN the read fails with
 * EINTR once the handler has run; ignoring or blocking SIGTTIN (or an
 * orphaned group) makes it fail with EIO, as on Linux. */
static long tty_may(int sig, int change)
{
	for (;;) {
		struct chcore_sigaction sa;
		unsigned long mask;
		if (__chcore_sys_sigaction(sig, 0, (unsigned long)&sa) < 0 ||
		    __chcore_sys_sigprocmask(CHCORE_SIG_BLOCK, 0, (unsigned long)&mask) < 0)
			return -EIO;
		int quiet = sa.handler == CHCORE_SIG_IGN || (mask & CHCORE_SIGBIT(sig));
		long r = pgrp_call2(PROCMGR_TTY_READ, quiet, change);
		if (r <= 0) return r == -ENOSYS || r == -ENOTTY ? 0 : r;
		if (sa.handler != CHCORE_SIG_DFL) return -EINTR;
	}
}

static long may_read(void)
{
	return tty_may(CHCORE_SIGTTIN, 0);
}

/* Before a change of the terminal's settings, and before a write when
 * TOSTOP is set: a process of a background group (in the foreground
 * group's session) is sent SIGTTOU, which by default stops its group;
 * once continued it asks again. With a handler the call fails with EINTR;
 * ignoring or blocking SIGTTOU lets it go on (what shells do), as on
 * Linux; an orphaned group gets EIO. */
static long may_change(void)
{
	return tty_may(CHCORE_SIGTTOU, 1);
}

/* A write asks only when TOSTOP is set (one kernel call to read the
 * settings; procmgr is asked only then). */
static long may_write(void)
{
	struct chcore_termios t;
	if (__chcore_sys_tty_ctl(CHCORE_TTY_GET, (unsigned long)&t, sizeof t) < 0 ||
	    !(t.c_lflag & CHCORE_TOSTOP))
		return 0;
	return may_change();
}

static long console_read(struct chcore_fd *f, void *buf, size_t len)
{
	unsigned long flags = (f->flags & O_NONBLOCK) ? CHCORE_CONSOLE_NONBLOCK : 0;
	if (len == 0) return 0;
	long ok = may_read();
	if (ok < 0) return ok;
	if (len > CHCORE_CONSOLE_READ_MAX) len = CHCORE_CONSOLE_READ_MAX;
	return __chcore_sys_console_read((unsigned long)buf, len, flags, 0);
}

/* ---- fd_ops --------------------------------------------------------------------- */

static long console_write(struct chcore_fd *f, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	long ok = may_write();
	if (ok < 0) return ok;
	return put_translated(&iov, 1, 1);
}

/* iov is the port's copy of the array; the buffers are the caller's. */
static long console_writev(struct chcore_fd *f, const struct iovec *iov, int cnt)
{
	long ok = may_write();
	if (ok < 0) return ok;
	return put_translated(iov, cnt, 1);
}

static long console_lseek(struct chcore_fd *f, off_t off, int whence)
{
	return -ESPIPE;
}

/* The kernel's struct termios (what TCGETS/TCSETS carry): musl's struct
 * termios begins with the same fields (then its speeds, which are not the
 * kernel's business). */
#define KERNEL_TERMIOS_SIZE sizeof(struct chcore_termios)
_Static_assert(offsetof(struct termios, c_cc) + CHCORE_NCCS <= sizeof(struct termios),
               "musl's struct termios starts as the kernel's");

static long tty_call(unsigned long op, void *kbuf, size_t len)
{
	return __chcore_sys_tty_ctl(op, (unsigned long)kbuf, len);
}

static long pgrp_call2(unsigned op, long w1, long w2)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ENOTTY;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, op, (unsigned long)w1, (unsigned long)w2, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
	return r;
}

static long pgrp_call(unsigned op, long w1)
{
	return pgrp_call2(op, w1, 0);
}

/* arg is the caller's pointer: read and written through the checked copy. */
static long console_ioctl(struct chcore_fd *f, unsigned long req, void *arg)
{
	(void)f;
	switch (req) {
	case TIOCGWINSZ: {
		struct chcore_winsize w;
		long r = tty_call(CHCORE_TTY_GET_WINSZ, &w, sizeof w);
		return r < 0 ? r : __chcore_copy_out(arg, &w, sizeof w);
	}
	case TIOCSWINSZ: {
		struct chcore_winsize w;
		long r = __chcore_copy_in(&w, arg, sizeof w);
		return r < 0 ? r : tty_call(CHCORE_TTY_SET_WINSZ, &w, sizeof w);
	}
	case TCGETS: {
		struct chcore_termios t;
		long r = tty_call(CHCORE_TTY_GET, &t, sizeof t);
		return r < 0 ? r : __chcore_copy_out(arg, &t, KERNEL_TERMIOS_SIZE);
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		struct chcore_termios t;
		long r = __chcore_copy_in(&t, arg, KERNEL_TERMIOS_SIZE);
		if (r < 0) return r;
		if ((r = may_change()) < 0) return r;
		return tty_call(req == TCSETSF ? CHCORE_TTY_SET_FLUSH : CHCORE_TTY_SET, &t, sizeof t);
	}
	case TCFLSH: {
		long r = may_change();
		if (r < 0) return r;
		/* Input is the kernel's to discard; output is never queued. */
		if ((long)arg == TCIFLUSH || (long)arg == TCIOFLUSH) return tty_call(CHCORE_TTY_FLUSH, 0, 0);
		return (long)arg == TCOFLUSH ? 0 : -EINVAL;
	}
	case TCSBRK:
	case TCXONC:
		return 0; /* nothing waits to be sent; no flow control */
	case TIOCGPGRP: {
		long r = pgrp_call(PROCMGR_TCGETPGRP, 0);
		if (r < 0) return r;
		int pg = (int)r;
		return __chcore_copy_out(arg, &pg, sizeof pg);
	}
	case TIOCSPGRP: {
		int pg;
		long r = __chcore_copy_in(&pg, arg, sizeof pg);
		if (r < 0 || (r = may_change()) < 0) return r;
		return pgrp_call(PROCMGR_TCSETPGRP, pg);
	}
	case TIOCSCTTY:
	case TIOCNOTTY:
		/* One terminal, the console: every session's. */
		return 0;
	case TIOCGSID: {
		struct chcore_srv *s = __chcore_procmgr();
		if (!s) return -ENOTTY;
		struct chcore_ipc_result out;
		LOCK(s->lock);
		long r = __chcore_srv_call(s, PROCMGR_GETPGID, 0, 1, 0, 0, 0, 0, &out);
		UNLOCK(s->lock);
		if (r < 0) return r;
		int sid = (int)r;
		return __chcore_copy_out(arg, &sid, sizeof sid);
	}
	case FIONREAD: {
		int n = input_waiting();
		return __chcore_copy_out(arg, &n, sizeof n);
	}
	default:
		return -ENOTTY;
	}
}

static int console_poll(struct chcore_fd *f, int events)
{
	int ready = events & (POLLOUT | POLLWRNORM);
	if ((events & (POLLIN | POLLRDNORM)) && input_waiting() > 0)
		ready |= events & (POLLIN | POLLRDNORM);
	return ready;
}

static long console_fstat(struct chcore_fd *f, struct kstat *st)
{
	*st = (struct kstat){ 0 };
	st->st_mode = S_IFCHR | 0620;
	st->st_nlink = 1;
	st->st_rdev = makedev(5, 1); /* /dev/console */
	st->st_blksize = 1024;
	__chcore_device_node(f->name, st);
	return 0;
}

/* ppoll and epoll wait for console input in the kernel. */
static unsigned console_wait_slot(struct chcore_fd *f)
{
	(void)f;
	return CHCORE_POLL_CONSOLE;
}

static const struct chcore_fd_ops console_ops = {
	.read = console_read,
	.write = console_write,
	.close = 0,
	.lseek = console_lseek,
	.ioctl = console_ioctl,
	.fcntl = 0,
	.poll = console_poll,
	.writev = console_writev,
	.fstat = console_fstat,
	.wait_slot = console_wait_slot,
};

int __chcore_fd_is_console(const struct chcore_fd *f)
{
	return f->ops == &console_ops;
}

struct chcore_fd __chcore_console_fds[3] = {
	{ .type = CHCORE_FD_STDIN, .flags = O_RDWR, .ops = &console_ops, .name = "/dev/console" },
	{ .type = CHCORE_FD_STDOUT, .flags = O_RDWR, .ops = &console_ops, .name = "/dev/console" },
	{ .type = CHCORE_FD_STDERR, .flags = O_RDWR, .ops = &console_ops, .name = "/dev/console" },
};
