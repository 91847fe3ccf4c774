/* chcore-libc: thread cancellation (replaces musl's pthread_cancel.c).
 *
 * As in musl: pthread_cancel sets the target's `cancel` flag and sends it
 * SIGCANCEL; a cancellable system call checks the flag first
 * (__syscall_cp_asm), and a call that ends with -EINTR while a
 * cancellation is pending acts on it (__syscall_cp_c). The handler below
 * decides from where SIGCANCEL found the thread:
 *   - asynchronous cancellation enabled, or at the flag check
 *     (__cp_begin..__cp_end): the thread goes on at __cp_cancel, which
 *     ends it;
 *   - in a blocking kernel call made by a cancellable call
 *     (__chcore_cp_svc_begin..__chcore_cp_svc_end in port/native_syscall.c,
 *     with __chcore_cp_flag set): the call returns -EINTR (also when the
 *     kernel was about to restart it, SA_RESTART), and the dispatcher
 *     unwinds as for any interrupted call, releasing what it holds;
 *   - anywhere else: SIGCANCEL is sent again and stays blocked in the
 *     interrupted context; the thread acts at its next check (the flag
 *     check of its next cancellable call, or __chcore_cp_svc's check if
 *     it is inside one now). If the interrupted context was a signal
 *     handler that interrupted a cancellable call, the signal is
 *     delivered again when that handler returns.
 * Linux needs only the first two cases' ranges because a cancellable call
 * is one `svc` there; here it is the dispatcher's work, and only its
 * blocking kernel calls are places to cancel at. */
#define _GNU_SOURCE
#include <string.h>
#include "pthread_impl.h"
#include "syscall.h"

hidden long __cancel(), __syscall_cp_asm(), __syscall_cp_c();

extern hidden const char __cp_begin[1], __cp_end[1], __cp_cancel[1];
extern hidden const char __chcore_cp_svc_begin[1], __chcore_cp_svc_end[1],
	__chcore_cp_svc_intr[1];
extern hidden __thread volatile int *__chcore_cp_flag;

/* Ends the calling thread as cancelled, unless cancellation is masked
 * (musl's PTHREAD_CANCEL_MASKED): then the call fails with ECANCELED and
 * later ones are not cancelled. */
long __cancel()
{
	pthread_t self = __pthread_self();
	if (self->canceldisable == PTHREAD_CANCEL_ENABLE || self->cancelasync)
		pthread_exit(PTHREAD_CANCELED);
	self->canceldisable = PTHREAD_CANCEL_DISABLE;
	return -ECANCELED;
}

long __syscall_cp_asm(volatile void *, syscall_arg_t, syscall_arg_t, syscall_arg_t,
                      syscall_arg_t, syscall_arg_t, syscall_arg_t, syscall_arg_t);

long __syscall_cp_c(syscall_arg_t nr, syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                    syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	pthread_t self = __pthread_self();
	int state = self->canceldisable;
	/* Disabled (or masked, for close, which must not fail on it): a
	 * plain call. */
	if (state == PTHREAD_CANCEL_DISABLE || (state && nr == SYS_close))
		return __syscall(nr, u, v, w, x, y, z);
	long r = __syscall_cp_asm(&self->cancel, nr, u, v, w, x, y, z);
	if (r == -EINTR && nr != SYS_close && self->cancel &&
	    self->canceldisable != PTHREAD_CANCEL_DISABLE)
		r = __cancel();
	return r;
}

static int between(uintptr_t pc, const char *begin, const char *end)
{
	return pc >= (uintptr_t)begin && pc < (uintptr_t)end;
}

static void on_sigcancel(int sig, siginfo_t *si, void *ctx)
{
	pthread_t self = __pthread_self();
	ucontext_t *uc = ctx;
	uintptr_t pc = uc->uc_mcontext.MC_PC;
	(void)sig;
	(void)si;

	a_barrier();
	if (!self->cancel || self->canceldisable == PTHREAD_CANCEL_DISABLE) return;

	/* The interrupted context runs on with SIGCANCEL blocked. */
	unsigned bit = SIGCANCEL - 1;
	uc->uc_sigmask.__bits[bit / (8 * sizeof(long))] |= 1UL << (bit % (8 * sizeof(long)));

	if (self->cancelasync || between(pc, __cp_begin, __cp_end)) {
		uc->uc_mcontext.MC_PC = (uintptr_t)__cp_cancel;
		return;
	}
	if (__chcore_cp_flag && between(pc, __chcore_cp_svc_begin, __chcore_cp_svc_end)) {
		uc->uc_mcontext.MC_PC = (uintptr_t)__chcore_cp_svc_intr;
		return;
	}
	__syscall(SYS_tkill, self->tid, SIGCANCEL);
}

void __testcancel()
{
	pthread_t self = __pthread_self();
	if (self->cancel && !self->canceldisable) __cancel();
}

static void install_handler(void)
{
	struct sigaction sa = {
		.sa_flags = SA_SIGINFO | SA_RESTART,
		.sa_sigaction = on_sigcancel,
	};
	/* Every signal blocked while it runs. */
	memset(&sa.sa_mask, -1, _NSIG / 8);
	__libc_sigaction(SIGCANCEL, &sa, 0);
}

int pthread_cancel(pthread_t t)
{
	static int installed;
	if (!installed) {
		install_handler();
		installed = 1;
	}
	a_store(&t->cancel, 1);
	if (t == pthread_self()) {
		if (t->canceldisable == PTHREAD_CANCEL_ENABLE && t->cancelasync)
			pthread_exit(PTHREAD_CANCELED);
		return 0;
	}
	return pthread_kill(t, SIGCANCEL);
}
