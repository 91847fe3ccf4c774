/* Synchronous IPC: the layouts and constants user space passes to the
 * kernel. C and C++. The objects, the call path and the failure cases are
 * described in docs/ipc.md; the calls' arguments in docs/abi.md.
 *
 * A message is up to 4 words in registers, a length of data the sender put
 * at the start of the connection's shared buffer (the kernel checks the
 * length, never copies the data), and up to 8 capabilities:
 *
 *   ipc_call(conn, w0, w1, w2, w3, info)        x6 = caps to send (if any)
 *     -> the handler starts at its entry with
 *        x0 = badge, x1..x4 = w0..w3, x5 = info, x6/x7 = received slots,
 *        x8 = the calling process's pid (0 in the close upcall)
 *   ipc_return(ret, w0, w1, w2, w3, info)       x6 = caps to send (if any)
 *     -> the caller resumes with
 *        x0 = ret, x1..x4 = w0..w3, x5 = info, x6/x7 = received slots
 *
 * info: bits 0-31 the length used in the buffer, bits 32-35 the number of
 * capabilities, bit 40 set on the handler's entry when the connection is
 * closing (the close upcall, see docs/ipc.md).
 * Capabilities to send: x6 points to an array of `ncaps` u32 descriptors,
 * CHCORE_IPC_CAP(slot, rights); each copy gets the sender's rights narrowed
 * to `rights`. Received: the new slots, 16 bits each, in x6 (caps 0-3) and
 * x7 (caps 4-7); CHCORE_IPC_RECV_SLOT extracts one. */
#ifndef CHCORE_UAPI_IPC_H
#define CHCORE_UAPI_IPC_H

/* `svc #CHCORE_IPC_FAST_SVC` instead of `svc #0` for ipc_call and
 * ipc_return (same number in x8, same registers) asks for the kernel's
 * assembly fast path (kernel/ipc/fastpath.S); what it does not take goes
 * the ordinary way, with the same results. */
#define CHCORE_IPC_FAST_SVC 0x1000

#define CHCORE_IPC_MAX_WORDS 4
#define CHCORE_IPC_MAX_CAPS 8
/* The shared buffer: a PMO of whole pages, at most this big. */
#define CHCORE_IPC_BUF_MAX (1ul << 20)

#define CHCORE_IPC_INFO(len, ncaps) \
  ((unsigned long)(len) | ((unsigned long)(ncaps) << 32))
#define CHCORE_IPC_INFO_LEN(info) ((unsigned long)(info)&0xfffffffful)
#define CHCORE_IPC_INFO_NCAPS(info) (((unsigned long)(info) >> 32) & 0xful)
#define CHCORE_IPC_INFO_CLOSE (1ul << 40)
/* Bits a sender may set: length and count. */
#define CHCORE_IPC_INFO_SENDER_MASK 0xffffffffffull

#define CHCORE_IPC_CAP(slot, rights) \
  ((unsigned int)(slot)&0xffffu | (((unsigned int)(rights)&0xffu) << 16))
#define CHCORE_IPC_RECV_SLOT(x6, x7, i) \
  ((unsigned int)((((i) < 4 ? (x6) : (x7)) >> (16 * ((i)&3))) & 0xffffu))

/* The connect upcall: what the server's connect handler receives.
 *   x0 = 0, x1 = CHCORE_IPC_OP_CONNECT, x2 = buffer size, x3 = client pid,
 *   x4 = the client's word (ipc_connect's `arg`, the server's to read),
 *   x5 = CHCORE_IPC_INFO(0, 1), x6 = the buffer PMO's slot in the server.
 * It answers with ipc_accept(badge, stack_top, tls, flags) or
 * ipc_return(-errno). */
#define CHCORE_IPC_OP_CONNECT 1

/* ipc_accept's flags. FORK: a fork copies the client's capability to this
 * connection into the child, as it copies PMOs (other connections are the
 * client's alone). The server promises to tell its callers apart by x8,
 * not by the badge: every process holding a copy calls with its own pid. */
#define CHCORE_IPC_ACCEPT_FORK 1ul

#endif
