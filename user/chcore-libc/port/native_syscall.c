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

#define CHCORE_NATIVE(nr, name, nargs, types) CHCORE_NATIVE_##nargs(name)
CHCORE_SYSCALLS(CHCORE_NATIVE)

long __chcore_ipc_call(long conn, const unsigned long w[4], unsigned long info, const unsigned *caps,
                       struct chcore_ipc_result *out)
{
	return chcore_ipc_call_raw(conn, w[0], w[1], w[2], w[3], info, caps, out);
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
