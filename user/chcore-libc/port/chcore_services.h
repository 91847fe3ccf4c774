/* chcore-libc: connections to servers (services.c), used by the file
 * descriptors of file systems (file.c) and by libchcore's registry calls. */
#ifndef CHCORE_SERVICES_PORT_H
#define CHCORE_SERVICES_PORT_H

#include "chcore_port.h"

/* Each connection's shared buffer. A read or write moves at most
 * CHCORE_SRV_BUF - 4096 bytes per call. */
#define CHCORE_SRV_BUF (132ul * 1024)

/* auxv entries (chcore/services.h). */
#define CHCORE_AT_PROCMGR_SLOT 0x6003
#define CHCORE_AT_FSM_SLOT 0x6004

struct chcore_srv {
	long conn;              /* the connection capability */
	long pmo;               /* its buffer */
	void *buf;              /* mapped here; 0: not connected */
	volatile int lock[1];   /* held while a call uses buf */
	int ready;
};

extern hidden long __chcore_procmgr_slot, __chcore_fsm_slot;

/* 0 or -errno (-EIO when the server is gone or refuses). */
hidden long __chcore_srv_connect(struct chcore_srv *, long server_cap);
hidden void __chcore_srv_disconnect(struct chcore_srv *);
/* One call (the caller holds s->lock and filled len bytes of s->buf).
 * Returns out->ret; a server that died is -EIO. */
hidden long __chcore_srv_call(struct chcore_srv *, unsigned long op, unsigned long w1,
                              unsigned long w2, unsigned long w3, unsigned long len,
                              unsigned ncaps, const unsigned *caps, struct chcore_ipc_out *out);
/* The connections to fsm and procmgr (connected on first use), or NULL
 * when this process was not given one. */
hidden struct chcore_srv *__chcore_fsm(void);
hidden struct chcore_srv *__chcore_procmgr(void);
hidden void __chcore_services_init(void);

/* The i-th capability received by a call. */
#define CHCORE_OUT_CAP(out, i) \
	((long)(((i) < 4 ? (out)->caps_lo : (out)->caps_hi) >> (16 * ((i)&3)) & 0xffff))

#endif
