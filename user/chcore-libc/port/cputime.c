/* chcore-libc: CPU time (getrusage, times), process timers (timer_create
 * ... timer_delete, setitimer, getitimer and so alarm), and prctl's name.
 *
 * The kernel accounts each thread's time at EL0 and in the kernel
 * (cpu_time). The children's times come with each wait4 reply from procmgr
 * (a child's own and those of the children it waited for) and are summed
 * here: RUSAGE_CHILDREN and times()'s tms_cutime are what this process has
 * waited for since it started (a fork's child starts from zero).
 *
 * Timers are the kernel's (timer_create, 91-94), which signal the process
 * or one of its threads; musl's SIGEV_THREAD builds on SIGEV_THREAD_ID.
 * The kernel's timers run on CPU time too (CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID). Each interval timer is one such timer, made at
 * its first setitimer: ITIMER_REAL on CLOCK_MONOTONIC with SIGALRM,
 * ITIMER_VIRTUAL on the process's user time (CHCORE_CLOCK_PROCESS_VIRT)
 * with SIGVTALRM, ITIMER_PROF on its whole CPU time with SIGPROF; not kept
 * across an exec (a new process), gone in a fork's child (as Linux). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include "chcore_port.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"
#include "lock.h"

#define NS_PER_SEC 1000000000ul
#define USER_HZ 100ul /* sysconf(_SC_CLK_TCK) */

/* What this process's waited-for children used (ns). */
static unsigned long children_user, children_sys;

hidden void __chcore_children_add(unsigned long user_ns, unsigned long sys_ns)
{
	__atomic_add_fetch(&children_user, user_ns, __ATOMIC_RELAXED);
	__atomic_add_fetch(&children_sys, sys_ns, __ATOMIC_RELAXED);
}

/* The kernel timers of ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF, once made. */
static int itimer_id[3] = { -1, -1, -1 };
static volatile int itimer_lock[1];

hidden void __chcore_cputime_after_fork(void)
{
	CHCORE_SET(children_user, 0);
	CHCORE_SET(children_sys, 0);
	for (int i = 0; i < 3; i++) CHCORE_SET(itimer_id[i], -1); /* timers are not inherited */
}

static struct timeval ns_to_tv(unsigned long ns)
{
	return (struct timeval){ (time_t)(ns / NS_PER_SEC), (suseconds_t)(ns % NS_PER_SEC / 1000) };
}

/* The kernel's figures for the thread (CHCORE_CPU_TIME_THREAD) or the
 * process: 0, or a negative errno. */
static long cpu_time(int which, struct chcore_cpu_time *ct)
{
	return __chcore_sys_cpu_time((unsigned long)which, (unsigned long)ct);
}

/* clock_gettime of the CPU-time clocks (time.c). */
hidden long __chcore_cputime_ns(long clk, unsigned long *ns)
{
	struct chcore_cpu_time ct;
	int thread = clk == CLOCK_THREAD_CPUTIME_ID || (clk < 0 && (clk & 4));
	long r = cpu_time(thread ? CHCORE_CPU_TIME_THREAD : CHCORE_CPU_TIME_PROCESS, &ct);
	if (r < 0) return r;
	*ns = ct.user_ns + ct.system_ns;
	return 0;
}

CHCORE_LINUX_SYSCALL(getrusage)
{
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	if (a0 == RUSAGE_CHILDREN) {
		ru.ru_utime = ns_to_tv(__atomic_load_n(&children_user, __ATOMIC_RELAXED));
		ru.ru_stime = ns_to_tv(__atomic_load_n(&children_sys, __ATOMIC_RELAXED));
	} else if (a0 == RUSAGE_SELF || a0 == RUSAGE_THREAD) {
		struct chcore_cpu_time ct;
		long r = cpu_time(a0 == RUSAGE_THREAD ? CHCORE_CPU_TIME_THREAD : CHCORE_CPU_TIME_PROCESS,
		                  &ct);
		if (r < 0) return r;
		ru.ru_utime = ns_to_tv(ct.user_ns);
		ru.ru_stime = ns_to_tv(ct.system_ns);
	} else {
		return -EINVAL;
	}
	return __chcore_copy_out((void *)a1, &ru, sizeof ru);
}

CHCORE_LINUX_SYSCALL(times)
{
	if (a0) {
		struct chcore_cpu_time ct;
		long r = cpu_time(CHCORE_CPU_TIME_PROCESS, &ct);
		if (r < 0) return r;
		struct tms t = {
			.tms_utime = (clock_t)(ct.user_ns / (NS_PER_SEC / USER_HZ)),
			.tms_stime = (clock_t)(ct.system_ns / (NS_PER_SEC / USER_HZ)),
			.tms_cutime = (clock_t)(__atomic_load_n(&children_user, __ATOMIC_RELAXED) /
			                        (NS_PER_SEC / USER_HZ)),
			.tms_cstime = (clock_t)(__atomic_load_n(&children_sys, __ATOMIC_RELAXED) /
			                        (NS_PER_SEC / USER_HZ)),
		};
		if (__chcore_copy_out((void *)a0, &t, sizeof t) < 0) return -EFAULT;
	}
	/* Elapsed real time in clock ticks, from an arbitrary point (boot). */
	return (long)(__chcore_monotonic_ns() / (NS_PER_SEC / USER_HZ));
}

/* ---- Timers ------------------------------------------------------------------- */

/* timer_create(clock, sigevent, timerid): musl passes Linux's struct
 * ksigevent {sigval, signo, notify, tid}, the layout of chcore_sigevent. */
CHCORE_LINUX_SYSCALL(timer_create)
{
	struct chcore_sigevent ev;
	unsigned long evp = 0;
	if (a1) {
		memset(&ev, 0, sizeof ev);
		if (__chcore_copy_in(&ev, (const void *)a1, 20) < 0) return -EFAULT;
		evp = (unsigned long)&ev;
	}
	int id;
	long r = __chcore_sys_timer_create((unsigned long)a0, evp);
	if (r < 0) return r;
	id = (int)r;
	if (__chcore_copy_out((void *)a2, &id, sizeof id) < 0) {
		__chcore_sys_timer_delete((unsigned long)r);
		return -EFAULT;
	}
	return 0;
}

/* The kernel checks the pointers itself (it reads and writes the caller's
 * memory with its own checks). */
CHCORE_LINUX_SYSCALL(timer_settime)
{
	return __chcore_sys_timer_settime((unsigned long)a0, (unsigned long)a1, (unsigned long)a2,
	                                  (unsigned long)a3);
}

CHCORE_LINUX_SYSCALL(timer_gettime)
{
	long r = __chcore_sys_timer_gettime((unsigned long)a0, (unsigned long)a1);
	return r < 0 ? r : 0;
}

CHCORE_LINUX_SYSCALL(timer_getoverrun)
{
	return __chcore_sys_timer_gettime((unsigned long)a0, 0);
}

CHCORE_LINUX_SYSCALL(timer_delete)
{
	return __chcore_sys_timer_delete((unsigned long)a0);
}

static struct chcore_timespec tv_to_ts(struct timeval tv)
{
	return (struct chcore_timespec){ tv.tv_sec, tv.tv_usec * 1000 };
}

static struct timeval ts_to_tv(struct chcore_timespec ts)
{
	/* Rounded up, as Linux: a timer that is armed never reads as 0. */
	return (struct timeval){ ts.tv_sec, (ts.tv_nsec + 999) / 1000 };
}

static void itimerval_of(struct itimerval *out, const struct chcore_itimerspec *in)
{
	out->it_interval = ts_to_tv(in->interval);
	out->it_value = ts_to_tv(in->value);
	if (out->it_value.tv_usec == 1000000) {
		out->it_value.tv_sec++;
		out->it_value.tv_usec = 0;
	}
	if (out->it_interval.tv_usec == 1000000) {
		out->it_interval.tv_sec++;
		out->it_interval.tv_usec = 0;
	}
}

CHCORE_LINUX_SYSCALL(getitimer)
{
	if ((unsigned long)a0 > ITIMER_PROF) return -EINVAL;
	struct chcore_itimerspec cur;
	memset(&cur, 0, sizeof cur);
	int id = __atomic_load_n(&itimer_id[a0], __ATOMIC_ACQUIRE);
	if (id >= 0) {
		long r = __chcore_sys_timer_gettime((unsigned long)id, (unsigned long)&cur);
		if (r < 0) return r;
	}
	struct itimerval v;
	itimerval_of(&v, &cur);
	return __chcore_copy_out((void *)a1, &v, sizeof v);
}

CHCORE_LINUX_SYSCALL(setitimer)
{
	static const struct {
		unsigned long clock;
		int sig;
	} kind[3] = { { CLOCK_MONOTONIC, SIGALRM },
		      { CHCORE_CLOCK_PROCESS_VIRT, SIGVTALRM },
		      { CLOCK_PROCESS_CPUTIME_ID, SIGPROF } };
	if ((unsigned long)a0 > ITIMER_PROF) return -EINVAL;
	struct itimerval nv;
	if (__chcore_copy_in(&nv, (const void *)a1, sizeof nv) < 0) return -EFAULT;
	if (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 ||
	    nv.it_interval.tv_usec < 0 || nv.it_interval.tv_usec >= 1000000 ||
	    nv.it_value.tv_sec < 0 || nv.it_interval.tv_sec < 0)
		return -EINVAL;
	int id = __atomic_load_n(&itimer_id[a0], __ATOMIC_ACQUIRE);
	if (id < 0) {
		LOCK(itimer_lock);
		id = itimer_id[a0];
		if (id < 0) {
			struct chcore_sigevent ev = { .signo = kind[a0].sig,
						      .notify = CHCORE_SIGEV_SIGNAL };
			long r = __chcore_sys_timer_create(kind[a0].clock, (unsigned long)&ev);
			if (r >= 0) __atomic_store_n(&itimer_id[a0], id = (int)r, __ATOMIC_RELEASE);
			if (r < 0) {
				UNLOCK(itimer_lock);
				return r;
			}
		}
		UNLOCK(itimer_lock);
	}
	struct chcore_itimerspec spec = { tv_to_ts(nv.it_interval), tv_to_ts(nv.it_value) }, old;
	long r = __chcore_sys_timer_settime((unsigned long)id, 0, (unsigned long)&spec,
	                                    (unsigned long)&old);
	if (r < 0) return r;
	if (a2) {
		struct itimerval ov;
		itimerval_of(&ov, &old);
		if (__chcore_copy_out((void *)a2, &ov, sizeof ov) < 0) return -EFAULT;
	}
	return 0;
}

/* ---- prctl ------------------------------------------------------------------ */

/* The name PR_SET_NAME gave, "" if none: PR_GET_NAME then reports the
 * program's name (Linux's comm after an exec). */
static char comm[16];
static volatile int comm_lock[1];

CHCORE_LINUX_SYSCALL(prctl)
{
	char name[16];
	switch (a0) {
	case PR_SET_NAME: {
		/* Up to 15 bytes of the string, as Linux. */
		memset(name, 0, sizeof name);
		for (int i = 0; i < 15; i++) {
			if (__chcore_copy_in(&name[i], (const char *)a1 + i, 1) < 0) return -EFAULT;
			if (!name[i]) break;
		}
		struct chcore_srv *s = __chcore_procmgr();
		if (s) {
			unsigned long w[2];
			memcpy(w, name, sizeof w);
			struct chcore_ipc_result out;
			LOCK(s->lock);
			long r = __chcore_srv_call(s, PROCMGR_SET_NAME, w[0], w[1], 0, 0, 0, 0, &out);
			UNLOCK(s->lock);
			if (r < 0) return r;
		}
		LOCK(comm_lock);
		memcpy(comm, name, sizeof comm);
		UNLOCK(comm_lock);
		return 0;
	}
	case PR_GET_NAME:
		LOCK(comm_lock);
		memcpy(name, comm, sizeof name);
		UNLOCK(comm_lock);
		if (!name[0] && __chcore_argc > 0 && __chcore_argv[0]) {
			const char *p = __chcore_argv[0], *slash = strrchr(p, '/');
			strncpy(name, slash ? slash + 1 : p, 15);
			name[15] = 0;
		}
		return __chcore_copy_out((void *)a1, name, 16);
	default:
		return -EINVAL;
	}
}
