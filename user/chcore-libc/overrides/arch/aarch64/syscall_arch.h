/* chcore-libc: system calls for musl on ChCore (replaces musl's
 * arch/aarch64/syscall_arch.h at build time; see user/chcore-libc/README.md).
 *
 * musl issues every system call through __syscall0..__syscall6 with Linux's
 * aarch64 numbers. On ChCore they do not trap: each one is an ordinary call
 * of the dispatcher (port/dispatcher.c), which implements the Linux call on
 * top of ChCore's kernel calls (and, later, its servers). The only `svc`
 * instructions in libc.a are the native kernel-call stubs in
 * port/native_syscall.c. */

#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

/* The number comes last, so that the arguments are already in x0-x5, where
 * the handlers want them: the dispatcher just jumps. */
__attribute__((__visibility__("hidden")))
long __chcore_dispatch(long a, long b, long c, long d, long e, long f, long n);

static inline long __syscall0(long n)
{
	return __chcore_dispatch(0, 0, 0, 0, 0, 0, n);
}

static inline long __syscall1(long n, long a)
{
	return __chcore_dispatch(a, 0, 0, 0, 0, 0, n);
}

static inline long __syscall2(long n, long a, long b)
{
	return __chcore_dispatch(a, b, 0, 0, 0, 0, n);
}

static inline long __syscall3(long n, long a, long b, long c)
{
	return __chcore_dispatch(a, b, c, 0, 0, 0, n);
}

static inline long __syscall4(long n, long a, long b, long c, long d)
{
	return __chcore_dispatch(a, b, c, d, 0, 0, n);
}

static inline long __syscall5(long n, long a, long b, long c, long d, long e)
{
	return __chcore_dispatch(a, b, c, d, e, 0, n);
}

static inline long __syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	return __chcore_dispatch(a, b, c, d, e, f, n);
}

/* No vDSO: clock_gettime goes to the dispatcher, which reads the monotonic
 * clock from the counter in user space (port/time.c). */

#define IPC_64 0
