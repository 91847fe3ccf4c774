/* chcore-libc: the native kernel-call stubs, generated from the one list in
 * uapi/syscall_nr.h. This is the only file of the libc that executes `svc`
 * (ChCore's convention: number in x8, arguments in x0-x5, result in x0; the
 * kernel preserves every other register). Everything else reaches the
 * kernel through these functions. */
#include "chcore_native.h"

#define CHCORE_SVC(...) \
	__asm__ __volatile__("svc #0" : "+r"(x0) : "r"(x8) __VA_ARGS__ : "memory"); \
	return x0

#define CHCORE_STUB_0(nr, name) \
	long __chcore_sys_##name(void) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0"); \
		__asm__ __volatile__("svc #0" : "=r"(x0) : "r"(x8) : "memory"); \
		return x0; \
	}

#define CHCORE_STUB_1(nr, name) \
	long __chcore_sys_##name(unsigned long a0) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		CHCORE_SVC(/* no more arguments */); \
	}

#define CHCORE_STUB_2(nr, name) \
	long __chcore_sys_##name(unsigned long a0, unsigned long a1) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		register unsigned long x1 __asm__("x1") = a1; \
		CHCORE_SVC(, "r"(x1)); \
	}

#define CHCORE_STUB_3(nr, name) \
	long __chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		register unsigned long x1 __asm__("x1") = a1; \
		register unsigned long x2 __asm__("x2") = a2; \
		CHCORE_SVC(, "r"(x1), "r"(x2)); \
	}

#define CHCORE_STUB_4(nr, name) \
	long __chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2, \
	                         unsigned long a3) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		register unsigned long x1 __asm__("x1") = a1; \
		register unsigned long x2 __asm__("x2") = a2; \
		register unsigned long x3 __asm__("x3") = a3; \
		CHCORE_SVC(, "r"(x1), "r"(x2), "r"(x3)); \
	}

#define CHCORE_STUB_5(nr, name) \
	long __chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2, \
	                         unsigned long a3, unsigned long a4) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		register unsigned long x1 __asm__("x1") = a1; \
		register unsigned long x2 __asm__("x2") = a2; \
		register unsigned long x3 __asm__("x3") = a3; \
		register unsigned long x4 __asm__("x4") = a4; \
		CHCORE_SVC(, "r"(x1), "r"(x2), "r"(x3), "r"(x4)); \
	}

#define CHCORE_STUB_6(nr, name) \
	long __chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2, \
	                         unsigned long a3, unsigned long a4, unsigned long a5) \
	{ \
		register unsigned long x8 __asm__("x8") = (nr); \
		register long x0 __asm__("x0") = (long)a0; \
		register unsigned long x1 __asm__("x1") = a1; \
		register unsigned long x2 __asm__("x2") = a2; \
		register unsigned long x3 __asm__("x3") = a3; \
		register unsigned long x4 __asm__("x4") = a4; \
		register unsigned long x5 __asm__("x5") = a5; \
		CHCORE_SVC(, "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)); \
	}

#define CHCORE_STUB(nr, name, nargs) CHCORE_STUB_##nargs(nr, name)
CHCORE_SYSCALLS(CHCORE_STUB)
