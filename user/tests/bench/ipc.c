/* IPC benchmarks for ./chbuild bench: prints
 *   BENCH <name> <hundredths of a ns per op>
 * measured with the virtual counter (under -icount shift=0: instructions).
 *
 *   ipc_roundtrip     0-byte call and return to a server process on the same
 *                     CPU whose handler replies at once (raw handler)
 *   ipc_roundtrip_4k  the client writes 4 KiB into the buffer, the server's
 *                     handler (libchcore's dispatcher) reads 4 KiB from it
 *   ipc_4pairs        4 clients on 4 CPUs, each with its own server
 *                     process, all at once: per round trip per pair */
#include <chcore/proto/echo.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "ipc/ipc_test.h"


#define N 20000

static unsigned long roundtrips(long conn, int n) {
  unsigned long t0 = bench_counter();
  bench_profile_begin();
  for (int i = 0; i < n; i++) chcore_ipc_call_raw(conn, 0, 0, 0, 0, 0, 0, 0);
  bench_profile_end();
  return bench_counter() - t0;
}

struct pair {
  int cpu;
  long cap;
  volatile int* go;
  unsigned long ticks;
};
static volatile int ready;
static void* pair_client(void* arg) {
  struct pair* p = arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, p->cpu);
  struct chcore_conn c;
  if (chcore_connect(p->cap, 4096, &c) < 0) return NULL;
  roundtrips(c.cap, 100);
  __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
  while (!*p->go) chcore_sys_yield();
  p->ticks = roundtrips(c.cap, N);
  chcore_disconnect(&c);
  return NULL;
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct test_server raw, dispatch;
  if (start_server_mode(&raw, -1, "raw") < 0 || start_server(&dispatch, -1) < 0) {
    printf("bench_ipc: cannot start the servers\n");
    return 1;
  }
  if (!only[0] || !strcmp(only, "ipc_roundtrip")) {
    struct chcore_conn c;
    if (chcore_connect(raw.cap, 4096, &c) < 0) return 1;
    roundtrips(c.cap, 100);
    bench_report("ipc_roundtrip", roundtrips(c.cap, N), N);
    chcore_disconnect(&c);
  }
  if (!only[0] || !strcmp(only, "ipc_roundtrip_4k")) {
    struct chcore_conn c;
    if (chcore_connect(dispatch.cap, 4096, &c) < 0) return 1;
    enum { M = 5000 };
    unsigned long* b = c.buf;
    unsigned long t0 = bench_counter();
    for (int i = 0; i < M; i++) {
      for (int k = 0; k < 512; k++) b[k] = (unsigned long)(i + k);
      chcore_ipc_call(&c, ECHO_OP_SUM, 0, 0, 0, 4096, 0, 0, 0);
    }
    bench_report("ipc_roundtrip_4k", bench_counter() - t0, M);
    chcore_disconnect(&c);
  }
  if (!only[0] || !strcmp(only, "ipc_4pairs")) {
    long ncpu = chcore_sys_online_cpus();
    int n = ncpu < 4 ? (int)ncpu : 4;
    struct test_server s[4];
    struct pair p[4];
    pthread_t t[4];
    static volatile int go;
    for (int i = 0; i < n; i++) {
      if (start_server_mode(&s[i], -1, "raw") < 0) return 1;
      p[i] = (struct pair){.cpu = i, .cap = s[i].cap, .go = &go};
      pthread_create(&t[i], NULL, pair_client, &p[i]);
    }
    while (ready < n) chcore_sys_yield();
    unsigned long t0 = bench_counter();
    go = 1;
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    unsigned long total = bench_counter() - t0;
    /* Under icount the virtual clock counts the instructions of every CPU,
     * so the pairs' instructions add up to the elapsed time. */
    bench_report("ipc_4pairs", total, (unsigned long)N * n);
    (void)total;
  }
  printf("BENCH done\n");
  return 0;
}
