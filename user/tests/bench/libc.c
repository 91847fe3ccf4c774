/* Benchmarks of the libc's system-call path for ./chbuild bench. Prints
 *   BENCH <name> <hundredths of a ns per call>
 * from the virtual counter (under -icount shift=0: instructions per call).
 *   getpid_libc       getpid() through musl and the dispatcher (the pid is
 *                     kept by the port, so no kernel entry)
 *   getcpu_raw        the kernel's get_cpu through libchcore's inline stub
 *   getcpu_libc       musl's sched_getcpu(): __syscall3(SYS_getcpu), the
 *                     dispatcher, the port's handler, the same kernel call
 *   dispatcher_added  what the dispatcher adds to a kernel call: musl's
 *                     __syscall0(SYS_gettid) (the dispatcher, the port's
 *                     handler, the kernel's gettid) minus the same kernel
 *                     call through the inline stub (bound: 30)
 *   gettid_libc       musl's gettid() (musl keeps the tid: no kernel entry)
 *   syscall_libc      syscall(SYS_gettid): musl's variadic syscall() and
 *                     errno handling, the dispatcher, a kernel call
 *   signal_roundtrip  raise(SIGUSR1) with a handler: musl's raise (mask,
 *                     tkill, mask back), the kernel's frame, the handler,
 *                     sigreturn through __restore_rt
 *   spin_alone        a busy loop on CPU 1, per 1000 rounds
 *   spin_beside_reader  the same loop with a thread blocked in read(0) on
 *                     the same CPU (the harness types nothing): equal to
 *                     spin_alone under icount if the reader takes no CPU */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <chcore/syscall.h>

static unsigned long counter(void)
{
	unsigned long v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static void report(const char *name, unsigned long ticks, unsigned long ops)
{
	unsigned long f;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	unsigned long centi = ticks / f * 100000000000ul + ticks % f * 100000000000ul / f;
	printf("BENCH %s %lu\n", name, centi / ops);
}

#define N 20000

static volatile long sink;

/* musl's __syscall0 as its internal syscall_arch.h (our override) has it:
 * the libc's functions reach the dispatcher exactly this way. */
long __chcore_dispatch(long a, long b, long c, long d, long e, long f, long n);

/* loop_<name>(): the counter ticks of N evaluations of expr. */
#define BENCH_LOOP(name, expr)                          \
	static unsigned long loop_##name(void)              \
	{                                                   \
		unsigned long t0 = counter();                   \
		for (int i = 0; i < N; i++) sink += (expr);     \
		return counter() - t0;                          \
	}

BENCH_LOOP(getpid_libc, getpid())
BENCH_LOOP(gettid_raw, chcore_sys_gettid())
BENCH_LOOP(gettid_dispatch, __chcore_dispatch(0, 0, 0, 0, 0, 0, SYS_gettid))
BENCH_LOOP(getcpu_raw, chcore_sys_get_cpu())
BENCH_LOOP(getcpu_libc, sched_getcpu())
BENCH_LOOP(gettid_libc, gettid())
BENCH_LOOP(syscall_libc, syscall(SYS_gettid))

static volatile long handled;
static void on_signal(int sig) { handled += sig; }

static unsigned long signal_roundtrip(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, 0);
	raise(SIGUSR1); /* warm up */
	handled = 0;
	unsigned long t0 = counter();
	for (int i = 0; i < N; i++) raise(SIGUSR1);
	unsigned long t = counter() - t0;
	return handled == (long)SIGUSR1 * N ? t : 0;
}

#define SPIN_ROUNDS 2000000
#define SPIN_CPU 1

static unsigned long spin(void)
{
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, SPIN_CPU);
	volatile unsigned long x = 0;
	unsigned long t0 = counter();
	for (unsigned long i = 0; i < SPIN_ROUNDS; i++) x++;
	return counter() - t0;
}

static volatile int reader_started;

static void *blocked_reader(void *arg)
{
	(void)arg;
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, SPIN_CPU);
	reader_started = 1;
	char c;
	read(0, &c, 1); /* nothing is ever typed: blocks until the process exits */
	return 0;
}

static unsigned long spin_beside_reader(void)
{
	pthread_t t;
	pthread_create(&t, 0, blocked_reader, 0);
	while (!reader_started) sched_yield();
	struct timespec settle = { 0, 20 * 1000 * 1000 };
	nanosleep(&settle, 0); /* the reader is in read(0) by now */
	return spin();
}

static int wanted(const char *only, const char *name)
{
	return !only[0] || !strcmp(only, name);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	if (wanted(only, "getpid_libc")) report("getpid_libc", loop_getpid_libc(), N);
	if (wanted(only, "getcpu_raw")) report("getcpu_raw", loop_getcpu_raw(), N);
	if (wanted(only, "getcpu_libc")) report("getcpu_libc", loop_getcpu_libc(), N);
	if (wanted(only, "dispatcher_added")) {
		/* Warm both paths first (page faults, caches), then measure. */
		loop_gettid_raw();
		loop_gettid_dispatch();
		unsigned long raw = loop_gettid_raw(), libc = loop_gettid_dispatch();
		report("dispatcher_added", libc > raw ? libc - raw : 0, N);
	}
	if (wanted(only, "gettid_libc")) report("gettid_libc", loop_gettid_libc(), N);
	if (wanted(only, "syscall_libc")) report("syscall_libc", loop_syscall_libc(), N);
	if (wanted(only, "signal_roundtrip")) {
		unsigned long t = signal_roundtrip();
		if (t)
			report("signal_roundtrip", t, N);
		else
			printf("bench: signal_roundtrip: the handler did not run every time\n");
	}
	if (wanted(only, "spin_alone")) report("spin_alone", spin(), SPIN_ROUNDS / 1000);
	/* Last: the reader stays blocked until exit. */
	if (wanted(only, "spin_beside_reader"))
		report("spin_beside_reader", spin_beside_reader(), SPIN_ROUNDS / 1000);
	printf("BENCH done\n");
	return sink == 0;
}
