/* C part of process start-up (crt0.S jumps here with the initial sp). */
#include <chcore/auxv.h>
#include <chcore/string.h>
#include <chcore/syscall.h>

int chcore_argc;
char** chcore_argv;
char** chcore_envp;
unsigned long* chcore_auxv;

int main(int argc, char** argv, char** envp);

typedef void (*chcore_init_fn)(void);
extern const chcore_init_fn __init_array_start[] __attribute__((weak));
extern const chcore_init_fn __init_array_end[] __attribute__((weak));

__attribute__((noreturn, used)) void __chcore_start(unsigned long* sp) {
  int argc = (int)sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  char** p = envp;
  while (*p != 0) p++;
  chcore_argc = argc;
  chcore_argv = argv;
  chcore_envp = envp;
  chcore_auxv = (unsigned long*)(p + 1);

  /* C++ constructors of global objects, in link order. */
  for (const chcore_init_fn* f = __init_array_start; f < __init_array_end; f++) (*f)();

  chcore_exit(main(argc, argv, envp));
}

unsigned long chcore_getauxval(unsigned long type) {
  if (chcore_auxv == 0) return 0;
  for (unsigned long* a = chcore_auxv; a[0] != AT_NULL; a += 2) {
    if (a[0] == type) return a[1];
  }
  return 0;
}

const char* chcore_getenv(const char* name) {
  if (chcore_envp == 0 || name == 0) return 0;
  size_t n = strlen(name);
  for (char** e = chcore_envp; *e != 0; e++) {
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  }
  return 0;
}

void chcore_exit(int code) {
  chcore_sys_exit_group((unsigned long)(long)code);
  /* exit_group does not return; if it ever did, end at least this thread. */
  for (;;) chcore_sys_thread_exit();
}

void chcore_thread_exit(void) {
  for (;;) chcore_sys_thread_exit();
}

const char* chcore_syscall_name(long nr) {
#define CHCORE_NAME_CASE(n, name, nargs) \
  case n:                                \
    return #name;
  switch (nr) { CHCORE_SYSCALLS(CHCORE_NAME_CASE) default : return "?"; }
#undef CHCORE_NAME_CASE
}

int chcore_syscall_nargs(long nr) {
#define CHCORE_NARGS_CASE(n, name, nargs) \
  case n:                                 \
    return nargs;
  switch (nr) { CHCORE_SYSCALLS(CHCORE_NARGS_CASE) default : return -1; }
#undef CHCORE_NARGS_CASE
}
