/* IPC between processes: calls, data, capabilities, badges, parallel
 * clients, nested calls, and what happens when a server or a client dies
 * (docs/ipc.md). The servers are /tests/ipc_server processes. */
#define UT_SUITE "ipc"
#include <chcore/proto/echo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/ipc_test.h"
#include "regs.h"
#include "utest.h"

static struct test_server echo;

static void test_echo(void) {
  struct chcore_conn a, b;
  UT_EQ("connect", chcore_connect(echo.cap, 4096, &a), 0);
  UT_EQ("connect_second", chcore_connect(echo.cap, 4096, &b), 0);
  struct chcore_ipc_result r, r2;
  long ret = chcore_ipc_call(&a, ECHO_OP_ECHO, 10, 20, 30, 0, 0, NULL, &r);
  UT_EQ("echo.ret", ret, 0);
  UT_TRUE("echo.words", r.w[1] == 11 && r.w[2] == 21 && r.w[3] == 31);
  UT_TRUE("echo.badge", r.w[0] != 0);
  /* What a client puts in its registers cannot change its badge. */
  chcore_ipc_call(&b, ECHO_OP_ECHO, r.w[0], 0, 0, 0, 0, NULL, &r2);
  UT_TRUE("badge.per_connection", r2.w[0] != 0 && r2.w[0] != r.w[0]);
  chcore_ipc_call(&a, ECHO_OP_ECHO, r2.w[0], 0, 0, 0, 0, NULL, &r2);
  UT_EQ("badge.stable", r2.w[0], r.w[0]);
  UT_EQ("unknown_op", chcore_ipc_call(&a, 999, 0, 0, 0, 0, 0, NULL, NULL), -CHCORE_ENOSYS);
  chcore_disconnect(&a);
  chcore_disconnect(&b);
}

static void test_data(void) {
  struct chcore_conn c;
  UT_EQ("data.connect_64k", chcore_connect(echo.cap, 65536, &c), 0);
  int bad = 0;
  unsigned long sizes[40];
  int n = 0;
  sizes[n++] = 0;
  for (unsigned long s = 1; s <= 65536; s *= 2) {
    sizes[n++] = s;
    if (s > 2) sizes[n++] = s - 1;
  }
  for (int k = 0; k < n; k++) {
    unsigned long len = sizes[k];
    unsigned char* b = c.buf;
    long sum = 0;
    for (unsigned long i = 0; i < len; i++) {
      b[i] = (unsigned char)(i * 7 + len);
      sum += b[i];
    }
    long ret = chcore_ipc_call(&c, ECHO_OP_DATA, 0, 0, 0, len, 0, NULL, NULL);
    int ok = ret == sum;
    for (unsigned long i = 0; ok && i < len; i++) ok = b[i] == (unsigned char)~(i * 7 + len);
    if (!ok) {
      printf("  size %lu: ret %ld, expected %ld\n", len, ret, sum);
      bad++;
    }
  }
  UT_EQ("data.every_size_0_to_64k", bad, 0);
  UT_EQ("data.len_beyond_buffer", chcore_ipc_call(&c, ECHO_OP_DATA, 0, 0, 0, 65537, 0, NULL, NULL),
        -CHCORE_EINVAL);
  UT_EQ("data.unknown_info_bits",
        chcore_ipc_call_raw(c.cap, ECHO_OP_ECHO, 0, 0, 0, 1ul << 50, NULL, NULL), -CHCORE_EINVAL);
  chcore_disconnect(&c);
  struct chcore_conn big;
  UT_EQ("data.buffer_too_big", chcore_connect(echo.cap, CHCORE_IPC_BUF_MAX + 4096, &big),
        -CHCORE_EINVAL);
}

static void test_caps(void) {
  struct chcore_conn c;
  UT_EQ("caps.connect", chcore_connect(echo.cap, 4096, &c), 0);
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  unsigned send[2] = {CHCORE_IPC_CAP(pmo, CHCORE_RIGHT_READ),
                      CHCORE_IPC_CAP(pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY)};
  struct chcore_ipc_result r;
  long ret = chcore_ipc_call(&c, ECHO_OP_CAPS, CHCORE_RIGHT_READ, 0, 0, 0, 2, send, &r);
  UT_EQ("caps.sent_two", ret, 2);
  UT_EQ("caps.narrowed_read_only", CHCORE_CAP_INFO_RIGHTS(r.w[0]), CHCORE_RIGHT_READ);
  UT_EQ("caps.type_kept", CHCORE_CAP_INFO_TYPE(r.w[0]), CHCORE_OBJ_PMO);
  UT_EQ("caps.second_rights", CHCORE_CAP_INFO_RIGHTS(r.w[1]),
        CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
  unsigned got = chcore_ipc_cap(&r, 0);
  UT_EQ("caps.reply_has_one", CHCORE_IPC_INFO_NCAPS(r.info), 1);
  UT_EQ("caps.reply_rights", CHCORE_CAP_INFO_RIGHTS(chcore_sys_cap_info(got)), CHCORE_RIGHT_READ);
  char x = 1;
  UT_ERR("caps.cannot_exceed_rights", chcore_sys_write_pmo(got, 0, (unsigned long)&x, 1),
         CHCORE_EACCES);
  chcore_cap_release(got);
  /* Bad descriptors: nothing is installed, the call fails before the server. */
  unsigned bad_slot[1] = {CHCORE_IPC_CAP(1000, CHCORE_RIGHT_READ)};
  UT_ERR("caps.bad_slot", chcore_ipc_call(&c, ECHO_OP_CAPS, 0, 0, 0, 0, 1, bad_slot, NULL),
         CHCORE_EBADF);
  UT_ERR("caps.bad_pointer",
         chcore_ipc_call(&c, ECHO_OP_CAPS, 0, 0, 0, 0, 1, (const unsigned*)16, NULL),
         CHCORE_EFAULT);
  unsigned nine[9];
  for (int i = 0; i < 9; i++) nine[i] = CHCORE_IPC_CAP(pmo, CHCORE_RIGHT_READ);
  UT_ERR("caps.more_than_8",
         chcore_ipc_call_raw(c.cap, ECHO_OP_CAPS, 0, 0, 0, CHCORE_IPC_INFO(0, 9), nine, NULL),
         CHCORE_EINVAL);
  long nocopy = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ);
  unsigned nc[1] = {CHCORE_IPC_CAP(nocopy, CHCORE_RIGHT_READ)};
  UT_ERR("caps.needs_copy_right", chcore_ipc_call(&c, ECHO_OP_CAPS, 0, 0, 0, 0, 1, nc, NULL),
         CHCORE_EACCES);
  ret = chcore_ipc_call(&c, ECHO_OP_CAPS, CHCORE_RIGHT_READ, 0, 0, 0, 8, nine, &r);
  int all8 = ret == 8;
  for (unsigned i = 0; i < 8; i++) {
    long info = chcore_sys_cap_info(chcore_ipc_cap(&r, i));
    if (i == 0) all8 = all8 && CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_PMO;
  }
  UT_TRUE("caps.eight_in_one_message", all8);
  chcore_cap_release(chcore_ipc_cap(&r, 0));
  chcore_cap_release(nocopy);
  chcore_cap_release(pmo);
  chcore_disconnect(&c);
}

/* A system call issued with `svc #imm` (IPC's fast path asks for 0x1000). */
#define SVC_WITH(imm)                                                                        \
  static long svc_##imm(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {     \
    register long x0 __asm__("x0") = a0;                                                     \
    register long x1 __asm__("x1") = a1;                                                     \
    register long x2 __asm__("x2") = a2;                                                     \
    register long x3 __asm__("x3") = a3;                                                     \
    register long x4 __asm__("x4") = a4;                                                     \
    register long x5 __asm__("x5") = a5;                                                     \
    register long x8 __asm__("x8") = nr;                                                     \
    __asm__ volatile("svc #" #imm                                                            \
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)            \
                     : "r"(x8)                                                               \
                     : "x6", "x7", "memory");                                                \
    return x0;                                                                               \
  }
SVC_WITH(0x1000)
SVC_WITH(0x2000)

/* What the fast path (svc #0x1000) does not take goes the ordinary way,
 * with the ordinary results. */
static void test_fast_path_fallbacks(void) {
  UT_EQ("fast.other_call_is_ordinary", svc_0x1000(CHCORE_SYS_gettid, 0, 0, 0, 0, 0, 0),
        chcore_sys_gettid());
  UT_EQ("fast.other_immediate_is_ordinary", svc_0x2000(CHCORE_SYS_gettid, 0, 0, 0, 0, 0, 0),
        chcore_sys_gettid());
  UT_ERR("fast.unknown_number", svc_0x1000(100000, 0, 0, 0, 0, 0, 0), CHCORE_ENOSYS);
  UT_ERR("fast.return_not_a_handler", svc_0x1000(CHCORE_SYS_ipc_return, 0, 0, 0, 0, 0, 0),
         CHCORE_EINVAL);
  UT_ERR("fast.call_huge_slot", svc_0x1000(CHCORE_SYS_ipc_call, -1, 0, 0, 0, 0, 0), CHCORE_EBADF);
  struct chcore_conn c;
  chcore_connect(echo.cap, 4096, &c);
  UT_ERR("fast.call_unknown_info_bits",
         svc_0x1000(CHCORE_SYS_ipc_call, c.cap, ECHO_OP_ECHO, 0, 0, 0, 1l << 50), CHCORE_EINVAL);
  UT_ERR("fast.call_length_beyond_buffer",
         svc_0x1000(CHCORE_SYS_ipc_call, c.cap, ECHO_OP_DATA, 0, 0, 0, 4097), CHCORE_EINVAL);
  UT_EQ("fast.call_length_within_buffer",
        svc_0x1000(CHCORE_SYS_ipc_call, c.cap, ECHO_OP_DATA, 0, 0, 0, 4096), 0);
  UT_EQ("fast.call_echo", svc_0x1000(CHCORE_SYS_ipc_call, c.cap, ECHO_OP_ECHO, 1, 2, 3, 0), 0);
  chcore_disconnect(&c);
}

static void test_bad_calls(void) {
  UT_ERR("call.empty_slot", chcore_ipc_call_raw(900, 0, 0, 0, 0, 0, NULL, NULL), CHCORE_EBADF);
  UT_ERR("call.not_a_connection",
         chcore_ipc_call_raw(CHCORE_SLOT_SELF, 0, 0, 0, 0, 0, NULL, NULL), CHCORE_EINVAL);
  UT_ERR("call.server_cap_is_not_a_connection",
         chcore_ipc_call_raw(echo.cap, 0, 0, 0, 0, 0, NULL, NULL), CHCORE_EINVAL);
  struct chcore_conn c;
  chcore_connect(echo.cap, 4096, &c);
  long weak = chcore_sys_cap_copy(c.cap, CHCORE_RIGHT_COPY);
  UT_ERR("call.needs_write_right", chcore_ipc_call_raw(weak, ECHO_OP_ECHO, 0, 0, 0, 0, NULL, NULL),
         CHCORE_EACCES);
  chcore_cap_release(weak);
  chcore_disconnect(&c);
  UT_ERR("return.not_a_handler", chcore_sys_ipc_return(0, 0, 0, 0, 0, 0), CHCORE_EINVAL);
  UT_ERR("accept.not_in_connect", chcore_sys_ipc_accept(1, 0x1000, 0, 0), CHCORE_EINVAL);
  UT_ERR("connect.not_a_pmo", chcore_sys_ipc_connect(echo.cap, CHCORE_SLOT_SELF, 0), CHCORE_EINVAL);
  long anon = chcore_sys_create_pmo(4096, CHCORE_PMO_ANONYMOUS);
  UT_ERR("connect.private_pmo", chcore_sys_ipc_connect(echo.cap, anon, 0), CHCORE_EINVAL);
  chcore_cap_release(anon);
  UT_ERR("register.bad_entry", chcore_sys_ipc_register_server(2, 0x1000, 0x1000, 0), CHCORE_EINVAL);
}

/* Four clients on four CPUs at once, each with its own connection. */
struct par {
  int cpu;
  long errors;
  long libc_errors;
};
static void* par_client(void* arg) {
  struct par* p = arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, p->cpu);
  struct chcore_conn c;
  long e = chcore_connect(echo.cap, 4096, &c);
  if (e < 0) {
    printf("  cpu %d: connect %ld\n", p->cpu, e);
    p->errors = -1;
    return NULL;
  }
  struct chcore_ipc_result r;
  chcore_ipc_call(&c, ECHO_OP_ECHO, 0, 0, 0, 0, 0, NULL, &r);
  unsigned long badge = r.w[0];
  for (unsigned long i = 0; i < 2000; i++) {
    long ret = chcore_ipc_call(&c, ECHO_OP_ECHO, i, i * 3, (unsigned long)p->cpu, 0, 0, NULL, &r);
    if (ret != 0 || r.w[0] != badge || r.w[1] != i + 1 || r.w[2] != i * 3 + 1 ||
        r.w[3] != (unsigned long)p->cpu + 1) {
      if (p->errors++ < 3)
        printf("  cpu %d call %lu: ret %ld w0 %lx (badge %lx) w1 %lu w2 %lu\n", p->cpu, i, ret,
               r.w[0], badge, r.w[1], r.w[2]);
    }
    if (chcore_sys_get_cpu() != p->cpu) p->errors += 1000000;
  }
  /* Handlers use the C library (errno, malloc, a mutex) at the same time. */
  for (unsigned long i = 0; i < 20; i++) {
    long ret = chcore_ipc_call(&c, ECHO_OP_LIBC, 1000 + (unsigned long)p->cpu, 50, 0, 0, 0, NULL,
                               &r);
    if (ret != 0 && p->libc_errors++ < 3) printf("  cpu %d: libc check %ld\n", p->cpu, ret);
  }
  chcore_disconnect(&c);
  return NULL;
}

static void test_parallel(void) {
  long ncpu = chcore_sys_online_cpus();
  pthread_t t[4];
  struct par p[4];
  int n = ncpu < 4 ? (int)ncpu : 4;
  for (int i = 0; i < n; i++) {
    p[i].cpu = i;
    p[i].errors = 0;
    p[i].libc_errors = 0;
    pthread_create(&t[i], NULL, par_client, &p[i]);
  }
  long errors = 0, libc_errors = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(t[i], NULL);
    errors += p[i].errors;
    libc_errors += p[i].libc_errors;
  }
  UT_EQ("parallel.clients_on_each_cpu_badges_checked", errors, 0);
  /* Each handler thread has its own errno, thread id and locks. */
  UT_EQ("parallel.handlers_use_libc_concurrently", libc_errors, 0);
}

/* Several threads of one client share a connection: calls queue up. */
static struct chcore_conn shared;
static long shared_errors[3];
/* Three threads on three CPUs call one connection at once: each call
 * that finds the handler busy waits for a return to wake it (a lost
 * wake-up hangs the test). */
static void* shared_client(void* arg) {
  long* errors = arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (long)(errors - shared_errors));
  struct chcore_ipc_result r;
  for (unsigned long i = 0; i < 2000; i++)
    if (chcore_ipc_call(&shared, ECHO_OP_ECHO, 0, i, 0, 0, 0, NULL, &r) != 0 || r.w[2] != i + 1)
      (*errors)++;
  return NULL;
}
static void test_shared_connection(void) {
  chcore_connect(echo.cap, 4096, &shared);
  pthread_t t[3];
  long* errors = shared_errors;
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, shared_client, &errors[i]);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  UT_EQ("busy.threads_share_a_connection", errors[0] + errors[1] + errors[2], 0);
  chcore_disconnect(&shared);
}

/* Every call tells the handler the calling process (x8: msg->caller), on
 * the fast path and the ordinary one. A connection the server accepted as
 * fork-shared (CHCORE_CONNECT_FORK) is copied into a forked child, whose
 * calls on it name the child; an ordinary one is not copied. */
static long child_calls(struct chcore_conn* plain, struct chcore_conn* shared, long parent) {
  long me = (long)CHCORE_CAP_INFO_ID(chcore_sys_cap_info(CHCORE_SLOT_SELF));
  struct chcore_ipc_result r;
  if (me == parent) return 1;
  if (chcore_ipc_call(shared, ECHO_OP_CALLER, 0, 0, 0, 0, 0, NULL, &r) != me) return 2;
  if (r.w[0] != (unsigned long)parent || r.w[1] != ECHO_CONNECT_FORK) return 3;
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  unsigned desc = CHCORE_IPC_CAP(pmo, CHCORE_RIGHT_READ);
  if (chcore_ipc_call(shared, ECHO_OP_CALLER, 0, 0, 0, 0, 1, &desc, NULL) != me) return 4;
  if (chcore_ipc_call(plain, ECHO_OP_CALLER, 0, 0, 0, 0, 0, NULL, NULL) != -CHCORE_EBADF) return 5;
  return 0;
}

static void test_caller_and_fork(void) {
  long self = (long)CHCORE_CAP_INFO_ID(chcore_sys_cap_info(CHCORE_SLOT_SELF));
  struct chcore_conn plain, shared;
  UT_EQ("caller.connect", chcore_connect(echo.cap, 4096, &plain), 0);
  UT_EQ("caller.connect_fork_shared",
        chcore_connect_arg(echo.cap, 4096, ECHO_CONNECT_FORK, &shared), 0);
  struct chcore_ipc_result r;
  UT_EQ("caller.fast_path", chcore_ipc_call(&plain, ECHO_OP_CALLER, 0, 0, 0, 0, 0, NULL, &r),
        self);
  UT_EQ("caller.connected_by", r.w[0], (unsigned long)self);
  UT_EQ("caller.connect_word", r.w[1], 0);
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  unsigned desc = CHCORE_IPC_CAP(pmo, CHCORE_RIGHT_READ);
  UT_EQ("caller.with_a_capability",
        chcore_ipc_call(&plain, ECHO_OP_CALLER, 0, 0, 0, 0, 1, &desc, NULL), self);
  UT_EQ("caller.fork_shared_parent",
        chcore_ipc_call(&shared, ECHO_OP_CALLER, 0, 0, 0, 0, 0, NULL, NULL), self);
  pid_t pid = fork();
  if (pid == 0) _exit((int)child_calls(&plain, &shared, self));
  int st = -1;
  UT_EQ("caller.fork", pid > 0 && waitpid(pid, &st, 0) == pid, 1);
  UT_EQ("caller.child_calls_as_itself_on_shared_only", st, 0);
  /* The parent's calls are its own still. */
  UT_EQ("caller.parent_after_fork",
        chcore_ipc_call(&shared, ECHO_OP_CALLER, 0, 0, 0, 0, 0, NULL, NULL), self);
  chcore_cap_release(pmo);
  chcore_disconnect(&plain);
  chcore_disconnect(&shared);
}

static void test_nested(void) {
  struct test_server b, a;
  UT_EQ("nested.start_middle", start_server(&b, echo.cap), 0);
  UT_EQ("nested.start_front", start_server(&a, b.cap), 0);
  struct chcore_conn c;
  UT_EQ("nested.connect", chcore_connect(a.cap, 4096, &c), 0);
  struct chcore_ipc_result r;
  long ret = chcore_ipc_call(&c, ECHO_OP_RELAY, 100, 0, 0, 0, 0, NULL, &r);
  /* front -> middle -> echo: each adds one on the way back. */
  UT_EQ("nested.three_deep", ret, 0);
  UT_EQ("nested.three_deep_value", r.w[1], 103);
  chcore_disconnect(&c);
  /* Killing the middle server: the front one's call to it fails, and so
   * does ours through it, with -ECONNRESET; nobody hangs. */
  struct chcore_conn m;
  chcore_connect(b.cap, 4096, &m);
  UT_ERR("nested.middle_exits", chcore_ipc_call(&m, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL),
         CHCORE_ECONNRESET);
  UT_EQ("nested.middle_status", chcore_wait(b.cg), 7);
  chcore_connect(a.cap, 4096, &c);
  UT_ERR("nested.through_dead_middle", chcore_ipc_call(&c, ECHO_OP_RELAY, 1, 0, 0, 0, 0, NULL, NULL),
         CHCORE_ECONNRESET);
  chcore_disconnect(&c);
  chcore_disconnect(&m);
  chcore_connect(a.cap, 4096, &c);
  chcore_ipc_call(&c, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL);
  chcore_disconnect(&c);
  chcore_wait(a.cg);
  chcore_cap_release(a.cap);
  chcore_cap_release(b.cap);
}

/* The caller's registers across a call: all but x0-x7 (the reply) come
 * back as they were, FP/SIMD and FPCR included, whether the handler
 * touches FP/SIMD or not (the kernel keeps a caller's FP/SIMD state in the
 * registers during a call while it can: sched/user_state.h). */
static void test_registers(void) {
  struct chcore_conn c;
  chcore_connect(echo.cap, 4096, &c);
  static struct regs in, out;
  int bad = 0;
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < 31; i++) in.x[i] = 0x1111111111111111ul * (unsigned long)(i % 15 + 1) + round;
    for (int i = 0; i < 32; i++) {
      in.q[i][0] = 0x0123456789abcdeful ^ ((unsigned long)i << 56) ^ (unsigned long)round;
      in.q[i][1] = ~in.q[i][0];
    }
    in.fpcr = (round & 1) ? 0x400000ul : 0; /* rounding mode */
    in.x[8] = CHCORE_SYS_ipc_call;
    in.x[0] = (unsigned long)c.cap;
    in.x[1] = (round % 3 == 0) ? ECHO_OP_ECHO : ECHO_OP_FP_CLOBBER;
    in.x[5] = 0; /* info: no data, no capabilities */
    /* Half the rounds through IPC's fast path (svc #0x1000). */
    long ret = (round & 2) ? regs_probe_ipc_fast(&in, &out) : regs_probe(&in, &out);
    if (ret != 0) bad++;
    for (int i = 8; i < 31; i++)
      if (i != 29 && i != 30 && out.x[i] != in.x[i]) bad++;
    for (int i = 0; i < 32; i++)
      if (out.q[i][0] != in.q[i][0] || out.q[i][1] != in.q[i][1]) bad++;
    if (out.fpcr != in.fpcr) bad++;
    /* Another thread on this CPU between calls uses FP too. */
    if (round % 5 == 4) chcore_sys_yield();
  }
  UT_EQ("registers.kept_across_calls_fp_included", bad, 0);
  chcore_disconnect(&c);
}

/* A process that is its own server: a handler that calls the connection it
 * serves gets -EDEADLK instead of waiting for itself forever. */
static struct chcore_conn self_conn;
static void self_handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  if (m->w[0] == 7)
    r->ret = chcore_ipc_call_raw(self_conn.cap, 0, 0, 0, 0, 0, 0, 0);
  else
    r->ret = 42;
}
static const struct chcore_server_ops self_ops = {.handle = self_handle};

static void test_self_call(void) {
  long srv = UT_OK("self.register", chcore_server_register(&self_ops));
  if (srv < 0) return;
  UT_EQ("self.connect", chcore_connect(srv, 4096, &self_conn), 0);
  UT_EQ("self.call", chcore_ipc_call(&self_conn, 1, 0, 0, 0, 0, 0, NULL, NULL), 42);
  UT_ERR("self.handler_calling_its_own_connection",
         chcore_ipc_call(&self_conn, 7, 0, 0, 0, 0, 0, NULL, NULL), CHCORE_EDEADLK);
  UT_EQ("self.still_works", chcore_ipc_call(&self_conn, 1, 0, 0, 0, 0, 0, NULL, NULL), 42);
  chcore_disconnect(&self_conn);
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  UT_EQ("start_server", start_server(&echo, -1), 0);
  test_echo();
  test_registers();
  test_self_call();
  test_data();
  test_caps();
  test_bad_calls();
  test_fast_path_fallbacks();
  test_parallel();
  test_shared_connection();
  test_caller_and_fork();
  test_nested();
  return ut_finish();
}
