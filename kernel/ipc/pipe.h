// Pipes: byte streams between threads of any processes, kept in the kernel
// (docs/pipes.md says why here and not in a server).
//
// A pipe is a ring of CHCORE_PIPE_SIZE bytes and two end objects, PipeEnd,
// each named by capabilities: the read end and the write end. An end is
// what Linux calls an open file description: its status flags
// (CHCORE_PIPE_NONBLOCK) are shared by every capability derived from it,
// and the pipe learns that an end is closed when the end object's last
// reference goes -- whichever process held it, however it ended. So a
// reader sees end-of-file and a writer EPIPE even when the other side was
// killed, with nothing in user space to clean up.
//
// Blocking without a kernel stack (as console input does): a reader that
// finds the ring empty, or a writer that finds too little room, blocks on
// the pipe's queue with its saved PC on its `svc`, and every wake-up makes
// it issue the call again from the start. Wake-ups go to all waiters of the
// queue; the first to get the pipe's lock takes what there is.
//
// Locking: Pipe::lock protects the ring and the open flags; the wait queues
// are the scheduler's. Order: Pipe::lock -> scheduler lock, so "empty, so
// block" is atomic with a writer's "filled, so wake". User memory is copied
// with only the pipe's lock held (a page fault may allocate; it takes no
// pipe lock).
#pragma once
#include "lib/result.h"
#include "lib/spinlock.h"
#include "mm/uaccess.h"
#include "object/object.h"
#include "object/thread.h"
#include "sched/sched.h"

namespace kern {

struct Pipe;

struct PipeEnd : Object {
  Pipe* pipe;
  bool write_end;
  u32 flags;  // CHCORE_PIPE_NONBLOCK; atomic
};

// A new pipe: *rd and *wr each get one reference for the caller.
// Err::NoMem. flags: CHCORE_PIPE_NONBLOCK for both ends, else Err::Inval.
[[nodiscard]] Status pipe_create(u64 flags, PipeEnd** rd, PipeEnd** wr);
// obj_put's last reference to an end: the pipe sees that end closed (its
// waiters wake), and is freed with its second end.
void pipe_end_destroy(PipeEnd* e);

// Reads up to len bytes (0: end-of-file; Err::Again: empty and
// non-blocking). When it blocks it returns kBlocked and the thread issues
// the call again once woken. `nonblock` adds to the end's own flag.
[[nodiscard]] Result<i64> pipe_read(PipeEnd* e, UserPtr<u8> buf, u64 len, bool nonblock);
// Writes: len <= CHCORE_PIPE_BUF all at once (blocking until there is room
// for all of it), more as much as fits (at least one byte, blocking until
// there is room for one). Err::Pipe when the read end is closed.
[[nodiscard]] Result<i64> pipe_write(PipeEnd* e, UserPtr<const u8> buf, u64 len, bool nonblock);
// pipe_ctl's operations (CHCORE_PIPE_GET_FLAGS ...).
[[nodiscard]] Result<i64> pipe_ctl(PipeEnd* e, u64 op, u64 arg);
// The CHCORE_POLL* events of `e` that hold now (of those in `events`, plus
// ERR and HUP always).
u32 pipe_poll(PipeEnd* e, u32 events);

}  // namespace kern
