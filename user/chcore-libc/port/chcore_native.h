/* chcore-libc: ChCore's own kernel calls, as functions.
 *
 * For every X(nr, name, nargs) of CHCORE_SYSCALLS (kernel/include/uapi/
 * syscall_nr.h) there is
 *     long __chcore_sys_<name>(unsigned long a0, ... a<nargs-1>);
 * defined out of line in native_syscall.c, the one file of libc.a that
 * contains `svc` (the build checks this). A result >= 0 is a value, < 0 a
 * negative errno (Linux's numbers). */
#ifndef CHCORE_NATIVE_H
#define CHCORE_NATIVE_H

#include "uapi/errno.h"
#include "uapi/object.h"
#include "uapi/syscall_nr.h"

#define CHCORE_NATIVE_HIDDEN __attribute__((__visibility__("hidden")))
#define CHCORE_NATIVE_PARAMS_0 void
#define CHCORE_NATIVE_PARAMS_1 unsigned long
#define CHCORE_NATIVE_PARAMS_2 unsigned long, unsigned long
#define CHCORE_NATIVE_PARAMS_3 unsigned long, unsigned long, unsigned long
#define CHCORE_NATIVE_PARAMS_4 unsigned long, unsigned long, unsigned long, unsigned long
#define CHCORE_NATIVE_PARAMS_5 \
	unsigned long, unsigned long, unsigned long, unsigned long, unsigned long
#define CHCORE_NATIVE_PARAMS_6 \
	unsigned long, unsigned long, unsigned long, unsigned long, unsigned long, unsigned long

#define CHCORE_NATIVE_DECL(nr, name, nargs, types) \
	CHCORE_NATIVE_HIDDEN long __chcore_sys_##name(CHCORE_NATIVE_PARAMS_##nargs);
CHCORE_SYSCALLS(CHCORE_NATIVE_DECL)
#undef CHCORE_NATIVE_DECL



#endif
