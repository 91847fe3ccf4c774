/* IPC for programs: connect to a server and call it; be a server.
 *
 * The kernel's side (objects, the call path, failures) is docs/ipc.md,
 * which also walks through a complete echo server written with this API.
 *
 * Client:
 *     struct chcore_conn c;
 *     chcore_connect(server_cap, 4096, &c);        // a 4 KiB shared buffer
 *     struct chcore_ipc_result r;
 *     chcore_ipc_call(&c, ECHO_OP, 1, 2, 3, 0, 0, NULL, &r);   // r.ret, r.w[]
 *     chcore_disconnect(&c);
 *
 * Server: fill a struct chcore_server_ops with a handler (and optionally
 * connect/close callbacks) and call chcore_server_register(); hand the
 * returned capability to clients. Each client gets its own handler thread,
 * which starts at ops->handle for every call and whose reply is what the
 * handler leaves in *reply.
 *
 * Handler threads are raw threads (chcore/thread.h): they run with the
 * registering thread's TPIDR_EL0 and must not use the C library's
 * thread-dependent parts (errno, malloc, stdio locks) concurrently. */
#ifndef CHCORE_IPC_H
#define CHCORE_IPC_H

/* Quoted: the C library's port compiles a copy of this header beside its
 * copy of uapi/ (user/chcore-libc/build-musl.sh). */
#include "uapi/ipc.h"
#include "uapi/syscall_nr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- The raw call -------------------------------------------------------- */

/* What ipc_call returns in x0-x7. */
struct chcore_ipc_result {
  long ret;            /* the handler's result, or -errno from the kernel */
  unsigned long w[4];  /* the reply's words */
  unsigned long info;  /* CHCORE_IPC_INFO_LEN / _NCAPS of the reply */
  unsigned long caps_lo, caps_hi;  /* slots of received capabilities */
};

/* ipc_call(conn, w0..w3, info) with `caps` (CHCORE_IPC_CAP descriptors,
 * CHCORE_IPC_INFO_NCAPS(info) of them) sent along. */
static inline long chcore_ipc_call_raw(long conn, unsigned long w0, unsigned long w1,
                                       unsigned long w2, unsigned long w3, unsigned long info,
                                       const unsigned* caps, struct chcore_ipc_result* out) {
  register long x0 __asm__("x0") = conn;
  register unsigned long x1 __asm__("x1") = w0;
  register unsigned long x2 __asm__("x2") = w1;
  register unsigned long x3 __asm__("x3") = w2;
  register unsigned long x4 __asm__("x4") = w3;
  register unsigned long x5 __asm__("x5") = info;
  register unsigned long x6 __asm__("x6") = (unsigned long)caps;
  register unsigned long x7 __asm__("x7");
  register unsigned long x8 __asm__("x8") = CHCORE_SYS_ipc_call;
  __asm__ volatile("svc %9"
                   : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
                     "=r"(x7)
                   : "r"(x8), "i"(CHCORE_IPC_FAST_SVC)
                   : "memory");
  if (out) {
    out->ret = x0;
    out->w[0] = x1;
    out->w[1] = x2;
    out->w[2] = x3;
    out->w[3] = x4;
    out->info = x5;
    out->caps_lo = x6;
    out->caps_hi = x7;
  }
  return x0;
}

/* --- Clients --------------------------------------------------------------- */

struct chcore_conn {
  long cap;                /* the connection capability */
  long pmo;                /* the shared buffer's PMO */
  void* buf;               /* the buffer, mapped here */
  unsigned long buf_size;  /* its size (whole pages) */
};

/* Connects to the server `server_cap` with a buffer of buf_size bytes
 * (rounded up to pages; 1 .. CHCORE_IPC_BUF_MAX). Returns 0 or -errno
 * (-ECONNREFUSED / -ECONNRESET: the server refused or is gone). */
long chcore_connect(long server_cap, unsigned long buf_size, struct chcore_conn* c);
/* The same with a word for the server's on_connect (`arg`; what it means
 * is the server's protocol). */
long chcore_connect_arg(long server_cap, unsigned long buf_size, unsigned long arg,
                        struct chcore_conn* c);
/* Closes the connection: the server's close callback runs for it. */
void chcore_disconnect(struct chcore_conn* c);

/* Calls with words w0..w3, `len` bytes the caller put at the start of
 * c->buf, and `ncaps` capabilities (CHCORE_IPC_CAP(slot, rights)). Returns
 * the handler's result (also in out->ret). */
static inline long chcore_ipc_call(const struct chcore_conn* c, unsigned long w0,
                                   unsigned long w1, unsigned long w2, unsigned long w3,
                                   unsigned long len, unsigned ncaps, const unsigned* caps,
                                   struct chcore_ipc_result* out) {
  return chcore_ipc_call_raw(c->cap, w0, w1, w2, w3, CHCORE_IPC_INFO(len, ncaps), caps, out);
}

/* The i-th received capability's slot. */
static inline unsigned chcore_ipc_cap(const struct chcore_ipc_result* r, unsigned i) {
  return CHCORE_IPC_RECV_SLOT(r->caps_lo, r->caps_hi, i);
}

/* --- Servers --------------------------------------------------------------- */

/* A request as the handler sees it. */
struct chcore_ipc_msg {
  unsigned long badge;     /* this client's badge (chosen at connect, never forged) */
  unsigned long w[4];
  unsigned long len;       /* bytes of buf the client filled */
  unsigned ncaps;          /* capabilities received ... */
  unsigned caps[CHCORE_IPC_MAX_CAPS];  /* ... in these slots of this process */
  void* buf;               /* the client's buffer, mapped in this process */
  unsigned long buf_size;
  void* client;            /* what on_connect stored for this client */
  unsigned long caller;    /* the calling process's pid (the kernel's word: x8) */
};

/* The reply the handler fills in (ret, w, len and ncaps zeroed before it
 * runs; caps[i] is read for i < ncaps only). */
struct chcore_ipc_reply {
  long ret;
  unsigned long w[4];
  unsigned long len;       /* bytes of buf the reply filled */
  unsigned ncaps;          /* capabilities to send: */
  unsigned caps[CHCORE_IPC_MAX_CAPS];  /* CHCORE_IPC_CAP(slot, rights) */
};

struct chcore_server_ops {
  void (*handle)(const struct chcore_ipc_msg* msg, struct chcore_ipc_reply* reply);
  /* Optional: a new client (its badge, process id, and the word it
   * connected with: chcore_connect_arg). A negative result refuses it (the
   * client's connect returns it); *client is passed to every call and to
   * on_close. CHCORE_CONNECT_FORK accepts it as a connection that the
   * client's forks copy (CHCORE_IPC_ACCEPT_FORK): the handler must then
   * serve every call by msg->caller, since any of them may have made it. */
  long (*on_connect)(unsigned long badge, unsigned long pid, unsigned long arg, void** client);
  /* Optional: the client closed the connection or exited. */
  void (*on_close)(void* client);
  /* Optional, for measurements: the kernel enters this instead of the
   * dispatcher above, with the message in x0-x7 (uapi/ipc.h) and sp at
   * the top of a 128 KiB stack; it must end with ipc_return (and, on a close
   * upcall, CHCORE_IPC_INFO_CLOSE in x5, return 0). `handle` is unused. */
  void (*raw_entry)(void);
};

#define CHCORE_CONNECT_FORK 1

/* Registers this process as a server. Returns the server capability's
 * slot (give copies to clients; CHCORE_RIGHT_WRITE lets them connect), or
 * -errno. `ops` must stay valid while the server runs. */
long chcore_server_register(const struct chcore_server_ops* ops);

#ifdef __cplusplus
}
#endif

#endif
