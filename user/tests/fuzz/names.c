/* Names of the calls the fuzzer makes, and the one format of a call record
 * (worker traces and the supervisor's reproducers print the same). */
#include <chcore/syscall.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "chcore_syscall_table.h"
#include "fuzz.h"

const char* fz_call_name(unsigned kind, unsigned nr) {
  if (kind == FZ_NATIVE) return chcore_syscall_name((long)nr);
  switch (nr) {
#define LINUX_NAME(name, status, nargs, note) \
  case SYS_##name:                            \
    return #name;
    CHCORE_SYSCALL_TABLE(LINUX_NAME)
#undef LINUX_NAME
    default:
      return "?";
  }
}

/* Small values in decimal, the rest (addresses, negative numbers) in hex. */
static int format_arg(char* buf, unsigned long size, uint64_t v) {
  if (v < 4096) return snprintf(buf, size, "%lu", (unsigned long)v);
  return snprintf(buf, size, "%#lx", (unsigned long)v);
}

int fz_format_rec(char* buf, unsigned long size, const struct fz_rec* rec, int with_result) {
  unsigned long n = 0;
#define PUT(...)                                                                \
  do {                                                                          \
    if (n < size) n += (unsigned long)snprintf(buf + n, size - n, __VA_ARGS__); \
  } while (0)
  PUT("call %u: %s %s(", rec->index, rec->kind == FZ_NATIVE ? "native" : "linux",
      fz_call_name(rec->kind, rec->nr));
  if (fz_call_name(rec->kind, rec->nr)[0] == '?') PUT("nr=%u; ", rec->nr);
  for (unsigned i = 0; i < rec->nargs && i < 6; i++) {
    if (i > 0) PUT(", ");
    if (n < size) n += (unsigned long)format_arg(buf + n, size - n, rec->args[i]);
  }
  PUT(")");
  if (!with_result) {
    /* a trace line, printed before the call */
  } else if (rec->done) {
    int64_t r = rec->result;
    const char* e = r < 0 && r > -4096 ? chcore_errno_name(-r) : 0;
    if (e)
      PUT(" = -%s", e);
    else if (r >= 0 && r < 4096)
      PUT(" = %ld", (long)r);
    else
      PUT(" = %#lx", (unsigned long)r);
  } else {
    PUT(" ... (did not return)");
  }
#undef PUT
  return (int)(n < size ? n : size - 1);
}
