/* libchcore's names for the kernel's system calls, and its raw exits. */
#include <chcore/syscall.h>

void chcore_exit(int code) {
  chcore_sys_exit_group((unsigned long)(long)code);
  /* exit_group does not return; if it ever did, end at least this thread. */
  for (;;) chcore_sys_thread_exit();
}

void chcore_thread_exit(void) {
  for (;;) chcore_sys_thread_exit();
}

const char* chcore_syscall_name(long nr) {
#define CHCORE_NAME_CASE(n, name, nargs, types) \
  case n:                                \
    return #name;
  switch (nr) { CHCORE_SYSCALLS(CHCORE_NAME_CASE) default : return "?"; }
#undef CHCORE_NAME_CASE
}

int chcore_syscall_nargs(long nr) {
#define CHCORE_NARGS_CASE(n, name, nargs, types) \
  case n:                                 \
    return nargs;
  switch (nr) { CHCORE_SYSCALLS(CHCORE_NARGS_CASE) default : return -1; }
#undef CHCORE_NARGS_CASE
}
