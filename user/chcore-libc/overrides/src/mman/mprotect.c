/* chcore-libc: mprotect, replacing musl's src/mman/mprotect.c.
 *
 * musl widens the range to whole pages before the system call (the start
 * down, the end up). For a huge length the end wraps around: mprotect(p,
 * SIZE_MAX) became a call for 0 bytes, which "succeeds" and protects
 * nothing. Here a range whose end, or whose end rounded up, wraps is handed
 * to the system call as it is, and the port's handler refuses it with
 * ENOMEM, as Linux's does (port/mm.c); every other range is widened as
 * musl widens it. */
#include <sys/mman.h>
#include "libc.h"
#include "syscall.h"

int __mprotect(void *addr, size_t len, int prot)
{
	size_t first = (size_t)addr & -PAGE_SIZE;
	size_t last = (size_t)addr + len; /* one past the range */
	if (last < (size_t)addr || last > -PAGE_SIZE)
		return syscall(SYS_mprotect, first, len, prot);
	size_t end = (last + PAGE_SIZE - 1) & -PAGE_SIZE;
	return syscall(SYS_mprotect, first, end - first, prot);
}

weak_alias(__mprotect, mprotect);
