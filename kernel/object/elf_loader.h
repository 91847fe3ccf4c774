// Mapping a parsed ELF executable (lib/elf.h) into a process.
#pragma once
#include "lib/elf.h"
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// Maps every PT_LOAD segment of `image` (described by `info`, from
// chcore_elf_parse) into `g`: one DATA PMO per segment, zero-filled around
// the file bytes, with the segment's permissions. Err::NoExec for a segment
// that is both writable and executable (W^X holds for user programs too);
// else what allocating or mapping said. Segments mapped before a failure
// stay: the caller destroys the half-built process.
[[nodiscard]] Status elf_map_segments(CapGroup* g, const u8* image, const chcore_elf_info& info);

}  // namespace kern
