/* The child of tests/caps.c. argv[1] is the slot of a PMO its parent
 * transferred to it (READ | WRITE). It reads the parent's message from the
 * PMO, writes a reply and its view of the capability, then polls the PMO
 * until the parent revokes it, and reports through its exit status (see
 * cap_protocol.h) that every later use of the slot fails with -EBADF. */
#include <stdio.h>
#include <string.h>
#include <chcore/syscall.h>

#include "protocol.h"

int main(int argc, char** argv) {
  if (argc != 2) return CAPC_BAD_ARGS;
  long slot = 0;
  for (const char* p = argv[1]; *p >= '0' && *p <= '9'; p++) slot = slot * 10 + (*p - '0');

  long info = chcore_sys_cap_info((unsigned long)slot);
  char msg[CAPP_MSG_MAX];
  char reply[CAPP_MSG_MAX + 16];
  long r = chcore_sys_read_pmo((unsigned long)slot, CAPP_TO_CHILD, (unsigned long)msg, sizeof(msg));
  if (r != 0) {
    printf("cap_child: read_pmo(%ld) = %ld\n", slot, r);
    return CAPC_IO_FAILED;
  }
  msg[sizeof(msg) - 1] = '\0';
  int n = snprintf(reply, sizeof(reply), "child saw: %s", msg);
  unsigned long one = 1;
  if (chcore_sys_write_pmo((unsigned long)slot, CAPP_TO_PARENT, (unsigned long)reply,
                           (unsigned long)n + 1) != 0 ||
      chcore_sys_write_pmo((unsigned long)slot, CAPP_INFO, (unsigned long)&info, sizeof(info)) !=
          0 ||
      chcore_sys_write_pmo((unsigned long)slot, CAPP_STATE, (unsigned long)&one, sizeof(one)) !=
          0) {
    puts("cap_child: write_pmo failed");
    return CAPC_IO_FAILED;
  }

  /* Wait for the parent to revoke our capability. */
  unsigned long state;
  for (long i = 0; i < 1000000; i++) {
    r = chcore_sys_read_pmo((unsigned long)slot, CAPP_STATE, (unsigned long)&state, sizeof(state));
    if (r != 0) break;
    chcore_sys_yield();
  }
  if (r == 0) return CAPC_NEVER_REVOKED;
  if (r != -CHCORE_EBADF) {
    printf("cap_child: read_pmo after the revocation = %ld, expected -EBADF\n", r);
    return CAPC_WRONG_ERROR;
  }
  long w = chcore_sys_write_pmo((unsigned long)slot, CAPP_STATE, (unsigned long)&one, sizeof(one));
  long i2 = chcore_sys_cap_info((unsigned long)slot);
  if (w != -CHCORE_EBADF || i2 != -CHCORE_EBADF) {
    printf("cap_child: after the revocation write_pmo = %ld, cap_info = %ld\n", w, i2);
    return CAPC_STILL_USABLE;
  }
  return CAPC_OK;
}
