// getrandom(buf, len, flags): random bytes from the kernel's generator
// (random/random.h), seeded at boot from the board's entropy source.
#include "mm/uaccess.h"
#include "random/random.h"
#include "syscall/syscall.h"

using namespace kern;

// Fills buf[0..min(len, CHCORE_GETRANDOM_MAX)) and returns that count; 0
// for len 0. flags must be 0 (-EINVAL); a buffer that is not writable user
// memory gives -EFAULT. Never blocks: the generator is seeded before the
// first process runs.
extern "C" i64 sys_getrandom(u64 buf, u64 len, u64 flags, u64, u64, u64) {
  if (flags != 0) return -CHCORE_EINVAL;
  if (len > CHCORE_GETRANDOM_MAX) len = CHCORE_GETRANDOM_MAX;
  u8 chunk[256];
  u64 done = 0;
  while (done < len) {
    u64 n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
    random_read(chunk, n);
    Status s = copy_to_user(buf + done, chunk, n);
    if (!s.ok()) {
      __builtin_memset(chunk, 0, sizeof(chunk));
      return to_errno(s.error());
    }
    done += n;
  }
  __builtin_memset(chunk, 0, sizeof(chunk));
  return static_cast<i64>(done);
}
