// The boot ramdisk: a cpio archive (lib/cpio.h) that holds the first
// process and everything it starts. Built into the kernel image
// (init/ramdisk.S embeds user/'s ramdisk.cpio), or loaded next to the
// kernel by the boot loader (QEMU -initrd, `./chbuild exec --add`), which
// then replaces the built-in one.
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

struct Ramdisk {
  const u8* data;
  usize size;
};
// The ramdisk in use (found once the machine is discovered).
Ramdisk boot_ramdisk();

// Maps the ramdisk read-only into `g` at CHCORE_RAMDISK_VA (plus its offset
// in its first page: 0 for the built-in, page-aligned one) and installs its
// PMO, READ | COPY, in slot CHCORE_SLOT_RAMDISK, where a first process finds
// it. Call on a new process, before anything else is installed.
[[nodiscard]] Status ramdisk_share(CapGroup* g);

}  // namespace kern
