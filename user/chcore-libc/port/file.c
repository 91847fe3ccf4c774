/* chcore-libc: files. The file calls of Linux (openat, read, getdents64,
 * renameat2, ...) become requests of the file-system protocol
 * (chcore/proto/fs.h) to the servers that own the files.
 *
 * Name space. fsm keeps the mount table (chcore/proto/fsm.h). A path is
 * made absolute here (the working directory, or a directory fd's path, in
 * front of a relative one) and sent to the root file system; a server walks
 * as far as it owns the path and answers with a redirect where the walk
 * leaves it: into a file system mounted below (FS_REDIR_MOUNT), up out of
 * its root (FS_REDIR_UP), or to an absolute symlink target
 * (FS_REDIR_ABSOLUTE). The loop in path_call follows them, asking fsm about
 * each mount once (the mount cache), so the common case is one IPC call per
 * file operation. A two-path operation (rename, link) resolves the
 * directories of both names first and needs them on one file system
 * (EXDEV otherwise).
 *
 * Open files. An fd of a file is a description of type CHCORE_FD_FILE whose
 * priv is a struct file: the mount, the server's handle, and for a
 * directory its absolute canonical path (for openat relative to it and
 * fchdir). The offset and the O_APPEND position live in the server, so
 * that a description shared with another process shares them.
 *
 * The working directory is kept here as an absolute canonical path (from
 * the server's canonical path of the directory at chdir): getcwd needs no
 * call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "kstat.h"
#include "lock.h"
#include "chcore_fd.h"
#include "chcore_native.h"
#include "chcore_services.h"
#include "chcore_proto_fs.h"
#include "chcore_proto_fsm.h"
#include "chcore_proto_procmgr.h"
#include "uapi/ipc.h"

/* Fixed-size copies and clears, inline: the port is built with musl's -Os,
 * under which clang calls memcpy and memset for them (23 and 12
 * instructions for 64 bytes, where the copy itself is 8). */
#define COPY(dst, src) __builtin_memcpy_inline((dst), (src), sizeof *(dst))
#define CLEAR(p) __builtin_memset_inline((p), 0, sizeof *(p))

/* Linux's struct statx (include/uapi/linux/stat.h); musl 1.2.3 has no
 * declaration of its own. */
struct linux_statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct linux_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct linux_statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
#define LINUX_STATX_BASIC_STATS 0x7ffu

/* Room in a connection's buffer for data after a request and its paths. */
#define DATA_MAX (CHCORE_SRV_BUF - 2 * 4096 - sizeof(struct fs_req))
#define REQ_PATH_OFF ((uint32_t)sizeof(struct fs_req))

/* ---- Mounts ------------------------------------------------------------------ */

struct mount {
	int ready;
	int parent;
	char *path;  /* absolute, "/" for the root */
	char *mp;    /* the mount point inside the parent file system */
	struct chcore_srv srv;
};
static struct mount mounts[CHCORE_FSM_MAX_MOUNTS];
static int mounts_end; /* one past the highest ever connected (with mount_lock) */
static volatile int mount_lock[1];

static struct mount *mount_connect(struct mount *m, int id, long *err);

/* Mount id's connection (made on its first use), or NULL with *err. */
static inline struct mount *mount_get(int id, long *err)
{
	if (id < 0 || id >= CHCORE_FSM_MAX_MOUNTS) {
		*err = -EIO;
		return 0;
	}
	struct mount *m = &mounts[id];
	if (__atomic_load_n(&m->ready, __ATOMIC_ACQUIRE)) return m;
	return mount_connect(m, id, err);
}

/* Asks fsm about mount id and connects to its server. */
__attribute__((noinline))
static struct mount *mount_connect(struct mount *m, int id, long *err)
{
	struct chcore_srv *fsm = __chcore_fsm();
	if (!fsm) {
		/* A process without a file-system manager has no files. */
		*err = -ENOENT;
		return 0;
	}
	LOCK(mount_lock);
	long r = 0;
	if (!m->ready) {
		struct chcore_ipc_result out;
		char path[PATH_MAX], mp[PATH_MAX];
		LOCK(fsm->lock);
		r = __chcore_srv_call(fsm, FSM_GET_MOUNT, (unsigned long)id, 0, 0, 0, 0, 0, &out);
		if (r >= 0) {
			const char *b = fsm->buf;
			size_t n = strnlen(b, PATH_MAX - 1);
			memcpy(path, b, n);
			path[n] = 0;
			size_t n2 = strnlen(b + n + 1, PATH_MAX - 1);
			memcpy(mp, b + n + 1, n2);
			mp[n2] = 0;
			if (CHCORE_IPC_INFO_NCAPS(out.info) < 1) r = -EIO;
		}
		UNLOCK(fsm->lock);
		if (r >= 0) {
			long cap = (long)chcore_ipc_cap(&out, 0);
			r = __chcore_srv_connect(&m->srv, cap);
			__chcore_sys_revoke_cap((unsigned long)cap, CHCORE_REVOKE_SELF);
		}
		if (r >= 0) {
			m->parent = (int)out.w[0];
			m->path = strdup(path);
			m->mp = strdup(mp);
			if (!m->path || !m->mp) {
				free(m->path);
				free(m->mp);
				__chcore_srv_disconnect(&m->srv);
				r = -ENOMEM;
			} else {
				__atomic_store_n(&m->ready, 1, __ATOMIC_RELEASE);
				if (id >= mounts_end) mounts_end = id + 1;
			}
		}
	}
	UNLOCK(mount_lock);
	if (r < 0) {
		*err = r;
		return 0;
	}
	return m;
}

/* ---- Paths --------------------------------------------------------------------- */

/* Empty until a chdir (or a spawned child's start) sets it, and then "/":
 * in the bss, not 4 KiB of data every new process has to be given. */
static char cwd[PATH_MAX];
static volatile int cwd_lock[1];

static const char *cwd_now(void)
{
	return cwd[0] ? cwd : "/";
}

const char *__chcore_cwd_buffer(void)
{
	return cwd;
}
static mode_t cur_umask = 022;

/* The length of the string at s, looking at no more than size bytes (size
 * if there is no NUL in them). Byte by byte up to an aligned word, then a
 * word at a time: musl's strlen and memchr cost several times this for the
 * short strings here. An aligned word that holds a byte of the string lies
 * in the page that holds that byte, so the word holding the NUL may be
 * read whole even when the string's memory ends at the NUL. */
typedef uint64_t __attribute__((__may_alias__)) word_t;

static size_t str_len(const char *s, size_t size)
{
	size_t i = 0;
	for (; i < size && ((uintptr_t)(s + i) & 7) != 0; i++)
		if (s[i] == 0) return i;
	for (; i + 8 <= size; i += 8) {
		uint64_t w = *(const word_t *)(s + i);
		/* A bit in the lowest zero byte's top bit (and perhaps in later
		 * bytes'): little-endian, so the lowest set bit is the first NUL. */
		uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
		if (z) return i + (size_t)(__builtin_ctzll(z) >> 3);
	}
	while (i < size && s[i]) i++;
	return i;
}

/* Copies a NUL-terminated string of the caller's into dst (size bytes):
 * its length, -EFAULT, or -ENAMETOOLONG when it does not fit. */
static long copy_in_str(char *dst, const char *src, size_t size)
{
	size_t done = 0;
	while (done < size) {
		/* Up to the end of the caller's page, so an unmapped page after the
		 * string's end is never touched. */
		uintptr_t a = (uintptr_t)src + done;
		size_t n = 4096 - (a & 4095);
		/* Most paths are short: a first chunk of 128 bytes, then
		 * bigger ones, so a short string costs a short copy. */
		size_t want = done == 0 ? 128 : done;
		if (n > want) n = want;
		if (n > size - done) n = size - done;
		if (__chcore_copy_in(dst + done, (const void *)a, n) < 0) return -EFAULT;
		size_t k = str_len(dst + done, n);
		if (k < n) return (long)(done + k);
		done += n;
	}
	return -ENAMETOOLONG;
}

struct file {
	int mount;
	int handle;
	char *path;   /* a directory's absolute canonical path; else NULL */
	/* What /proc/<pid>/fd shows: path for a directory; for a file the
	 * absolute path it was opened by (NULL: a file inherited at spawn). */
	char *name;
	/* fork: the FS_EXPORT token for the child, if fork_exported. */
	int fork_exported;
	unsigned long fork_token;
};

static const struct chcore_fd_ops file_ops;

/* A description's state outlives the call that opens it: the heap. Freed
 * ones are kept for the next opens (up to 16), so that an open and a close
 * cost no malloc and free. */
static struct file *file_cache[16];
static int nfile_cache;
static volatile int file_cache_lock[1];

static struct file *file_new(void)
{
	struct file *f = 0;
	LOCK(file_cache_lock);
	if (nfile_cache > 0) f = file_cache[--nfile_cache];
	UNLOCK(file_cache_lock);
	return f ? f : malloc(sizeof *f);
}

static void file_delete(struct file *f)
{
	if (f->name != f->path) free(f->name);
	f->name = 0;
	free(f->path);
	LOCK(file_cache_lock);
	if (nfile_cache < (int)(sizeof file_cache / sizeof file_cache[0])) {
		file_cache[nfile_cache++] = f;
		f = 0;
	}
	UNLOCK(file_cache_lock);
	free(f);
}

static struct file *file_of(struct chcore_fd *d)
{
	return d->type == CHCORE_FD_FILE ? d->priv : 0;
}

/* a + "/" + b into out (PATH_MAX). */
static long join(char *out, const char *a, const char *b)
{
	size_t la = str_len(a, PATH_MAX), lb = str_len(b, PATH_MAX);
	if (la + 1 + lb + 1 > PATH_MAX) return -ENAMETOOLONG;
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return 0;
}

/* Puts base + "/" in front of the relative path of n characters in path
 * (PATH_MAX). */
static long prepend(char *path, size_t n, const char *base)
{
	size_t lb = str_len(base, PATH_MAX);
	if (lb + 1 + n + 1 > PATH_MAX) return -ENAMETOOLONG;
	memmove(path + lb + 1, path, n + 1);
	memcpy(path, base, lb);
	path[lb] = '/';
	return 0;
}

/* The absolute form of the caller's path relative to dirfd (AT_FDCWD: the
 * working directory), in out (PATH_MAX). Empty paths are ENOENT unless
 * allow_empty, when they name dirfd itself (its path returned, *is_empty
 * set). */
static long abs_path(int dirfd, const char *upath, char *out, int allow_empty, int *is_empty)
{
	if (is_empty) *is_empty = 0;
	long r = copy_in_str(out, upath, PATH_MAX);
	if (r < 0) return r;
	size_t n = (size_t)r;
	if (out[0] == '/') return 0;
	if (n == 0) {
		if (!allow_empty) return -ENOENT;
		if (is_empty) *is_empty = 1;
	}
	if (dirfd == AT_FDCWD) {
		LOCK(cwd_lock);
		r = prepend(out, n, cwd_now());
		UNLOCK(cwd_lock);
		return r;
	}
	struct chcore_fd *d = __chcore_fd_get(dirfd);
	if (!d) return -EBADF;
	struct file *f = file_of(d);
	if (!f || !f->path)
		r = -ENOTDIR;
	else
		r = prepend(out, n, f->path);
	__chcore_fd_put(d);
	return r;
}

/* What a successful call hands back, read while the buffer is still ours. */
typedef long (*reply_fn)(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out);

/* Puts the request, its path and (for FS_SYMLINK) the link target into the
 * buffer and calls; follows redirects of `path` (an absolute path, changed
 * in place) until a server answers. `start` is the mount to begin in. */
static long path_call_in(unsigned op, const struct fs_req *tmpl, char *path, int start,
                         const char *target, reply_fn fn, void *ctx)
{
	int m = start;
	uint32_t nlinks = 0;
	for (int hops = 0;; hops++) {
		if (hops > 2 * CHCORE_FS_SYMLOOP_MAX) return -ELOOP;
		long err;
		struct mount *mt = mount_get(m, &err);
		if (!mt) return err;
		struct chcore_srv *s = &mt->srv;
		size_t plen = str_len(path, PATH_MAX) + 1;
		size_t tlen = target ? str_len(target, PATH_MAX) + 1 : 0;
		struct chcore_ipc_result out;
		LOCK(s->lock);
		struct fs_req *req = s->buf;
		COPY(req, tmpl);
		req->nlinks = nlinks;
		char *b = s->buf;
		memcpy(b + REQ_PATH_OFF, path, plen);
		if (target) {
			/* FS_SYMLINK: path = the target string, path2 = where. */
			memcpy(b + REQ_PATH_OFF + plen, target, tlen);
			req->path = REQ_PATH_OFF + (uint32_t)plen;
			req->path2 = REQ_PATH_OFF;
		} else {
			req->path = REQ_PATH_OFF;
			req->path2 = 0;
		}
		long r = __chcore_srv_call(s, op, 0, 0, 0, REQ_PATH_OFF + plen + tlen, 0, 0, &out);
		if (r != CHCORE_FS_REDIRECT) {
			if (r >= 0 && fn) r = fn(ctx, m, s->buf, &out);
			UNLOCK(s->lock);
			return r;
		}
		/* A redirect: the rest of the path is in the buffer. */
		char rest[PATH_MAX];
		size_t n = strnlen(b, PATH_MAX);
		if (n >= PATH_MAX) {
			UNLOCK(s->lock);
			return -ENAMETOOLONG;
		}
		memcpy(rest, b, n + 1);
		UNLOCK(s->lock);
		nlinks = (uint32_t)out.w[3];
		if (nlinks > CHCORE_FS_SYMLOOP_MAX) return -ELOOP;
		switch (out.w[0]) {
		case FS_REDIR_MOUNT:
			m = (int)out.w[1];
			memcpy(path, rest, n + 1);
			break;
		case FS_REDIR_UP: {
			/* ".." out of this file system's root: the directory that
			 * holds the mount point, in the parent file system. The
			 * mount point's path there is canonical (fsm checks), so
			 * its parent is its path less the last component. */
			if (m == 0) return -EIO;
			char up[PATH_MAX];
			size_t k = strlen(mt->mp);
			while (k > 0 && mt->mp[k - 1] != '/') k--;
			memcpy(up, mt->mp, k);
			up[k] = 0;
			if (k == 0) memcpy(up, "/", 2);
			if (join(path, up, rest) < 0) return -ENAMETOOLONG;
			m = mt->parent;
			break;
		}
		case FS_REDIR_ABSOLUTE:
			m = 0;
			memcpy(path, rest, n + 1);
			break;
		default:
			return -EIO;
		}
	}
}

static long path_call(unsigned op, const struct fs_req *tmpl, char *path, reply_fn fn, void *ctx)
{
	return path_call_in(op, tmpl, path, 0, 0, fn, ctx);
}

static struct fs_req req_init(void)
{
	struct fs_req r;
	CLEAR(&r);
	r.handle = -1;
	return r;
}

/* A call about an open file: its mount's connection, no path; ncaps
 * capabilities (CHCORE_IPC_CAP) go along. */
static long handle_call_caps(struct file *f, unsigned op, struct fs_req *req, const void *data,
                             size_t data_len, unsigned ncaps, const unsigned *caps, reply_fn fn,
                             void *ctx)
{
	long err;
	struct mount *mt = mount_get(f->mount, &err);
	if (!mt) return err;
	struct chcore_srv *s = &mt->srv;
	struct chcore_ipc_result out;
	req->handle = f->handle;
	LOCK(s->lock);
	struct fs_req *r = s->buf;
	COPY(r, req);
	if (data_len) {
		r->data = REQ_PATH_OFF;
		/* The caller's memory: a bad pointer is EFAULT, not a crash. */
		if (__chcore_copy_in((char *)s->buf + REQ_PATH_OFF, data, data_len) < 0) {
			UNLOCK(s->lock);
			return -EFAULT;
		}
	}
	long ret = __chcore_srv_call(s, op, 0, 0, 0, REQ_PATH_OFF + data_len, ncaps, caps, &out);
	if (ret >= 0 && fn) ret = fn(ctx, f->mount, s->buf, &out);
	UNLOCK(s->lock);
	return ret;
}

static long handle_call(struct file *f, unsigned op, struct fs_req *req, const void *data,
                        size_t data_len, reply_fn fn, void *ctx)
{
	return handle_call_caps(f, op, req, data, data_len, 0, 0, fn, ctx);
}

/* ---- Attributes --------------------------------------------------------------- */

static void to_kstat(struct kstat *k, const struct fs_stat *s)
{
	CLEAR(k);
	k->st_dev = s->dev;
	k->st_ino = s->ino;
	k->st_mode = s->mode;
	k->st_nlink = s->nlink;
	k->st_uid = s->uid;
	k->st_gid = s->gid;
	k->st_rdev = s->rdev;
	k->st_size = (off_t)s->size;
	k->st_blksize = s->blksize ? (blksize_t)s->blksize : 4096;
	k->st_blocks = (blkcnt_t)s->blocks;
	k->st_atime_sec = s->atime_ns / 1000000000;
	k->st_atime_nsec = s->atime_ns % 1000000000;
	k->st_mtime_sec = s->mtime_ns / 1000000000;
	k->st_mtime_nsec = s->mtime_ns % 1000000000;
	k->st_ctime_sec = s->ctime_ns / 1000000000;
	k->st_ctime_nsec = s->ctime_ns % 1000000000;
}

static long stat_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)out;
	struct fs_stat s;
	COPY(&s, (const struct fs_stat *)buf);
	/* Files of different mounts must not look like one file. */
	s.dev = (uint64_t)mount + 1;
	to_kstat(ctx, &s);
	return 0;
}

/* ---- Opening -------------------------------------------------------------------- */

struct open_ctx {
	int handle;
	int mount;
	int is_dir;
	unsigned mode;
	unsigned long rdev;
	char path[PATH_MAX];   /* the directory's absolute canonical path */
};

static long open_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	struct open_ctx *o = ctx;
	struct fs_stat st;
	COPY(&st, (const struct fs_stat *)buf);
	o->handle = (int)out->ret;
	o->mount = mount;
	o->is_dir = S_ISDIR(st.mode);
	o->mode = st.mode;
	o->rdev = (unsigned long)st.rdev;
	if (o->is_dir) {
		const char *canon = (const char *)buf + sizeof st;
		size_t n = strnlen(canon, PATH_MAX - 1);
		char c[PATH_MAX];
		memcpy(c, canon, n);
		c[n] = 0;
		const char *mp = mounts[mount].path;
		if (strcmp(mp, "/") == 0) {
			memcpy(o->path, c[0] ? c : "/", strlen(c[0] ? c : "/") + 1);
		} else if (strcmp(c, "/") == 0 || c[0] == 0) {
			memcpy(o->path, mp, strlen(mp) + 1);
		} else {
			if (strlen(mp) + strlen(c) + 1 > PATH_MAX) return -ENAMETOOLONG;
			strcpy(o->path, mp);
			strcat(o->path, c[0] == '/' ? c : "/");
			if (c[0] != '/') strcat(o->path, c);
		}
	}
	return out->ret;
}

/* The absolute path of `path` (what path_call leaves of it: the path
 * inside mount m) in a new string, or NULL. */
static char *mount_join(int m, const char *path)
{
	const char *mp = mounts[m].path ? mounts[m].path : "/";
	size_t lm = strcmp(mp, "/") == 0 ? 0 : strlen(mp);
	size_t lp = strlen(path);
	int slash = path[0] != '/';
	char *s = malloc(lm + slash + lp + 1);
	if (!s) return 0;
	memcpy(s, mp, lm);
	if (slash) s[lm] = '/';
	memcpy(s + lm + slash, path, lp + 1);
	return s;
}

static void close_handle(int mount, int handle)
{
	struct file f = {mount, handle, 0};
	struct fs_req req = req_init();
	handle_call(&f, FS_CLOSE, &req, 0, 0, 0, 0);
}

static long do_open(int dirfd, const char *upath, int flags, mode_t mode)
{
	char path[PATH_MAX];
	long r = abs_path(dirfd, upath, path, 0, 0);
	if (r < 0) return r;
	struct open_ctx o;
	struct fs_req req = req_init();
	req.flags = flags & ~O_CLOEXEC;
	req.mode = (mode & 07777) & ~cur_umask;
	r = path_call(FS_OPEN, &req, path, open_reply, &o);
	if (r < 0) return r;
	if (S_ISCHR(o.mode) && !(flags & O_PATH)) {
		/* A device: its driver is in this library (device.c). */
		close_handle(o.mount, o.handle);
		long err = 0;
		struct chcore_fd *d = __chcore_device_open(o.rdev, flags, &err);
		if (!d) return err;
		return __chcore_fd_install(d, 0, flags & O_CLOEXEC);
	}
	struct file *f = file_new();
	char *dpath = o.is_dir ? strdup(o.path) : mount_join(o.mount, path);
	if (!f || !dpath) {
		close_handle(o.mount, o.handle);
		if (f) {
			f->path = f->name = 0;
			file_delete(f);
		}
		free(dpath);
		return -ENOMEM;
	}
	f->mount = o.mount;
	f->handle = o.handle;
	f->path = o.is_dir ? dpath : 0;
	f->name = dpath;
	int keep = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | O_DIRECTORY | O_NOFOLLOW);
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, &file_ops, keep, f);
	if (!d) {
		close_handle(f->mount, f->handle);
		file_delete(f);
		return -ENFILE;
	}
	d->name = f->name;
	return __chcore_fd_install(d, 0, flags & O_CLOEXEC);
}

/* ---- The description's operations ---------------------------------------------- */

struct io_ctx {
	void *dst;   /* the caller's buffer */
};

static long read_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)mount;
	struct io_ctx *c = ctx;
	if (out->ret > 0 && __chcore_copy_out(c->dst, buf, (size_t)out->ret) < 0) return -EFAULT;
	return out->ret;
}

/* One FS_READ or FS_WRITE of n <= DATA_MAX bytes at off (-1: the
 * description's offset), built in the connection's buffer, the data copied
 * straight between it and the caller's buffer: bytes done or -errno. */
static long file_io(struct file *f, int write, char *ubuf, size_t n, off_t off, int append)
{
	long err;
	struct mount *mt = mount_get(f->mount, &err);
	if (!mt) return err;
	struct chcore_srv *s = &mt->srv;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	struct fs_req *req = s->buf;
	CLEAR(req);
	req->handle = f->handle;
	req->len = n;
	req->off = off;
	req->flags = append;
	size_t len = REQ_PATH_OFF;
	long r = 0;
	if (write && n > 0) {
		req->data = REQ_PATH_OFF;
		len += n;
		/* The caller's memory: a bad pointer is EFAULT, not a crash. */
		if (__chcore_copy_in((char *)s->buf + REQ_PATH_OFF, ubuf, n) < 0) r = -EFAULT;
	}
	if (r == 0) {
		r = __chcore_srv_call(s, write ? FS_WRITE : FS_READ, 0, 0, 0, len, 0, 0, &out);
		if (r > (long)n)
			r = -EIO; /* more than was asked for */
		else if (!write && r > 0 && __chcore_copy_out(ubuf, s->buf, (size_t)r) < 0)
			r = -EFAULT;
	}
	UNLOCK(s->lock);
	return r;
}

static long file_rw(struct chcore_fd *d, void *ubuf, size_t len, off_t off, int write)
{
	struct file *f = d->priv;
	if (d->flags & O_PATH) return -EBADF;
	if (f->path && !write) return -EISDIR;
	int append = d->flags & O_APPEND;
	size_t done = 0;
	while (done < len || len == 0) {
		size_t n = len - done < DATA_MAX ? len - done : DATA_MAX;
		long r = file_io(f, write, (char *)ubuf + done, n, off < 0 ? -1 : off + (off_t)done, append);
		if (r < 0) return done > 0 ? (long)done : r;
		done += (size_t)r;
		if ((size_t)r < n || len == 0) break;
	}
	return (long)done;
}

static long file_read(struct chcore_fd *d, void *buf, size_t len)
{
	return file_rw(d, buf, len, -1, 0);
}

static long file_write(struct chcore_fd *d, const void *buf, size_t len)
{
	return file_rw(d, (void *)buf, len, -1, 1);
}

static long file_pread(struct chcore_fd *d, void *buf, size_t len, off_t off)
{
	if (off < 0) return -EINVAL;
	return file_rw(d, buf, len, off, 0);
}

static long file_pwrite(struct chcore_fd *d, const void *buf, size_t len, off_t off)
{
	if (off < 0) return -EINVAL;
	/* Linux: pwrite on an O_APPEND file appends anyway. */
	return file_rw(d, (void *)buf, len, (d->flags & O_APPEND) ? -1 : off, 1);
}

static long file_close(struct chcore_fd *d)
{
	struct file *f = d->priv;
	close_handle(f->mount, f->handle);
	file_delete(f);
	return 0;
}

static long file_lseek(struct chcore_fd *d, off_t off, int whence)
{
	struct fs_req req = req_init();
	req.off = off;
	req.flags = whence;
	return handle_call(d->priv, FS_LSEEK, &req, 0, 0, 0, 0);
}

static long file_fstat(struct chcore_fd *d, struct kstat *st)
{
	struct fs_req req = req_init();
	return handle_call(d->priv, FS_FSTAT, &req, 0, 0, stat_reply, st);
}

static long file_ioctl(struct chcore_fd *d, unsigned long req, void *arg)
{
	(void)d;
	(void)req;
	(void)arg;
	return -ENOTTY;
}

/* ---- Advisory locks: fcntl's record locks, flock (the server keeps them) ------ */

static long lock_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)mount;
	(void)buf;
	memcpy(ctx, out->w, 4 * sizeof(unsigned long));
	return 0;
}

/* One FS_LOCK request; a blocking one (FS_LOCK_SETW) waits on a
 * notification of its own that the server signals when the file's locks
 * change, and asks again, until it gets the lock or another error. */
static long lock_call(struct chcore_fd *d, int flags, int type, int whence, long start, long len,
                      unsigned long w[4])
{
	struct fs_req req = req_init();
	req.flags = flags;
	req.mode = (uint32_t)type;
	req.off = start;
	req.len = (uint64_t)len;
	req.times[0] = whence;
	req.times[1] = getpid();
	if ((flags & FS_LOCK_CMD_MASK) != FS_LOCK_SETW)
		return handle_call(d->priv, FS_LOCK, &req, 0, 0, lock_reply, w);
	long n = __chcore_sys_notify_create();
	if (n < 0) return n;
	unsigned cap = CHCORE_IPC_CAP((unsigned long)n, CHCORE_RIGHT_WRITE);
	long r;
	while ((r = handle_call_caps(d->priv, FS_LOCK, &req, 0, 0, 1, &cap, lock_reply, w)) == -EAGAIN)
		__chcore_sys_notify_wait((unsigned long)n, 0, 0);
	__chcore_sys_revoke_cap((unsigned long)n, CHCORE_REVOKE_SELF);
	return r;
}

/* F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms (Linux's numbers). */
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static long file_fcntl(struct chcore_fd *d, int cmd, long arg)
{
	int kind, op;
	switch (cmd) {
	case F_GETLK: kind = FS_LOCK_POSIX; op = FS_LOCK_GET; break;
	case F_SETLK: kind = FS_LOCK_POSIX; op = FS_LOCK_SET; break;
	case F_SETLKW: kind = FS_LOCK_POSIX; op = FS_LOCK_SETW; break;
	case F_OFD_GETLK: kind = FS_LOCK_OFD; op = FS_LOCK_GET; break;
	case F_OFD_SETLK: kind = FS_LOCK_OFD; op = FS_LOCK_SET; break;
	case F_OFD_SETLKW: kind = FS_LOCK_OFD; op = FS_LOCK_SETW; break;
	default: return -EINVAL;
	}
	struct flock fl;
	if (__chcore_copy_in(&fl, (const void *)arg, sizeof fl) < 0) return -EFAULT;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK) return -EINVAL;
	if (fl.l_whence != SEEK_SET && fl.l_whence != SEEK_CUR && fl.l_whence != SEEK_END)
		return -EINVAL;
	if (kind == FS_LOCK_OFD && fl.l_pid != 0) return -EINVAL; /* as Linux */
	unsigned long w[4] = {0};
	long r = lock_call(d, kind | op, fl.l_type, fl.l_whence, fl.l_start, fl.l_len, w);
	if (r < 0 || op != FS_LOCK_GET) return r;
	fl.l_type = (short)w[0];
	if (fl.l_type != F_UNLCK) {
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)w[1];
		fl.l_len = (off_t)w[2];
		fl.l_pid = (pid_t)(long)w[3];
	}
	return __chcore_copy_out((void *)arg, &fl, sizeof fl);
}

/* flock(fd, op): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB not waiting.
 * Locks of the open file description (shared by dup and inheritance),
 * apart from fcntl's, as on Linux. Only files of the file systems have
 * them: other fds are EINVAL. */
CHCORE_LINUX_SYSCALL(flock)
{
	int op = (int)a1, nb = op & LOCK_NB;
	op &= ~LOCK_NB;
	int type = op == LOCK_SH ? F_RDLCK : op == LOCK_EX ? F_WRLCK : op == LOCK_UN ? F_UNLCK : -1;
	if (type < 0) return -EINVAL;
	struct chcore_fd *d = __chcore_fd_get((int)a0);
	if (!d) return -EBADF;
	long r = -EINVAL;
	if (d->type == CHCORE_FD_FILE) {
		unsigned long w[4];
		int cmd = type == F_UNLCK || nb ? FS_LOCK_SET : FS_LOCK_SETW;
		r = lock_call(d, FS_LOCK_FLOCK | cmd, type, SEEK_SET, 0, 0, w);
		if (r == -EAGAIN) r = -EWOULDBLOCK;
	}
	__chcore_fd_put(d);
	return r;
}

static const struct chcore_fd_ops file_ops = {
	.read = file_read,
	.write = file_write,
	.close = file_close,
	.lseek = file_lseek,
	.ioctl = file_ioctl,
	.pread = file_pread,
	.pwrite = file_pwrite,
	.fstat = file_fstat,
	.fcntl = file_fcntl,
};

/* ---- Memory mappings (mm.c) ------------------------------------------------------ */

static long mmap_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)ctx;
	(void)mount;
	(void)buf;
	if (CHCORE_IPC_INFO_NCAPS(out->info) < 1) return -EIO;
	return (long)chcore_ipc_cap(out, 0);
}

/* FS_MMAP: a capability to the shared memory of the file of d (mm.c maps
 * part of it), which covers at least [0, end); or -errno. */
long __chcore_file_mmap(struct chcore_fd *d, unsigned long end, int shared_write)
{
	struct file *f = d->priv;
	if (f->path) return -ENODEV; /* a directory */
	struct fs_req req = req_init();
	req.len = end;
	req.flags = shared_write ? FS_MMAP_SHARED_WRITE : 0;
	return handle_call(f, FS_MMAP, &req, 0, 0, mmap_reply, 0);
}

/* Whether d is a directory (mmap: ENODEV). */
int __chcore_file_is_dir(struct chcore_fd *d)
{
	return ((struct file *)d->priv)->path != 0;
}

/* The file of fd with a reference (put it with __chcore_fd_put), or NULL
 * and *err = -EBADF (no such fd) / -EINVAL (not a file). */
static struct chcore_fd *file_fd(long fd, long *err)
{
	struct chcore_fd *d = __chcore_fd_get((int)fd);
	if (!d) {
		*err = -EBADF;
		return 0;
	}
	if (d->type != CHCORE_FD_FILE) {
		__chcore_fd_put(d);
		*err = -EINVAL;
		return 0;
	}
	return d;
}

/* ---- The system calls ------------------------------------------------------------- */

CHCORE_LINUX_SYSCALL(openat)
{
	return do_open((int)a0, (const char *)a1, (int)a2, (mode_t)a3);
}

CHCORE_LINUX_SYSCALL(getdents64)
{
	long err;
	struct chcore_fd *d = file_fd(a0, &err);
	if (!d) return err == -EINVAL ? -ENOTDIR : err;
	struct file *f = d->priv;
	long r;
	if (!f->path) {
		r = -ENOTDIR;
	} else {
		size_t len = (size_t)a2 < DATA_MAX ? (size_t)a2 : DATA_MAX;
		struct fs_req req = req_init();
		req.len = len;
		struct io_ctx c = {(void *)a1};
		r = handle_call(f, FS_GETDENTS, &req, 0, 0, read_reply, &c);
	}
	__chcore_fd_put(d);
	return r;
}

/* newfstatat(dirfd, path, st, flags) */
CHCORE_LINUX_SYSCALL(newfstatat)
{
	int flags = (int)a3;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -EINVAL;
	char path[PATH_MAX];
	int empty;
	long r = abs_path((int)a0, (const char *)a1, path, flags & AT_EMPTY_PATH, &empty);
	if (r == -ENOTDIR && (flags & AT_EMPTY_PATH)) empty = 1, r = 0;
	if (r < 0) return r;
	struct kstat st;
	if (empty && (int)a0 != AT_FDCWD) {
		struct chcore_fd *d = __chcore_fd_get((int)a0);
		if (!d) return -EBADF;
		r = d->ops->fstat ? d->ops->fstat(d, &st) : -ENOSYS;
		__chcore_fd_put(d);
	} else {
		struct fs_req req = req_init();
		req.flags = flags & AT_SYMLINK_NOFOLLOW;
		r = path_call(FS_STAT, &req, path, stat_reply, &st);
	}
	if (r >= 0) r = __chcore_copy_out((void *)a2, &st, sizeof st);
	return r;
}

long __chcore_stat_path(const char *abs, struct kstat *st)
{
	char path[PATH_MAX];
	size_t n = strlen(abs);
	if (n >= PATH_MAX) return -ENAMETOOLONG;
	memcpy(path, abs, n + 1);
	struct fs_req req = req_init();
	return path_call(FS_STAT, &req, path, stat_reply, st);
}

/* statx(dirfd, path, flags, mask, buf): the basic fields, from a stat. */
CHCORE_LINUX_SYSCALL(statx)
{
	struct kstat st;
	long r;
	/* Reuse newfstatat on a local buffer: it copies out to a user pointer,
	 * and this buffer is ours (the kernel's user_copy accepts it). */
	r = __chcore_linux_newfstatat(a0, a1, (long)&st, a2 & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), 0, 0);
	if (r < 0) return r;
	struct linux_statx sx;
	memset(&sx, 0, sizeof sx);
	sx.stx_mask = LINUX_STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atime_sec;
	sx.stx_atime.tv_nsec = (uint32_t)st.st_atime_nsec;
	sx.stx_mtime.tv_sec = st.st_mtime_sec;
	sx.stx_mtime.tv_nsec = (uint32_t)st.st_mtime_nsec;
	sx.stx_ctime.tv_sec = st.st_ctime_sec;
	sx.stx_ctime.tv_nsec = (uint32_t)st.st_ctime_nsec;
	sx.stx_dev_major = 0;
	sx.stx_dev_minor = (uint32_t)st.st_dev;
	return __chcore_copy_out((void *)a4, &sx, sizeof sx);
}

/* The simple one-path operations: the request's fields from the call. */
static long path_op(int dirfd, const char *upath, unsigned op, struct fs_req *req)
{
	char path[PATH_MAX];
	long r = abs_path(dirfd, upath, path, 0, 0);
	if (r < 0) return r;
	return path_call(op, req, path, 0, 0);
}

CHCORE_LINUX_SYSCALL(mkdirat)
{
	struct fs_req req = req_init();
	req.mode = ((mode_t)a2 & 07777) & ~cur_umask;
	return path_op((int)a0, (const char *)a1, FS_MKDIR, &req);
}

CHCORE_LINUX_SYSCALL(unlinkat)
{
	if (a2 & ~AT_REMOVEDIR) return -EINVAL;
	struct fs_req req = req_init();
	req.flags = (int)a2;
	return path_op((int)a0, (const char *)a1, FS_UNLINK, &req);
}

CHCORE_LINUX_SYSCALL(faccessat)
{
	if (a2 & ~(R_OK | W_OK | X_OK)) return -EINVAL;
	struct fs_req req = req_init();
	req.mode = (uint32_t)a2;
	return path_op((int)a0, (const char *)a1, FS_ACCESS, &req);
}

CHCORE_LINUX_SYSCALL(faccessat2)
{
	if (a2 & ~(R_OK | W_OK | X_OK)) return -EINVAL;
	if (a3 & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) return -EINVAL;
	struct fs_req req = req_init();
	req.mode = (uint32_t)a2;
	req.flags = (int)(a3 & (AT_SYMLINK_NOFOLLOW | AT_EACCESS));
	return path_op((int)a0, (const char *)a1, FS_ACCESS, &req);
}

struct readlink_ctx {
	void *dst;
	size_t size;
};

static long readlink_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)mount;
	struct readlink_ctx *c = ctx;
	size_t n = (size_t)out->ret < c->size ? (size_t)out->ret : c->size;
	if (__chcore_copy_out(c->dst, buf, n) < 0) return -EFAULT;
	return (long)n;
}

CHCORE_LINUX_SYSCALL(readlinkat)
{
	if (a3 <= 0) return -EINVAL;
	char path[PATH_MAX];
	long r = abs_path((int)a0, (const char *)a1, path, 0, 0);
	if (r < 0) return r;
	struct fs_req req = req_init();
	struct readlink_ctx c = {(void *)a2, (size_t)a3};
	return path_call(FS_READLINK, &req, path, readlink_reply, &c);
}

CHCORE_LINUX_SYSCALL(symlinkat)
{
	char target[PATH_MAX], path[PATH_MAX];
	long r = copy_in_str(target, (const char *)a0, sizeof target);
	if (r < 0) return r;
	if (target[0] == 0) return -ENOENT;
	r = abs_path((int)a1, (const char *)a2, path, 0, 0);
	if (r < 0) return r;
	struct fs_req req = req_init();
	return path_call_in(FS_SYMLINK, &req, path, 0, target, 0, 0);
}

/* Where a name of a two-path operation lives: the mount and the canonical
 * path of its directory there, and the last component (with a trailing
 * slash kept). */
struct placed {
	int mount;
	char path[PATH_MAX];
};

/* The directory at path (absolute): *o gets its mount and canonical path;
 * no handle stays open. 0 or -errno (ENOTDIR for a non-directory). */
static long dir_lookup(char *path, struct open_ctx *o)
{
	struct fs_req req = req_init();
	req.flags = O_PATH | O_DIRECTORY;
	long r = path_call(FS_OPEN, &req, path, open_reply, o);
	if (r < 0) return r;
	close_handle(o->mount, o->handle);
	return 0;
}

static long place(int dirfd, const char *upath, struct placed *p)
{
	char path[PATH_MAX];
	long r = abs_path(dirfd, upath, path, 0, 0);
	if (r < 0) return r;
	/* Split off the last component (keeping any trailing slashes). */
	size_t n = strlen(path);
	size_t end = n;
	while (end > 1 && path[end - 1] == '/') end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/') start--;
	char name[PATH_MAX];
	memcpy(name, path + start, n - start + 1);
	if (name[0] == 0 || name[0] == '/') {
		/* The root itself. */
		memcpy(name, ".", 2);
	}
	path[start] = 0;
	if (start == 0) memcpy(path, "/", 2);
	struct open_ctx o;
	r = dir_lookup(path, &o);
	if (r < 0) return r;
	/* The directory's path inside its own file system. */
	const char *mp = mounts[o.mount].path;
	const char *in = o.path;
	if (strcmp(mp, "/") != 0) in += strlen(mp);
	if (in[0] == 0) in = "/";
	p->mount = o.mount;
	return join(p->path, in, name);
}

/* rename and link: both names on one file system. */
static long two_path_call(unsigned op, struct fs_req *tmpl, const struct placed *a,
                          const struct placed *b)
{
	if (a->mount != b->mount) return -EXDEV;
	long err;
	struct mount *mt = mount_get(a->mount, &err);
	if (!mt) return err;
	struct chcore_srv *s = &mt->srv;
	size_t la = strlen(a->path) + 1, lb = strlen(b->path) + 1;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	struct fs_req *req = s->buf;
	COPY(req, tmpl);
	memcpy((char *)s->buf + REQ_PATH_OFF, a->path, la);
	memcpy((char *)s->buf + REQ_PATH_OFF + la, b->path, lb);
	req->path = REQ_PATH_OFF;
	req->path2 = REQ_PATH_OFF + (uint32_t)la;
	long r = __chcore_srv_call(s, op, 0, 0, 0, REQ_PATH_OFF + la + lb, 0, 0, &out);
	UNLOCK(s->lock);
	/* The names' directories were resolved first: a redirect now means
	 * the last component itself is a mount point or a symlink leaving
	 * this file system. */
	if (r == CHCORE_FS_REDIRECT) r = op == FS_RENAME ? -EBUSY : -EXDEV;
	return r;
}

static long rename2(long olddir, long oldpath, long newdir, long newpath, long flags)
{
	if (flags & ~(CHCORE_FS_RENAME_NOREPLACE | CHCORE_FS_RENAME_EXCHANGE)) return -EINVAL;
	if ((flags & CHCORE_FS_RENAME_NOREPLACE) && (flags & CHCORE_FS_RENAME_EXCHANGE)) return -EINVAL;
	struct placed p[2];
	long r = place((int)olddir, (const char *)oldpath, &p[0]);
	if (r >= 0) r = place((int)newdir, (const char *)newpath, &p[1]);
	if (r >= 0) {
		struct fs_req req = req_init();
		req.flags = (int)flags;
		r = two_path_call(FS_RENAME, &req, &p[0], &p[1]);
	}
	return r;
}

CHCORE_LINUX_SYSCALL(renameat)
{
	return rename2(a0, a1, a2, a3, 0);
}

CHCORE_LINUX_SYSCALL(renameat2)
{
	return rename2(a0, a1, a2, a3, a4);
}

CHCORE_LINUX_SYSCALL(linkat)
{
	if (a4 & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
	struct placed p[2];
	long r = place((int)a0, (const char *)a1, &p[0]);
	if (r >= 0) r = place((int)a2, (const char *)a3, &p[1]);
	if (r >= 0) {
		struct fs_req req = req_init();
		req.flags = (int)(a4 & AT_SYMLINK_FOLLOW);
		r = two_path_call(FS_LINK, &req, &p[0], &p[1]);
	}
	return r;
}

CHCORE_LINUX_SYSCALL(truncate)
{
	if (a1 < 0) return -EINVAL;
	struct fs_req req = req_init();
	req.off = a1;
	return path_op(AT_FDCWD, (const char *)a0, FS_TRUNCATE, &req);
}

/* An operation on an open file: FS_FTRUNCATE, FS_FSYNC, FS_FALLOCATE... */
static long fd_op(long fd, unsigned op, struct fs_req *req, int need_write)
{
	long err;
	struct chcore_fd *d = file_fd(fd, &err);
	if (!d) return err;
	long r;
	if (need_write && (d->flags & O_ACCMODE) == O_RDONLY)
		r = op == FS_FTRUNCATE ? -EINVAL : -EBADF;
	else if (d->flags & O_PATH)
		r = -EBADF;
	else
		r = handle_call(d->priv, op, req, 0, 0, 0, 0);
	__chcore_fd_put(d);
	return r;
}

CHCORE_LINUX_SYSCALL(ftruncate)
{
	if (a1 < 0) return -EINVAL;
	struct fs_req req = req_init();
	req.off = a1;
	return fd_op(a0, FS_FTRUNCATE, &req, 1);
}

CHCORE_LINUX_SYSCALL(fallocate)
{
	if (a2 < 0 || a3 <= 0) return -EINVAL;
	struct fs_req req = req_init();
	req.flags = (int)a1;
	req.off = a2;
	req.len = (uint64_t)a3;
	return fd_op(a0, FS_FALLOCATE, &req, 1);
}

CHCORE_LINUX_SYSCALL(fsync)
{
	/* The console and pipes have nothing to write back: EINVAL, as
	 * Linux says for them (fd_op's answer for a non-file). */
	struct fs_req req = req_init();
	return fd_op(a0, FS_FSYNC, &req, 0);
}

CHCORE_LINUX_SYSCALL(fdatasync)
{
	return __chcore_linux_fsync(a0, 0, 0, 0, 0, 0);
}

CHCORE_LINUX_SYSCALL(sync)
{
	/* tmpfs keeps everything in memory: nothing to write back. */
	return 0;
}

/* chmod, chown and utimensat: by path, or (AT_EMPTY_PATH / fchmod) by fd. */
static long attr_op(long dirfd, const char *upath, int flags, unsigned op, struct fs_req *req)
{
	char path[PATH_MAX];
	int empty = 0;
	long r = upath ? abs_path((int)dirfd, upath, path, flags & AT_EMPTY_PATH, &empty) : 0;
	if (r == -ENOTDIR && (flags & AT_EMPTY_PATH)) empty = 1, r = 0;
	if (r < 0) return r;
	if (!upath || (empty && dirfd != AT_FDCWD)) {
		long err;
		struct chcore_fd *d = file_fd(dirfd, &err);
		if (!d) return err == -EINVAL ? -EPERM : err;
		r = handle_call(d->priv, op, req, 0, 0, 0, 0);
		__chcore_fd_put(d);
		return r;
	}
	req->flags = flags & AT_SYMLINK_NOFOLLOW;
	return path_call(op, req, path, 0, 0);
}

CHCORE_LINUX_SYSCALL(fchmod)
{
	struct fs_req req = req_init();
	req.mode = (uint32_t)a1 & 07777;
	return attr_op(a0, 0, 0, FS_CHMOD, &req);
}

CHCORE_LINUX_SYSCALL(fchmodat)
{
	if (a3 & ~AT_SYMLINK_NOFOLLOW) return -EINVAL;
	/* Linux: changing a symlink's mode is not supported. */
	if (a3 & AT_SYMLINK_NOFOLLOW) return -EOPNOTSUPP;
	struct fs_req req = req_init();
	req.mode = (uint32_t)a2 & 07777;
	return attr_op(a0, (const char *)a1, (int)a3, FS_CHMOD, &req);
}

CHCORE_LINUX_SYSCALL(fchown)
{
	struct fs_req req = req_init();
	req.uid = (uint32_t)a1;
	req.gid = (uint32_t)a2;
	return attr_op(a0, 0, 0, FS_CHOWN, &req);
}

CHCORE_LINUX_SYSCALL(fchownat)
{
	if (a4 & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
	struct fs_req req = req_init();
	req.uid = (uint32_t)a2;
	req.gid = (uint32_t)a3;
	return attr_op(a0, (const char *)a1, (int)a4, FS_CHOWN, &req);
}

/* utimensat(dirfd, path, times, flags): path NULL means dirfd itself. */
CHCORE_LINUX_SYSCALL(utimensat)
{
	if (a3 & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
	struct fs_req req = req_init();
	struct timespec ts[2];
	if (a2) {
		if (__chcore_copy_in(ts, (const void *)a2, sizeof ts) < 0) return -EFAULT;
		for (int i = 0; i < 2; i++)
			if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
			    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
				return -EINVAL;
	} else {
		ts[0].tv_sec = ts[1].tv_sec = 0;
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
	}
	req.times[0] = ts[0].tv_sec;
	req.times[1] = ts[0].tv_nsec;
	req.times[2] = ts[1].tv_sec;
	req.times[3] = ts[1].tv_nsec;
	return attr_op(a0, (const char *)a1, a1 ? (int)a3 : AT_EMPTY_PATH, FS_UTIMENS, &req);
}

CHCORE_LINUX_SYSCALL(umask)
{
	mode_t old = cur_umask;
	cur_umask = (mode_t)a0 & 0777;
	return old;
}

/* ---- The working directory ----------------------------------------------------- */

static long set_cwd_to(char *path)
{
	struct open_ctx o;
	long r = dir_lookup(path, &o);
	if (r < 0) return r;
	LOCK(cwd_lock);
	memcpy(cwd, o.path, strlen(o.path) + 1);
	UNLOCK(cwd_lock);
	return 0;
}

/* ---- mount ------------------------------------------------------------------------ */

/* A new tmpfs of the caller's: /sbin/tmpfs started as its child under a
 * name of its own, found in the registry once it has published itself.
 * Returns the server's capability, or -errno. */
static long start_tmpfs(void)
{
	static int count;
	char name[CHCORE_SERVICE_NAME_MAX];
	snprintf(name, sizeof name, "tmpfs-%d-%d", (int)getpid(), __atomic_add_fetch(&count, 1,
	                                                                              __ATOMIC_RELAXED));
	char *argv[] = {"tmpfs", name, 0};
	char *envp[] = {0};
	pid_t pid;
	int e = posix_spawn(&pid, "/sbin/tmpfs", 0, 0, argv, envp);
	if (e) return -e;
	/* It publishes itself at once, or ends with a message. */
	for (int i = 0; i < 2000; i++) {
		long cap = __chcore_service_find(name);
		if (cap >= 0) return cap;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) return -ENODEV;
		__chcore_sleep_ns(1000000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, 0, 0);
	return -ETIMEDOUT;
}

/* mount(source, target, fstype, flags, data): a file system at the
 * directory target, through fsm. fstype "tmpfs": a new, empty tmpfs,
 * served by a process of the caller's (it stays when the caller ends,
 * adopted by init); "chcore": the file-system server already published in
 * the service registry under the name `source` (a server a program
 * started itself, as FUSE mounts one). Others: ENODEV. Remounts, bind and
 * move mounts are EINVAL; the other flags are accepted and ignored. Every
 * process may mount (every process runs as root). */
CHCORE_LINUX_SYSCALL(mount)
{
	char type[32], src[CHCORE_SERVICE_NAME_MAX], path[PATH_MAX];
	unsigned long flags = (unsigned long)a3;
	long r;
	if (flags & (MS_REMOUNT | MS_BIND | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
		return -EINVAL;
	if ((r = copy_in_str(type, (const char *)a2, sizeof type)) < 0) return r == -ENAMETOOLONG ? -ENODEV : r;
	if ((r = abs_path(AT_FDCWD, (const char *)a1, path, 0, 0)) < 0) return r;
	long cap;
	if (strcmp(type, "tmpfs") == 0) {
		cap = 0;
	} else if (strcmp(type, "chcore") == 0) {
		if ((r = copy_in_str(src, (const char *)a0, sizeof src)) < 0) return r;
		cap = __chcore_service_find(src);
		if (cap < 0) return -ENODEV;
	} else {
		return -ENODEV;
	}
	/* fsm wants the directory's canonical path. */
	struct open_ctx o;
	r = dir_lookup(path, &o);
	if (r < 0) goto out;
	if (cap == 0) {
		cap = start_tmpfs();
		if (cap < 0) return cap;
	}
	struct chcore_srv *fsm = __chcore_fsm();
	if (!fsm) {
		r = -ENOSYS;
		goto out;
	}
	unsigned desc = CHCORE_IPC_CAP((unsigned long)cap, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
	struct chcore_ipc_result out;
	size_t n = strlen(o.path) + 1;
	LOCK(fsm->lock);
	memcpy(fsm->buf, o.path, n);
	r = __chcore_srv_call(fsm, FSM_MOUNT, 0, 0, 0, n, 1, &desc, &out);
	UNLOCK(fsm->lock);
	if (r > 0) r = 0;
out:
	if (cap > 0) __chcore_sys_revoke_cap((unsigned long)cap, CHCORE_REVOKE_SELF);
	return r;
}

CHCORE_LINUX_SYSCALL(chdir)
{
	char path[PATH_MAX];
	long r = abs_path(AT_FDCWD, (const char *)a0, path, 0, 0);
	if (r < 0) return r;
	return set_cwd_to(path);
}

CHCORE_LINUX_SYSCALL(fchdir)
{
	struct chcore_fd *d = __chcore_fd_get((int)a0);
	if (!d) return -EBADF;
	struct file *f = file_of(d);
	long r;
	if (!f || !f->path) {
		r = -ENOTDIR;
	} else {
		LOCK(cwd_lock);
		memcpy(cwd, f->path, strlen(f->path) + 1);
		UNLOCK(cwd_lock);
		r = 0;
	}
	__chcore_fd_put(d);
	return r;
}

/* getcwd(buf, size): the length with the NUL, as Linux's call returns. */
CHCORE_LINUX_SYSCALL(getcwd)
{
	char c[PATH_MAX];
	LOCK(cwd_lock);
	memcpy(c, cwd_now(), strlen(cwd_now()) + 1);
	UNLOCK(cwd_lock);
	size_t n = strlen(c) + 1;
	if ((size_t)a1 < n) return -ERANGE;
	if (__chcore_copy_out((void *)a0, c, n) < 0) return -EFAULT;
	return (long)n;
}

/* ---- File systems ----------------------------------------------------------------- */

static long statfs_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)mount;
	(void)out;
	struct fs_statfs s;
	memcpy(&s, buf, sizeof s);
	struct statfs *st = ctx;
	memset(st, 0, sizeof *st);
	st->f_type = (unsigned long)s.type;
	st->f_bsize = (unsigned long)s.bsize;
	st->f_blocks = s.blocks;
	st->f_bfree = s.bfree;
	st->f_bavail = s.bavail;
	st->f_files = s.files;
	st->f_ffree = s.ffree;
	st->f_namelen = (unsigned long)s.namelen;
	st->f_frsize = (unsigned long)s.bsize;
	st->f_fsid.__val[0] = mount + 1;
	return 0;
}

CHCORE_LINUX_SYSCALL(statfs)
{
	char path[PATH_MAX];
	long r = abs_path(AT_FDCWD, (const char *)a0, path, 0, 0);
	if (r < 0) return r;
	struct statfs st;
	struct fs_req req = req_init();
	r = path_call(FS_STATFS, &req, path, statfs_reply, &st);
	if (r >= 0) r = __chcore_copy_out((void *)a1, &st, sizeof st);
	return r;
}

CHCORE_LINUX_SYSCALL(fstatfs)
{
	long err;
	struct chcore_fd *d = file_fd(a0, &err);
	if (!d) return err == -EINVAL ? -ENOSYS : err;
	struct statfs st;
	struct fs_req req = req_init();
	long r = handle_call(d->priv, FS_STATFS, &req, 0, 0, statfs_reply, &st);
	__chcore_fd_put(d);
	if (r >= 0) r = __chcore_copy_out((void *)a1, &st, sizeof st);
	return r;
}

/* ---- Inheritance (spawn.c) --------------------------------------------------------- */

static long export_reply(void *ctx, int mount, const void *buf, const struct chcore_ipc_result *out)
{
	(void)mount;
	(void)buf;
	*(unsigned long *)ctx = out->w[0];
	return 0;
}

long __chcore_file_export(struct chcore_fd *d, int *mount, unsigned long *token)
{
	struct file *f = file_of(d);
	if (!f) return -EINVAL;
	struct fs_req req = req_init();
	*mount = f->mount;
	return handle_call(f, FS_EXPORT, &req, 0, 0, export_reply, token);
}

/* At a new process's start: a new handle to the parent's description
 * (token) installed at fd, with a directory's canonical path. */
long __chcore_file_import(int fd, int mount, int flags, unsigned long token, const char *name)
{
	struct file *f = file_new();
	if (!f) return -ENOMEM;
	f->mount = mount;
	f->handle = -1;
	f->path = f->name = 0;
	struct fs_req req = req_init();
	req.off = (int64_t)token;
	struct open_ctx o;
	long r = handle_call(f, FS_IMPORT, &req, 0, 0, open_reply, &o);
	if (r < 0) {
		file_delete(f);
		return r;
	}
	f->handle = (int)r;
	/* A directory keeps its path, for openat relative to it and fchdir. */
	if (o.is_dir)
		f->path = f->name = strdup(o.path);
	else if (name)
		f->name = strdup(name);
	struct chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, &file_ops, flags, f);
	if (!d) {
		close_handle(mount, f->handle);
		file_delete(f);
		return -ENFILE;
	}
	d->name = f->name;
	__chcore_fd_install_at(d, fd);
	return 0;
}

/* fork (fork.c). Before: every file description exported; the child
 * imports it on its own connection (a handle to the same description). */
static void export_one(struct chcore_fd *d, void *ctx)
{
	struct file *f = d->priv;
	int mount;
	f->fork_exported = __chcore_file_export(d, &mount, &f->fork_token) >= 0;
	if (f->fork_exported) ++*(int *)ctx;
}

int __chcore_files_before_fork(void)
{
	int n = 0;
	__chcore_fd_each(CHCORE_FD_FILE, export_one, &n);
	return n;
}

static void import_one(struct chcore_fd *d, void *ctx)
{
	(void)ctx;
	struct file *f = d->priv;
	long r = -EBADF;
	if (f->fork_exported) {
		struct fs_req req = req_init();
		req.off = (int64_t)f->fork_token;
		struct open_ctx o;
		f->handle = -1;
		r = handle_call(f, FS_IMPORT, &req, 0, 0, open_reply, &o);
	}
	/* A file opened after the export (by another thread of the parent)
	 * cannot be taken over: its calls fail. */
	f->handle = r < 0 ? -1 : (int)r;
	f->fork_exported = 0;
}

void __chcore_files_after_fork(void)
{
	CHCORE_SET(mount_lock[0], 0);
	CHCORE_SET(cwd_lock[0], 0);
	CHCORE_SET(file_cache_lock[0], 0);
	for (int i = 0; i < mounts_end; i++) {
		struct mount *m = &mounts[i];
		CHCORE_SET(m->srv.lock[0], 0);
		if (!m->ready) continue;
		__chcore_srv_after_fork(&m->srv);
		free(m->path);
		free(m->mp);
		m->path = m->mp = 0;
		m->ready = 0;
	}
	__chcore_fd_each(CHCORE_FD_FILE, import_one, 0);
}

long __chcore_dir_path(int dirfd, char *out)
{
	struct chcore_fd *d = __chcore_fd_get(dirfd);
	if (!d) return -EBADF;
	struct file *f = file_of(d);
	long r = -ENOTDIR;
	if (f && f->path) {
		strcpy(out, f->path);
		r = 0;
	}
	__chcore_fd_put(d);
	return r;
}

void __chcore_cwd_get(char *out)
{
	__chcore_cwd_copy(out, PATH_MAX);
}

long __chcore_cwd_copy(char *out, size_t room)
{
	LOCK(cwd_lock);
	size_t n = strlen(cwd_now());
	if (n < room) memcpy(out, cwd_now(), n + 1);
	UNLOCK(cwd_lock);
	return n < room ? (long)n : -1;
}

void __chcore_cwd_set(const char *path)
{
	size_t n = strnlen(path, PATH_MAX - 1);
	LOCK(cwd_lock);
	memcpy(cwd, path, n);
	cwd[n] = 0;
	UNLOCK(cwd_lock);
}
