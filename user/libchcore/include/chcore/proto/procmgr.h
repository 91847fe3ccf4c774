/* The process manager's protocol (user/system-services/procmgr). For now
 * the service registry; processes (spawn, wait, kill) follow. */
#ifndef CHCORE_PROTO_PROCMGR_H
#define CHCORE_PROTO_PROCMGR_H

/* Longest service name, with its NUL. */
#define CHCORE_SERVICE_NAME_MAX 32

enum procmgr_op {
  /* Publishes the server capability sent along under the name in the
   * buffer (NUL-terminated). -EEXIST: the name is taken; -EINVAL: a bad
   * name or no capability. */
  PROCMGR_PUBLISH = 1,
  /* The server published under the name in the buffer: one capability in
   * the reply. With w1 = 1, waits until it is published; else -ENOENT. */
  PROCMGR_LOOKUP,
};

#endif
