/* Error numbers shared by kernel and user space: ONE list, from which come
 * the CHCORE_E* constants (C, C++ and assembly), the kernel's `Err` type
 * (lib/result.h), and the name tables of the libc port's tracer and the
 * tests. They are Linux's numbers so that the libc (musl) and the kernel
 * agree. A system call returns -E... on failure.
 *
 * CHCORE_ERRNOS(X) calls X(NAME, number, KernelName) for every error:
 * NAME as in <errno.h>, KernelName the enumerator of kern::Err. */
#ifndef CHCORE_UAPI_ERRNO_H
#define CHCORE_UAPI_ERRNO_H

#define CHCORE_ERRNOS(X)            \
  X(EPERM, 1, Perm)                 \
  X(ENOENT, 2, NoEnt)               \
  X(ESRCH, 3, Srch)                 \
  X(EINTR, 4, Intr)                 \
  X(EIO, 5, Io)                     \
  X(ENXIO, 6, NxIo)                 \
  X(E2BIG, 7, TooBig)               \
  X(ENOEXEC, 8, NoExec)             \
  X(EBADF, 9, BadF)                 \
  X(ECHILD, 10, Child)              \
  X(EAGAIN, 11, Again)              \
  X(ENOMEM, 12, NoMem)              \
  X(EACCES, 13, Access)             \
  X(EFAULT, 14, Fault)              \
  X(EBUSY, 16, Busy)                \
  X(EEXIST, 17, Exist)              \
  X(EXDEV, 18, XDev)                \
  X(ENODEV, 19, NoDev)              \
  X(ENOTDIR, 20, NotDir)            \
  X(EISDIR, 21, IsDir)              \
  X(EINVAL, 22, Inval)              \
  X(ENFILE, 23, NFile)              \
  X(EMFILE, 24, MFile)              \
  X(ENOTTY, 25, NoTty)              \
  X(EFBIG, 27, FBig)                \
  X(ENOSPC, 28, NoSpc)              \
  X(ESPIPE, 29, SPipe)              \
  X(EROFS, 30, RoFs)                \
  X(EMLINK, 31, MLink)              \
  X(EPIPE, 32, Pipe)                \
  X(ERANGE, 34, Range)              \
  X(EDEADLK, 35, DeadLk)            \
  X(ENAMETOOLONG, 36, NameTooLong)  \
  X(ENOSYS, 38, NoSys)              \
  X(ENOTEMPTY, 39, NotEmpty)        \
  X(ELOOP, 40, Loop)                \
  X(EIDRM, 43, IdRm)                \
  X(EOVERFLOW, 75, Overflow)        \
  X(ENOTSOCK, 88, NotSock)          \
  X(EOPNOTSUPP, 95, OpNotSupp)      \
  X(ECONNRESET, 104, ConnReset)     \
  X(ENOTCONN, 107, NotConn)         \
  X(ETIMEDOUT, 110, TimedOut)       \
  X(ECONNREFUSED, 111, ConnRefused) \
  X(EALREADY, 114, Already)         \
  X(ECANCELED, 125, Canceled)       \
  X(EOWNERDEAD, 130, OwnerDead)     \
  X(ENOTRECOVERABLE, 131, NotRecoverable)

#ifdef __ASSEMBLER__
#define CHCORE_ERRNO_ASM_EQU(name, nr, kname) .equ CHCORE_##name, nr;
CHCORE_ERRNOS(CHCORE_ERRNO_ASM_EQU)
#else
enum {
#define CHCORE_ERRNO_ENUM(name, nr, kname) CHCORE_##name = (nr),
  CHCORE_ERRNOS(CHCORE_ERRNO_ENUM)
#undef CHCORE_ERRNO_ENUM
};

/* "EAGAIN" for 11; NULL for a number without a name here. */
static inline const char* chcore_errno_name(long e) {
  switch (e) {
#define CHCORE_ERRNO_CASE(name, nr, kname) \
  case nr:                                 \
    return #name;
    CHCORE_ERRNOS(CHCORE_ERRNO_CASE)
#undef CHCORE_ERRNO_CASE
    default:
      return 0;
  }
}
#endif

#endif
