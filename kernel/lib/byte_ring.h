// A fixed-size FIFO of bytes (the console's input buffer). Not synchronised:
// the owner holds its lock around every call.
//
// `head_` and `tail_` run freely (u32 arithmetic wraps); the ring holds
// tail_ - head_ bytes at indices [head_, tail_) mod Size. Size must be a
// power of two.
#pragma once
#include "lib/types.h"

namespace kern {

template <u32 Size>
class ByteRing {
  static_assert(Size != 0 && (Size & (Size - 1)) == 0, "Size must be a power of two");

 public:
  u32 size() const { return tail_ - head_; }
  bool empty() const { return tail_ == head_; }
  u32 space() const { return Size - size(); }

  // Appends `c`; false (nothing stored) if the ring is full.
  bool push(u8 c) {
    if (space() == 0) return false;
    buf_[tail_++ % Size] = c;
    return true;
  }

  // Moves up to `n` bytes from the front into `out`; returns how many.
  u32 pop(u8* out, u32 n) {
    if (n > size()) n = size();
    for (u32 i = 0; i < n; i++) out[i] = buf_[head_++ % Size];
    return n;
  }

  // Puts `n` bytes back at the front, in order (a reader that could not
  // deliver what it popped). Only as many as there is space for: returns
  // how many were put back, the last ones of `in` being dropped first.
  u32 unpop(const u8* in, u32 n) {
    if (n > space()) n = space();
    for (u32 i = n; i > 0; i--) buf_[--head_ % Size] = in[i - 1];
    return n;
  }

 private:
  u8 buf_[Size] = {};
  u32 head_ = 0;
  u32 tail_ = 0;
};

}  // namespace kern
