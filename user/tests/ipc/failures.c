/* IPC when things go wrong (docs/ipc.md, "Failures"): a server that exits
 * in the middle of a call with other calls waiting, a handler that faults,
 * a client that dies while its call is in the server, and no memory lost
 * over many connections and many servers. */
#define UT_SUITE "ipc"
#include <chcore/proto/echo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_test.h"
#include "utest.h"

/* A call that waits behind another one of the same connection. */
struct caller {
  struct chcore_conn* c;
  unsigned long op;
  long ret;
};
static void* call_thread(void* arg) {
  struct caller* k = arg;
  k->ret = chcore_ipc_call(k->c, k->op, 0, 0, 0, 0, 0, NULL, NULL);
  return NULL;
}

static void wait_flag(volatile unsigned long* w) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0) chcore_sys_yield();
}

static void test_server_exits(void) {
  struct test_server s;
  UT_EQ("server_exits.start", start_server(&s, -1), 0);
  struct chcore_conn held, other;
  chcore_connect(s.cap, 4096, &held);
  chcore_connect(s.cap, 4096, &other);
  /* One call holds the handler of `held`; a second waits behind it. */
  struct caller holder = {&held, ECHO_OP_HOLD, 1}, waiter = {&held, ECHO_OP_ECHO, 1};
  pthread_t th, tw;
  pthread_create(&th, NULL, call_thread, &holder);
  wait_flag(held.buf);
  pthread_create(&tw, NULL, call_thread, &waiter);
  for (int i = 0; i < 20; i++) chcore_sys_yield();
  /* Another client's call makes the server exit mid-call. */
  UT_ERR("server_exits.mid_call", chcore_ipc_call(&other, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL),
         CHCORE_ECONNRESET);
  pthread_join(th, NULL);
  pthread_join(tw, NULL);
  UT_ERR("server_exits.call_in_progress", holder.ret, CHCORE_ECONNRESET);
  UT_ERR("server_exits.waiting_call", waiter.ret, CHCORE_ECONNRESET);
  UT_ERR("server_exits.later_call", chcore_ipc_call(&other, ECHO_OP_ECHO, 0, 0, 0, 0, 0, NULL, NULL),
         CHCORE_ECONNRESET);
  struct chcore_conn late;
  UT_ERR("server_exits.later_connect", chcore_connect(s.cap, 4096, &late), CHCORE_ECONNRESET);
  UT_EQ("server_exits.status", chcore_wait(s.cg), 7);
  chcore_disconnect(&held);
  chcore_disconnect(&other);
  chcore_cap_release(s.cap);
}

static void test_handler_faults(void) {
  struct test_server s;
  UT_EQ("handler_faults.start", start_server(&s, -1), 0);
  struct chcore_conn c;
  chcore_connect(s.cap, 4096, &c);
  UT_EQ("handler_faults.works_before", chcore_ipc_call(&c, ECHO_OP_ECHO, 0, 0, 0, 0, 0, NULL, NULL), 0);
  UT_ERR("handler_faults.caller_gets_reset",
         chcore_ipc_call(&c, ECHO_OP_FAULT, 0, 0, 0, 0, 0, NULL, NULL), CHCORE_ECONNRESET);
  UT_EQ("handler_faults.server_killed", chcore_wait(s.cg), -11);
  UT_TRUE("handler_faults.client_lives", chcore_sys_get_free_mem() > 0);
  chcore_disconnect(&c);
  chcore_cap_release(s.cap);
}

/* The client dies while its call is in the server: a child process whose
 * second thread exits the process once the call is in the handler. */
static void test_client_dies(const char* self) {
  struct test_server s;
  UT_EQ("client_dies.start", start_server(&s, -1), 0);
  struct chcore_conn c;
  chcore_connect(s.cap, 4096, &c);
  struct chcore_ipc_result r;
  chcore_ipc_call(&c, ECHO_OP_STATS, 0, 0, 0, 0, 0, NULL, &r);
  long closes0 = r.ret;
  const void* elf;
  unsigned long size;
  chcore_ramdisk_find(self, &elf, &size);
  struct chcore_launch l;
  chcore_launch_load(&l, elf, size, "ipc_dying_client");
  long child_cap = chcore_launch_transfer(&l, s.cap, CHCORE_RIGHT_WRITE);
  char a[24];
  snprintf(a, sizeof(a), "%ld", child_cap);
  const char* argv[] = {"ipc_failures", "client", a, NULL};
  long cg = chcore_launch_start(&l, argv, NULL);
  UT_EQ("client_dies.child_status", chcore_wait(cg), 9);
  /* Its call still holds the handler; let it finish: the reply is dropped,
   * and the close upcall runs for the dead client. */
  chcore_ipc_call(&c, ECHO_OP_RELEASE, 0, 0, 0, 0, 0, NULL, NULL);
  long closes = closes0;
  for (int i = 0; i < 100000 && closes == closes0; i++) {
    chcore_sys_yield();
    closes = chcore_ipc_call(&c, ECHO_OP_STATS, 0, 0, 0, 0, 0, NULL, &r);
  }
  UT_EQ("client_dies.server_sees_close", closes, closes0 + 1);
  UT_EQ("client_dies.server_still_serves",
        chcore_ipc_call(&c, ECHO_OP_ECHO, 0, 0, 0, 0, 0, NULL, NULL), 0);
  chcore_ipc_call(&c, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL);
  chcore_wait(s.cg);
  chcore_disconnect(&c);
  chcore_cap_release(s.cap);
}

static struct chcore_conn child_conn;
static void* child_hold(void* arg) {
  (void)arg;
  chcore_ipc_call(&child_conn, ECHO_OP_HOLD, 0, 0, 0, 0, 0, NULL, NULL);
  return NULL;
}
static int dying_client(long cap) {
  if (chcore_connect(cap, 4096, &child_conn) < 0) return 2;
  pthread_t t;
  pthread_create(&t, NULL, child_hold, NULL);
  wait_flag(child_conn.buf);
  chcore_sys_exit_group(9);
  return 3;
}

/* Memory: 1,000 connect/call/close cycles and 1,000 server start/exit
 * cycles leave the free memory as it was after a warm-up of as many. */
static long settle_closes(struct chcore_conn* c, long want) {
  struct chcore_ipc_result r;
  long closes = -1;
  for (int i = 0; i < 100000; i++) {
    closes = chcore_ipc_call(c, ECHO_OP_STATS, 0, 0, 0, 0, 0, NULL, &r);
    if (closes >= want) break;
    chcore_sys_yield();
  }
  return closes;
}

/* The free memory once the asynchronous part of teardown (close upcalls,
 * handler threads being reaped on other CPUs) is over: the same value
 * over many yields. */
static long settled_free_mem(void) {
  long last = chcore_sys_get_free_mem();
  for (int same = 0; same < 200;) {
    chcore_sys_yield();
    long now = chcore_sys_get_free_mem();
    same = now == last ? same + 1 : 0;
    last = now;
  }
  return last;
}

struct leak_round {
  struct test_server s;
  struct chcore_conn stats;
  long closes;
  int bad;
};

static void connect_call_close_round(void* arg) {
  struct leak_round* lr = arg;
  for (int i = 0; i < 1000; i++) {
    struct chcore_conn c;
    if (chcore_connect(lr->s.cap, 8192, &c) < 0 ||
        chcore_ipc_call(&c, ECHO_OP_ECHO, 0, 0, 0, 0, 0, NULL, NULL) != 0)
      lr->bad++;
    chcore_disconnect(&c);
    /* The server's close upcall frees its slot before the next connect,
     * so the server reuses one slot and its memory stays the same. */
    settle_closes(&lr->stats, ++lr->closes);
  }
}

static void server_start_exit_round(void* arg) {
  int* bad = arg;
  for (int i = 0; i < 1000; i++) {
    struct test_server t;
    struct chcore_conn c;
    if (start_server(&t, -1) < 0 || chcore_connect(t.cap, 4096, &c) < 0) {
      (*bad)++;
      continue;
    }
    if (chcore_ipc_call(&c, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL) != -CHCORE_ECONNRESET) (*bad)++;
    if (chcore_wait(t.cg) != 7) (*bad)++;
    chcore_disconnect(&c);
    chcore_cap_release(t.cap);
  }
}

/* Rounds of 1,000 after a warm-up of as many: a round that takes memory
 * is run again, and the check fails only if every round takes some
 * (ut_rounds_until_steady). */
static void test_leaks(void) {
  struct leak_round lr = {0};
  UT_EQ("leaks.start", start_server(&lr.s, -1), 0);
  chcore_connect(lr.s.cap, 4096, &lr.stats);
  long lost = ut_rounds_until_steady("leaks.connect_call_close_1000",
                                     connect_call_close_round, &lr,
                                     settled_free_mem, 3);
  UT_EQ("leaks.connect_call_close_work", lr.bad, 0);
  UT_EQ("leaks.connect_call_close_1000", lost, 0);
  chcore_ipc_call(&lr.stats, ECHO_OP_EXIT, 0, 0, 0, 0, 0, NULL, NULL);
  chcore_wait(lr.s.cg);
  chcore_disconnect(&lr.stats);
  chcore_cap_release(lr.s.cap);

  int bad = 0;
  lost = ut_rounds_until_steady("leaks.server_start_exit_1000",
                                server_start_exit_round, &bad,
                                settled_free_mem, 3);
  UT_EQ("leaks.server_start_exit_work", bad, 0);
  UT_EQ("leaks.server_start_exit_1000", lost, 0);
}

int main(int argc, char** argv) {
  if (argc > 2 && !strcmp(argv[1], "client")) return dying_client(atol(argv[2]));
  test_server_exits();
  test_handler_faults();
  test_client_dies("/tests/ipc_failures");
  test_leaks();
  return ut_finish();
}
