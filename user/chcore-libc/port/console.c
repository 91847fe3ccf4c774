/* chcore-libc: the console, fds 0-2, and the port's own messages.
 *
 * Output goes to the kernel's putstr in pieces of at most CHCORE_PUTSTR_MAX
 * bytes, each "\n" sent as "\r\n" (a terminal's ONLCR: the kernel passes
 * bytes through unchanged). Input comes from the kernel's console_read,
 * which blocks until a byte has arrived (the UART's receive interrupt wakes
 * the reader) or, for O_NONBLOCK, returns EAGAIN. "\r" from the terminal is
 * read as "\n" (ICRNL). There is no echo and no line editing (the shell
 * will do that). */
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
#include "chcore_fd.h"
#include "uapi/pipe.h"

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

/* Writes the buffers with "\n" -> "\r\n", in as few putstr calls as the
 * staging buffer allows. The bytes of a caller's buffers (from_caller) are
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
				if (p[k] == '\n') buf[fill++] = '\r';
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

/* At least one byte, then whatever else is waiting, up to len: blocks
 * while nothing is there unless O_NONBLOCK (-EAGAIN). "\r" reads as "\n".
 * The kernel writes the caller's buffer (and checks it before blocking);
 * the translation reads it back and rewrites it only if a "\r" came. */
static long console_read(struct chcore_fd *f, void *buf, size_t len)
{
	unsigned long flags = (f->flags & O_NONBLOCK) ? CHCORE_CONSOLE_NONBLOCK : 0;
	unsigned char got[CHCORE_CONSOLE_READ_MAX];
	if (len == 0) return 0;
	if (len > sizeof got) len = sizeof got;
	long r = __chcore_sys_console_read((unsigned long)buf, len, flags, 0);
	if (r <= 0) return r;
	if (__chcore_copy_in(got, buf, (size_t)r) < 0) return -EFAULT;
	int changed = 0;
	for (long i = 0; i < r; i++) {
		if (got[i] == '\r') {
			got[i] = '\n';
			changed = 1;
		}
	}
	if (changed && __chcore_copy_out(buf, got, (size_t)r) < 0) return -EFAULT;
	return r;
}

/* ---- fd_ops --------------------------------------------------------------------- */

static long console_write(struct chcore_fd *f, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	return put_translated(&iov, 1, 1);
}

/* iov is the port's copy of the array; the buffers are the caller's. */
static long console_writev(struct chcore_fd *f, const struct iovec *iov, int cnt)
{
	return put_translated(iov, cnt, 1);
}

static long console_lseek(struct chcore_fd *f, off_t off, int whence)
{
	return -ESPIPE;
}

/* What TCGETS reports and TCSETS records: the settings stay as they are
 * (ONLCR and ICRNL on, no echo, no canonical mode, 115200 8N1). */
static struct {
	struct winsize ws;
	tcflag_t iflag, oflag, cflag, lflag;
	cc_t cc[NCCS];
	int init;
} tty;

static void tty_init(void)
{
	if (tty.init) return;
	tty.ws.ws_row = 24;
	tty.ws.ws_col = 80;
	tty.iflag = ICRNL;
	tty.oflag = OPOST | ONLCR;
	tty.cflag = B115200 | CS8 | CREAD | CLOCAL;
	tty.lflag = 0;
	tty.cc[VINTR] = 3;
	tty.cc[VQUIT] = 034;
	tty.cc[VERASE] = 0177;
	tty.cc[VKILL] = 025;
	tty.cc[VEOF] = 4;
	tty.cc[VMIN] = 1;
	tty.cc[VTIME] = 0;
	tty.init = 1;
}

/* The kernel's struct termios (what TCGETS/TCSETS carry): musl's struct
 * termios begins with the same fields. */
#define KERNEL_NCCS 19

/* The bytes of struct termios that TCGETS/TCSETS carry: the kernel's
 * struct, up to its c_cc (musl's adds the speeds after it). */
#define KERNEL_TERMIOS_SIZE (offsetof(struct termios, c_cc) + KERNEL_NCCS)

/* arg is the caller's pointer: read and written through the checked copy. */
static long console_ioctl(struct chcore_fd *f, unsigned long req, void *arg)
{
	tty_init();
	switch (req) {
	case TIOCGWINSZ:
		return __chcore_copy_out(arg, &tty.ws, sizeof tty.ws);
	case TIOCSWINSZ: {
		struct winsize ws;
		long r = __chcore_copy_in(&ws, arg, sizeof ws);
		if (r == 0) tty.ws = ws;
		return r;
	}
	case TCGETS: {
		struct termios t = { 0 };
		t.c_iflag = tty.iflag;
		t.c_oflag = tty.oflag;
		t.c_cflag = tty.cflag;
		t.c_lflag = tty.lflag;
		t.c_line = 0;
		for (int i = 0; i < KERNEL_NCCS; i++) t.c_cc[i] = tty.cc[i];
		return __chcore_copy_out(arg, &t, KERNEL_TERMIOS_SIZE);
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		struct termios t;
		long r = __chcore_copy_in(&t, arg, KERNEL_TERMIOS_SIZE);
		if (r < 0) return r;
		tty.iflag = t.c_iflag;
		tty.oflag = t.c_oflag;
		tty.cflag = t.c_cflag;
		tty.lflag = t.c_lflag;
		for (int i = 0; i < KERNEL_NCCS; i++) tty.cc[i] = t.c_cc[i];
		return 0;
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
	{ .type = CHCORE_FD_STDIN, .flags = O_RDWR, .ops = &console_ops },
	{ .type = CHCORE_FD_STDOUT, .flags = O_RDWR, .ops = &console_ops },
	{ .type = CHCORE_FD_STDERR, .flags = O_RDWR, .ops = &console_ops },
};
