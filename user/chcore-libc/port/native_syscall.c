/* chcore-libc: the native kernel-call stubs, generated from the one list in
 * uapi/syscall_nr.h. This is the only file of the libc that executes `svc`
 * (ChCore's convention: number in x8, arguments in x0-x5, result in x0; the
 * kernel preserves every other register). Everything else reaches the
 * kernel through these functions. */
#include "chcore_native.h"
/* libchcore's header (copied here by build-musl.sh): one static inline
 * chcore_sys_<name>() per system call, each a single `svc`. The libc gets
 * out-of-line, hidden copies of them, so that the svc instructions stay in
 * this one object. */
#include "chcore_svc.h"
/* ... and its IPC call. */
#include "chcore_services.h"

typedef unsigned long ul;
#define CHCORE_NATIVE_0(name) \
	long __chcore_sys_##name(void) { return chcore_sys_##name(); }
#define CHCORE_NATIVE_1(name) \
	long __chcore_sys_##name(ul a) { return chcore_sys_##name(a); }
#define CHCORE_NATIVE_2(name) \
	long __chcore_sys_##name(ul a, ul b) { return chcore_sys_##name(a, b); }
#define CHCORE_NATIVE_3(name) \
	long __chcore_sys_##name(ul a, ul b, ul c) { return chcore_sys_##name(a, b, c); }
#define CHCORE_NATIVE_4(name) \
	long __chcore_sys_##name(ul a, ul b, ul c, ul d) { return chcore_sys_##name(a, b, c, d); }
#define CHCORE_NATIVE_5(name) \
	long __chcore_sys_##name(ul a, ul b, ul c, ul d, ul e) \
	{ \
		return chcore_sys_##name(a, b, c, d, e); \
	}
#define CHCORE_NATIVE_6(name) \
	long __chcore_sys_##name(ul a, ul b, ul c, ul d, ul e, ul f) \
	{ \
		return chcore_sys_##name(a, b, c, d, e, f); \
	}

/* The kernel calls that block (and that a signal interrupts with -EINTR or
 * restarts) are cancellation points' waits: they go through
 * __chcore_cp_svc below instead of a plain `svc`. */
#define CHCORE_CP_futex CHCORE_CP_YES
#define CHCORE_CP_clock_nanosleep CHCORE_CP_YES
#define CHCORE_CP_console_read CHCORE_CP_YES
#define CHCORE_CP_pipe_read CHCORE_CP_YES
#define CHCORE_CP_pipe_write CHCORE_CP_YES
#define CHCORE_CP_poll CHCORE_CP_YES
#define CHCORE_CP_notify_wait CHCORE_CP_YES
#define CHCORE_CP_sigsuspend CHCORE_CP_YES
#define CHCORE_CP_sigtimedwait CHCORE_CP_YES
/* IS_CP(name) is 1 for the names above, 0 for every other: CHCORE_CP_name
 * expands to two arguments only when it is defined as CHCORE_CP_YES. */
#define CHCORE_CP_YES ~, 1
#define CP_SECOND(a, b, ...) b
#define CP_PICK(...) CP_SECOND(__VA_ARGS__, 0, ~)
#define IS_CP(name) CP_PICK(CHCORE_CP_##name)
#define CP_CAT(a, b) CP_CAT_(a, b)
#define CP_CAT_(a, b) a##b

/* x0-x5 the arguments, x6 the call's number (asm below). */
long __chcore_cp_svc(ul a, ul b, ul c, ul d, ul e, ul f, ul nr);
#define CP_PARAMS_1 ul a
#define CP_PARAMS_2 ul a, ul b
#define CP_PARAMS_3 ul a, ul b, ul c
#define CP_PARAMS_4 ul a, ul b, ul c, ul d
#define CP_PARAMS_5 ul a, ul b, ul c, ul d, ul e
#define CP_PARAMS_6 ul a, ul b, ul c, ul d, ul e, ul f
#define CP_ARGS_1 a, 0, 0, 0, 0, 0
#define CP_ARGS_2 a, b, 0, 0, 0, 0
#define CP_ARGS_3 a, b, c, 0, 0, 0
#define CP_ARGS_4 a, b, c, d, 0, 0
#define CP_ARGS_5 a, b, c, d, e, 0
#define CP_ARGS_6 a, b, c, d, e, f
#define CHCORE_CP_NATIVE(nr, name, nargs) \
	long __chcore_sys_##name(CP_PARAMS_##nargs) \
	{ \
		return __chcore_cp_svc(CP_ARGS_##nargs, nr); \
	}
#define CHCORE_NATIVE_CP_0(nr, name, nargs) CHCORE_NATIVE_##nargs(name)
#define CHCORE_NATIVE_CP_1(nr, name, nargs) CHCORE_CP_NATIVE(nr, name, nargs)
#define CHCORE_NATIVE(nr, name, nargs, types) CP_CAT(CHCORE_NATIVE_CP_, IS_CP(name))(nr, name, nargs)
CHCORE_SYSCALLS(CHCORE_NATIVE)

/* While a cancellable call is in the dispatcher, &self->cancel (set and
 * put back by __syscall_cp_asm, overrides/src/thread/aarch64/syscall_cp.s);
 * otherwise 0. */
__attribute__((visibility("hidden"))) __thread volatile int *__chcore_cp_flag;

/* A blocking kernel call inside a cancellable one: when a cancellation is
 * pending it returns -EINTR (EINTR = 4) instead of blocking; pthread_cancel's
 * handler (overrides/src/thread/pthread_cancel.c) moves a thread that
 * SIGCANCEL finds between __chcore_cp_svc_begin and __chcore_cp_svc_end
 * (checking, or in the `svc` that the kernel is about to restart) to
 * __chcore_cp_svc_intr. Outside a cancellable call (flag 0) it is a plain
 * `svc`. */
__asm__(".text\n"
        ".global __chcore_cp_svc\n"
        ".hidden __chcore_cp_svc\n"
        ".global __chcore_cp_svc_begin\n"
        ".hidden __chcore_cp_svc_begin\n"
        ".global __chcore_cp_svc_end\n"
        ".hidden __chcore_cp_svc_end\n"
        ".global __chcore_cp_svc_intr\n"
        ".hidden __chcore_cp_svc_intr\n"
        ".type __chcore_cp_svc,%function\n"
        ".balign 4\n"
        "__chcore_cp_svc:\n"
        "\tmov x8, x6\n"
        "__chcore_cp_svc_begin:\n"
        "\tmrs x9, tpidr_el0\n"
        "\tadd x9, x9, #:tprel_hi12:__chcore_cp_flag\n"
        "\tadd x9, x9, #:tprel_lo12_nc:__chcore_cp_flag\n"
        "\tldr x9, [x9]\n"
        "\tcbz x9, 1f\n"
        "\tldr w9, [x9]\n"
        "\tcbnz w9, __chcore_cp_svc_intr\n"
        "1:\tsvc #0\n"
        "__chcore_cp_svc_end:\n"
        "\tret\n"
        "__chcore_cp_svc_intr:\n"
        "\tmov x0, #-4\n"
        "\tret\n"
        ".size __chcore_cp_svc, . - __chcore_cp_svc\n");

long __chcore_ipc_call(long conn, const unsigned long w[4], unsigned long info, const unsigned *caps,
                       struct chcore_ipc_result *out)
{
	return chcore_ipc_call_raw(conn, w[0], w[1], w[2], w[3], info, caps, out);
}

/* The kernel's fork with what it gives the child besides x0 = 0: its own
 * tid in x1 (fork.c). */
long __chcore_sys_fork_tid(ul cg, ul hot, long *child_tid)
{
	register ul x0 __asm__("x0") = cg;
	register ul x1 __asm__("x1") = hot;
	register ul x8 __asm__("x8") = CHCORE_SYS_fork;
	__asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x8) : "memory");
	*child_tid = (long)x1;
	return (long)x0;
}

/* The end of every signal handler (overrides/src/signal/aarch64/restore.s
 * branches here with sp at the signal frame): the kernel's sigreturn,
 * which resumes the interrupted context and never returns here. */
_Static_assert(CHCORE_SYS_sigreturn == 68, "the trampoline below hard-codes it");
__asm__(".text\n"
        ".global __chcore_sigreturn_trampoline\n"
        ".hidden __chcore_sigreturn_trampoline\n"
        ".type __chcore_sigreturn_trampoline,%function\n"
        ".balign 4\n"
        "__chcore_sigreturn_trampoline:\n"
        "\tmov x8, #68\n"
        "\tsvc #0\n"
        "\tbrk #0\n"
        ".size __chcore_sigreturn_trampoline, . - __chcore_sigreturn_trampoline\n");
