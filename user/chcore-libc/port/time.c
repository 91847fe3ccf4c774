/* chcore-libc: time. The monotonic clock is the kernel's: the virtual
 * counter CNTVCT_EL0 at CNTFRQ_EL0 ticks per second, converted exactly as
 * the kernel converts it (kernel/arch/aarch64/timer.h), so that a time read
 * here and a deadline the kernel computes agree. EL0 reads the counter
 * directly, as Linux's vDSO does: no kernel entry. Wall-clock time is the
 * kernel's (an RTC read at boot plus the counter); the coarse wall clock
 * is served here (realtime_base). */
#include <errno.h>
#include <time.h>
#include "chcore_port.h"
#include "lock.h"

#define NS_PER_SEC 1000000000ul

static unsigned long counter_freq(void)
{
	static unsigned long freq;
	unsigned long f = __atomic_load_n(&freq, __ATOMIC_RELAXED);
	if (f == 0) {
		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
		__atomic_store_n(&freq, f, __ATOMIC_RELAXED);
	}
	return f;
}

static unsigned long counter(void)
{
	unsigned long v;
	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static unsigned long ticks_to_ns(unsigned long ticks, unsigned long freq)
{
	unsigned long sec = ticks / freq, rem = ticks % freq;
	return sec * NS_PER_SEC + rem * NS_PER_SEC / freq;
}

unsigned long __chcore_monotonic_ns(void)
{
	return ticks_to_ns(counter(), counter_freq());
}

void __chcore_sleep_ns(unsigned long ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC) };
	__chcore_sys_clock_nanosleep(CLOCK_MONOTONIC, 0, (unsigned long)&ts, 0);
}

/* CLOCK_REALTIME_COARSE, in user space. The kernel's wall clock is a fixed
 * base (the RTC at boot) plus the monotonic clock. The base is taken here
 * once, as the kernel's CLOCK_REALTIME less the monotonic time read just
 * after it: at most that system call's length below the kernel's base, so
 * coarse time never runs ahead of CLOCK_REALTIME and lags it by less than a
 * microsecond (Linux's lags by up to a tick). The first value stored wins,
 * so every thread sees the same clock. 0: not known (the kernel call
 * failed). */
static unsigned long realtime_base(void)
{
	static unsigned long base;
	static int ready;
	if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) return base;
	struct timespec ts;
	if (__chcore_sys_clock_gettime(CLOCK_REALTIME, (unsigned long)&ts) < 0) return 0;
	unsigned long mono = __chcore_monotonic_ns();
	unsigned long rt = (unsigned long)ts.tv_sec * NS_PER_SEC + (unsigned long)ts.tv_nsec;
	unsigned long b = rt > mono ? rt - mono : 0;
	static volatile int lock[1];
	LOCK(lock);
	if (!ready) {
		base = b;
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	UNLOCK(lock);
	return base;
}

static int is_monotonic(long clk)
{
	return clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW ||
	       clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME;
}

/* The CPU-time clocks: the two ids, and Linux's encoding of a process's
 * or thread's clock (clock_getcpuclockid, pthread_getcpuclockid: ~pid << 3
 * | 2, with 4 for a thread), which works for the caller's own (pid 0 or
 * its own; its own thread). */
static int is_cputime(long clk)
{
	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) return 1;
	if (clk >= 0 || (clk & 3) != 2) return 0;
	long id = ~(clk >> 3);
	if (clk & 4) return id == __chcore_sys_gettid();
	return id == 0 || id == __chcore_pid;
}

/* The time is read in user space, but stored through the checked copy: a
 * bad pointer is EFAULT, as clock_gettime(2) promises (this costs the
 * kernel call that reading the counter here saves). */
CHCORE_LINUX_SYSCALL(clock_gettime)
{
	if (is_cputime(a0)) {
		/* The kernel's accounting of this thread or process (cputime.c). */
		unsigned long ns;
		long r = __chcore_cputime_ns(a0, &ns);
		if (r < 0) return r;
		struct timespec ts = { (time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC) };
		return __chcore_copy_out((void *)a1, &ts, sizeof ts);
	}
	int coarse_wall = a0 == CLOCK_REALTIME_COARSE;
	if (is_monotonic(a0) || coarse_wall) {
		unsigned long ns = __chcore_monotonic_ns();
		if (coarse_wall) {
			unsigned long base = realtime_base();
			if (base == 0) return __chcore_sys_clock_gettime((unsigned long)a0, (unsigned long)a1);
			ns += base;
		}
		struct timespec ts = { (time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC) };
		return __chcore_copy_out((void *)a1, &ts, sizeof ts);
	}
	return __chcore_sys_clock_gettime((unsigned long)a0, (unsigned long)a1);
}

CHCORE_LINUX_SYSCALL(clock_getres)
{
	long clk = a0;
	if (!is_monotonic(clk) && !is_cputime(clk) && clk != CLOCK_REALTIME &&
	    clk != CLOCK_REALTIME_COARSE)
		return -EINVAL;
	if (a1) {
		unsigned long f = counter_freq();
		struct timespec res = { 0, (long)((NS_PER_SEC + f - 1) / f) };
		return __chcore_copy_out((void *)a1, &res, sizeof res);
	}
	return 0;
}

CHCORE_LINUX_SYSCALL(clock_nanosleep)
{
	long clk = a0 == CLOCK_PROCESS_CPUTIME_ID || a0 == CLOCK_THREAD_CPUTIME_ID ? CLOCK_MONOTONIC : a0;
	return __chcore_sys_clock_nanosleep((unsigned long)clk, (unsigned long)a1,
	                                    (unsigned long)a2, (unsigned long)a3);
}

CHCORE_LINUX_SYSCALL(nanosleep)
{
	return __chcore_sys_clock_nanosleep(CLOCK_MONOTONIC, 0, (unsigned long)a0,
	                                    (unsigned long)a1);
}
