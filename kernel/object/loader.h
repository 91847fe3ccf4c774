// Starting the first user process from the boot ramdisk.
//
// The kernel loads exactly one program itself; every later process is built
// by user space through system calls (user/libchcore/launch.c does the same
// steps as this file, with create_pmo/write_pmo/map_pmo/create_thread).
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// Where the first process's stack ends, and how big it is.
inline constexpr VirtAddr kUserStackTop = 0x0000700000000000ull;
inline constexpr usize kUserStackSize = 8ull << 20;

// Loads the static ELF at `path` in the ramdisk into a new process with
// argv[0..argc) (envp empty), the Linux initial stack and auxiliary vector,
// the ramdisk mapped read-only at CHCORE_RAMDISK_VA (slot
// CHCORE_SLOT_RAMDISK), and one runnable thread. Returns the process with a
// reference for the caller. Err::NoEnt: no such file; Err::NoExec: not a
// valid static AArch64 executable.
[[nodiscard]] Result<CapGroup*> launch_first_process(const char* path, const char* const* argv,
                                                     u32 argc);

// The ramdisk built into the kernel.
struct Ramdisk {
  const u8* data;
  usize size;
};
Ramdisk boot_ramdisk();

// Runs `path` with `argv` as the first process, schedules (on this CPU too)
// until it has exited, and returns its wait status (uapi/object.h).
// Prints a line and returns -1 if it cannot start.
i64 run_first_process(const char* path, const char* const* argv, u32 argc);

}  // namespace kern
