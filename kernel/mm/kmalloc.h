// The kernel heap.
//
// Requests up to kKmallocMaxSlabSize bytes are rounded up to a power of two
// (at least kKmallocMinSize) and served by that size class's slab cache, so
// the object is aligned to its class size. Larger requests get a whole buddy
// block of the smallest fitting order, page aligned (nullptr beyond
// 2^kMaxOrder pages). Failure is always a nullptr, never a panic.
//
// kfree() accepts nullptr and rejects, without changing anything, every
// pointer that is not a live allocation: not in RAM managed by phys, into the
// middle of an object or block, an object that is already free, a block
// obtained from alloc_pages(). Rejections are counted in kmalloc_bad_frees();
// a double free of a slab object is always caught (the slab's bitmap), a
// double free of a large block is caught unless the block has been handed
// out again in between.
#pragma once
#include "lib/types.h"

namespace kern::mm {

class SlabCache;

inline constexpr usize kKmallocMinSize = 32;
inline constexpr usize kKmallocMaxSlabSize = 2048;

[[nodiscard]] void* kmalloc(usize size);
[[nodiscard]] void* kzalloc(usize size);
void kfree(void* p);
// Usable size of a live allocation (its size class or block size); 0 for a
// pointer kmalloc did not return.
usize ksize(const void* p);

usize kmalloc_bad_frees();
// Returns every cache's empty slabs to the buddy allocator (kmalloc also does
// this by itself before failing); the number of pages freed.
usize kmalloc_shrink();
// The cache serving requests of `size` bytes (1..kKmallocMaxSlabSize), for
// statistics and tests; nullptr for other sizes.
const SlabCache* kmalloc_cache_for(usize size);

#ifdef CHCORE_HOST_TEST
// Forgets every cache (their slabs may already have been released along with
// the simulated RAM); the next kmalloc starts from scratch.
void kmalloc_reset_for_test();
#endif

}  // namespace kern::mm
