// user_copy(dst, src, len): a copy within the caller's own address space,
// with both ranges checked as every user pointer the kernel is given is.
//
// The libc port runs in the caller's process and receives the caller's
// pointers (uname's buffer, writev's iovec array, ...). Dereferencing them
// itself, it would die on a bad one where Linux returns EFAULT; copying
// through this call it gets -EFAULT instead (user/chcore-libc/port/
// usercopy.c). One call, whatever the pointers: no guessing in user space
// which addresses are safe.
#include "mm/uaccess.h"
#include "syscall/syscall.h"

namespace kern {

namespace {
// Bytes per step of a backward copy: a bounce buffer on the kernel stack,
// so that a copy takes no lock and no kernel memory.
constexpr usize kBounce = 1024;
}  // namespace

// Copies len bytes from src to dst as memmove does (overlap allowed).
// Returns 0; -EFAULT if any byte of either range is not user memory that
// the caller may read (src) or write (dst); part of dst may then have been
// written, as with Linux's copies. len 0 copies nothing and succeeds;
// len > CHCORE_USER_COPY_MAX is -EINVAL (a call never keeps its CPU in the
// kernel for long).
SysResult sys_user_copy(UserPtr<u8> dst, UserPtr<const u8> src, u64 len) {
  if (len > CHCORE_USER_COPY_MAX) return Err::Inval;
  if (len == 0) return 0;
  if (!dst.range_ok(len) || !src.range_ok(len)) return Err::Fault;
  // The usual case, and any overlap with dst below src: front to back,
  // straight from one user range to the other (both accesses unprivileged).
  if (!(dst.addr() > src.addr() && dst.addr() - src.addr() < len)) {
    if (arch_copy_in_user(reinterpret_cast<void*>(dst.addr().raw()),
                          reinterpret_cast<const void*>(src.addr().raw()), len) != 0)
      return Err::Fault;
    return 0;
  }
  // dst inside (src, src + len): from the end, through the kernel stack, so
  // that every source byte is read before it is overwritten.
  u8 bounce[kBounce];
  for (u64 done = 0; done < len;) {
    u64 n = min<u64>(kBounce, len - done);
    u64 off = len - done - n;
    TRY((src + off).read_array(bounce, n));
    TRY((dst + off).write_array(bounce, n));
    done += n;
  }
  return 0;
}

}  // namespace kern
