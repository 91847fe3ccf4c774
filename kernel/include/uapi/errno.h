/* Error numbers shared by kernel and user space. They are Linux's numbers so
 * that the libc (musl) and the kernel agree. A system call returns -E... on
 * failure. This header is C and C++ compatible. */
#ifndef CHCORE_UAPI_ERRNO_H
#define CHCORE_UAPI_ERRNO_H

#define CHCORE_EPERM 1
#define CHCORE_ENOENT 2
#define CHCORE_ESRCH 3
#define CHCORE_EINTR 4
#define CHCORE_EIO 5
#define CHCORE_E2BIG 7
#define CHCORE_ENOEXEC 8
#define CHCORE_EBADF 9
#define CHCORE_EAGAIN 11
#define CHCORE_ENOMEM 12
#define CHCORE_EACCES 13
#define CHCORE_EFAULT 14
#define CHCORE_EBUSY 16
#define CHCORE_EEXIST 17
#define CHCORE_ENODEV 19
#define CHCORE_EINVAL 22
#define CHCORE_ENOSPC 28
#define CHCORE_ESPIPE 29
#define CHCORE_ERANGE 34
#define CHCORE_ENOSYS 38
#define CHCORE_ETIMEDOUT 110

#endif
