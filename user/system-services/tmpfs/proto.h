/* tmpfs's protocol layer: one request of the file-system protocol
 * (user/libchcore/include/chcore/proto/fs.h), decoded, checked, executed
 * on the file system (tmpfs.h) and answered.
 *
 * It owns the per-connection state (struct tmpfs_client: the handles) and
 * takes the file system's lock around every operation, so any number of
 * threads may call tmpfs_proto_handle at once, each for its own client.
 * Like tmpfs.c it has no ChCore dependency: the host tests feed it
 * requests in ordinary buffers; main.c feeds it the IPC messages. */
#ifndef TMPFS_PROTO_H
#define TMPFS_PROTO_H

#include "tmpfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Handles per connection (Linux's default RLIMIT_NOFILE). */
#define TMPFS_MAX_HANDLES 1024

/* One connection. Only the thread serving it touches it, so the request's
 * scratch space lives here too (a handler's stack is small). */
struct tmpfs_client {
  /* May send FS_SET_MOUNTPOINT. main.c sets it for the first client that
   * connects, which is fsm (it mounts the server before anybody else can
   * reach it). */
  int privileged;
  struct tmpfs_file* handles[TMPFS_MAX_HANDLES]; /* NULL: free */
  /* The request's paths, copied out of the shared buffer (the client
   * could change the buffer while we look at it, and the reply overwrites
   * it), and where a walk describes a redirect. */
  char path[CHCORE_FS_PATH_MAX];
  char path2[CHCORE_FS_PATH_MAX];
  struct tmpfs_redirect redir;
  /* The capability the current request carries (FS_LOCK with
   * FS_LOCK_SETW: a notification to signal), -1: none. Set by the caller
   * before tmpfs_proto_handle; the lock table may take it (and sets this
   * to -1), else the caller releases it. */
  long token;
};

/* A new client without handles, or NULL when out of memory. Allocated
 * under the file system's lock, as everything that allocates is (see
 * main.c for why). */
struct tmpfs_client* tmpfs_client_new(struct tmpfs* fs, int privileged);
/* Closes every handle of the client (the connection closed). */
void tmpfs_client_close(struct tmpfs* fs, struct tmpfs_client* c);
/* tmpfs_client_close, then frees the client. */
void tmpfs_client_free(struct tmpfs* fs, struct tmpfs_client* c);

/* Serves one request: w_in[0] is the operation; buf (buf_size bytes) holds
 * the struct fs_req and its strings and data in its first req_len bytes.
 * Returns the reply's ret (>= 0, -errno, or CHCORE_FS_REDIRECT), fills
 * w_out[0..3] and writes the reply's data at the start of buf (its length
 * in *reply_len). Nothing the client sends can make it read or write
 * outside buf: malformed requests get -EINVAL (sizes, lengths), -EFAULT
 * (offsets outside the request, strings without their NUL), -EBADF
 * (handles), -ENOSYS (unknown operations). */
long tmpfs_proto_handle(struct tmpfs* fs, struct tmpfs_client* c, const unsigned long w_in[4],
                        void* buf, unsigned long buf_size, unsigned long req_len,
                        unsigned long w_out[4], unsigned long* reply_len);

#ifdef __cplusplus
}
#endif

#endif
