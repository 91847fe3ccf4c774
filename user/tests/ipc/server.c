/* The echo server of the IPC tests (protocol: chcore/proto/echo.h).
 *
 *   ipc_server <parent cg slot> <shared page PMO slot> [<next server slot> [raw]]
 *
 * Registers, hands a capability to its server to the parent (cap_transfer
 * into the parent's process, the slot written to the shared page's first
 * word, plus one), then its main thread sleeps: handler threads do the
 * work. With a next server it is a relay (ECHO_OP_RELAY). */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/proto/echo.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long next_server = -1;
static struct chcore_conn next_conn = {.cap = -1};
static int next_lock;
static unsigned long connects, closes;
static int released;

/* What ECHO_OP_CALLER reports of a connection. */
struct conn_info {
  unsigned long pid, arg;
};

static struct chcore_server_ops ops;

static long on_connect(unsigned long badge, unsigned long pid, unsigned long arg, void** client) {
  (void)badge;
  __atomic_fetch_add(&connects, 1, __ATOMIC_RELAXED);
  if (ops.raw_entry) return 0; /* no C library on raw servers' threads */
  struct conn_info* ci = malloc(sizeof *ci);
  if (ci == NULL) return -CHCORE_ENOMEM;
  ci->pid = pid;
  ci->arg = arg;
  *client = ci;
  return arg == ECHO_CONNECT_FORK ? CHCORE_CONNECT_FORK : 0;
}

static void on_close(void* client) {
  free(client);
  __atomic_fetch_add(&closes, 1, __ATOMIC_RELEASE);
}

static pthread_mutex_t em;
static void errorcheck_init(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&em, &a);
}

/* ECHO_OP_LIBC: errno, malloc and the thread id of this handler's own
 * thread control block, while other handlers do the same on other CPUs. */
static long libc_check(unsigned long value, unsigned long blocks) {
  errno = (int)value;
  for (unsigned long i = 0; i < blocks; i++) {
    size_t n = 16 + (i * 40) % 3000;
    unsigned char* p = malloc(n);
    if (p == NULL) return 1;
    memset(p, (int)(value + i), n);
    chcore_sys_yield();
    for (size_t k = 0; k < n; k++)
      if (p[k] != (unsigned char)(value + i)) return 2;
    free(p);
    if (errno != (int)value) return 3;
  }
  /* An error-checking mutex knows its owner by the tid in the owner's
   * thread control block: with one block shared between handlers, another
   * handler's lock would look like this one's (EDEADLK), or its unlock
   * would fail (EPERM). */
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, errorcheck_init);
  if (pthread_mutex_lock(&em) != 0) return 4;
  if (pthread_mutex_lock(&em) != EDEADLK) return 5;
  chcore_sys_yield();
  if (pthread_mutex_unlock(&em) != 0) return 6;
  return 0;
}

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  switch (m->w[0]) {
    case ECHO_OP_LIBC:
      r->ret = libc_check(m->w[1], m->w[2]);
      break;
    case ECHO_OP_ECHO:
      r->w[0] = m->badge;
      for (int i = 1; i < 4; i++) r->w[i] = m->w[i] + 1;
      return;
    case ECHO_OP_DATA: {
      unsigned char* b = m->buf;
      long sum = 0;
      for (unsigned long i = 0; i < m->len; i++) {
        sum += b[i];
        b[i] = (unsigned char)~b[i];
      }
      r->ret = sum;
      r->len = m->len;
      return;
    }
    case ECHO_OP_CAPS: {
      for (unsigned i = 0; i < m->ncaps && i < 4; i++) r->w[i] = chcore_sys_cap_info(m->caps[i]);
      long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
      if (pmo < 0) {
        r->ret = pmo;
        return;
      }
      r->ncaps = 1;
      r->caps[0] = CHCORE_IPC_CAP(pmo, m->w[1]);
      r->ret = m->ncaps;
      return;
    }
    case ECHO_OP_RELAY: {
      if (next_server < 0) {
        r->ret = -CHCORE_ENOSYS;
        return;
      }
      while (__atomic_exchange_n(&next_lock, 1, __ATOMIC_ACQUIRE)) chcore_sys_yield();
      long e = 0;
      if (next_conn.cap < 0) e = chcore_connect(next_server, 4096, &next_conn);
      __atomic_store_n(&next_lock, 0, __ATOMIC_RELEASE);
      if (e < 0) {
        r->ret = e;
        return;
      }
      struct chcore_ipc_result res;
      r->ret = chcore_ipc_call(&next_conn, ECHO_OP_RELAY, m->w[1], 0, 0, 0, 0, 0, &res);
      r->w[1] = res.w[1] + 1;
      if (r->ret == -CHCORE_ENOSYS) {  /* the last one: an echo server */
        r->ret = chcore_ipc_call(&next_conn, ECHO_OP_ECHO, m->w[1], 0, 0, 0, 0, 0, &res);
        r->w[1] = res.w[1] + 1;
      }
      return;
    }
    case ECHO_OP_EXIT:
      chcore_sys_exit_group(7);
      return;
    case ECHO_OP_FAULT:
      *(volatile int*)0 = 1;
      return;
    case ECHO_OP_STATS:
      r->ret = (long)__atomic_load_n(&closes, __ATOMIC_ACQUIRE);
      r->w[0] = __atomic_load_n(&connects, __ATOMIC_RELAXED);
      return;
    case ECHO_OP_HOLD:
      __atomic_store_n((unsigned long*)m->buf, 1, __ATOMIC_RELEASE);
      while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE)) chcore_sys_yield();
      return;
    case ECHO_OP_SUM: {
      const unsigned long* b = m->buf;
      unsigned long sum = 0;
      for (unsigned long i = 0; i < m->len / 8; i++) sum += b[i];
      r->ret = (long)(sum & 0x7fffffffffffffff);
      return;
    }
    case ECHO_OP_FP_CLOBBER:
      __asm__ volatile(
          ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,"
          "28,29,30,31\n"
          "movi v\\n\\().16b, #0xa5\n"
          ".endr\n"
          "msr fpcr, %0\n" ::"r"(0xc00000ul)
          : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
            "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
            "v25", "v26", "v27", "v28", "v29", "v30", "v31");
      return;
    case ECHO_OP_RELEASE:
      __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
      return;
    case ECHO_OP_CALLER: {
      const struct conn_info* ci = m->client;
      r->ret = (long)m->caller;
      r->w[0] = ci->pid;
      r->w[1] = ci->arg;
      return;
    }
    default:
      r->ret = -CHCORE_ENOSYS;
  }
}

/* "raw" mode, for ./chbuild bench: the least a handler can do, reply at
 * once (x0 = 0, the words as they came, no buffer data, no capabilities). */
__attribute__((naked)) static void raw_entry(void) {
  __asm__ volatile(
      "mov x0, #0\n"
      "mov x5, #0\n"
      "mov x8, %0\n"
      "svc %2\n"
      "mov x8, %1\n"
      "svc #0\n" ::"i"(CHCORE_SYS_ipc_return),
      "i"(CHCORE_SYS_thread_exit), "i"(CHCORE_IPC_FAST_SVC));
}

static struct chcore_server_ops ops = {
    .handle = handle, .on_connect = on_connect, .on_close = on_close};

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  long parent = atol(argv[1]);
  long page = atol(argv[2]);
  if (argc > 3 && atol(argv[3]) >= 0) next_server = atol(argv[3]);
  if (argc > 4 && argv[4][0] == 'r') ops.raw_entry = raw_entry;
  unsigned long va;
  /* The shared page: mapped where libchcore maps things. */
  va = chcore_vm_reserve(4096);
  if (chcore_sys_map_pmo(CHCORE_SLOT_SELF, page, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE) < 0)
    return 3;
  long srv = chcore_server_register(&ops);
  if (srv < 0) return 4;
  long slot = chcore_sys_cap_transfer(parent, srv, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
  if (slot < 0) return 5;
  __atomic_store_n((unsigned long*)va, (unsigned long)slot + 1, __ATOMIC_RELEASE);
  for (;;) sleep(1000);
}
