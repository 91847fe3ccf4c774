/* chcore-libc: the system-call dispatcher.
 *
 * musl's __syscall0..6 (overrides/arch/aarch64/syscall_arch.h) call
 * __chcore_dispatch(a0, ..., a5, n) with a Linux aarch64 system-call number
 * n, last so that the arguments arrive in x0-x5 as the handlers take them. The table below
 * maps each number to its handler (chcore_syscall_table.h lists them, with
 * a support status and a note). A number without a handler returns -ENOSYS
 * and prints one warning line the first time; the program goes on.
 * CHCORE_STRACE=1 in the environment prints every call with its arguments
 * and result. */
#include <errno.h>
#include <sys/syscall.h>
#include "chcore_port.h"
/* Generated at build time from musl's arch/aarch64/bits/syscall.h.in:
 * CHCORE_LINUX_SYSCALL_NAMES(X) calls X(number, name) for every Linux call. */
#include "chcore_syscall_names.h"

#define CHCORE_NR_LINUX 512

enum { CHCORE_SC_MISSING, CHCORE_SC_SUPPORTED, CHCORE_SC_PARTIAL };

struct chcore_syscall_entry {
	chcore_linux_fn fn;       /* NULL: missing */
	unsigned char status;     /* CHCORE_SC_* */
	unsigned char nargs;      /* arguments CHCORE_STRACE prints */
};

static const struct chcore_syscall_entry table[CHCORE_NR_LINUX] = {
#define CHCORE_ENTRY(name, status, nargs, note) \
	[SYS_##name] = { __chcore_linux_##name, CHCORE_SC_##status, nargs },
	CHCORE_SYSCALL_TABLE(CHCORE_ENTRY)
#undef CHCORE_ENTRY
};

static const char *const names[CHCORE_NR_LINUX] = {
#define CHCORE_NAME(nr, name) [nr] = #name,
	CHCORE_LINUX_SYSCALL_NAMES(CHCORE_NAME)
#undef CHCORE_NAME
};

const char *__chcore_syscall_name(long n)
{
	return (unsigned long)n < CHCORE_NR_LINUX ? names[n] : 0;
}

/* One bit per number: warned about already. */
static unsigned long warned[CHCORE_NR_LINUX / 64];

static void warn_missing(long n)
{
	if ((unsigned long)n < CHCORE_NR_LINUX) {
		unsigned long bit = 1ul << (n % 64);
		if (__atomic_fetch_or(&warned[n / 64], bit, __ATOMIC_RELAXED) & bit) return;
	}
	const char *name = __chcore_syscall_name(n);
	__chcore_message("chcore-libc: syscall %s (%ld) not supported, returning -ENOSYS\n",
	                 name ? name : "?", n);
}

/* The names come from the one errno list (uapi/errno.h); the numbers are
 * Linux's, the same as musl's. */
static const char *errno_name(long e)
{
	const char *n = chcore_errno_name(e);
	return n ? n : "?";
}

/* "[strace 3] writev(1, 0x7ffffff0e0, 2) = 13" */
static void trace(long n, const long *args, int nargs, long result, int returned)
{
	char line[256];
	int len = 0;
	const char *name = __chcore_syscall_name(n);
#define PUT(...) len += __chcore_format(line + len, sizeof line - len, __VA_ARGS__)
	PUT("[strace %ld] %s(", __chcore_sys_gettid(), name ? name : "?");
	for (int i = 0; i < nargs; i++) PUT(i ? ", %A" : "%A", args[i]);
	if (!returned)
		PUT(") ...\n");
	else if (result < 0 && result > -4096)
		PUT(") = %ld %s\n", result, errno_name(-result));
	else
		PUT(") = %A\n", result);
#undef PUT
	__chcore_console_raw_crlf(line, len);
}

__attribute__((noinline))
static long slow_path(long a, long b, long c, long d, long e, long f, long n)
{
	const struct chcore_syscall_entry *ent =
		(unsigned long)n < CHCORE_NR_LINUX ? &table[n] : 0;
	long args[6] = { a, b, c, d, e, f };
	long r;
	if (ent == 0 || ent->fn == 0) {
		warn_missing(n);
		r = -ENOSYS;
		if (__chcore_strace) trace(n, args, 6, r, 1);
		return r;
	}
	/* Calls that do not return are shown before they happen. */
	if (n == SYS_exit || n == SYS_exit_group || n == SYS_rt_sigreturn)
		trace(n, args, ent->nargs, 0, 0);
	r = ent->fn(a, b, c, d, e, f);
	trace(n, args, ent->nargs, r, 1);
	return r;
}

long __chcore_dispatch(long a, long b, long c, long d, long e, long f, long n)
{
	if (__builtin_expect((unsigned long)n < CHCORE_NR_LINUX && !__chcore_strace, 1)) {
		chcore_linux_fn fn = table[n].fn;
		if (__builtin_expect(fn != 0, 1)) return fn(a, b, c, d, e, f);
	}
	return slow_path(a, b, c, d, e, f, n);
}
