/* chcore-libc: connections to servers (services.c), used by the file
 * descriptors of file systems (file.c) and by libchcore's registry calls. */
#ifndef CHCORE_SERVICES_PORT_H
#define CHCORE_SERVICES_PORT_H

#include "chcore_port.h"

/* ipc_call with everything the kernel passes back (x0-x7, struct
 * chcore_ipc_result of libchcore's chcore/ipc.h, copied in as
 * chcore_ipc.h): for the port's clients of the system services (file.c,
 * services.c, spawn.c). caps: the descriptors to send (CHCORE_IPC_CAP),
 * CHCORE_IPC_INFO_NCAPS(info) of them. */
#include "chcore_ipc.h"
hidden long __chcore_ipc_call(long conn, const unsigned long w[4],
                                            unsigned long info, const unsigned *caps,
                                            struct chcore_ipc_result *out);

/* Each connection's shared buffer. A read or write moves at most
 * CHCORE_SRV_BUF - 4096 bytes per call. */
#define CHCORE_SRV_BUF (132ul * 1024)

/* auxv entries (chcore/services.h). */
#define CHCORE_AT_PROCMGR_SLOT 0x6003
#define CHCORE_AT_FSM_SLOT 0x6004

struct chcore_srv {
	long conn;              /* the connection capability */
	void *buf;              /* its buffer, mapped here; 0: not connected */
	volatile int lock[1];   /* held while a call uses buf */
	int ready;
	int inherited;          /* a fork's child: conn and buf are the parent's */
};

extern hidden long __chcore_procmgr_slot, __chcore_fsm_slot;

/* 0 or -errno (-EIO when the server is gone or refuses). */
hidden long __chcore_srv_connect(struct chcore_srv *, long server_cap);
hidden void __chcore_srv_disconnect(struct chcore_srv *);
/* In a child of fork, for a connection the parent had: marks it gone
 * without a system call (what is left of it goes at the next connect). */
hidden void __chcore_srv_after_fork(struct chcore_srv *);
/* One call (the caller holds s->lock and filled len bytes of s->buf).
 * Returns out->ret; a server that died is -EIO. */
hidden long __chcore_srv_call(struct chcore_srv *, unsigned long op, unsigned long w1,
                              unsigned long w2, unsigned long w3, unsigned long len,
                              unsigned ncaps, const unsigned *caps, struct chcore_ipc_result *out);
/* The connections to fsm and procmgr (connected on first use), or NULL
 * when this process was not given one. */
hidden struct chcore_srv *__chcore_fsm(void);
hidden struct chcore_srv *__chcore_procmgr(void);
hidden void __chcore_services_init(void);
/* In a child of fork: the parent's connections are not ours (fork.c). */
hidden void __chcore_services_after_fork(void);
/* The fork lane (chcore/proto/procmgr.h, fork.c): a connection to procmgr
 * that the kernel's fork copies into the same slot of each child, made
 * before this process's first fork (or inherited); -1 if none. */
extern hidden long __chcore_fork_lane;
/* In a child of fork: the parent's child-event notification is not ours
 * (spawn.c, wait4). */
hidden void __chcore_wait_after_fork(void);
/* The server published under name, without waiting: a capability slot, or
 * -ENOENT. */
hidden long __chcore_service_find(const char *name);

#endif
