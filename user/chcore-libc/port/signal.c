/* chcore-libc: signals. The kernel keeps the actions, the masks and the
 * pending sets, and delivers signals with Linux's AArch64 frames at its
 * exit to user space (docs/signals.md); these handlers only translate
 * Linux's calls into the kernel's (docs/abi.md):
 *   rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack, rt_sigreturn
 *                      -> sigaction, sigprocmask, sigpending, sigaltstack,
 *                         sigreturn
 *   rt_sigsuspend      -> sigsuspend (the mask by value)
 *   rt_sigtimedwait    -> sigtimedwait (the timeout as a CLOCK_MONOTONIC
 *                         deadline, as poll's)
 *   tkill, tgkill      -> signal_thread (threads of this process);
 *                         procmgr (signal_thread_of) for another process's
 *   rt_tgsigqueueinfo  -> signal_thread_of (slot 0, or through procmgr)
 *   kill               -> signal_cap_group on slot 0 for this process;
 *                         procmgr for another one
 * musl's sigaction installs __restore_rt (overrides/src/signal/aarch64/
 * restore.s) as every handler's return address; it makes the kernel's
 * sigreturn call. pthread_cancel's SIGCANCEL is sent like any signal;
 * its handler (overrides/src/thread/pthread_cancel.c) and the
 * cancellation points' blocking calls (__chcore_cp_svc, native_syscall.c)
 * act on it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "chcore_port.h"
#include "uapi/pipe.h" /* CHCORE_POLL_NOW, CHCORE_POLL_FOREVER */
#include "uapi/signal.h"

#define SIGSET_BYTES (_NSIG / 8)

/* Which signals this process ignores (bit sig - 1), kept beside the
 * kernel's actions for posix_spawn and execve, which pass them on (a
 * signal ignored stays ignored across an exec, as on Linux). Copied by
 * fork with the rest of memory, as the kernel copies the actions. */
unsigned long __chcore_sig_ignored;

CHCORE_LINUX_SYSCALL(rt_sigaction)
{
	if (a3 != SIGSET_BYTES) return -EINVAL;
	long r = __chcore_sys_sigaction(a0, a1, a2);
	if (r == 0 && a1 && a0 >= 1 && a0 <= 64) {
		struct chcore_sigaction now;
		if (__chcore_sys_sigaction(a0, 0, (unsigned long)&now) == 0) {
			unsigned long bit = 1ul << (a0 - 1);
			if (now.handler == CHCORE_SIG_IGN) __atomic_fetch_or(&__chcore_sig_ignored, bit, __ATOMIC_RELAXED);
			else __atomic_fetch_and(&__chcore_sig_ignored, ~bit, __ATOMIC_RELAXED);
		}
	}
	return r;
}

CHCORE_LINUX_SYSCALL(rt_sigprocmask)
{
	if (a3 != SIGSET_BYTES) return -EINVAL;
	return __chcore_sys_sigprocmask(a0, a1, a2);
}

CHCORE_LINUX_SYSCALL(rt_sigpending)
{
	if (a1 > SIGSET_BYTES) return -EINVAL;
	unsigned long set;
	long r = __chcore_sys_sigpending((unsigned long)&set);
	if (r < 0) return r;
	return __chcore_copy_out((void *)a0, &set, a1);
}

CHCORE_LINUX_SYSCALL(sigaltstack)
{
	return __chcore_sys_sigaltstack(a0, a1);
}

CHCORE_LINUX_SYSCALL(rt_sigsuspend)
{
	unsigned long mask;
	if (a1 != SIGSET_BYTES) return -EINVAL;
	if (__chcore_copy_in(&mask, (const void *)a0, sizeof mask) < 0) return -EFAULT;
	return __chcore_sys_sigsuspend(mask);
}

/* rt_sigtimedwait(set, info, timeout, sigsetsize) */
CHCORE_LINUX_SYSCALL(rt_sigtimedwait)
{
	unsigned long set, deadline = CHCORE_POLL_FOREVER;
	if (a3 != SIGSET_BYTES) return -EINVAL;
	if (__chcore_copy_in(&set, (const void *)a0, sizeof set) < 0) return -EFAULT;
	if (a2) {
		struct timespec ts, now;
		if (__chcore_copy_in(&ts, (const void *)a2, sizeof ts) < 0) return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000l) return -EINVAL;
		if (ts.tv_sec == 0 && ts.tv_nsec == 0) {
			deadline = CHCORE_POLL_NOW;
		} else {
			__chcore_sys_clock_gettime(CLOCK_MONOTONIC, (unsigned long)&now);
			unsigned long base = (unsigned long)now.tv_sec * 1000000000ul + (unsigned long)now.tv_nsec;
			unsigned long add = (unsigned long)ts.tv_nsec;
			if ((unsigned long)ts.tv_sec > (CHCORE_POLL_FOREVER - 2 - add - base) / 1000000000ul)
				deadline = CHCORE_POLL_FOREVER - 1; /* centuries away */
			else
				deadline = base + (unsigned long)ts.tv_sec * 1000000000ul + add;
		}
	}
	return __chcore_sys_sigtimedwait(set, a1, deadline);
}

/* Reached only through the dispatcher (a program calling
 * syscall(SYS_rt_sigreturn)), with no frame at sp: the kernel ends the
 * process as SIGSEGV would. Handlers return through __restore_rt. */
CHCORE_LINUX_SYSCALL(rt_sigreturn)
{
	return __chcore_sys_sigreturn();
}

static long to_thread(long tid, long sig)
{
	if (tid <= 0) return -EINVAL;
	if (sig < 0 || sig >= _NSIG) return -EINVAL;
	return __chcore_sys_signal_thread((unsigned long)tid, (unsigned long)sig,
	                                  (unsigned long)__chcore_pid);
}

long __chcore_raise_self(int sig)
{
	return to_thread(__chcore_sys_gettid(), sig);
}

CHCORE_LINUX_SYSCALL(tkill)
{
	return to_thread((long)a0, (long)a1);
}

static int is_self_process(long pid)
{
	long me = __chcore_pid ? __chcore_pid : __chcore_sys_gettid();
	return pid == me || pid == 0;
}

CHCORE_LINUX_SYSCALL(tgkill)
{
	if ((long)a0 <= 0 || (long)a1 <= 0 || a2 >= _NSIG) return -EINVAL;
	if (!is_self_process((long)a0))
		return __chcore_tgkill_other((long)a0, (long)a1, (int)a2, SI_TKILL, 0);
	return to_thread((long)a1, (long)a2);
}

/* rt_tgsigqueueinfo(pid, tid, sig, info): a queued signal (si_code SI_QUEUE
 * and its kin, with the info's value) to one thread; of the caller's own
 * process through slot 0, of another one through procmgr. si_pid is the
 * sender's. */
CHCORE_LINUX_SYSCALL(rt_tgsigqueueinfo)
{
	if ((long)a0 <= 0 || (long)a1 <= 0 || a2 >= _NSIG) return -EINVAL;
	siginfo_t si;
	if (__chcore_copy_in(&si, (const void *)a3, sizeof si) < 0) return -EFAULT;
	int self = is_self_process((long)a0);
	if (si.si_code >= 0 || si.si_code == SI_TKILL) return self ? -EINVAL : -EPERM;
	unsigned long value = (unsigned long)si.si_value.sival_ptr;
	if (self)
		return __chcore_sys_signal_thread_of(0, a1, a2, (unsigned long)__chcore_pid,
		                                     (unsigned long)(long)si.si_code, value);
	return __chcore_tgkill_other((long)a0, (long)a1, (int)a2, si.si_code, value);
}

/* rt_sigqueueinfo(pid, sig, info): sigqueue. The info's si_value goes
 * along with si_code SI_QUEUE (the only code accepted here besides the
 * other negative ones the kernel knows, for the caller's own process);
 * si_pid is the sender's, whatever the info says. */
CHCORE_LINUX_SYSCALL(rt_sigqueueinfo)
{
	if (a1 >= _NSIG) return -EINVAL;
	siginfo_t si;
	if (__chcore_copy_in(&si, (const void *)a2, sizeof si) < 0) return -EFAULT;
	int self = (long)a0 > 0 && is_self_process((long)a0);
	/* Codes of the kernel's own (>= 0) and tkill's may not be forged for
	 * another process (Linux's rule). */
	if (si.si_code >= 0 || si.si_code == SI_TKILL) return self ? -EINVAL : -EPERM;
	unsigned long value = (unsigned long)si.si_value.sival_ptr;
	if (self)
		return __chcore_sys_signal_cap_group(0, a1, (unsigned long)__chcore_pid,
		                                     (unsigned long)(long)si.si_code, value);
	if (si.si_code != SI_QUEUE) return -EINVAL;
	return __chcore_sigqueue_other((long)a0, (int)a1, value);
}

CHCORE_LINUX_SYSCALL(kill)
{
	if (a1 >= _NSIG) return -EINVAL;
	/* This process: slot 0 is the process's capability to itself. */
	if ((long)a0 > 0 && is_self_process((long)a0))
		return __chcore_sys_signal_cap_group(0, a1, (unsigned long)__chcore_pid, 0, 0);
	/* Another process or a group: procmgr delivers it to the others; the
	 * caller, when among the targets (1), signals itself. */
	long r = __chcore_kill_other((long)a0, (int)a1);
	if (r != 1) return r;
	return __chcore_sys_signal_cap_group(0, a1, (unsigned long)__chcore_pid, 0, 0);
}
