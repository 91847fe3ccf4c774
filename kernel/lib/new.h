// Placement new, to construct objects in memory from kmalloc: objects with
// intrusive list heads must have their constructors run (a zeroed List is
// not an empty list).
#pragma once
#include "lib/types.h"

#ifdef CHCORE_HOST_TEST
#include <new>
#else
inline void* operator new(usize, void* where) noexcept { return where; }
#endif
