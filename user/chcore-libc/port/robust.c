/* Robust and priority-inheritance futexes: the kernel keeps each thread's
 * robust list head and walks it when the thread exits (kernel/sched/
 * futex.cpp); FUTEX_LOCK_PI and friends pass through the futex handler. */
#include <errno.h>
#include "chcore_port.h"

CHCORE_LINUX_SYSCALL(set_robust_list)
{
	return __chcore_sys_set_robust_list((unsigned long)a0, (unsigned long)a1);
}

/* get_robust_list(tid, head_ptr, len_ptr): the calling thread only (tid 0
 * or its own); the kernel writes both words, or returns -EFAULT. */
CHCORE_LINUX_SYSCALL(get_robust_list)
{
	return __chcore_sys_get_robust_list((unsigned long)a0, (unsigned long)a1,
	                                     (unsigned long)a2);
}
