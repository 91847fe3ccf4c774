/* chcore-libc: the file-descriptor table.
 *
 * An fd is an index into the table; each entry points at an open file
 * description (struct chcore_fd), which dup() shares between entries. A
 * description has a type (console, and later file, pipe, socket...) and an
 * fd_ops table that implements the type. The generic system calls (read,
 * write, close, dup, fcntl, ppoll...) live in fd.c and call the ops; to add
 * a type, write its ops and create descriptions with __chcore_fd_new. */
#ifndef CHCORE_FD_H
#define CHCORE_FD_H

#include <sys/types.h>
#include <sys/uio.h>
#include "chcore_port.h"

#define CHCORE_FD_MAX 1024   /* fds 0 .. CHCORE_FD_MAX-1 */
#define CHCORE_FD_POOL 1024  /* open file descriptions besides the console's: one per fd */
#define CHCORE_FD_POOL_CHUNK 32 /* ... allocated this many at a time (fd.c) */

enum chcore_fd_type {
	CHCORE_FD_FREE = 0,
	CHCORE_FD_STDIN,         /* the console, as fd 0 */
	CHCORE_FD_STDOUT,        /* the console, as fd 1 */
	CHCORE_FD_STDERR,        /* the console, as fd 2 */
	CHCORE_FD_FILE,          /* reserved: a file of a file-system server */
	CHCORE_FD_PIPE,          /* reserved */
	CHCORE_FD_SOCKET,        /* reserved */
	CHCORE_FD_DEVICE,        /* /dev/null, zero, full, random, urandom (device.c) */
	CHCORE_FD_EPOLL,         /* an epoll instance (epoll.c) */
	CHCORE_FD_PIDFD,         /* a process (pidfd.c) */
	CHCORE_FD_SIGNALFD,      /* a set of signals to read (signalfd.c) */
};

struct chcore_fd;
struct kstat;

/* Each returns a result >= 0 or a negative errno. A NULL member gives the
 * generic answer noted beside it.
 *
 * Whose memory: the data buffers of read, write, pread, pwrite, the iovec
 * buffers of writev and ioctl's arg are the caller's pointers, untouched
 * by the generic code: an op reads and writes them only through
 * __chcore_copy_in/out (or hands them to a kernel call, which checks them
 * itself), so that a bad one is -EFAULT. The iovec array given to writev
 * and the kstat given to fstat are the port's own copies. */
struct chcore_fd_ops {
	long (*read)(struct chcore_fd *, void *buf, size_t len);            /* EINVAL */
	long (*write)(struct chcore_fd *, const void *buf, size_t len);     /* EINVAL */
	long (*close)(struct chcore_fd *);    /* the last fd is gone; 0 */
	long (*lseek)(struct chcore_fd *, off_t off, int whence);           /* ESPIPE */
	long (*ioctl)(struct chcore_fd *, unsigned long req, void *arg);    /* ENOTTY */
	long (*fcntl)(struct chcore_fd *, int cmd, long arg);               /* EINVAL */
	/* The events of `events` (POLLIN, POLLOUT...) that are ready now,
	 * without blocking. NULL: always ready. */
	int (*poll)(struct chcore_fd *, int events);
	/* Optional. */
	long (*writev)(struct chcore_fd *, const struct iovec *, int cnt);  /* write per buffer */
	long (*pread)(struct chcore_fd *, void *, size_t, off_t);           /* ESPIPE */
	long (*pwrite)(struct chcore_fd *, const void *, size_t, off_t);    /* ESPIPE */
	long (*fstat)(struct chcore_fd *, struct kstat *);                  /* ENOSYS */
	/* Status flags kept outside the description (a pipe end's
	 * O_NONBLOCK, in the kernel): F_GETFL asks getfl, and F_SETFL and
	 * FIONBIO tell setfl the new flags after updating `flags`. */
	int (*getfl)(struct chcore_fd *);
	void (*setfl)(struct chcore_fd *, int flags);
	/* The kernel object ppoll and epoll block on for this description
	 * (a pipe end's capability, CHCORE_POLL_CONSOLE). NULL: the type
	 * never makes a poller wait (files are always ready), and poll
	 * answers for it. */
	unsigned (*wait_slot)(struct chcore_fd *);
};

/* An open file description. */
struct chcore_fd {
	int type;                /* enum chcore_fd_type */
	int refs;                /* table entries + calls in progress (atomic) */
	int flags;               /* O_ACCMODE | O_APPEND | O_NONBLOCK ... */
	const struct chcore_fd_ops *ops;
	void *priv;              /* the type's state */
	off_t offset;            /* for types with a position */
	/* What readlink of /proc/<pid>/fd/N shows (procmgr reads it from
	 * outside, see fd.c): a path, "pipe:[N]", "anon_inode:[...]"; NULL:
	 * nothing to show. It points at a static string, the type's state,
	 * or tag. */
	const char *name;
	char tag[24];
};

/* A new description from the pool, or NULL when it is exhausted. It holds
 * one reference for the caller, which __chcore_fd_install takes over (or
 * __chcore_fd_put drops, releasing the description). */
hidden struct chcore_fd *__chcore_fd_new(int type, const struct chcore_fd_ops *, int flags,
                                         void *priv);
/* Puts the description at the lowest free fd >= min_fd; returns the fd or
 * -EMFILE (the description is then released if nothing else holds it). */
hidden int __chcore_fd_install(struct chcore_fd *, int min_fd, int cloexec);
/* The description of fd with a reference for the caller, or NULL. */
hidden struct chcore_fd *__chcore_fd_get(int fd);
hidden void __chcore_fd_put(struct chcore_fd *);
/* Another reference to a description the caller holds. The console's
 * three descriptions are static and never released: they are not
 * counted (a forked child that execs passes them on without writing
 * their page). */
hidden void __chcore_fd_hold(struct chcore_fd *);
/* fd_ops members shared by descriptions that are no file (pidfd.c,
 * signalfd.c): close frees `priv`; fstat describes an anonymous inode, as
 * Linux's anon_inode files. */
hidden long __chcore_fd_free_priv(struct chcore_fd *);
hidden long __chcore_fd_anon_fstat(struct chcore_fd *, struct kstat *);
/* Installing at a given fd (0..CHCORE_FD_MAX-1, replacing what is there,
 * taking over the caller's reference). */
hidden void __chcore_fd_install_at(struct chcore_fd *, int fd);
/* The descriptions a spawned child inherits (fds without FD_CLOEXEC), with
 * a reference each, into out[fd]; returns one past the highest such fd. */
hidden int __chcore_fd_inheritable(struct chcore_fd **out);

/* Files (file.c), for spawn.c: a file description's export to another
 * process (its mount and FS_EXPORT token) and the import at a new
 * process's start (with its name for /proc, NULL if not known); the
 * working directory. */
hidden long __chcore_file_export(struct chcore_fd *, int *mount, unsigned long *token);
hidden long __chcore_file_import(int fd, int mount, int flags, unsigned long token,
                                 const char *name);
hidden void __chcore_cwd_get(char *out);  /* PATH_MAX bytes */
/* The same into room bytes: its length (without the NUL), or -1 if it
 * does not fit. */
hidden long __chcore_cwd_copy(char *out, size_t room);
/* A directory fd's absolute path into out (PATH_MAX): 0, -EBADF, -ENOTDIR. */
hidden long __chcore_dir_path(int dirfd, char *out);
/* mmap of a file (mm.c): FS_MMAP's capability to the file's shared memory
 * (covering [0, end)) or -errno; whether the description is a directory. */
hidden long __chcore_file_mmap(struct chcore_fd *, unsigned long end, int shared_write);
hidden int __chcore_file_is_dir(struct chcore_fd *);
hidden void __chcore_cwd_set(const char *path);
/* The working directory's buffer ("" while it is "/"), for /proc (fd.c). */
hidden const char *__chcore_cwd_buffer(void);

/* fork (fork.c): the parent exports its files (returns how many; the
 * tokens are kept in the descriptions); the child drops what it copied
 * of the parent's connections and locks and imports the files. */
hidden int __chcore_files_before_fork(void);
hidden void __chcore_files_after_fork(void);
hidden void __chcore_fd_after_fork(void);
/* Calls fn for every description in use of `type` (with the table's lock:
 * fn must not open or close fds). */
hidden void __chcore_fd_each(int type, void (*fn)(struct chcore_fd *, void *), void *ctx);
hidden long __chcore_fork(void);
hidden void __chcore_procmgr_started(void); /* spawn.c */

/* stat of an absolute path (file.c), for the library's own use. */
hidden long __chcore_stat_path(const char *abs, struct kstat *st);
/* Sets st_dev and st_ino of a device description's fstat to those of its
 * node in /dev (`path`, a static string; asked of devfs once per path), so
 * that ttyname finds the node /proc/self/fd/N names (device.c). */
hidden void __chcore_device_node(const char *path, struct kstat *st);

/* Devices (device.c): the description of the device rdev (tty/console:
 * the console's), or NULL and *err; a device description's number. */
hidden struct chcore_fd *__chcore_device_open(unsigned long rdev, int flags, long *err);
hidden unsigned long __chcore_device_rdev(struct chcore_fd *);

/* Pipes (pipe.c): the capability of a pipe description's end (~0u for
 * other types), and a new process's inherited end. */
hidden unsigned __chcore_pipe_slot(struct chcore_fd *);
hidden void __chcore_pipe_import(int fd, unsigned slot, int flags);

/* Polling (fd.c): waits until one of pfd[0..n) has an event or
 * CLOCK_MONOTONIC reaches deadline_ns (~0ul: no limit), as ppoll does;
 * returns how many have revents set, or a negative errno. The kernel's
 * CHCORE_POLL* bits as Linux's revents for the requested `events`. */
struct pollfd;
hidden long __chcore_poll_fds(struct pollfd *pfd, unsigned long n, unsigned long deadline_ns);
hidden int __chcore_poll_revents(int kernel_revents, int events);

/* The console's descriptions (console.c). */
extern hidden struct chcore_fd __chcore_console_fds[3];
/* Whether a description is the console's (fds 0-2 and their dups). */
hidden int __chcore_fd_is_console(const struct chcore_fd *);

#endif
