/* chcore-libc: start-up. musl's __libc_start_main has set up the
 * environment (__environ), the auxiliary vector (libc.auxv), TLS and the
 * main thread by the time constructors run; this constructor, the first of
 * the program's (priority 101), then does ChCore's part, in the spirit of
 * ChCore's __libc_chcore_init:
 *   - registers the copy loop of __chcore_copy_in/out with the kernel,
 *   - records argc/argv/envp/auxv (argv is found below envp: the initial
 *     stack is argc, argv[], NULL, envp[], NULL, auxv),
 *   - the process id (the main thread's tid),
 *   - CHCORE_STRACE from the environment,
 *   - fds 0-2 on the console,
 *   - finds its capabilities to the system services (procmgr, fsm),
 *   - takes over what procmgr's start-information page gives a child: its
 *     working directory, fds (files imported from the parent's) and mask.
 * It is linked into every program: the dispatcher refers to __chcore_strace,
 * defined here. */
#include <string.h>
#include <unistd.h>
#include "libc.h"
#include "chcore_port.h"
#include "chcore_services.h"

int __chcore_strace;
int __chcore_argc;
char **__chcore_argv;
char **__chcore_envp;
size_t *__chcore_auxv;
long __chcore_pid;

const char *__chcore_getenv(const char *name)
{
	size_t n = strlen(name);
	for (char **e = __chcore_envp; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
	return 0;
}

/* procmgr hands every process capabilities to its own server and fsm's
 * (slots in the auxiliary vector); services.c connects on first use. */
static void connect_services(void)
{
	__chcore_services_init();
}

__attribute__((constructor(101)))
static void chcore_libc_init(void)
{
	__chcore_usercopy_init();
	char **envp = __environ;
	__chcore_envp = envp;
	__chcore_auxv = libc.auxv;
	/* argv[argc] (NULL) is just below envp[0], argc below argv[0]. argv
	 * entries are addresses, far above any argument count, so the first
	 * word below envp whose value equals the number of pointers between
	 * it and envp is argc. */
	if (envp) {
		long *p = (long *)envp - 2;
		for (long n = 0; n < 4096; n++, p--) {
			if (*p == n) {
				__chcore_argc = (int)n;
				__chcore_argv = (char **)(p + 1);
				break;
			}
		}
	}
	__chcore_pid = __chcore_sys_gettid();
	const char *s = __chcore_getenv("CHCORE_STRACE");
	__chcore_strace = s && s[0] == '1';
	__chcore_fd_init();
	connect_services();
	__chcore_start_info_apply();
}
