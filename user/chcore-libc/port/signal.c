/* chcore-libc: signals, as far as a process can have them without kernel
 * support. The actions (rt_sigaction) and a per-thread mask
 * (rt_sigprocmask) are recorded. A signal a thread sends itself (raise,
 * abort, kill/tkill/tgkill of its own process or thread) is delivered at once
 * as an ordinary call of its handler, or pends while blocked and is
 * delivered when unblocked; the default action of a terminating signal
 * ends the process with status 128 + the signal number. Nothing else raises
 * signals yet (no faults, timers or other processes), and no signal frames
 * exist: handlers get a NULL ucontext. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "ksigaction.h"
#include "lock.h"
#include "chcore_port.h"

#define SIGSET_BYTES (_NSIG / 8)
#define BIT(sig) (1ul << ((sig) - 1))

static struct k_sigaction actions[_NSIG];
static volatile int action_lock[1];
/* Per thread: what it blocks, what waits for it. */
static __thread unsigned long blocked, pending;

static const char *signal_name(int sig)
{
	static const char names[][10] = {
		"?", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
		"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
		"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
		"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
		"SIGIO", "SIGPWR", "SIGSYS",
	};
	return sig > 0 && sig < (int)(sizeof names / sizeof names[0]) ? names[sig] : "SIGRT";
}

static int ignored_by_default(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
	/* No job control: stopping is not possible, so the stop signals do
	 * nothing. */
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return 1;
	default:
		return 0;
	}
}

static void deliver_pending(void);

static void deliver(int sig)
{
	struct k_sigaction ka;
	LOCK(action_lock);
	ka = actions[sig];
	if ((ka.flags & SA_RESETHAND) && (unsigned long)ka.handler > 1)
		actions[sig].handler = SIG_DFL;
	UNLOCK(action_lock);
	if (ka.handler == SIG_IGN) return;
	if (ka.handler == SIG_DFL) {
		if (sig != SIGKILL && ignored_by_default(sig)) return;
		__chcore_message("chcore-libc: %s terminated by signal %d (%s)\n",
		                 __chcore_argv && __chcore_argv[0] ? __chcore_argv[0] : "program",
		                 sig, signal_name(sig));
		for (;;) __chcore_sys_exit_group(128 + (unsigned long)sig);
	}
	unsigned long saved = blocked;
	unsigned long mask;
	memcpy(&mask, ka.mask, sizeof mask);
	blocked |= mask | ((ka.flags & SA_NODEFER) ? 0 : BIT(sig));
	blocked &= ~(BIT(SIGKILL) | BIT(SIGSTOP));
	if (ka.flags & SA_SIGINFO) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = sig;
		si.si_code = SI_TKILL;
		si.si_pid = (int)__chcore_pid;
		si.si_uid = 0;
		((void (*)(int, siginfo_t *, void *))(void (*)(void))ka.handler)(sig, &si, 0);
	} else {
		ka.handler(sig);
	}
	blocked = saved;
	deliver_pending();
}

static void deliver_pending(void)
{
	unsigned long ready;
	while ((ready = pending & ~blocked) != 0) {
		int sig = __builtin_ctzl(ready) + 1;
		pending &= ~BIT(sig);
		deliver(sig);
	}
}

long __chcore_raise_self(int sig)
{
	if (sig < 0 || sig >= _NSIG) return -EINVAL;
	if (sig == 0) return 0;
	if ((blocked & BIT(sig)) && sig != SIGKILL && sig != SIGSTOP) {
		pending |= BIT(sig);
		return 0;
	}
	deliver(sig);
	return 0;
}

/* rt_sigaction(sig, act, oldact, sigsetsize) */
CHCORE_LINUX_SYSCALL(rt_sigaction)
{
	int sig = (int)a0;
	const struct k_sigaction *act = (const struct k_sigaction *)a1;
	struct k_sigaction *old = (struct k_sigaction *)a2;
	if (a3 != SIGSET_BYTES) return -EINVAL;
	/* As Linux: the new action is read first (EFAULT changes nothing),
	 * the old one stored after the change. */
	struct k_sigaction copy, prev;
	if (act && __chcore_copy_in(&copy, act, sizeof copy) < 0) return -EFAULT;
	if (sig < 1 || sig >= _NSIG) return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP)) return -EINVAL;
	LOCK(action_lock);
	prev = actions[sig];
	if (act) actions[sig] = copy;
	UNLOCK(action_lock);
	if (old) return __chcore_copy_out(old, &prev, sizeof prev);
	return 0;
}

/* rt_sigprocmask(how, set, oldset, sigsetsize) */
CHCORE_LINUX_SYSCALL(rt_sigprocmask)
{
	int how = (int)a0;
	const unsigned long *set = (const unsigned long *)a1;
	unsigned long *oldset = (unsigned long *)a2;
	if (a3 != SIGSET_BYTES) return -EINVAL;
	unsigned long old = blocked;
	if (set) {
		unsigned long s;
		if (__chcore_copy_in(&s, set, sizeof s) < 0) return -EFAULT;
		switch (how) {
		case SIG_BLOCK: blocked |= s; break;
		case SIG_UNBLOCK: blocked &= ~s; break;
		case SIG_SETMASK: blocked = s; break;
		default: return -EINVAL;
		}
		blocked &= ~(BIT(SIGKILL) | BIT(SIGSTOP));
	}
	long r = oldset ? __chcore_copy_out(oldset, &old, sizeof old) : 0;
	deliver_pending();
	return r;
}

static int is_self_thread(long tid)
{
	return tid == __chcore_sys_gettid();
}

static int is_self_process(long pid)
{
	long me = __chcore_pid ? __chcore_pid : __chcore_sys_gettid();
	return pid == me || pid == 0;
}

/* A signal for another thread of this process. Only pthread_cancel's can
 * be honoured: it has set the target's cancellation flag already, which
 * the target acts on at its next cancellation point (a blocking call it is
 * already in is not interrupted). Anything else cannot be delivered yet. */
static long signal_other_thread(int sig)
{
	if (sig == 33 /* SIGCANCEL, musl-internal */ || sig == 0) return 0;
	return -ENOSYS;
}

CHCORE_LINUX_SYSCALL(tkill)
{
	if (a0 <= 0 || a1 < 0 || a1 >= _NSIG) return -EINVAL;
	if (!is_self_thread(a0)) return signal_other_thread((int)a1);
	return __chcore_raise_self((int)a1);
}

CHCORE_LINUX_SYSCALL(tgkill)
{
	if (a0 <= 0 || a1 <= 0 || a2 < 0 || a2 >= _NSIG) return -EINVAL;
	if (!is_self_process(a0)) return -ESRCH;
	if (!is_self_thread(a1)) return signal_other_thread((int)a2);
	return __chcore_raise_self((int)a2);
}

CHCORE_LINUX_SYSCALL(kill)
{
	/* kill(0 or own pid): the calling thread takes it, as Linux would pick
	 * a thread that does not block it. */
	if (a0 <= 0 || !is_self_process(a0)) {
		/* Another process or a group: procmgr acts on the others
		 * (default actions only, for now); the caller takes its own. */
		if (a1 < 0 || a1 > 64) return -EINVAL;
		long r = __chcore_kill_other(a0, (int)a1);
		if (r != 1) return r;
		if (a1 == 0) return 0;
	}
	return __chcore_raise_self((int)a1);
}

CHCORE_LINUX_SYSCALL(rt_sigreturn)
{
	__chcore_message("chcore-libc: rt_sigreturn without a signal frame; exiting\n");
	for (;;) __chcore_sys_exit_group(128 + SIGSEGV);
}
