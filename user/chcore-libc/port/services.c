/* chcore-libc: connections to the system services.
 *
 * procmgr gives every process it starts capabilities to its own server and
 * to fsm's, with their slots in the auxiliary vector (chcore/services.h).
 * The C library connects lazily, on the first call that needs a server,
 * with one connection per server per process, shared by its threads: a
 * connection's buffer is used by one call at a time (struct chcore_srv's
 * lock). Buffers live in [BUF_BASE, BUF_END), an area of the address space
 * that belongs to the C library (user/README.md). */
#include <errno.h>
#include <string.h>
#include "chcore_port.h"
#include "chcore_services.h"
#include "lock.h"
#include "uapi/ipc.h"

#define BUF_BASE 0x540000000000ul
#define BUF_END 0x580000000000ul

long __chcore_procmgr_slot = -1;
long __chcore_fsm_slot = -1;

static unsigned long next_va = BUF_BASE;
static volatile int va_lock[1];
/* Freed buffer addresses, reused first. */
static unsigned long free_va[32];
static int nfree;

static unsigned long va_get(void)
{
	unsigned long va = 0;
	LOCK(va_lock);
	if (nfree > 0) {
		va = free_va[--nfree];
	} else if (next_va + CHCORE_SRV_BUF <= BUF_END) {
		va = next_va;
		next_va += CHCORE_SRV_BUF + 4096; /* an unmapped page between buffers */
	}
	UNLOCK(va_lock);
	return va;
}

static void va_put(unsigned long va)
{
	LOCK(va_lock);
	if (nfree < (int)(sizeof free_va / sizeof free_va[0])) free_va[nfree++] = va;
	UNLOCK(va_lock);
}

/* What a child of fork has of a connection of its parent's: the address,
 * but neither the connection (connections are not copied), nor the
 * mapping (buffers are mapped CHCORE_MAP_DONTFORK, so the kernel's fork
 * does not copy them and the child need not unmap them), nor the buffer's
 * PMO (we keep no capability to it: the mapping holds it). */
static void forget_parents(struct chcore_srv *s)
{
	if (!s->inherited) return;
	va_put((unsigned long)s->buf);
	s->buf = 0;
	s->inherited = 0;
}

void __chcore_srv_after_fork(struct chcore_srv *s)
{
	if (s->buf) CHCORE_SET(s->inherited, 1);
}

long __chcore_srv_connect(struct chcore_srv *s, long server_cap)
{
	forget_parents(s);
	unsigned long va = va_get();
	if (va == 0) return -ENOMEM;
	long pmo = __chcore_sys_create_pmo(CHCORE_SRV_BUF, CHCORE_PMO_SHARED);
	long r = pmo;
	if (pmo < 0) goto fail_va;
	r = __chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va,
	                         CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_MAP_DONTFORK);
	if (r < 0) goto fail_pmo;
	r = __chcore_sys_ipc_connect((unsigned long)server_cap, (unsigned long)pmo, 0);
	if (r < 0) goto fail_map;
	/* The server has its own capability to the buffer, our mapping holds
	 * the PMO: one capability fewer for every fork to copy. */
	__chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
	s->conn = r;
	s->buf = (void *)va;
	return 0;
fail_map:
	__chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va);
fail_pmo:
	__chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
fail_va:
	va_put(va);
	/* A server that is gone or refuses looks, to a file call, like a
	 * failed device. */
	return r == -ECONNREFUSED || r == -ECONNRESET ? -EIO : r;
}

void __chcore_srv_disconnect(struct chcore_srv *s)
{
	if (s->buf == 0) return;
	__chcore_sys_revoke_cap((unsigned long)s->conn, CHCORE_REVOKE_SELF);
	__chcore_sys_unmap_range(CHCORE_SLOT_SELF, (unsigned long)s->buf, CHCORE_SRV_BUF);
	va_put((unsigned long)s->buf);
	s->buf = 0;
}

long __chcore_srv_call(struct chcore_srv *s, unsigned long op, unsigned long w1, unsigned long w2,
                       unsigned long w3, unsigned long len, unsigned ncaps, const unsigned *caps,
                       struct chcore_ipc_result *out)
{
	const unsigned long w[4] = {op, w1, w2, w3};
	long r = __chcore_ipc_call(s->conn, w, CHCORE_IPC_INFO(len, ncaps), caps, out);
	/* The kernel's "the server is gone" is an I/O error to the caller. */
	if (r == -ECONNRESET) r = out->ret = -EIO;
	return r;
}

/* The fsm and procmgr connections, made on first use. */
static struct chcore_srv fsm, procmgr;
static volatile int connect_lock[1];

static struct chcore_srv *service(struct chcore_srv *s, long slot)
{
	if (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) return s;
	if (slot < 0) return 0;
	LOCK(connect_lock);
	if (!s->ready && __chcore_srv_connect(s, slot) == 0)
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	UNLOCK(connect_lock);
	return s->ready ? s : 0;
}

struct chcore_srv *__chcore_fsm(void)
{
	return service(&fsm, __chcore_fsm_slot);
}

struct chcore_srv *__chcore_procmgr(void)
{
	return service(&procmgr, __chcore_procmgr_slot);
}

/* A child of fork has the parent's connection state in its memory and
 * the buffers' PMO capabilities, but not the connections: the next call
 * connects (and drops what is left). Locks another thread held are free
 * here. */
void __chcore_services_after_fork(void)
{
	CHCORE_SET(va_lock[0], 0);
	CHCORE_SET(connect_lock[0], 0);
	struct chcore_srv *all[] = {&fsm, &procmgr};
	for (int i = 0; i < 2; i++) {
		CHCORE_SET(all[i]->lock[0], 0);
		__chcore_srv_after_fork(all[i]);
		CHCORE_SET(all[i]->ready, 0);
	}
}

/* Reads the service slots from the auxiliary vector (init.c calls this). */
void __chcore_services_init(void)
{
	for (size_t *a = __chcore_auxv; a && a[0]; a += 2) {
		if (a[0] == CHCORE_AT_PROCMGR_SLOT) __chcore_procmgr_slot = (long)a[1];
		if (a[0] == CHCORE_AT_FSM_SLOT) __chcore_fsm_slot = (long)a[1];
	}
}

/* procmgr, which the kernel starts without an auxiliary-vector entry,
 * names its own server and fsm's once they exist. */
void chcore_services_set(long procmgr_slot, long fsm_slot)
{
	__chcore_procmgr_slot = procmgr_slot;
	__chcore_fsm_slot = fsm_slot;
}

/* For libchcore (chcore/services.h): the slots, not hidden. */
long chcore_procmgr_cap(void)
{
	return __chcore_procmgr_slot >= 0 ? __chcore_procmgr_slot : -ENOENT;
}

long chcore_fsm_cap(void)
{
	return __chcore_fsm_slot >= 0 ? __chcore_fsm_slot : -ENOENT;
}

/* ---- The service registry (chcore/services.h) ---------------------------- */

#include "chcore_proto_procmgr.h"

static long registry_call(unsigned long op, const char *name, unsigned long w1, long cap,
                          long *cap_out)
{
	size_t n = strnlen(name, CHCORE_SERVICE_NAME_MAX);
	if (n == 0 || n >= CHCORE_SERVICE_NAME_MAX) return -EINVAL;
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ENOENT;
	unsigned desc = CHCORE_IPC_CAP(cap, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
	struct chcore_ipc_result out;
	LOCK(s->lock);
	memcpy(s->buf, name, n + 1);
	long r = __chcore_srv_call(s, op, w1, 0, 0, n + 1, cap >= 0 ? 1 : 0, &desc, &out);
	UNLOCK(s->lock);
	if (r >= 0 && cap_out) {
		if (CHCORE_IPC_INFO_NCAPS(out.info) < 1) return -EIO;
		*cap_out = (long)chcore_ipc_cap(&out, 0);
	}
	return r;
}

long chcore_service_publish(const char *name, long server_cap)
{
	if (server_cap < 0) return -EINVAL;
	return registry_call(PROCMGR_PUBLISH, name, 0, server_cap, 0);
}

long chcore_service_lookup(const char *name)
{
	long cap = -1;
	long r = registry_call(PROCMGR_LOOKUP, name, 1, -1, &cap);
	return r < 0 ? r : cap;
}

long __chcore_service_find(const char *name)
{
	long cap = -1;
	long r = registry_call(PROCMGR_LOOKUP, name, 0, -1, &cap);
	return r < 0 ? r : cap;
}

_Noreturn void chcore_serve_forever(void)
{
	/* A futex wait on a word nobody changes: the thread sleeps in the
	 * kernel and costs nothing. */
	static volatile int never;
	for (;;)
		__chcore_sys_futex((unsigned long)&never, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG, 0,
		                   0, 0, 0);
}
