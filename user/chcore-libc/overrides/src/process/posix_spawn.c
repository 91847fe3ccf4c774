/* ChCore: posix_spawn without clone and exec in the child. musl's version
 * clones a child that runs the file actions and then execve; here the
 * parent works out the child's fds and asks the process manager to start
 * the program (src/chcore/spawn.c). posix_spawnp comes here with attr's
 * __fn set to __execvpe: search PATH. POSIX_SPAWN_SETSIGDEF, SETSCHEDPARAM
 * and SETSCHEDULER have nothing to do yet (no signal handlers cross a
 * spawn, one scheduling policy). */
#define _GNU_SOURCE
#include <spawn.h>
#include <unistd.h>
#include "fdop.h"

hidden int __chcore_spawn(pid_t *res, const char *path, const struct fdop *ops,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                          int search);

int posix_spawn(pid_t *restrict res, const char *restrict path,
	const posix_spawn_file_actions_t *fa,
	const posix_spawnattr_t *restrict attr,
	char *const argv[restrict], char *const envp[restrict])
{
	static const posix_spawnattr_t none;
	const posix_spawnattr_t *a = attr ? attr : &none;
	return __chcore_spawn(res, path, fa ? fa->__actions : 0, a, argv, envp,
	                      a->__fn == (void *)__execvpe);
}
