/* The process manager's protocol (user/system-services/procmgr): the
 * service registry and Unix processes (spawn, wait, kill, parents).
 *
 * Pids are the tids of the processes' main threads (so getpid() is the
 * main thread's gettid(), as on Linux). procmgr knows a client by the
 * kernel's process id its connection carries. */
#ifndef CHCORE_PROTO_PROCMGR_H
#define CHCORE_PROTO_PROCMGR_H

#include <stdint.h>

/* Longest service name, with its NUL. */
#define CHCORE_SERVICE_NAME_MAX 32

enum procmgr_op {
  /* Publishes the server capability sent along under the name in the
   * buffer (NUL-terminated). -EEXIST: the name is taken; -EINVAL: a bad
   * name or no capability. */
  PROCMGR_PUBLISH = 1,
  /* The server published under the name in the buffer: one capability in
   * the reply. With w1 = 1, waits until it is published; else -ENOENT. */
  PROCMGR_LOOKUP,
  /* Starts a program as a child of the caller. The buffer holds a struct
   * procmgr_spawn, then its strings (path, argv[], envp[], cwd, each with
   * its NUL), then nfds struct procmgr_fd at the 8-aligned offset fds_off,
   * then the fds' names (each NUL-terminated, at its entry's name_off).
   * ret = the child's pid; -ENOENT, -EACCES, -ENOEXEC, -E2BIG, -ENOMEM as
   * execve would say. Returns once the child has taken over its files. */
  PROCMGR_SPAWN,
  /* w1 = pid (> 0: that child; -1: any child; 0: any child in the
   * caller's process group; < -1: any child in group -pid), w2 = options
   * (WNOHANG; WUNTRACED: also a child that stopped; WCONTINUED: also one
   * that was continued; each stop or continue is reported once).
   * ret = the child's pid, w0 = its wait status (Linux's encoding), w1 and
   * w2 = its CPU time in ns at EL0 and in the kernel, with that of the
   * children it waited for (wait4's rusage; 0 for a stop or continue); 0
   * with WNOHANG when none has ended; -ECHILD when there is no such child. */
  PROCMGR_WAIT,
  /* ret = the caller's parent's pid (init's once it is an orphan). */
  PROCMGR_GETPPID,
  /* w1 = pid (> 0: that process; 0: the caller's process group; -1: all
   * but the caller, init and the services; < -1: group -pid), w2 = signal,
   * w3 = 1: the caller delivers to itself (ret 1 when it is among the
   * targets; the others are signalled). SIGKILL ends a process
   * (kill_cap_group); any other signal is delivered by the kernel
   * (signal_cap_group, with the caller's pid as si_pid): a handler runs, or
   * the default action is taken (docs/signals.md: the stop signals stop
   * it, SIGCONT continues it). Signal 0 only checks. -ESRCH:
   * no such process; -EINVAL: a bad signal; -EPERM: procmgr itself or a
   * system service. */
  PROCMGR_KILL,
  /* From a child that took over files at its start: the parent's spawn
   * may return (its copies of the descriptions may go). */
  PROCMGR_STARTED,
  /* Capabilities (up to CHCORE_IPC_MAX_CAPS a message) for the caller's
   * next PROCMGR_SPAWN, when its kernel-object fds are more than one
   * message carries: they come first in the spawn's numbering
   * (PROCMGR_FD_KOBJ tokens), the spawn's own after them, and all go with
   * that spawn, whatever its outcome. -E2BIG beyond PROCMGR_MAX_KOBJ_FDS. */
  PROCMGR_SPAWN_CAPS,
  /* fork, step 1: a new process for the caller's child, its record made
   * (parent: the caller; process group: the caller's), nothing in it:
   * one capability to it in the reply, for the kernel's fork. The buffer
   * holds the child's name (NUL-terminated, the caller's program name).
   * A fork begun and not finished is dropped by the next PROCMGR_FORK or
   * with the caller. w1 = the caller's RLIMIT_NPROC (also for
   * PROCMGR_SPAWN). -EAGAIN: that many processes run already, or no room
   * for more. */
  PROCMGR_FORK,
  /* fork, step 2: the capability of the child's thread (the kernel's fork
   * made it, not started), or none if the kernel's fork failed (the
   * process is dropped; ret = w1, the caller's error). The child's pid is
   * that thread's tid; procmgr starts it. With w2 = 1 (the child takes
   * over files), returns once the child has said PROCMGR_STARTED. ret =
   * the child's pid; -EINVAL without a fork begun or with a capability
   * that is not an unstarted thread. */
  PROCMGR_FORK_START,
  /* execve: as PROCMGR_SPAWN (the same request; the process-group flag is
   * ignored), but the new program replaces the caller: it keeps the pid,
   * the parent, the process group and the record; the caller's process
   * (all its threads) ends once the new one has taken over its files, and
   * the call does not return. On an error (-ENOENT, -EACCES, -ENOEXEC,
   * -E2BIG, -ELOOP, -ENOMEM) nothing changed. A file starting with "#!"
   * runs its interpreter (here and for PROCMGR_SPAWN). */
  PROCMGR_EXEC,
  /* setpgid: w1 = pid (0: the caller), w2 = pgid (0: pid); Linux's rules
   * and errors (-ESRCH, -EPERM, -EACCES, -EINVAL). */
  PROCMGR_SETPGID,
  /* w1 = pid (0: the caller); w2 = 0: its process group, 1: its session.
   * -ESRCH. */
  PROCMGR_GETPGID,
  /* setsid: ret = the new session's id (the caller's pid); -EPERM if the
   * caller leads a process group. */
  PROCMGR_SETSID,
  /* tcgetpgrp of the console: ret = its foreground process group. */
  PROCMGR_TCGETPGRP,
  /* tcsetpgrp of the console: w1 = a process group of the caller's
   * session (-EPERM otherwise, -EINVAL for pgid <= 0). The signal
   * characters typed on the console go to that group. */
  PROCMGR_TCSETPGRP,
  /* Before a read of the console: ret 0 if the caller may read (its
   * process group is the foreground one, or no group is). A background
   * caller gets -EIO if w1 = 1 (it ignores or blocks SIGTTIN) or its group
   * is orphaned; otherwise its group is sent SIGTTIN and ret = 1 (ask
   * again once the signal has been taken: by default it stops the group
   * until SIGCONT).
   * With w2 = 1, the same before a write with TOSTOP set or a change of
   * the terminal's settings (tcsetattr, tcsetpgrp, tcflush), with SIGTTOU:
   * a background caller that ignores or blocks SIGTTOU (w1 = 1) may go on
   * (ret 0), as may one outside the foreground group's session; an
   * orphaned group gets -EIO. */
  PROCMGR_TTY_READ,
  /* The caller's child-event notification (one capability in the reply,
   * READ right): procmgr signals it whenever a child of the caller ends,
   * stops or continues. The C library's wait4 waits on it between
   * PROCMGR_WAIT calls with WNOHANG, so that a signal interrupts the wait
   * (EINTR) or restarts it (SA_RESTART) as the kernel's interruptible
   * waits do. The same notification for every call of the process. */
  PROCMGR_WAIT_NOTIFY,
  /* sigqueue: w1 = pid (> 0), w2 = signal, w3 = the value (union
   * sigval); delivered with si_code SI_QUEUE and the caller's pid, as
   * PROCMGR_KILL delivers (0 only checks). -ESRCH, -EINVAL, -EPERM. */
  PROCMGR_SIGQUEUE,
  /* reboot(2): w1 = CHCORE_POWER_OFF or CHCORE_POWER_REBOOT (uapi/tty.h).
   * The machine stops; the call returns only on an error (-EINVAL, or
   * -ENOSYS when the board cannot). Any process may (all are root). */
  PROCMGR_REBOOT,
  /* prctl(PR_SET_NAME): w1, w2 = the caller's new name (Linux's comm: up
   * to 15 bytes, NUL-padded), what /proc shows (procmgr_proc_info.name)
   * until its next exec. */
  PROCMGR_SET_NAME,
  /* tgkill / rt_tgsigqueueinfo to a thread of another process: w1 = pid,
   * w2 = tid, w3 = signal | (uint32_t)si_code << 32, si_code SI_TKILL or
   * SI_QUEUE (and its kin, with the value, union sigval, in the buffer's
   * first 8 bytes, len 8). Delivered to that thread with the caller's pid
   * (0 only checks). -ESRCH (no such process, or no such thread in it),
   * -EINVAL, -EPERM (a service). */
  PROCMGR_TGKILL,

  /* What /proc shows (procfs, docs/services.md), numbered apart from the
   * calls above. Anyone may ask, as anyone may read /proc on Linux. */
  /* The pids of all processes (int32_t each) in the buffer, from the w1-th
   * on, as many as fit. ret = how many; 0 past the last. */
  PROCMGR_PROC_LIST = 64,
  /* w1 = pid: a struct procmgr_proc_info in the buffer, then its strings
   * (exe, cwd, argv, envp: see the struct), cut where the buffer ends.
   * -ESRCH: no such process. */
  PROCMGR_PROC_INFO,
  /* w1 = pid, w2 = first: its address-space regions (struct
   * chcore_region_info, uapi/object.h) from the first-th on, as many as
   * fit. ret = how many (0 past the last, or for a zombie); -ESRCH. */
  PROCMGR_PROC_MAPS,
  /* w1 = a kernel process id (what a server's on_connect is told about a
   * client): ret = that process's pid; -ESRCH if procmgr has no record of
   * it (a process procmgr did not start). */
  PROCMGR_PID_OF_KPID,
  /* w1 = pid, w2 = first: its open fds from fd `first` on, as many as fit,
   * each a struct procmgr_fd_entry and its name (name_len bytes and a NUL:
   * what readlink of /proc/<pid>/fd/N shows; name_len 0: not known), the
   * next entry at the next multiple of 8 bytes. Read from the process's C
   * library (struct chcore_proc_info, uapi/object.h) while it runs. ret =
   * how many (0 past the last, for a zombie, or for a process whose
   * library says nothing); -ESRCH. */
  PROCMGR_PROC_FDS,
};

/* The fork lane: a second connection a process makes (with this word,
 * chcore_connect_arg) before its first fork, which the kernel copies into
 * every child it forks (CHCORE_IPC_ACCEPT_FORK), so that a child need not
 * connect to exec. Any holder may call: procmgr serves each call as the
 * calling process (the kernel's pid, msg->caller), and reads the request
 * from that process's memory (w2 = its address, w3 = its length, at most
 * PROCMGR_LANE_MAX) instead of the shared buffer. It takes PROCMGR_EXEC,
 * PROCMGR_SPAWN_CAPS and PROCMGR_STARTED only (-EINVAL otherwise): nothing
 * that waits for another process, which would hold up the other children
 * of the same parent waiting for the lane. */
#define PROCMGR_CONNECT_FORK 0x4c616e65ul
#define PROCMGR_LANE_MAX (132ul * 1024)
struct procmgr_fd_entry {
  int32_t fd;
  uint32_t name_len;
};

/* PROCMGR_PROC_INFO's reply. The strings follow it in this order: exe_len
 * bytes of the program's path (NUL-terminated), cwd_len of the directory
 * it is in (read from its C library; the one it started in if that says
 * nothing), argv_len of its arguments and env_len of its environment
 * (each string NUL-terminated, as /proc/<pid>/cmdline and environ show
 * them): the ones given at its spawn or exec; a forked child has its
 * parent's. A length is what the buffer held: a string cut there has no
 * NUL at its end. */
struct procmgr_proc_info {
  int32_t pid, ppid, pgid, sid;
  uint32_t state;          /* 'R' running, 'Z' ended and not yet waited for */
  uint32_t flags;          /* PROCMGR_INFO_* */
  uint64_t threads;        /* live threads (0 for a zombie) */
  uint64_t vsize;          /* bytes its address space maps */
  uint64_t resident;       /* pages of them with memory */
  int64_t start_ns;        /* CLOCK_MONOTONIC when it started */
  uint32_t exe_len, cwd_len, argv_len, env_len;
  char name[16];           /* the program's name (Linux's comm), NUL-terminated */
  uint64_t utime_ns, stime_ns;   /* its CPU time at EL0 and in the kernel */
  uint64_t cutime_ns, cstime_ns; /* of the children it waited for (with theirs) */
};
#define PROCMGR_INFO_SERVICE 1u  /* a system service procmgr started */
#define PROCMGR_MAX_KOBJ_FDS 1024

struct procmgr_spawn {
  uint32_t argc, envc, nfds;
  uint32_t flags;          /* PROCMGR_SPAWN_* */
  int32_t pgroup;          /* with PROCMGR_SPAWN_SETPGROUP: 0 = the child's own pid */
  uint32_t fds_off;
  uint64_t sigmask;        /* with PROCMGR_SPAWN_SETSIGMASK */
  uint64_t sigignore;      /* signals the child starts ignoring (bit sig - 1) */
};
#define PROCMGR_SPAWN_SETPGROUP 1u
#define PROCMGR_SPAWN_SETSIGMASK 2u

/* One fd of the child. */
struct procmgr_fd {
  int32_t fd;
  uint32_t kind;           /* PROCMGR_FD_* */
  int32_t mount;           /* a file's mount id (fsm) */
  uint32_t flags;          /* its status flags (O_ACCMODE, O_APPEND, ...) */
  uint64_t token;          /* a file's FS_EXPORT token */
  /* A file's name for /proc/<pid>/fd (the absolute path it was opened by):
   * the offset of that NUL-terminated string in the request, and in the
   * start information; 0: none. */
  uint32_t name_off;
  uint32_t reserved;
};
#define PROCMGR_FD_CONSOLE_IN 1u
#define PROCMGR_FD_CONSOLE_OUT 2u
#define PROCMGR_FD_CONSOLE_ERR 3u
#define PROCMGR_FD_FILE 4u
#define PROCMGR_FD_DEVICE 5u       /* a /dev device of the C library's; token = st_rdev */
/* A kernel object (a pipe end). In the request: token = the index of its
 * capability among those sent ahead (PROCMGR_SPAWN_CAPS) and then the
 * message's own; in the start information: its slot in the child. */
#define PROCMGR_FD_KOBJ 6u

/* What a child finds at its start (the page at the address in its
 * auxiliary vector entry CHCORE_AT_START_INFO): its pid, its parent's, its
 * working directory and its fds. */
#define CHCORE_AT_START_INFO 0x6006
struct procmgr_start_info {
  uint32_t magic;          /* PROCMGR_START_MAGIC */
  uint32_t size;           /* of the whole block */
  int32_t pid, ppid;       /* pid 0: the main thread's tid (an exec keeps the old pid) */
  uint32_t nfds;
  uint32_t flags;          /* PROCMGR_SPAWN_* as asked */
  uint64_t sigmask;
  uint64_t sigignore;      /* signals to ignore from the start (bit sig - 1) */
  int32_t pgroup;
  uint32_t cwd_off;        /* offset of the NUL-terminated working directory */
  struct procmgr_fd fds[]; /* nfds of them */
};
#define PROCMGR_START_MAGIC 0x43485354u /* "CHST" */

#endif
