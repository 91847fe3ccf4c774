/* The echo protocol: the example server of docs/ipc.md, and the server the
 * IPC tests talk to (user/tests/ipc/server.c). One header per protocol:
 * the operation numbers travel in w0, the rest as each one says. */
#ifndef CHCORE_PROTO_ECHO_H
#define CHCORE_PROTO_ECHO_H

enum echo_op {
  /* w1..w3 come back incremented; w0 = the caller's badge; ret 0. */
  ECHO_OP_ECHO = 1,
  /* The first `len` bytes of the buffer come back complemented; ret = the
   * sum of the bytes received. */
  ECHO_OP_DATA,
  /* Received capabilities: w0..w(n-1) = cap_info of each as the server
   * sees it; the reply carries a new one-page PMO, with the rights the
   * call asked for in w1. */
  ECHO_OP_CAPS,
  /* Forwarded to the next server (relay servers): ret = its ret, w1 = its
   * w1 + 1. */
  ECHO_OP_RELAY,
  /* The server process exits in the middle of the call. */
  ECHO_OP_EXIT,
  /* The handler faults (a store to address 0). */
  ECHO_OP_FAULT,
  /* ret = connections closed so far, w0 = connections accepted so far. */
  ECHO_OP_STATS,
  /* Sets the first word of the buffer to 1, then waits (yielding) until
   * some client calls ECHO_OP_RELEASE. */
  ECHO_OP_HOLD,
  ECHO_OP_RELEASE,
  /* ret = the sum of the buffer's first len/8 words (bit 63 cleared). */
  ECHO_OP_SUM,
  /* The handler overwrites every FP/SIMD register and FPCR. */
  ECHO_OP_FP_CLOBBER,
  /* The handler uses the C library as threads do: sets errno to w1,
   * mallocs, fills and frees w2 blocks (yielding between), and checks that
   * errno kept its value and that pthread_self's tid is its own thread's.
   * ret 0 if all held, else a positive code of what broke. */
  ECHO_OP_LIBC,
  /* ret = the calling process's pid (msg->caller), w0 = the pid that
   * connected, w1 = the connect's word (chcore_connect_arg). */
  ECHO_OP_CALLER,
};

/* A connect with this word (chcore_connect_arg) is accepted as one that the
 * client's forks copy (CHCORE_CONNECT_FORK). */
#define ECHO_CONNECT_FORK 0x466f726bul

#endif
