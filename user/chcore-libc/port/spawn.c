/* chcore-libc: processes. posix_spawn (overrides/src/process/
 * posix_spawn.c comes here), wait4, getppid and kill of other processes
 * are requests to procmgr (chcore/proto/procmgr.h).
 *
 * posix_spawn works out the child's fd table here, in the parent: the
 * parent's fds without FD_CLOEXEC, changed by the file actions in order
 * (close, dup2, open, chdir), and sends it along: the console as itself, a
 * file as its mount and an FS_EXPORT token. procmgr loads the program, gives
 * the child a start-information page with its fds, pid and working
 * directory, and returns once the child has imported its files (so the
 * parent may close its copies). The child's start-up (init.c) installs them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "chcore_fd.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"
#include "../process/fdop.h"
#include "lock.h"

/* The fds a child gets: entries 0..CHCORE_FD_MAX-1 with a reference each. */
struct child_fds {
	int max;  /* one past the highest used (first: on the page of d[0]) */
	struct chcore_fd *d[CHCORE_FD_MAX];
};

static void child_set(struct child_fds *c, int fd, struct chcore_fd *d)
{
	if (c->d[fd]) __chcore_fd_put(c->d[fd]);
	c->d[fd] = d;
	if (d && fd >= c->max) c->max = fd + 1;
}

/* Drops the references and leaves the table empty for the next spawn
 * (every entry set is below max). */
static void child_release(struct child_fds *c)
{
	for (int i = 0; i < c->max; i++) {
		if (c->d[i]) __chcore_fd_put(c->d[i]);
		c->d[i] = 0;
	}
	c->max = 0;
}

/* Applies the file actions (musl keeps them newest first: walk from the
 * oldest). Returns 0 or an errno. */
static int apply_actions(struct child_fds *c, const struct fdop *op, char *cwd)
{
	if (!op) return 0;
	while (op->next) op = op->next;
	for (; op; op = op->prev) {
		if (op->fd < 0 || op->fd >= CHCORE_FD_MAX) return EBADF;
		switch (op->cmd) {
		case FDOP_CLOSE:
			/* Linux's posix_spawn ignores closing a closed fd. */
			child_set(c, op->fd, 0);
			break;
		case FDOP_DUP2: {
			if (op->srcfd < 0 || op->srcfd >= CHCORE_FD_MAX || !c->d[op->srcfd]) return EBADF;
			struct chcore_fd *d = c->d[op->srcfd];
			__chcore_fd_hold(d);
			child_set(c, op->fd, d);
			break;
		}
		case FDOP_OPEN: {
			/* Opened by the parent, relative to the child's working
			 * directory so far. */
			char saved[PATH_MAX];
			__chcore_cwd_get(saved);
			__chcore_cwd_set(cwd);
			int fd = open(op->path, op->oflag | O_CLOEXEC, op->mode);
			int e = errno;
			__chcore_cwd_set(saved);
			if (fd < 0) return e;
			struct chcore_fd *d = __chcore_fd_get(fd);
			close(fd);
			child_set(c, op->fd, d);
			break;
		}
		case FDOP_CHDIR: {
			char saved[PATH_MAX];
			__chcore_cwd_get(saved);
			__chcore_cwd_set(cwd);
			int r = chdir(op->path);
			int e = errno;
			if (r == 0) __chcore_cwd_get(cwd);
			__chcore_cwd_set(saved);
			if (r < 0) return e;
			break;
		}
		case FDOP_FCHDIR: {
			char saved[PATH_MAX];
			__chcore_cwd_get(saved);
			int r = fchdir(op->fd);
			int e = errno;
			if (r == 0) __chcore_cwd_get(cwd);
			__chcore_cwd_set(saved);
			if (r < 0) return e;
			break;
		}
		default:
			return EINVAL;
		}
	}
	return 0;
}

/* What a request names: the program's path (absolute, or relative to
 * `dir`, else to the working directory), the child's working directory
 * (NULL: ours), argv and envp, which for execve are the caller's memory
 * (`user`: copied with checks, -EFAULT for a bad pointer). */
struct spawn_args {
	const char *path, *dir, *cwd;
	char *const *argv, *const *envp;
	int user;
};

/* Appends to the request at *off (room bytes in all): 0 or an errno. */
static int put_bytes(char *b, size_t *off, size_t room, const void *src, size_t n)
{
	if (n > room - *off) return E2BIG;
	memcpy(b + *off, src, n);
	*off += n;
	return 0;
}

/* A vector of strings (argv or envp): its strings, one after the other;
 * *count their number. Straight from the caller's memory for an exec, so
 * that nothing is copied twice. procmgr takes at most 4096 of each. */
static int put_vector(char *b, size_t *off, size_t room, char *const *v, int user,
                      uint32_t *count)
{
	for (uint32_t n = 0;; n++) {
		const char *str;
		if (!v) str = 0;
		else if (!user) str = v[n];
		else if (__chcore_copy_in(&str, v + n, sizeof str) < 0) return EFAULT;
		if (!str) {
			*count = n;
			return 0;
		}
		if (n == 4096) return E2BIG;
		if (user) {
			long k = __chcore_copy_in_str(b + *off, str, room - *off);
			if (k < 0) return (int)-k;
			*off += (size_t)k;
		} else {
			int e = put_bytes(b, off, room, str, strlen(str) + 1);
			if (e) return e;
		}
	}
}

/* Where a request goes: procmgr's connection, the request in its buffer;
 * or the fork lane (chcore/proto/procmgr.h), the request at b in our
 * memory, which procmgr reads from there. */
struct req_target {
	struct chcore_srv *s;
	long lane;
	char *b;
	size_t room;
};

static long req_call(const struct req_target *t, unsigned long op, unsigned long w1, size_t len,
                     unsigned ncaps, const unsigned *caps, struct chcore_ipc_result *out)
{
	if (t->s) return __chcore_srv_call(t->s, op, w1, 0, 0, len, ncaps, caps, out);
	const unsigned long w[4] = {op, w1, (unsigned long)t->b, len};
	long r = __chcore_ipc_call(t->lane, w, CHCORE_IPC_INFO(0, ncaps), caps, out);
	if (r == -ECONNRESET) r = out->ret = -EIO;
	return r;
}

/* A request too big for the fork lane's buffer (spawn_request). */
#define LANE_FULL (-1)

/* Builds the request (op: PROCMGR_SPAWN or PROCMGR_EXEC) and calls; with
 * lane_buf, on the fork lane, the request built there (lane_room bytes:
 * LANE_FULL, found before any file is exported, if it does not fit),
 * else on procmgr's connection. */
static int spawn_request(unsigned op, pid_t *res, const struct spawn_args *a,
                         struct child_fds *c, const posix_spawnattr_t *attr, char *lane_buf,
                         size_t lane_room)
{
	struct req_target t = {0, -1, lane_buf, lane_room};
	if (lane_buf) {
		t.lane = __chcore_fork_lane;
	} else {
		t.s = __chcore_procmgr();
		if (!t.s) return ENOSYS;
		t.b = t.s->buf;
		t.room = CHCORE_SRV_BUF;
	}
	struct procmgr_spawn req;
	memset(&req, 0, sizeof req);
	if (attr->__flags & POSIX_SPAWN_SETPGROUP) {
		req.flags |= PROCMGR_SPAWN_SETPGROUP;
		req.pgroup = attr->__pgrp;
	}
	/* The child's mask: the attribute's, or (POSIX) the caller's. */
	req.flags |= PROCMGR_SPAWN_SETSIGMASK;
	if (attr->__flags & POSIX_SPAWN_SETSIGMASK) {
		memcpy(&req.sigmask, &attr->__mask, sizeof req.sigmask);
	} else {
		sigset_t cur;
		sigprocmask(SIG_BLOCK, 0, &cur);
		memcpy(&req.sigmask, &cur, sizeof req.sigmask);
	}
	/* Ignored signals stay ignored in the new program (handlers do not
	 * cross an exec), except those POSIX_SPAWN_SETSIGDEF resets. */
	req.sigignore = __atomic_load_n(&__chcore_sig_ignored, __ATOMIC_RELAXED);
	if (attr->__flags & POSIX_SPAWN_SETSIGDEF) {
		unsigned long def;
		memcpy(&def, &attr->__def, sizeof def);
		req.sigignore &= ~def;
	}
	int ret = 0;
	unsigned caps[CHCORE_IPC_MAX_CAPS], ncaps = 0, sent = 0;
	if (t.s) LOCK(t.s->lock);
	char *b = t.b;
	size_t off = sizeof req, room = t.room;
	/* The path, made absolute (the working directory, if it is the
	 * child's, goes in the buffer first: PATH_MAX bytes of room, then
	 * moves to the end). */
	if (a->path[0] != '/') {
		if (a->dir) {
			ret = put_bytes(b, &off, room, a->dir, strlen(a->dir));
		} else {
			long k = __chcore_cwd_copy(b + off, room - off);
			if (k < 0) ret = E2BIG;
			else off += (size_t)k;
		}
		if (!ret) ret = put_bytes(b, &off, room, "/", 1);
	}
	if (!ret) ret = put_bytes(b, &off, room, a->path, strlen(a->path) + 1);
	if (!ret && off - sizeof req > PATH_MAX) ret = ENAMETOOLONG;
	if (!ret) ret = put_vector(b, &off, room, a->argv, a->user, &req.argc);
	if (!ret) ret = put_vector(b, &off, room, a->envp, a->user, &req.envc);
	if (!ret && a->cwd) {
		ret = put_bytes(b, &off, room, a->cwd, strlen(a->cwd) + 1);
	} else if (!ret) {
		long k = __chcore_cwd_copy(b + off, room - off);
		if (k < 0) ret = E2BIG;
		else off += (size_t)k + 1;
	}
	if (ret) goto out;
	off = (off + 7) & ~7ul;
	req.fds_off = (uint32_t)off;
	size_t entries = 0;
	for (int fd = 0; fd < c->max; fd++) entries += c->d[fd] ? sizeof(struct procmgr_fd) : 0;
	/* On the lane, the entries must fit before any file is exported for
	 * them. */
	if (lane_buf && entries > room - off) {
		ret = E2BIG;
		goto out;
	}
	/* The files' names follow the entries, at most one per fd. */
	size_t names = off + entries;
	for (int fd = 0; fd < c->max; fd++) {
		struct chcore_fd *d = c->d[fd];
		if (!d) continue;
		if (off + sizeof(struct procmgr_fd) > room) {
			ret = E2BIG;
			goto out;
		}
		struct procmgr_fd e;
		memset(&e, 0, sizeof e);
		e.fd = fd;
		e.flags = (uint32_t)d->flags;
		if (__chcore_fd_is_console(d)) {
			e.kind = d == &__chcore_console_fds[0]   ? PROCMGR_FD_CONSOLE_IN
			         : d == &__chcore_console_fds[1] ? PROCMGR_FD_CONSOLE_OUT
			                                         : PROCMGR_FD_CONSOLE_ERR;
		} else if (d->type == CHCORE_FD_FILE) {
			int mount;
			unsigned long token;
			/* A call to the file's server, on its own connection
			 * (not procmgr's, whose buffer this request fills). */
			long r = __chcore_file_export(d, &mount, &token);
			if (r < 0) continue; /* cannot be passed: the child goes without */
			e.kind = PROCMGR_FD_FILE;
			e.mount = mount;
			e.token = token;
			size_t n = d->name ? strlen(d->name) + 1 : 0;
			if (n > 1 && names + n <= room) {
				memcpy(b + names, d->name, n);
				e.name_off = (uint32_t)names;
				names += n;
			}
		} else if (d->type == CHCORE_FD_PIPE) {
			/* The end's capability goes along; procmgr puts a copy
			 * into the child (token: its index in the message). */
			if (ncaps == CHCORE_IPC_MAX_CAPS) {
				/* A message's worth: sent ahead (PROCMGR_SPAWN_CAPS);
				 * the numbering goes on. */
				struct chcore_ipc_result o;
				long k = req_call(&t, PROCMGR_SPAWN_CAPS, 0, 0, ncaps, caps, &o);
				if (k < 0) {
					ret = (int)-k;
					goto out;
				}
				sent += ncaps;
				ncaps = 0;
			}
			e.kind = PROCMGR_FD_KOBJ;
			e.token = sent + ncaps;
			caps[ncaps++] = CHCORE_IPC_CAP(__chcore_pipe_slot(d),
			                               CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE |
			                                   CHCORE_RIGHT_COPY);
		} else if (__chcore_device_rdev(d)) {
			e.kind = PROCMGR_FD_DEVICE;
			e.token = __chcore_device_rdev(d);
		} else {
			continue; /* kinds the child cannot take over yet */
		}
		memcpy(b + off, &e, sizeof e);
		off += sizeof e;
		req.nfds++;
	}
	memcpy(b, &req, sizeof req);
	lane_buf = 0; /* from here on, an E2BIG is procmgr's */
	struct chcore_ipc_result out;
	/* w1: RLIMIT_NPROC, which procmgr enforces for a new process. */
	long r = req_call(&t, op, (unsigned long)__chcore_rlimit(RLIMIT_NPROC),
	                  names > off ? names : off, ncaps, caps, &out);
	if (r < 0)
		ret = (int)-r;
	else if (res)
		*res = (pid_t)r;
	sent = 0; /* the spawn took them, whatever its outcome */
out:
	if (sent > 0) {
		/* Capabilities sent ahead for a spawn that will not come: an
		 * empty request (refused) makes procmgr drop them, so the next
		 * spawn's numbering starts afresh. */
		struct chcore_ipc_result o;
		req_call(&t, op, 0, 0, 0, 0, &o);
	}
	if (t.s) UNLOCK(t.s->lock);
	return lane_buf && ret == E2BIG ? LANE_FULL : ret;
}

/* Whether path names a file we may run: what execvp's search skips. */
static int search_path(const char *file, char *out, char *const envp[])
{
	(void)envp;
	if (strchr(file, '/')) {
		if (strlen(file) >= PATH_MAX) return ENAMETOOLONG;
		strcpy(out, file);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path) path = "/usr/local/bin:/bin:/usr/bin";
	size_t k = strnlen(file, NAME_MAX + 1);
	if (k > NAME_MAX) return ENAMETOOLONG;
	int seen_eacces = 0;
	for (const char *p = path;;) {
		const char *z = strchrnul(p, ':');
		size_t n = (size_t)(z - p);
		if (n + 1 + k + 1 <= PATH_MAX) {
			memcpy(out, p, n);
			out[n] = '/';
			memcpy(out + n + (n > 0), file, k + 1);
			if (access(out, X_OK) == 0) return 0;
			if (errno == EACCES) seen_eacces = 1;
		}
		if (!*z) break;
		p = z + 1;
	}
	return seen_eacces ? EACCES : ENOENT;
}

/* The fds a spawn or an exec gives the new program: 8 KiB, not on the
 * caller's stack; empty between uses. */
static struct child_fds child_fds;
static volatile int child_fds_lock[1];

int __chcore_spawn(pid_t *res, const char *path, const struct fdop *ops,
                   const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                   int search)
{
	char file[PATH_MAX], cwd[PATH_MAX];
	if (!path || !*path) return ENOENT;
	int e = search ? search_path(path, file, envp) : (strlen(path) < PATH_MAX ? 0 : ENAMETOOLONG);
	if (e) return e;
	if (!search) strcpy(file, path);
	struct child_fds *c = &child_fds;
	LOCK(child_fds_lock);
	c->max = __chcore_fd_inheritable(c->d);
	__chcore_cwd_get(cwd);
	e = apply_actions(c, ops, cwd);
	/* The program's path as the child's working directory sees it. */
	struct spawn_args a = {.path = file, .dir = cwd, .cwd = cwd, .argv = argv, .envp = envp};
	if (!e) e = spawn_request(PROCMGR_SPAWN, res, &a, c, attr, 0, 0);
	child_release(c);
	UNLOCK(child_fds_lock);
	return e;
}

/* ---- execve ------------------------------------------------------------------------ */

/* execve(path, argv, envp) and execveat(dirfd, path, argv, envp, flags):
 * procmgr starts the program in place of this process (PROCMGR_EXEC):
 * the pid, parent, process group, working directory, the fds without
 * FD_CLOEXEC and the signal mask are kept; on success this never returns
 * (procmgr ends the old image, all its threads). The strings go from the
 * caller's memory straight into the request (a forked child that execs
 * at once should write as little of its copy-on-write memory as it can). */
static long exec_request(const char *path, const char *dir, char *const *uargv,
                         char *const *uenvp)
{
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t mask;
	sigprocmask(SIG_BLOCK, 0, &mask);
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	struct spawn_args a = {.path = path, .dir = dir, .argv = uargv, .envp = uenvp, .user = 1};
	struct child_fds *c = &child_fds;
	LOCK(child_fds_lock);
	c->max = __chcore_fd_inheritable(c->d);
	int e = LANE_FULL;
	if (__chcore_fork_lane >= 0) {
		/* The fork lane (a forked child has no connection of its own
		 * yet): a request that fits a few hundred bytes on the stack,
		 * as most do; a bigger one goes the ordinary way. */
		char small[1536];
		e = spawn_request(PROCMGR_EXEC, 0, &a, c, &attr, small, sizeof small);
	}
	if (e == LANE_FULL) e = spawn_request(PROCMGR_EXEC, 0, &a, c, &attr, 0, 0);
	long r = -e;
	child_release(c);
	UNLOCK(child_fds_lock);
	return r;
}

/* A path relative to a directory fd: the directory's path (off the usual
 * way's stack). */
__attribute__((noinline))
static long exec_at(int dirfd, const char *path, char *const *uargv, char *const *uenvp)
{
	char base[PATH_MAX];
	long r = __chcore_dir_path(dirfd, base);
	if (r < 0) return r;
	return exec_request(path, base, uargv, uenvp);
}

static long exec_path(const char *path, long pl, char *const *uargv, char *const *uenvp,
                      int dirfd)
{
	if (pl == 1) return -ENOENT;
	if (path[0] != '/' && dirfd != AT_FDCWD) return exec_at(dirfd, path, uargv, uenvp);
	return exec_request(path, 0, uargv, uenvp);
}

/* A path longer than the usual few hundred bytes. */
__attribute__((noinline))
static long exec_long(const char *upath, char *const *uargv, char *const *uenvp, int dirfd)
{
	char path[PATH_MAX];
	long pl = __chcore_copy_in_str(path, upath, PATH_MAX);
	if (pl < 0) return pl == -E2BIG ? -ENAMETOOLONG : pl;
	return exec_path(path, pl, uargv, uenvp, dirfd);
}

/* The path is read into a small buffer first: a forked child that execs
 * then touches no new page of its stack for it. */
static long exec_common(const char *upath, char *const *uargv, char *const *uenvp, int dirfd)
{
	char path[256];
	long pl = __chcore_copy_in_str(path, upath, sizeof path);
	if (pl == -E2BIG) return exec_long(upath, uargv, uenvp, dirfd);
	if (pl < 0) return pl;
	return exec_path(path, pl, uargv, uenvp, dirfd);
}

CHCORE_LINUX_SYSCALL(execve)
{
	return exec_common((const char *)a0, (char *const *)a1, (char *const *)a2, AT_FDCWD);
}

CHCORE_LINUX_SYSCALL(execveat)
{
	int flags = (int)a4;
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -EINVAL;
	return exec_common((const char *)a1, (char *const *)a2, (char *const *)a3, (int)a0);
}

/* The process's child-event notification (PROCMGR_WAIT_NOTIFY): 0 until
 * the first wait4 that blocks asks for it, -1 if procmgr had none. */
static long wait_notif;
/* In a child of fork: the slot of the parent's, which the kernel copied,
 * dropped when the child asks for its own (most children exec first, and
 * the exec drops it with the rest); 0: none. */
static long inherited_notif;

void __chcore_wait_after_fork(void)
{
	if (wait_notif > 0) {
		CHCORE_SET(inherited_notif, wait_notif);
		wait_notif = 0;
	}
}

static long wait_call(struct chcore_srv *s, int pid, int options, struct chcore_ipc_result *out)
{
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_WAIT, (unsigned long)(long)pid, (unsigned long)options,
	                           0, 0, 0, 0, out);
	UNLOCK(s->lock);
	return r;
}

static long get_wait_notif(struct chcore_srv *s)
{
	if (wait_notif != 0) return wait_notif;
	if (inherited_notif > 0) {
		__chcore_sys_revoke_cap((unsigned long)inherited_notif, CHCORE_REVOKE_SELF);
		inherited_notif = 0;
	}
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_WAIT_NOTIFY, 0, 0, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
	wait_notif = r == 0 && CHCORE_IPC_INFO_NCAPS(out.info) == 1 ? (long)chcore_ipc_cap(&out, 0) : -1;
	return wait_notif;
}

/* wait4(pid, status, options, rusage): pid > 0, -1, 0 (the caller's
 * process group) or < -1 (group -pid); WNOHANG, WUNTRACED (a stopped
 * child), WCONTINUED (a continued one); rusage: the child's CPU times
 * (with those of the children it waited for), the rest 0.
 *
 * procmgr answers at once (WNOHANG); while nothing is there to report, the
 * caller waits in the kernel on its child-event notification, which
 * procmgr signals whenever one of its children ends, stops or continues.
 * That wait is the kernel's: a signal interrupts it with EINTR, or
 * restarts it under SA_RESTART, and a stop parks the caller, as Linux's
 * wait4 behaves. (Without a notification, procmgr's own wait.) */
CHCORE_LINUX_SYSCALL(wait4)
{
	int pid = (int)a0, options = (int)a2;
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE)) return -EINVAL;
	if (pid == INT_MIN) return -ESRCH;
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ECHILD;
	options &= WNOHANG | WUNTRACED | WCONTINUED;
	struct chcore_ipc_result out;
	long r;
	/* The notification first: whatever happens after it exists wakes us. */
	long n = (options & WNOHANG) ? 0 : get_wait_notif(s);
	if (n < 0) {
		r = wait_call(s, pid, options, &out);
	} else {
		for (;;) {
			r = wait_call(s, pid, options | WNOHANG, &out);
			if (r != 0 || (options & WNOHANG)) break;
			r = __chcore_sys_notify_wait((unsigned long)n, 0, 0);
			if (r < 0) return r; /* -EINTR: a handler without SA_RESTART ran */
		}
	}
	if (r > 0 && a1) {
		int st = (int)out.w[0];
		if (__chcore_copy_out((void *)a1, &st, sizeof st) < 0) return -EFAULT;
	}
	/* The child's CPU time and that of the children it waited for. */
	if (r > 0) __chcore_children_add(out.w[1], out.w[2]);
	if (r >= 0 && a3) {
		struct rusage ru;
		memset(&ru, 0, sizeof ru);
		if (r > 0) {
			ru.ru_utime.tv_sec = (time_t)(out.w[1] / 1000000000ul);
			ru.ru_utime.tv_usec = (suseconds_t)(out.w[1] % 1000000000ul / 1000);
			ru.ru_stime.tv_sec = (time_t)(out.w[2] / 1000000000ul);
			ru.ru_stime.tv_usec = (suseconds_t)(out.w[2] % 1000000000ul / 1000);
		}
		if (__chcore_copy_out((void *)a3, &ru, sizeof ru) < 0) return -EFAULT;
	}
	return r;
}

CHCORE_LINUX_SYSCALL(getppid)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return 0;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_GETPPID, 0, 0, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
	return r < 0 ? 0 : r;
}

/* kill of another process or of a process group (pid <= 0): procmgr.
 * Returns 1 when the caller's own process is among a group's targets (it
 * delivers to itself). */
long __chcore_kill_other(long pid, int sig)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ESRCH;
	if (pid == INT_MIN) return -ESRCH;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_KILL, (unsigned long)pid, (unsigned long)sig, 1, 0, 0, 0,
	                           &out);
	UNLOCK(s->lock);
	return r;
}

/* sigqueue to another process (signal.c): procmgr delivers it. */
long __chcore_sigqueue_other(long pid, int sig, unsigned long value)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s || pid <= 0 || pid > INT_MAX) return -ESRCH;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_SIGQUEUE, (unsigned long)pid, (unsigned long)sig, value,
	                           0, 0, 0, &out);
	UNLOCK(s->lock);
	return r;
}

/* tgkill / rt_tgsigqueueinfo to a thread of another process (signal.c):
 * procmgr delivers it; a queued code's value goes in the buffer. */
long __chcore_tgkill_other(long pid, long tid, int sig, int code, unsigned long value)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s || pid <= 0 || pid > INT_MAX) return -ESRCH;
	struct chcore_ipc_result out;
	unsigned long len = code == SI_TKILL ? 0 : sizeof value;
	LOCK(s->lock);
	if (len) memcpy(s->buf, &value, sizeof value);
	long r = __chcore_srv_call(s, PROCMGR_TGKILL, (unsigned long)pid, (unsigned long)tid,
	                           (unsigned long)(unsigned)sig | (unsigned long)(unsigned)code << 32,
	                           len, 0, 0, &out);
	UNLOCK(s->lock);
	return r;
}

static long pg_call(unsigned op, long w1, long w2)
{
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -ENOSYS;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, op, (unsigned long)w1, (unsigned long)w2, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
	return r;
}

CHCORE_LINUX_SYSCALL(setpgid)
{
	return pg_call(PROCMGR_SETPGID, (int)a0, (int)a1);
}

CHCORE_LINUX_SYSCALL(getpgid)
{
	return pg_call(PROCMGR_GETPGID, (int)a0, 0);
}

CHCORE_LINUX_SYSCALL(getsid)
{
	return pg_call(PROCMGR_GETPGID, (int)a0, 1);
}

CHCORE_LINUX_SYSCALL(setsid)
{
	return pg_call(PROCMGR_SETSID, 0, 0);
}

/* Tells procmgr that this new process (a spawn's or a fork's child) has
 * taken over its files: the parent's request may return. */
void __chcore_procmgr_started(void)
{
	struct chcore_ipc_result out;
	/* A forked child says it on the lane (no connection needed). */
	if (__chcore_fork_lane >= 0) {
		struct req_target t = {0, __chcore_fork_lane, 0, 0};
		if (req_call(&t, PROCMGR_STARTED, 0, 0, 0, 0, &out) >= 0) return;
	}
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return;
	LOCK(s->lock);
	__chcore_srv_call(s, PROCMGR_STARTED, 0, 0, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
}

/* ---- At start-up (init.c) ---------------------------------------------------------- */

void __chcore_start_info_apply(void)
{
	const struct procmgr_start_info *info = 0;
	for (size_t *a = __chcore_auxv; a && a[0]; a += 2)
		if (a[0] == CHCORE_AT_START_INFO) info = (const void *)a[1];
	if (!info || info->magic != PROCMGR_START_MAGIC) return;
	if (info->cwd_off < info->size) __chcore_cwd_set((const char *)info + info->cwd_off);
	/* An exec'd program keeps its pid (not its new main thread's tid). */
	if (info->pid > 0) __chcore_pid = info->pid;
	/* The fds: exactly those listed. */
	for (int fd = 0; fd < 3; fd++) close(fd);
	int files = 0;
	for (uint32_t i = 0; i < info->nfds; i++) {
		const struct procmgr_fd *e = &info->fds[i];
		if (e->fd < 0 || e->fd >= CHCORE_FD_MAX) continue;
		if (e->kind >= PROCMGR_FD_CONSOLE_IN && e->kind <= PROCMGR_FD_CONSOLE_ERR) {
			struct chcore_fd *d = &__chcore_console_fds[e->kind - PROCMGR_FD_CONSOLE_IN];
			__chcore_fd_hold(d);
			__chcore_fd_install_at(d, e->fd);
		} else if (e->kind == PROCMGR_FD_DEVICE) {
			long err;
			struct chcore_fd *d = __chcore_device_open((unsigned long)e->token, (int)e->flags, &err);
			if (d) __chcore_fd_install_at(d, e->fd);
		} else if (e->kind == PROCMGR_FD_KOBJ) {
			__chcore_pipe_import(e->fd, (unsigned)e->token, (int)e->flags);
		} else if (e->kind == PROCMGR_FD_FILE) {
			const char *name = 0;
			if (e->name_off && e->name_off < info->size &&
			    memchr((const char *)info + e->name_off, 0, info->size - e->name_off))
				name = (const char *)info + e->name_off;
			__chcore_file_import(e->fd, e->mount, (int)e->flags, (unsigned long)e->token, name);
			files = 1;
		}
	}
	for (int sig = 1; sig <= 64; sig++) {
		if (!(info->sigignore & (1ul << (sig - 1))) || sig == SIGKILL || sig == SIGSTOP) continue;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		sigaction(sig, &sa, 0);
	}
	if (info->flags & PROCMGR_SPAWN_SETSIGMASK) {
		sigset_t set;
		memset(&set, 0, sizeof set);
		memcpy(&set, &info->sigmask, sizeof info->sigmask);
		sigprocmask(SIG_SETMASK, &set, 0);
	}
	if (files) __chcore_procmgr_started();
}
