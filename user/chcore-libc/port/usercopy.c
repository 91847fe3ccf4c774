/* chcore-libc: the caller's memory. A handler of a system call runs in the
 * calling process, but the pointers it is given are the caller's, as
 * unchecked as a kernel's: Linux promises EFAULT for a bad one (NULL, a
 * kernel address, an unmapped or read-only page), and a handler that
 * dereferenced it itself would kill the program instead. So handlers read
 * and write caller memory only through these two functions, which copy
 * with the kernel's user_copy (kernel/syscall/sys_usercopy.cpp): the kernel
 * checks the ranges and recovers from the fault.
 *
 * Always the kernel call, whatever the pointer: no guessing here which
 * addresses are safe. A copy of 0 bytes touches nothing and succeeds, as
 * the kernel's does. */
#include <errno.h>
#include "chcore_port.h"

static long copy(void *dst, const void *src, size_t len)
{
	while (len > 0) {
		size_t n = len < CHCORE_USER_COPY_MAX ? len : CHCORE_USER_COPY_MAX;
		long r = __chcore_sys_user_copy((unsigned long)dst, (unsigned long)src, n);
		if (r < 0) return r;
		dst = (char *)dst + n;
		src = (const char *)src + n;
		len -= n;
	}
	return 0;
}

long __chcore_copy_in(void *dst, const void *user_src, size_t len)
{
	return copy(dst, user_src, len);
}

long __chcore_copy_out(void *user_dst, const void *src, size_t len)
{
	return copy(user_dst, src, len);
}
