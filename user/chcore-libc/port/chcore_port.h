/* chcore-libc: what the parts of the port share. Internal to libc.a (every
 * symbol is hidden); compiled inside musl's tree (src/chcore/), so musl's
 * internal headers are available. */
#ifndef CHCORE_PORT_H
#define CHCORE_PORT_H

#include <features.h>
#include <stddef.h>
#include "chcore_native.h"

/* A handler of a Linux system call: the six raw argument registers in, the
 * result (>= 0) or a negative errno out. */
typedef long (*chcore_linux_fn)(long, long, long, long, long, long);

#define CHCORE_LINUX_SYSCALL(name) \
	hidden long __chcore_linux_##name(long a0, long a1, long a2, long a3, long a4, long a5)

#define CHCORE_DECLARE_HANDLER(name, status, nargs, note) CHCORE_LINUX_SYSCALL(name);
#include "chcore_syscall_table.h"
CHCORE_SYSCALL_TABLE(CHCORE_DECLARE_HANDLER)
#undef CHCORE_DECLARE_HANDLER

/* ---- dispatcher.c ---------------------------------------------------------- */
hidden long __chcore_dispatch(long a, long b, long c, long d, long e, long f, long n);
/* The Linux name of a system call number, or NULL. */
hidden const char *__chcore_syscall_name(long n);

/* ---- init.c: start-up ------------------------------------------------------ */
extern hidden int __chcore_strace;          /* CHCORE_STRACE=1 in the environment */
extern hidden int __chcore_argc;
extern hidden char **__chcore_argv;
extern hidden char **__chcore_envp;
extern hidden size_t *__chcore_auxv;
extern hidden unsigned long __chcore_sig_ignored; /* signal.c: ignored signals, bit sig - 1 */
extern hidden long __chcore_pid;            /* getpid(): the main thread's tid */
/* In a child of fork, on its thread: its tid (fork.c); else 0. */
hidden long __chcore_fork_gettid(void);
/* fork(cg, hot); in the child (0) *child_tid is its tid (native_syscall.c). */
hidden long __chcore_sys_fork_tid(unsigned long cg, unsigned long hot, long *child_tid);
hidden const char *__chcore_getenv(const char *name);

/* ---- console.c: raw output on the console, for messages of the port itself
 * (warnings, traces): straight to putstr, not through the fd table. ---------- */
hidden void __chcore_console_raw_crlf(const char *s, size_t len);
/* A tiny formatter for those messages (no FP, no stdio, no locks): %s %c %d
 * %ld %u %lu %x %lx %p %%, and %A for a raw argument register (decimal when
 * small, hex otherwise). Writes at most size - 1 characters and a NUL;
 * returns the number written. */
hidden int __chcore_format(char *buf, size_t size, const char *fmt, ...);
/* Formats and writes to the console, "\n" as "\r\n". */
hidden void __chcore_message(const char *fmt, ...);

/* What a forked child resets of the state it inherited, it writes only
 * where it differs: the first write to each page it shares copy-on-write
 * with its parent costs a fault and a page copy, and a child that execs at
 * once should copy as few pages as it can (docs/processes.md, "fork"). */
#define CHCORE_SET(var, val)                     \
	do {                                     \
		if ((var) != (val)) (var) = (val); \
	} while (0)

/* ---- usercopy.c: the caller's memory ---------------------------------------
 * Handlers never dereference a pointer they are given: they copy through
 * these (a copy loop whose faults the kernel turns into -EFAULT), which
 * return 0, or -EFAULT if any byte of the caller's range is not readable
 * (copy_in) or writable (copy_out) memory. Part of the destination may be
 * written before an -EFAULT. */
hidden long __chcore_copy_in(void *dst, const void *user_src, size_t len);
hidden long __chcore_copy_out(void *user_dst, const void *src, size_t len);
/* A NUL-terminated string of at most max bytes (its NUL included) into
 * dst (max bytes of room; bytes after the NUL may be written too): its
 * length with the NUL, -EFAULT, or -E2BIG if no NUL comes within max. */
hidden long __chcore_copy_in_str(char *dst, const char *user_src, size_t max);
/* Registers the copy loop with the kernel (start-up, init.c). */
hidden void __chcore_usercopy_init(void);

/* ---- rlimit.c: resource limits ----------------------------------------------
 * The soft limit (rlim_cur) of a resource, RLIM_INFINITY for none. */
hidden unsigned long long __chcore_rlimit(int resource);

/* ---- fd.c ------------------------------------------------------------------ */
hidden void __chcore_fd_init(void);

/* ---- mm.c ------------------------------------------------------------------ */
hidden long __chcore_munmap(unsigned long addr, unsigned long len);

/* ---- time.c ---------------------------------------------------------------- */
/* Nanoseconds of the monotonic clock (the kernel's, read in user space). */
hidden unsigned long __chcore_monotonic_ns(void);
/* ---- cputime.c: CPU time, timers, prctl's name ------------------------------ */
/* CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID in ns: 0 or -errno. */
hidden long __chcore_cputime_ns(long clk, unsigned long *ns);
/* A waited-for child's CPU time (wait4), for RUSAGE_CHILDREN. */
hidden void __chcore_children_add(unsigned long user_ns, unsigned long sys_ns);
/* In a fork's child: no children's time, no timers. */
hidden void __chcore_cputime_after_fork(void);
/* Sleeps about ns nanoseconds (monotonic clock). */
hidden void __chcore_sleep_ns(unsigned long ns);

/* ---- spawn.c ----------------------------------------------------------------- */
/* A child of procmgr's: its working directory, fds and signal mask from
 * the start-information page (init.c calls it). */
hidden void __chcore_start_info_apply(void);
/* kill() of another process, through procmgr. */
hidden long __chcore_kill_other(long pid, int sig);
/* sigqueue to another process (pid > 0), through procmgr. */
hidden long __chcore_sigqueue_other(long pid, int sig, unsigned long value);
hidden long __chcore_tgkill_other(long pid, long tid, int sig, int code, unsigned long value);

/* ---- signal.c ---------------------------------------------------------------- */
hidden long __chcore_raise_self(int sig);

#endif
