// getrandom(buf, len, flags): random bytes from the kernel's generator
// (random/random.h), seeded at boot from the board's entropy source.
#include "random/random.h"
#include "syscall/syscall.h"

namespace kern {

// Fills buf[0..min(len, CHCORE_GETRANDOM_MAX)) and returns that count; 0
// for len 0. flags must be 0 (-EINVAL); a buffer that is not writable user
// memory gives -EFAULT. Never blocks: the generator is seeded before the
// first process runs.
SysResult sys_getrandom(UserPtr<u8> buf, u64 len, u64 flags) {
  if (flags != 0) return Err::Inval;
  if (len > CHCORE_GETRANDOM_MAX) len = CHCORE_GETRANDOM_MAX;
  u8 chunk[256];
  u64 done = 0;
  Status s = kOk;
  while (done < len && s.ok()) {
    u64 n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
    random_read(chunk, n);
    s = (buf + done).write_array(chunk, n);
    done += n;
  }
  __builtin_memset(chunk, 0, sizeof(chunk));  // no random bytes left on the stack
  TRY(s);
  return static_cast<i64>(done);
}

}  // namespace kern
