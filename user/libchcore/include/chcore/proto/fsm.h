/* The file-system manager's protocol (user/system-services/fsm): the mount
 * table. A client resolves a path by asking the root file system first and
 * following the redirects of chcore/proto/fs.h; a FS_REDIR_MOUNT names a
 * mount id, which FSM_GET_MOUNT turns into a capability to that file
 * system's server and the mount's place in the name space. See
 * docs/services.md. */
#ifndef CHCORE_PROTO_FSM_H
#define CHCORE_PROTO_FSM_H

/* Mount ids are small: 0 is the root file system. */
#define CHCORE_FSM_MAX_MOUNTS 64

enum fsm_op {
  /* Mounts the file system whose server capability is sent along (one
   * capability) at the directory whose absolute, canonical path (no
   * symlinks, no "." or "..") is in the buffer, NUL-terminated; "/" mounts
   * the root file system, which must come first. ret = the mount id, or
   * -EBUSY (already a mount point), -ENOENT / -ENOTDIR (no such directory),
   * -EIO (the server does not answer), -ENOSPC (table full). Any client
   * may mount (every process runs as root). */
  FSM_MOUNT = 1,
  /* w1 = mount id. ret 0 with w0 = the parent mount's id (-1 for the
   * root), one capability to the file system's server (connect right), and
   * in the buffer: the mount's absolute path, NUL, then the mount point's
   * path inside the parent file system, NUL. -ENOENT: no such mount. */
  FSM_GET_MOUNT,
};

#endif
