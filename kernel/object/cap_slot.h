// A capability slot number as user space passes it: a distinct type, so
// that a slot never converts silently to or from a count, an address or a
// right mask. Handlers receive it from the system-call thunk.
#pragma once
#include "lib/types.h"

namespace kern {

struct CapSlot {
  u64 value;
};

}  // namespace kern
