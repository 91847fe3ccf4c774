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
                       struct chcore_ipc_out *out)
{
	register long x0 __asm__("x0") = conn;
	register unsigned long x1 __asm__("x1") = w[0];
	register unsigned long x2 __asm__("x2") = w[1];
	register unsigned long x3 __asm__("x3") = w[2];
	register unsigned long x4 __asm__("x4") = w[3];
	register unsigned long x5 __asm__("x5") = info;
	register unsigned long x6 __asm__("x6") = (unsigned long)caps;
	register unsigned long x7 __asm__("x7");
	register unsigned long x8 __asm__("x8") = CHCORE_SYS_ipc_call;
	__asm__ volatile("svc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
	                   "=r"(x7)
	                 : "r"(x8)
	                 : "memory");
	out->ret = x0;
	out->w[0] = x1;
	out->w[1] = x2;
	out->w[2] = x3;
	out->w[3] = x4;
	out->info = x5;
	out->caps_lo = x6;
	out->caps_hi = x7;
	return x0;
}
