/* libchcore's IPC: clients (connect, call, disconnect) and servers (one
 * handler thread per client, the connect and close upcalls). See
 * chcore/ipc.h and docs/ipc.md. */
#include <chcore/ipc.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <string.h>

#define PAGE 4096ul
/* Each handler's stack, below its client slot. */
#define HANDLER_STACK (128ul * 1024)  /* address space; pages appear as used */

/* --- Buffer address space, reused --------------------------------------------
 * Every buffer gets CHCORE_IPC_BUF_MAX of address space; freed ranges are
 * kept for the next connection (page tables stay, nothing grows). */
static unsigned long free_va[64];
static int nfree_va;
static int va_lock;

static void lock(int* l) {
  while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) __asm__ volatile("yield");
}
static void unlock(int* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static unsigned long buf_va_get(void) {
  unsigned long va = 0;
  lock(&va_lock);
  if (nfree_va > 0) va = free_va[--nfree_va];
  unlock(&va_lock);
  return va != 0 ? va : chcore_vm_reserve(CHCORE_IPC_BUF_MAX);
}

static void buf_va_put(unsigned long va) {
  lock(&va_lock);
  if (nfree_va < (int)(sizeof(free_va) / sizeof(free_va[0]))) free_va[nfree_va++] = va;
  unlock(&va_lock);
}

/* --- Clients ----------------------------------------------------------------- */

long chcore_connect(long server_cap, unsigned long buf_size, struct chcore_conn* c) {
  return chcore_connect_arg(server_cap, buf_size, 0, c);
}

long chcore_connect_arg(long server_cap, unsigned long buf_size, unsigned long arg,
                        struct chcore_conn* c) {
  buf_size = (buf_size + PAGE - 1) & ~(PAGE - 1);
  if (buf_size == 0 || buf_size > CHCORE_IPC_BUF_MAX) return -CHCORE_EINVAL;
  unsigned long va = buf_va_get();
  if (va == 0) return -CHCORE_ENOMEM;
  long pmo = chcore_sys_create_pmo(buf_size, CHCORE_PMO_SHARED);
  long r = pmo;
  if (pmo < 0) goto fail_va;
  r = chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va,
                         CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  if (r < 0) goto fail_pmo;
  r = chcore_sys_ipc_connect((unsigned long)server_cap, (unsigned long)pmo, arg);
  if (r < 0) goto fail_map;
  c->cap = r;
  c->pmo = pmo;
  c->buf = (void*)va;
  c->buf_size = buf_size;
  return 0;
fail_map:
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va);
fail_pmo:
  chcore_cap_release(pmo);
fail_va:
  buf_va_put(va);
  return r;
}

void chcore_disconnect(struct chcore_conn* c) {
  if (c->cap < 0) return;
  chcore_cap_release(c->cap);
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)c->pmo, (unsigned long)c->buf);
  chcore_cap_release(c->pmo);
  buf_va_put((unsigned long)c->buf);
  c->cap = -1;
}

/* --- Servers ----------------------------------------------------------------- */

struct chcore_server;

/* One client's state, at the top of its handler's stack. */
struct client_slot {
  struct chcore_server* srv;
  struct client_slot* next;
  unsigned long badge;
  int busy;  /* 1 while the connection lives; its close clears it last */
  int closing; /* its close upcall has run: busy clears within instructions */
  int fresh;   /* a new handler thread: its tid is not yet in its TLS */
  long pmo;  /* the buffer's PMO here */
  unsigned long tls; /* the handler's thread control block (C library) */
  unsigned long buf_va, buf_size;
  void* client;
} __attribute__((aligned(16)));

/* The server, at the top of the connect thread's stack. */
struct chcore_server {
  const struct chcore_server_ops* ops;
  unsigned long tls;        /* the connect thread's thread control block */
  int fresh;                /* its tid is not yet recorded there */
  unsigned long next_badge;
  struct client_slot* slots;
} __attribute__((aligned(16)));

void __chcore_ipc_handler_entry(void);
/* The C library's blocks for threads it did not create (port/foreign_thread.c). */
unsigned long __chcore_foreign_tls_create(void);
void __chcore_foreign_tls_enter(void);
void __chcore_ipc_connect_entry(void);

static struct client_slot* slot_get(struct chcore_server* srv) {
  for (struct client_slot* s = srv->slots; s != NULL; s = s->next)
    if (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) == 0) return s;
  /* A slot whose close upcall is ending is free in a moment: reuse it
   * rather than grow (so a server's memory stays the same over connects
   * and closes). */
  for (struct client_slot* s = srv->slots; s != NULL; s = s->next)
    if (__atomic_load_n(&s->closing, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE)) chcore_sys_yield();
      return s;
    }
  unsigned long va;
  long pmo = chcore_map_anon(HANDLER_STACK + sizeof(struct client_slot), CHCORE_PMO_ANONYMOUS,
                             CHCORE_PROT_READ | CHCORE_PROT_WRITE, &va);
  if (pmo < 0) return NULL;
  chcore_cap_release(pmo); /* the mapping stays */
  unsigned long buf_va = chcore_vm_reserve(CHCORE_IPC_BUF_MAX);
  if (buf_va == 0) return NULL;
  /* Raw-entry servers (measurements) run on the registering thread's TLS
   * and must not use the C library; the others get a block each. */
  unsigned long tls = srv->tls;
  if (srv->ops->raw_entry == NULL && (tls = __chcore_foreign_tls_create()) == 0) return NULL;
  struct client_slot* s = (struct client_slot*)(va + HANDLER_STACK);
  s->srv = srv;
  s->tls = tls;
  s->buf_va = buf_va;
  s->next = srv->slots;
  srv->slots = s;
  return s;
}

static void slot_unmap(struct client_slot* s) {
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)s->pmo, s->buf_va);
  chcore_cap_release(s->pmo);
}

long __chcore_ipc_connect(struct chcore_server* srv, unsigned long size, unsigned long pid,
                          unsigned long pmo, unsigned long info, unsigned long arg) {
  if (info & CHCORE_IPC_INFO_CLOSE) return 0; /* the server object is gone */
  if (srv->fresh) {
    if (srv->ops->raw_entry == NULL) __chcore_foreign_tls_enter();
    srv->fresh = 0;
  }
  struct client_slot* s = slot_get(srv);
  if (s == NULL) {
    chcore_cap_release((long)pmo);
    return -CHCORE_ENOMEM;
  }
  s->pmo = (long)pmo;
  s->buf_size = size;
  long r = chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, s->buf_va,
                              CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  if (r < 0) {
    chcore_cap_release((long)pmo);
    return r;
  }
  s->badge = ++srv->next_badge;
  s->client = NULL;
  s->closing = 0;
  unsigned long flags = 0;
  if (srv->ops->on_connect) {
    r = srv->ops->on_connect(s->badge, pid, arg, &s->client);
    if (r < 0) {
      slot_unmap(s);
      return r;
    }
    if (r == CHCORE_CONNECT_FORK) flags = CHCORE_IPC_ACCEPT_FORK;
  }
  s->busy = 1;
  s->fresh = 1;
  /* On success the kernel switches to the client: no return. */
  r = chcore_sys_ipc_accept(s->badge, (unsigned long)s, s->tls, flags);
  s->busy = 0;
  if (srv->ops->on_close) srv->ops->on_close(s->client);
  slot_unmap(s);
  return r;
}

/* Returns the address the entry clears after its last use of the stack
 * (the close upcall), or 0. */
unsigned long __chcore_ipc_dispatch(struct client_slot* s, const unsigned long* regs,
                                    unsigned long* out) {
  const struct chcore_server_ops* ops = s->srv->ops;
  unsigned long info = regs[5];
  if (__builtin_expect(s->fresh, 0)) {
    __chcore_foreign_tls_enter();
    s->fresh = 0;
  }
  if (info & CHCORE_IPC_INFO_CLOSE) {
    memset(out, 0, 6 * sizeof(unsigned long));
    slot_unmap(s);
    __atomic_store_n(&s->closing, 1, __ATOMIC_RELEASE);
    if (ops->on_close) ops->on_close(s->client);
    return (unsigned long)&s->busy;
  }
  struct chcore_ipc_msg msg;
  msg.badge = regs[0];
  for (int i = 0; i < 4; i++) msg.w[i] = regs[1 + i];
  msg.len = CHCORE_IPC_INFO_LEN(info);
  msg.ncaps = (unsigned)CHCORE_IPC_INFO_NCAPS(info);
  memset(msg.caps, 0, sizeof(msg.caps));
  for (unsigned i = 0; i < msg.ncaps && i < CHCORE_IPC_MAX_CAPS; i++)
    msg.caps[i] = CHCORE_IPC_RECV_SLOT(regs[6], regs[7], i);
  msg.buf = (void*)s->buf_va;
  msg.buf_size = s->buf_size;
  msg.client = s->client;
  msg.caller = regs[8];
  /* Its capabilities are read only up to ncaps, and only they are sent. */
  struct chcore_ipc_reply reply;
  reply.ret = 0;
  for (int i = 0; i < 4; i++) reply.w[i] = 0;
  reply.len = 0;
  reply.ncaps = 0;
  ops->handle(&msg, &reply);
  unsigned ncaps = reply.ncaps > CHCORE_IPC_MAX_CAPS ? CHCORE_IPC_MAX_CAPS : reply.ncaps;
  out[0] = (unsigned long)reply.ret;
  for (int i = 0; i < 4; i++) out[1 + i] = reply.w[i];
  out[5] = CHCORE_IPC_INFO(reply.len, ncaps);
  if (ncaps != 0) memcpy(out + 6, reply.caps, ncaps * sizeof(reply.caps[0]));
  return 0;
}

long chcore_server_register(const struct chcore_server_ops* ops) {
  unsigned long va;
  long pmo = chcore_map_anon(HANDLER_STACK + sizeof(struct chcore_server), CHCORE_PMO_ANONYMOUS,
                             CHCORE_PROT_READ | CHCORE_PROT_WRITE, &va);
  if (pmo < 0) return pmo;
  chcore_cap_release(pmo);
  struct chcore_server* srv = (struct chcore_server*)(va + HANDLER_STACK);
  srv->ops = ops;
  srv->tls = (unsigned long)__builtin_thread_pointer();
  if (ops->raw_entry == NULL && (srv->tls = __chcore_foreign_tls_create()) == 0)
    return -CHCORE_ENOMEM;
  srv->fresh = 1;
  void (*entry)(void) = ops->raw_entry ? ops->raw_entry : __chcore_ipc_handler_entry;
  return chcore_sys_ipc_register_server((unsigned long)entry,
                                        (unsigned long)__chcore_ipc_connect_entry,
                                        (unsigned long)srv, srv->tls);
}
