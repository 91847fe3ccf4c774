/* procfs's parts (see main.c for the whole): the nodes of the tree,
 * texts, and where their values come from. */
#ifndef PROCFS_H
#define PROCFS_H

#include <chcore/proto/procmgr.h>
#include <chcore/syscall.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC 0x01021994
#define USER_HZ 100 /* the unit of clock ticks in stat files (Linux's USER_HZ) */

/* ---- The nodes ---- */
enum kind {
  N_ROOT = 1,
  N_SELF,
  N_MEMINFO,
  N_CPUINFO,
  N_STAT,
  N_UPTIME,
  N_LOADAVG,
  N_MOUNTS,
  N_FILESYSTEMS,
  N_VERSION,
  N_SYS,
  N_SYS_KERNEL,
  N_HOSTNAME,
  N_OSTYPE,
  N_OSRELEASE,
  /* Per process (node.pid). */
  N_PID,
  N_PID_STAT,
  N_PID_STATUS,
  N_PID_CMDLINE,
  N_PID_ENVIRON,
  N_PID_COMM,
  N_PID_MAPS,
  N_PID_MOUNTS,
  N_PID_EXE,
  N_PID_CWD,
  N_PID_FD,
  N_PID_FD_LINK, /* fd/<node.fd> */
  N_KINDS
};

struct node {
  int kind;
  int pid;
  int fd; /* N_PID_FD_LINK */
};

/* ---- sources.c: memory, texts, the values ---- */

/* Spin locks (a handler thread yields while it waits). */
void procfs_lock(int* l);
void procfs_unlock(int* l);
/* malloc and free for handler threads (serialised: see sources.c). */
void* xrealloc(void* p, size_t n);
void xfree(void* p);

/* A growing text (p is not NUL-terminated; oom: an allocation failed and
 * the text is cut). */
struct text {
  char* p;
  size_t len, cap;
  int oom;
};
void put(struct text* t, const void* s, size_t n);
void putstr(struct text* t, const char* s);
void putf(struct text* t, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

/* A process as procmgr describes it (PROCMGR_PROC_INFO), its strings
 * each NUL-terminated (argv and env: argv_len / env_len bytes of
 * NUL-separated strings). */
struct pinfo {
  struct procmgr_proc_info i;
  char* exe;
  char* cwd;
  char* argv;
  char* env;
  char* mem;
};
/* 0, or -ESRCH (no such process), -EIO, -ENOMEM. Free with pinfo_free. */
long pinfo_get(int pid, struct pinfo* pi);
void pinfo_free(struct pinfo* pi);
int pid_exists(int pid);
/* New arrays (free them): the pids procmgr knows; a process's regions. */
int* pid_list(size_t* n);
struct chcore_region_info* region_list(int pid, size_t* n);
/* A process's open fds and what each links to (PROCMGR_PROC_FDS), in fd
 * order, in a new array of *n (free with fd_list_free). */
struct fd_link {
  int fd;
  char* name; /* "" if not known */
};
struct fd_link* fd_list(int pid, size_t* n);
void fd_list_free(struct fd_link* v, size_t n);
/* The caller's pid from its kernel process id; -1: unknown. */
int pid_of_kpid(long kpid);

int64_t clock_ns(clockid_t id);
int ncpus(void);
extern int64_t boot_ns; /* CLOCK_REALTIME at boot */

/* ---- gen.c: the files' texts ---- */

/* The text of file node n as process `caller` reads it: 0, -ENOENT (the
 * process is gone), -ENOMEM. */
long gen_text(struct node n, int caller, struct text* t);
/* A symlink's target (NUL-terminated in out[size]): its length, or
 * -ENOENT. */
long gen_link(struct node n, int caller, char* out, size_t size);

#endif
