// Prints PhysAddr and VirtAddr (kernel/lib/types.h) in test messages and
// GoogleTest failures, as hexadecimal numbers.
#pragma once
#include <ostream>

#include "lib/types.h"

template <typename Tag>
std::ostream& operator<<(std::ostream& os, Address<Tag> a) {
  const auto flags = os.flags();
  os << "0x" << std::hex << a.raw();
  os.flags(flags);
  return os;
}
