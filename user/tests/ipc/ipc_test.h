/* Shared by the IPC tests: starting a test server (user/tests/ipc/server.c)
 * and getting a capability to it. */
#ifndef CHCORE_TESTS_IPC_TEST_H
#define CHCORE_TESTS_IPC_TEST_H

#include <chcore/ipc.h>
#include <chcore/launch.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <stdio.h>

struct test_server {
  long cg;   /* its process */
  long cap;  /* a capability to its server object */
};

/* Starts /tests/ipc_server (a relay to `next` if next >= 0; mode "raw": the
 * benchmarks' minimal handler) and waits until it has handed over its
 * server capability. Returns 0 or -errno. */
static inline long start_server_mode(struct test_server* s, long next, const char* mode) {
  const void* elf;
  unsigned long size;
  long r = chcore_ramdisk_find("/tests/ipc_server", &elf, &size);
  if (r < 0) return r;
  unsigned long page_va;
  long page = chcore_map_anon(4096, CHCORE_PMO_SHARED, CHCORE_PROT_READ | CHCORE_PROT_WRITE,
                              &page_va);
  if (page < 0) return page;
  struct chcore_launch l;
  r = chcore_launch_load(&l, elf, size, "ipc_server");
  if (r < 0) return r;
  long parent = chcore_launch_transfer(&l, CHCORE_SLOT_SELF, CHCORE_RIGHT_CONTROL);
  long child_page =
      chcore_launch_transfer(&l, page, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE);
  long child_next = next >= 0 ? chcore_launch_transfer(&l, next, CHCORE_RIGHT_WRITE) : -1;
  if (parent < 0 || child_page < 0 || (next >= 0 && child_next < 0)) {
    chcore_launch_abort(&l);
    return -CHCORE_EINVAL;
  }
  char a1[24], a2[24], a3[24];
  snprintf(a1, sizeof(a1), "%ld", parent);
  snprintf(a2, sizeof(a2), "%ld", child_page);
  snprintf(a3, sizeof(a3), "%ld", child_next);
  const char* argv[] = {"ipc_server", a1, a2, a3, mode, NULL};
  r = chcore_launch_start(&l, argv, NULL);
  if (r < 0) return r;
  s->cg = r;
  volatile unsigned long* word = (volatile unsigned long*)page_va;
  while (*word == 0) chcore_sys_yield();
  s->cap = (long)(*word - 1);
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, page, page_va);
  chcore_cap_release(page);
  return 0;
}

static inline long start_server(struct test_server* s, long next) {
  return start_server_mode(s, next, NULL);
}

#endif
