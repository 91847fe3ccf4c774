// The boot CPU's last job: start the first user process from the boot
// ramdisk, then serve as an ordinary scheduling CPU until it has exited.
//
// The kernel builds exactly this one process itself; every later one is
// built by user space through system calls (user/libchcore/launch.c takes
// the same steps with create_pmo/write_pmo/map_pmo/create_thread, and lays
// out its stack with the same builder, lib/initial_stack.c). The steps:
//   init/ramdisk.h        find the program; share the ramdisk with the process
//   lib/elf.h             parse the ELF
//   object/elf_loader.h   map its segments
//   object/user_stack.h   the main stack with argv and auxv
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// Loads the static ELF at `path` in the ramdisk into a new process with
// argv[0..argc) (envp empty), the Linux initial stack and auxiliary vector,
// the ramdisk mapped read-only at CHCORE_RAMDISK_VA (slot
// CHCORE_SLOT_RAMDISK), and one runnable thread. Returns the process with a
// reference for the caller. Err::NoEnt: no such file; Err::NoExec: not a
// valid static AArch64 executable; Err::TooBig: the arguments need more than
// CHCORE_ARG_MAX bytes (none is ever dropped).
[[nodiscard]] Result<CapGroup*> launch_first_process(const char* path, const char* const* argv,
                                                     u32 argc);

// Runs `path` with `argv` as the first process, schedules (on this CPU too)
// until it has exited, and returns its wait status (uapi/object.h).
// Prints a line and returns -1 if it cannot start.
i64 run_first_process(const char* path, const char* const* argv, u32 argc);

}  // namespace kern
