// user_copy(dst, src, len): a copy within the caller's own address space,
// with both ranges checked as every user pointer the kernel is given is.
//
// The libc port runs in the caller's process and receives the caller's
// pointers (uname's buffer, writev's iovec array, ...). Dereferencing them
// itself, it would die on a bad one where Linux returns EFAULT. It copies
// with a loop of its own that it names with set_copy_fixup (below), whose
// faults this kernel turns into -EFAULT instead of a kill, and falls back
// on user_copy before that and for memmove's backward case
// (user/chcore-libc/port/usercopy.c).
#include "mm/uaccess.h"
#include "object/cap_group.h"
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

// set_copy_fixup(start, end, fixup): the process's user-space copy routine
// (docs/abi.md). Once per process: the C library sets it up at start, and
// nothing can move it afterwards.
SysResult sys_set_copy_fixup(VirtAddr start, VirtAddr end, VirtAddr fixup) {
  if (start >= end || end > kUserTop || fixup >= kUserTop || !is_aligned(start, 4) ||
      !is_aligned(end, 4) || !is_aligned(fixup, 4))
    return Err::Inval;
  CapGroup* g = current_group();
  SpinGuard guard(g->lock);
  if (g->copy_end != VirtAddr{}) return Err::Exist;
  g->copy_start = start;
  g->copy_end = end;
  g->copy_fixup = fixup;
  return 0;
}

u64 copy_fixup_for(CapGroup* g, u64 pc) {
  SpinGuard guard(g->lock);
  if (pc >= g->copy_start.raw() && pc < g->copy_end.raw()) return g->copy_fixup.raw();
  return 0;
}

}  // namespace kern
