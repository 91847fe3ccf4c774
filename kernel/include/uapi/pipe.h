/* Pipes and poll: the constants user space passes to the kernel. C and C++.
 * See docs/pipes.md and docs/abi.md.
 *
 * A pipe is a byte stream with two ends; each end is a kernel object (type
 * CHCORE_OBJ_PIPE) that a capability names. The end objects are what Linux
 * calls open file descriptions: every capability derived from one (dup,
 * a copy handed to a child) shares its status flags, and the pipe sees an
 * end as closed when the last capability to it goes, in whatever process
 * and however that process ended. */
#ifndef CHCORE_UAPI_PIPE_H
#define CHCORE_UAPI_PIPE_H

/* Bytes a pipe holds (Linux's default, what F_GETPIPE_SZ reports). */
#define CHCORE_PIPE_SIZE 65536
/* Writes of at most this many bytes are atomic: all or (for a
 * non-blocking end) nothing, never interleaved with another writer. */
#define CHCORE_PIPE_BUF 4096

/* pipe_create flags and pipe_ctl(GET_FLAGS/SET_FLAGS) status flags; the
 * value is Linux's O_NONBLOCK on AArch64. */
#define CHCORE_PIPE_NONBLOCK 0x800u

/* pipe_ctl operations. */
#define CHCORE_PIPE_GET_FLAGS 1 /* the end's status flags */
#define CHCORE_PIPE_SET_FLAGS 2 /* arg: new status flags (CHCORE_PIPE_NONBLOCK) */
#define CHCORE_PIPE_NREAD 3     /* bytes waiting to be read (FIONREAD) */
#define CHCORE_PIPE_GET_SIZE 4  /* capacity in bytes (F_GETPIPE_SZ) */

/* poll: one entry per object waited on. slot is a pipe end's capability, or
 * CHCORE_POLL_CONSOLE for the console's input. events and revents use
 * Linux's POLL* bits. */
struct chcore_poll_item {
  unsigned int slot;
  short events;
  short revents;
};
#define CHCORE_POLL_CONSOLE 0xffffffffu
#define CHCORE_POLLIN 0x001
#define CHCORE_POLLOUT 0x004
#define CHCORE_POLLERR 0x008
#define CHCORE_POLLHUP 0x010
#define CHCORE_POLLNVAL 0x020
/* At most this many items per call. */
#define CHCORE_POLL_MAX 4096
/* poll's deadline_ns: an absolute CLOCK_MONOTONIC time, or one of these. */
#define CHCORE_POLL_NOW 0ul       /* look, never wait */
#define CHCORE_POLL_FOREVER (~0ul) /* wait without a time limit */

#endif
