/* Benchmarks of the libc's system-call path for ./chbuild bench. Prints
 *   BENCH <name> <hundredths of a ns per call>
 * from the virtual counter (under -icount shift=0: instructions per call).
 *   getpid_libc  getpid() through musl and the dispatcher (the pid is kept
 *                by the port, so no kernel entry)
 *   gettid_libc  syscall(SYS_gettid): musl, the dispatcher and a kernel call;
 *                next to null_syscall it shows what the dispatcher adds. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	volatile long sink = 0;
	if (!only[0] || !strcmp(only, "getpid_libc")) {
		unsigned long t0 = counter();
		for (int i = 0; i < N; i++) sink += getpid();
		report("getpid_libc", counter() - t0, N);
	}
	if (!only[0] || !strcmp(only, "gettid_libc")) {
		unsigned long t0 = counter();
		for (int i = 0; i < N; i++) sink += syscall(SYS_gettid);
		report("gettid_libc", counter() - t0, N);
	}
	printf("BENCH done\n");
	return sink == 0;
}
