// The VMSAv8-64 translation table format, 4 KiB granule, 48-bit VAs.
#pragma once
#include "lib/types.h"

namespace kern::pte {

inline constexpr u64 kValid = 1ull << 0;
inline constexpr u64 kTable = 1ull << 1;   // at levels 0-2: next-level table
inline constexpr u64 kPage = 1ull << 1;    // at level 3: page
inline constexpr u64 kBlock = 0;           // at levels 1-2: block (bit 1 clear)
inline constexpr u64 attr_index(u64 i) { return i << 2; }
inline constexpr u64 kApUser = 1ull << 6;      // AP[1]: EL0 access
inline constexpr u64 kApReadOnly = 1ull << 7;  // AP[2]
inline constexpr u64 kShInner = 3ull << 8;
inline constexpr u64 kAccessFlag = 1ull << 10;
inline constexpr u64 kNotGlobal = 1ull << 11;
inline constexpr u64 kPxn = 1ull << 53;
inline constexpr u64 kUxn = 1ull << 54;
inline constexpr u64 kAddrMask = 0x0000fffffffff000ull;

// Indices into MAIR_EL1 as programmed in head.S.
inline constexpr u64 kMairDevice = 0;
inline constexpr u64 kMairNormal = 1;
inline constexpr u64 kMairNormalNc = 2;

inline constexpr u64 kNormal = attr_index(kMairNormal) | kShInner | kAccessFlag;
inline constexpr u64 kDevice = attr_index(kMairDevice) | kAccessFlag | kPxn | kUxn;

inline constexpr unsigned kEntries = 512;
inline constexpr unsigned level_shift(int level) { return 12 + 9 * (3 - level); }
inline constexpr unsigned index(u64 va, int level) { return (va >> level_shift(level)) & 511; }
// Bytes translated by one entry at `level`: 512 GiB, 1 GiB, 2 MiB, 4 KiB.
inline constexpr u64 level_size(int level) { return 1ull << level_shift(level); }

inline constexpr u64 kAttrIndexMask = 7ull << 2;
// Bits of a leaf descriptor that may change on a live entry without
// break-before-make: the access permissions and the execute-never bits.
inline constexpr u64 kPermBits = kApUser | kApReadOnly | kPxn | kUxn;

}  // namespace kern::pte
