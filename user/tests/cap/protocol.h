/* The layout of the PMO that tests/caps.c shares with tests/cap_child.c. */
#ifndef CHCORE_TESTS_CAP_PROTOCOL_H
#define CHCORE_TESTS_CAP_PROTOCOL_H

#define CAPP_STATE 0       /* unsigned long: 0 start, 1 the child has replied */
#define CAPP_INFO 8        /* long: cap_info of the PMO's slot, as the child saw it */
#define CAPP_TO_CHILD 64   /* NUL-terminated message from the parent */
#define CAPP_TO_PARENT 128 /* the child's reply: "child saw: <message>" */
#define CAPP_MSG_MAX 64

/* cap_child's exit statuses. */
#define CAPC_OK 0 /* saw the revocation: every use gave -EBADF */
#define CAPC_BAD_ARGS 2
#define CAPC_IO_FAILED 3     /* read_pmo/write_pmo failed before the revocation */
#define CAPC_NEVER_REVOKED 4 /* gave up waiting for the revocation */
#define CAPC_STILL_USABLE 5  /* write_pmo or cap_info still worked after read_pmo failed */
#define CAPC_WRONG_ERROR 6   /* read_pmo failed, but not with -EBADF */

#endif
