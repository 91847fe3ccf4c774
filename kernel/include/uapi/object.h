/* Capabilities, objects and memory: the constants user space passes to the
 * kernel. C and C++. See docs/abi.md. */
#ifndef CHCORE_UAPI_OBJECT_H
#define CHCORE_UAPI_OBJECT_H

/* Object types, as cap_info reports them. */
#define CHCORE_OBJ_CAP_GROUP 1
#define CHCORE_OBJ_THREAD 2
#define CHCORE_OBJ_PMO 3
#define CHCORE_OBJ_IPC_SERVER 4
#define CHCORE_OBJ_CONNECTION 5
#define CHCORE_OBJ_NOTIFICATION 6 /* counting semaphore (uapi/notify.h) */
#define CHCORE_OBJ_IRQ 7          /* an interrupt line, or the IRQ-control capability */
#define CHCORE_OBJ_PIPE 8         /* one end of a pipe (uapi/pipe.h) */

/* Capability rights. A copy or transfer can only narrow them. */
#define CHCORE_RIGHT_READ 0x1u     /* read a PMO; map it readable */
#define CHCORE_RIGHT_WRITE 0x2u    /* write a PMO; map it writable */
#define CHCORE_RIGHT_EXEC 0x4u     /* map a PMO executable */
#define CHCORE_RIGHT_CONTROL 0x8u  /* cap_group: create threads, map, transfer caps into it;
                                      cap_group/thread: wait for it */
#define CHCORE_RIGHT_COPY 0x10u    /* may be copied or transferred */
#define CHCORE_RIGHTS_ALL 0x1fu

/* Slots every process starts with. */
/* create_thread's flags: no capability to the new thread, which runs on
 * its own; the call returns its tid instead of a slot. */
#define CHCORE_THREAD_TID 1ul

#define CHCORE_SLOT_SELF 0     /* its own cap_group (all rights) */
#define CHCORE_SLOT_RAMDISK 1  /* the first process only: the boot ramdisk (read-only PMO) */
/* The first process only: the IRQ-control capability (interrupt lines and
 * device memory, uapi/notify.h, docs/notifications.md). */
#define CHCORE_SLOT_IRQ_CONTROL 2

/* create_pmo types. */
#define CHCORE_PMO_ANONYMOUS 0 /* zeroed pages on first touch, private */
#define CHCORE_PMO_DATA 1      /* zeroed pages allocated at creation */
#define CHCORE_PMO_SHARED 2    /* zeroed pages on first touch, for several processes */

/* What a process's memory looks like from outside (cap_group_regions,
 * cap_group_stat, mem_stat: the /proc file system's sources). */
#define CHCORE_REGION_ANONYMOUS 0 /* private memory, zero-filled on first touch */
#define CHCORE_REGION_DATA 1      /* private memory allocated at once (ELF segments) */
#define CHCORE_REGION_DEVICE 2    /* device registers */
#define CHCORE_REGION_SHARED 3    /* shared memory (MAP_SHARED, a file's pages) */
#define CHCORE_REGION_PHYSICAL 4  /* memory of the kernel's (the boot ramdisk) */
struct chcore_region_info {
  unsigned long start;     /* first address, page aligned */
  unsigned long size;      /* bytes */
  unsigned long offset;    /* in the backing PMO of the page at start */
  unsigned long resident;  /* pages of the range that have memory now */
  unsigned int perm;       /* CHCORE_PROT_* */
  unsigned int kind;       /* CHCORE_REGION_* */
};
struct chcore_cap_group_stat {
  unsigned long threads;   /* threads that have not exited */
  unsigned long regions;   /* address-space regions */
  unsigned long vsize;     /* bytes the regions cover */
  unsigned long resident;  /* pages of them that have memory */
  unsigned int exited;     /* 1: the process has exited (the above are then 0) */
  unsigned int reserved;
  unsigned long utime_ns;  /* CPU time of all its threads, exited ones included, at EL0 */
  unsigned long stime_ns;  /* ... and in the kernel (kept after the exit) */
  unsigned long proc_info; /* its set_proc_info address (0: none) */
};
/* set_proc_info: where a process's C library says what /proc shows of
 * its state that only the library knows (its file descriptors, its working
 * directory). procmgr finds the address in cap_group_stat and reads the
 * block, and what it points to, with cap_group_read while the process
 * runs: every address and length in it is the process's word, to be
 * checked, and a read may see a moment's mixture of old and new. */
#define CHCORE_PROC_INFO_MAGIC 0x31495043u /* "CPI1" */
struct chcore_proc_info {
  unsigned int magic;      /* CHCORE_PROC_INFO_MAGIC */
  unsigned int fd_max;     /* entries of the fd table */
  unsigned long fds;       /* the fd table: fd_max addresses of descriptions (0: not open) */
  unsigned long fds_end;   /* an int: one past the highest fd ever open (entries past it are 0) */
  unsigned long name_off;  /* offset in a description of the address of its name: what
                              readlink of /proc/<pid>/fd/N gives, NUL-terminated (0: none) */
  unsigned long cwd;       /* the working directory, NUL-terminated ("": "/") */
};
/* cpu_time: the CPU time of the calling thread or of its process. */
#define CHCORE_CPU_TIME_THREAD 0
#define CHCORE_CPU_TIME_PROCESS 1
struct chcore_cpu_time {
  unsigned long user_ns;   /* at EL0 */
  unsigned long system_ns; /* in the kernel on its behalf */
};
/* cpu_stat: one per CPU, what /proc/stat shows. */
struct chcore_cpu_stat {
  unsigned long user_ns;   /* running threads at EL0 */
  unsigned long system_ns; /* in the kernel for threads */
  unsigned long idle_ns;   /* the rest since the CPU started */
  unsigned long online;    /* 1: the CPU runs threads (else all is 0) */
};
/* cpu_id: the identification registers of the CPU that runs the call (all
 * CPUs of the supported boards are alike), as /proc/cpuinfo shows them. */
struct chcore_cpu_id {
  unsigned long midr;      /* MIDR_EL1: implementer, variant, part, revision */
  unsigned long isar0;     /* ID_AA64ISAR0_EL1: AES, SHA, CRC32, atomics... */
  unsigned long pfr0;      /* ID_AA64PFR0_EL1: FP, AdvSIMD */
  unsigned long cntfrq;    /* CNTFRQ_EL0: the generic timer's frequency (Hz) */
};
struct chcore_mem_stat {
  unsigned long total;     /* bytes the page allocator manages */
  unsigned long free;      /* bytes of them free */
};

/* map_pmo / handle_mprotect permissions (same bits as PROT_* of Linux). */
#define CHCORE_PROT_READ 0x1u
#define CHCORE_PROT_WRITE 0x2u
#define CHCORE_PROT_EXEC 0x4u
/* map_pmo / map_pmo_range flag: a fork's child does not get this mapping
 * (Linux's MADV_DONTFORK; the C library maps its IPC buffers so). */
#define CHCORE_MAP_DONTFORK 0x100u

/* revoke_cap flags. */
#define CHCORE_REVOKE_SELF 0    /* delete this capability (copies made from it stay) */
#define CHCORE_REVOKE_DERIVED 1 /* delete every copy derived from it, keep this one */

/* cap_info(slot) result: type in bits 0-7, rights in bits 8-15, and for a
 * process its pid / for a thread its tid in bits 16-47. */
#define CHCORE_CAP_INFO_TYPE(v) ((v)&0xff)
#define CHCORE_CAP_INFO_RIGHTS(v) (((v) >> 8) & 0xff)
#define CHCORE_CAP_INFO_ID(v) (((v) >> 16) & 0xffffffffu)

/* Threads: set_affinity/get_affinity/set_priority take a thread slot, or
 * CHCORE_THREAD_SELF for the calling thread. */
#define CHCORE_THREAD_SELF (~0ul)
#define CHCORE_CPU_ANY (-1)
#define CHCORE_PRIO_MIN 0
#define CHCORE_PRIO_DEFAULT 10
#define CHCORE_PRIO_MAX 31

/* Clocks and futexes: Linux's numbers, so that the libc's calls pass through. */
/* struct timespec as AArch64 Linux lays it out: what clock_gettime,
 * clock_nanosleep and futex timeouts read and write. */
struct chcore_timespec {
  long tv_sec;
  long tv_nsec;
};
#define CHCORE_CLOCK_REALTIME 0
#define CHCORE_CLOCK_MONOTONIC 1
#define CHCORE_CLOCK_MONOTONIC_RAW 4 /* the same counter here (kernel/time/clock.h) */
#define CHCORE_CLOCK_REALTIME_COARSE 5
#define CHCORE_CLOCK_MONOTONIC_COARSE 6
#define CHCORE_CLOCK_BOOTTIME 7
#define CHCORE_TIMER_ABSTIME 1
/* Linux's clock ids of CPU time (the libc serves them with cpu_time; a
 * timer on one is the kernel's, time/posix_timer.h). */
#define CHCORE_CLOCK_PROCESS_CPUTIME_ID 2
#define CHCORE_CLOCK_THREAD_CPUTIME_ID 3
/* For timer_create only: the process's time at EL0 (user time), the clock
 * of ITIMER_VIRTUAL (CLOCK_PROCESS_CPUTIME_ID is ITIMER_PROF's). No Linux
 * clock id reads it; not one of Linux's ids. */
#define CHCORE_CLOCK_PROCESS_VIRT 0x100

/* Process timers (timer_create ... timer_delete): Linux's struct
 * sigevent as the kernel reads it, and struct itimerspec. */
#define CHCORE_SIGEV_SIGNAL 0    /* a signal to the process */
#define CHCORE_SIGEV_NONE 1      /* nothing (timer_gettime shows it) */
#define CHCORE_SIGEV_THREAD_ID 4 /* a signal to the thread `tid` of the process */
struct chcore_sigevent {
  unsigned long value;       /* si_value of the signal */
  int signo;
  int notify;                /* CHCORE_SIGEV_* */
  int tid;                   /* CHCORE_SIGEV_THREAD_ID */
  int pad;
};
struct chcore_itimerspec {
  struct chcore_timespec interval; /* period; 0: one shot */
  struct chcore_timespec value;    /* time to the next expiry; 0: disarmed */
};
#define CHCORE_TIMERS_MAX 64               /* per process */
#define CHCORE_TIMER_MIN_INTERVAL_NS 100000 /* shorter periods are lengthened to this */
#define CHCORE_FUTEX_WAIT 0
#define CHCORE_FUTEX_WAKE 1
#define CHCORE_FUTEX_REQUEUE 3
#define CHCORE_FUTEX_CMP_REQUEUE 4
#define CHCORE_FUTEX_LOCK_PI 6
#define CHCORE_FUTEX_UNLOCK_PI 7
#define CHCORE_FUTEX_TRYLOCK_PI 8
#define CHCORE_FUTEX_WAITERS 0x80000000u     /* PI and robust futex words */
#define CHCORE_FUTEX_OWNER_DIED 0x40000000u
#define CHCORE_FUTEX_TID_MASK 0x3fffffffu
#define CHCORE_ROBUST_LIST_HEAD_SIZE 24       /* struct robust_list_head */
#define CHCORE_FUTEX_PRIVATE_FLAG 128
#define CHCORE_FUTEX_CLOCK_REALTIME 256

/* wait_cap_group returns a status encoded as Linux's wait() does, so that it
 * is never negative (negative values are errors): a process that exited has
 * its exit code (8 bits) in bits 8-15; one killed by a signal (a fault
 * without a handler raises one: 11, SIGSEGV, for a bad access) has its
 * number in bits 0-6, and bit 7 (CHCORE_WCOREFLAG, uapi/signal.h) for the
 * signals whose default action dumps core. */
#define CHCORE_WIFEXITED(s) (((s)&0x7f) == 0)
#define CHCORE_WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define CHCORE_WTERMSIG(s) ((s)&0x7f)
#define CHCORE_WSTATUS_EXITED(code) (((code)&0xff) << 8)
#define CHCORE_SIGKILL 9
#define CHCORE_SIGSEGV 11

/* console_read(buf, len, flags, deadline_ns) flags (docs/abi.md). */
#define CHCORE_CONSOLE_NONBLOCK 1u /* nothing waiting: -EAGAIN instead of blocking */
#define CHCORE_CONSOLE_POLL 2u     /* take nothing: return how many bytes wait (buf, len unused) */
#define CHCORE_CONSOLE_DEADLINE 4u /* give up with -ETIMEDOUT at deadline_ns (CLOCK_MONOTONIC) */
#define CHCORE_CONSOLE_TIMEOUT_ZERO 8u /* ... returning 0 instead (the kernel sets it for VTIME) */

/* Limits. */
#define CHCORE_PUTSTR_MAX 4096     /* putstr writes at most this many bytes per call */
#define CHCORE_CONSOLE_READ_MAX 256 /* console_read returns at most this many bytes per call */
#define CHCORE_GETRANDOM_MAX 4096   /* getrandom returns at most this many bytes per call */
#define CHCORE_USER_COPY_MAX 65536  /* user_copy copies at most this many bytes per call */
#define CHCORE_NAME_MAX 32         /* process names, including the NUL */
#define CHCORE_MAX_CAPS 1024       /* capability slots per process */
#define CHCORE_ARG_MAX (64ul * 1024) /* argv, envp, auxv and their strings on a new stack */

/* The address space of a process. */
#define CHCORE_USER_TOP 0x0001000000000000ull     /* first address above user space */
#define CHCORE_HEAP_BASE 0x0000600000000000ull    /* handle_brk's heap starts here */
#define CHCORE_RAMDISK_VA 0x0000500000000000ull   /* the first process sees the ramdisk here */

/* Extra auxiliary-vector entries the kernel gives the first process. */
#define CHCORE_AT_RAMDISK_SIZE 0x6001

#endif
