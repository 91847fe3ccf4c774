// The Linux initial stack of a new process: what musl's _start (and any
// static AArch64 Linux program) finds at sp when its first thread starts.
// Shared by the C++ kernel (the first process, init/first_process.cpp) and
// C user programs (chcore_spawn, user/libchcore/launch.c), so it is C99 and
// freestanding: no libc, no heap, no global state.
//
// Layout, from the stack top `top` (16-byte aligned) down:
//   [top - 16, top)   zero (an end marker, as on Linux)
//   strings           argv[0..argc) then envp[0..envc), each with its NUL,
//                     starting at a 16-byte boundary, zero up to top - 16
//   16 bytes          for AT_RANDOM
//   padding           zero, so that sp is 16-byte aligned
//   sp ->             argc
//                     argv[0] ... argv[argc - 1], NULL
//                     envp[0] ... envp[envc - 1], NULL
//                     the caller's auxv pairs, (AT_RANDOM, its address),
//                     (AT_NULL, 0)
// All addresses written are the new process's (relative to `top`); the
// caller assembles the block in its own buffer and copies it to the stack.
#pragma once

#include "ctypes.h"

#ifdef __cplusplus
extern "C" {
#endif

// Auxiliary-vector entry types (Linux's numbers, include/uapi/linux/auxvec.h).
#define CHCORE_AT_NULL 0
#define CHCORE_AT_PHDR 3
#define CHCORE_AT_PHENT 4
#define CHCORE_AT_PHNUM 5
#define CHCORE_AT_PAGESZ 6
#define CHCORE_AT_ENTRY 9
#define CHCORE_AT_HWCAP 16
#define CHCORE_AT_RANDOM 25

struct chcore_auxv {
  chcore_u64 type, value;
};

// What goes onto the stack. A list may be NULL when its count is 0.
struct chcore_stack_args {
  const char* const* argv;
  chcore_u64 argc;
  const char* const* envp;
  chcore_u64 envc;
  // Entries other than AT_RANDOM and AT_NULL, which the builder adds.
  const struct chcore_auxv* auxv;
  chcore_u64 nauxv;
  const chcore_u8* random;  // 16 bytes, copied for AT_RANDOM
};

enum chcore_stack_err {
  STACK_OK = 0,
  STACK_ERR_TOO_BIG,  // needs more than the limit / the buffer (E2BIG)
  STACK_ERR_INVAL,    // a NULL list with a nonzero count, a NULL string or
                      // random, a top that is not 16-byte aligned or too low
};

// The bytes the layout occupies below the top: top - sp. Stops measuring
// (STACK_ERR_TOO_BIG) as soon as that exceeds `limit`, so no string is
// read further than `limit` bytes.
int chcore_initial_stack_size(const struct chcore_stack_args* args, chcore_u64 limit,
                              chcore_u64* size);

// Lays the stack out into `buf`, which stands for the `buf_size` bytes just
// below the address `top` in the new process (the layout goes at its end).
// Sets *sp to the new thread's stack pointer. STACK_ERR_TOO_BIG if the
// layout is larger than buf_size; on any error, buf is left untouched.
int chcore_initial_stack_build(const struct chcore_stack_args* args, chcore_u64 top, void* buf,
                               chcore_u64 buf_size, chcore_u64* sp);

#ifdef __cplusplus
}
#endif
