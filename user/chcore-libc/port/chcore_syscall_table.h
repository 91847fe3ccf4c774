/* chcore-libc: the Linux system calls the port implements.
 *
 *   X(name, status, nargs, "note")
 *
 * name    the Linux name (SYS_<name> is its aarch64 number); the handler is
 *         __chcore_linux_<name>, defined with CHCORE_LINUX_SYSCALL(name)
 * status  SUPPORTED: behaves as on Linux, as far as a program can tell
 *         PARTIAL:   works for the common uses; the note says what is missing
 * nargs   how many arguments CHCORE_STRACE prints
 *
 * Every other Linux number is MISSING: it returns -ENOSYS and prints one
 * warning the first time it is used. docs/syscalls.md is generated from this
 * list (gen-syscall-doc.py): keep one entry per line. */
#ifndef CHCORE_SYSCALL_TABLE_H
#define CHCORE_SYSCALL_TABLE_H

#define CHCORE_SYSCALL_TABLE(X) \
	X(dup, SUPPORTED, 1, "fd table; EMFILE at the soft RLIMIT_NOFILE") \
	X(dup3, SUPPORTED, 3, "fd table; dup2 uses it; a target at or above RLIMIT_NOFILE is EBADF") \
	X(fcntl, PARTIAL, 3, "F_DUPFD, F_DUPFD_CLOEXEC (below RLIMIT_NOFILE), F_GETFD, F_SETFD, F_GETFL, F_SETFL (O_APPEND, O_NONBLOCK); files: F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms (advisory record locks kept by the file system; EDEADLK; a process's POSIX locks on a file go when it closes a handle of it or ends); pipes: F_GETPIPE_SZ; other commands go to the descriptor type (fd_ops.fcntl)") \
	X(ioctl, PARTIAL, 3, "by descriptor type (fd_ops.ioctl); the console knows TIOCGWINSZ, TIOCSWINSZ, TCGETS, TCSETS*, FIONREAD") \
	X(close, SUPPORTED, 1, "fd table; the descriptor type's close runs when the last fd goes") \
	X(lseek, SUPPORTED, 3, "fd_ops.lseek; the console gives ESPIPE") \
	X(read, SUPPORTED, 3, "fd_ops.read; the console blocks in the kernel (console_read) until a byte arrives, EAGAIN with O_NONBLOCK, \\r becomes \\n") \
	X(write, SUPPORTED, 3, "fd_ops.write; the console writes with putstr, \\n becomes \\r\\n") \
	X(readv, SUPPORTED, 3, "fd_ops.read per buffer") \
	X(writev, SUPPORTED, 3, "fd_ops.writev, or fd_ops.write per buffer") \
	X(pread64, SUPPORTED, 4, "fd_ops.pread; ESPIPE where there is none (the console)") \
	X(pwrite64, SUPPORTED, 4, "fd_ops.pwrite; ESPIPE where there is none (the console)") \
	X(sendfile, SUPPORTED, 4, "fd_ops.read (pread with an offset) and fd_ops.write through a 4 KiB buffer; stops at the end of the input or a short write") \
	X(ppoll, PARTIAL, 5, "pipe ends and the console wait in the kernel (its poll call) until an event or the deadline; files and devices are always ready; the signal mask argument is checked, then ignored (not applied during the wait); a signal handler interrupts the wait (EINTR); nfds above RLIMIT_NOFILE is EINVAL") \
	X(pselect6, PARTIAL, 6, "as ppoll over the fds of the three sets (exceptional: POLLPRI, which nothing raises); EBADF for an fd that is not open; the timeout is not updated; the signal mask is checked, then ignored") \
	X(pipe2, SUPPORTED, 2, "kernel pipes (pipe_create): 64 KiB, writes up to PIPE_BUF atomic, blocking in the kernel; O_CLOEXEC, O_NONBLOCK (kept in the kernel's end object, shared by every holder); EPIPE when no reader is left (no SIGPIPE yet); a signal handler interrupts a blocked read or write (EINTR, or restarted with SA_RESTART); F_GETPIPE_SZ, FIONREAD") \
	X(epoll_create1, SUPPORTED, 1, "an epoll description of the C library's (epoll.c); EPOLL_CLOEXEC") \
	X(epoll_ctl, PARTIAL, 4, "ADD, MOD, DEL; regular files EPERM as on Linux; an entry goes when its fd is closed or reused (Linux: when the description is)") \
	X(epoll_pwait, PARTIAL, 6, "level-triggered, waiting as ppoll does; EPOLLONESHOT; EPOLLET reported like level-triggered events; the signal mask is checked, then ignored") \
	X(fstat, PARTIAL, 2, "by descriptor type: the console is a character device") \
	X(openat, PARTIAL, 4, "files of the file-system servers (file.c): every flag but O_TMPFILE; O_NOCTTY ignored") \
	X(getdents64, SUPPORTED, 3, "FS_GETDENTS on a directory fd; the position is the open description's") \
	X(newfstatat, SUPPORTED, 4, "FS_STAT by path (AT_SYMLINK_NOFOLLOW), fstat with AT_EMPTY_PATH; st_dev tells mounts apart") \
	X(statx, PARTIAL, 5, "the basic fields (STATX_BASIC_STATS) from newfstatat; no birth time") \
	X(faccessat, SUPPORTED, 3, "FS_ACCESS; every process is root: only X_OK without any x bit is EACCES") \
	X(faccessat2, SUPPORTED, 4, "as faccessat, with AT_SYMLINK_NOFOLLOW and AT_EACCESS") \
	X(mkdirat, SUPPORTED, 3, "FS_MKDIR; the mode less the umask") \
	X(unlinkat, SUPPORTED, 3, "FS_UNLINK; AT_REMOVEDIR removes an empty directory") \
	X(renameat, SUPPORTED, 4, "as renameat2 without flags") \
	X(renameat2, SUPPORTED, 5, "FS_RENAME on the file system of both names (EXDEV across mounts); RENAME_NOREPLACE, RENAME_EXCHANGE") \
	X(linkat, SUPPORTED, 5, "FS_LINK on one file system (EXDEV across mounts); AT_SYMLINK_FOLLOW") \
	X(symlinkat, SUPPORTED, 3, "FS_SYMLINK; the target is stored as given") \
	X(readlinkat, SUPPORTED, 4, "FS_READLINK; the target cut to the buffer, no NUL") \
	X(ftruncate, SUPPORTED, 2, "FS_FTRUNCATE; holes read as zeros") \
	X(truncate, SUPPORTED, 2, "FS_TRUNCATE by path") \
	X(fallocate, PARTIAL, 4, "FS_FALLOCATE: mode 0 and FALLOC_FL_KEEP_SIZE") \
	X(flock, SUPPORTED, 2, "LOCK_SH, LOCK_EX, LOCK_UN, LOCK_NB on files: locks of the open file description, kept by the file system apart from fcntl's; other fds EINVAL") \
	X(mount, PARTIAL, 5, "fstype tmpfs: a new tmpfs (/sbin/tmpfs started as the caller's child); fstype chcore: the file-system server published under the name source; mounted through fsm at the directory's canonical path. Remount, bind and move EINVAL; other flags ignored; no umount yet") \
	X(fsync, SUPPORTED, 1, "files: FS_FSYNC (tmpfs: nothing to write back); other fds EINVAL") \
	X(fdatasync, SUPPORTED, 1, "as fsync") \
	X(sync, SUPPORTED, 0, "nothing to write back (tmpfs)") \
	X(chdir, SUPPORTED, 1, "the working directory is kept in the process as an absolute canonical path") \
	X(fchdir, SUPPORTED, 1, "a directory fd's canonical path") \
	X(getcwd, SUPPORTED, 2, "the kept path; ERANGE when it does not fit") \
	X(fchmod, SUPPORTED, 2, "FS_CHMOD on the open file") \
	X(fchmodat, SUPPORTED, 4, "FS_CHMOD by path; AT_SYMLINK_NOFOLLOW is EOPNOTSUPP as on Linux") \
	X(fchown, SUPPORTED, 3, "FS_CHOWN on the open file") \
	X(fchownat, SUPPORTED, 5, "FS_CHOWN by path") \
	X(utimensat, SUPPORTED, 4, "FS_UTIMENS; UTIME_NOW, UTIME_OMIT") \
	X(umask, SUPPORTED, 1, "kept in the process, applied to openat and mkdirat") \
	X(statfs, SUPPORTED, 2, "FS_STATFS of the file system holding the path") \
	X(fstatfs, SUPPORTED, 2, "FS_STATFS of the file system holding the open file") \
	X(membarrier, PARTIAL, 2, "ENOSYS, without the once-only warning: musl asks at its first pthread_create and then does without") \
	X(exit, SUPPORTED, 1, "thread_exit; the kernel clears and wakes the set_tid_address word") \
	X(exit_group, SUPPORTED, 1, "exit_group") \
	X(set_tid_address, SUPPORTED, 1, "kernel set_tid_address") \
	X(futex, PARTIAL, 6, "kernel futex: WAIT, WAKE, REQUEUE, CMP_REQUEUE, LOCK_PI, UNLOCK_PI, TRYLOCK_PI (PRIVATE and CLOCK_REALTIME flags accepted; PI boosts the owner one level, no chains); other operations ENOSYS") \
	X(set_robust_list, SUPPORTED, 2, "kernel set_robust_list; the list is walked when the thread exits") \
	X(get_robust_list, PARTIAL, 3, "the calling thread only (tid 0 or its own; others ESRCH)") \
	X(nanosleep, SUPPORTED, 2, "kernel clock_nanosleep on the monotonic clock") \
	X(clock_gettime, PARTIAL, 2, "MONOTONIC, MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME read from CNTVCT_EL0 in user space; REALTIME from the kernel; REALTIME_COARSE in user space (the kernel's wall-clock base, taken once, plus the counter: never ahead of REALTIME); PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID from the kernel's accounting (cpu_time), also by the ids clock_getcpuclockid and pthread_getcpuclockid give for the caller's own process and thread; other processes' and threads' CPU clocks EINVAL") \
	X(clock_getres, SUPPORTED, 2, "one counter tick, rounded up to a nanosecond") \
	X(clock_nanosleep, SUPPORTED, 4, "kernel clock_nanosleep; a signal handler interrupts it (EINTR, never restarted, the time left in rem for a relative sleep)") \
	X(sched_yield, SUPPORTED, 0, "kernel yield") \
	X(kill, PARTIAL, 2, "to the calling process: the kernel's signal_cap_group on its own capability; to another pid, a process group (0, -pgid) or all (-1: not the caller, init or the services): procmgr, which delivers through the kernel (a handler runs in the target, si_pid is the sender); the caller, when in the group, signals itself") \
	X(rt_sigqueueinfo, PARTIAL, 3, "sigqueue: to the calling process through the kernel's signal_cap_group (SI_QUEUE..SI_SIGIO with the value), to another pid through procmgr (SI_QUEUE only; others -EINVAL); si_code >= 0 or SI_TKILL: -EPERM for another process, -EINVAL for the caller's own (Linux allows it there)") \
	X(setpgid, SUPPORTED, 2, "procmgr, Linux's rules: the caller or a child in its session that has not exec'd (EACCES), not a session leader (EPERM), into its own new group or an existing one of the session") \
	X(getpgid, SUPPORTED, 1, "procmgr; getpgrp is getpgid(0)") \
	X(setsid, SUPPORTED, 0, "procmgr; EPERM for a group leader (no controlling terminal yet)") \
	X(getsid, SUPPORTED, 1, "procmgr") \
	X(execve, SUPPORTED, 3, "procmgr (PROCMGR_EXEC): the program replaces the process, keeping its pid, parent, process group, working directory, fds without FD_CLOEXEC and signal mask; #! scripts run their interpreter (4 levels, then ELOOP); ENOENT, EACCES, ENOEXEC, E2BIG (arguments, environment and auxv beyond 64 KiB, CHCORE_ARG_MAX), EFAULT; other threads end with the old image") \
	X(execveat, PARTIAL, 5, "as execve, relative to a directory fd; AT_EMPTY_PATH (executing the fd itself) is not supported: an empty path is ENOENT") \
	X(wait4, PARTIAL, 4, "procmgr: a child by pid, any child, any child in the caller's process group (0) or in group -pid, WNOHANG, the wait status as Linux encodes it; rusage: the child's user and system time (with those of the children it waited for), other fields 0") \
	X(waitid, PARTIAL, 5, "through wait4 (procmgr): P_ALL, P_PID, P_PGID (0: the caller's group), P_PIDFD; WEXITED (required: wait4 cannot leave ends out) with WSTOPPED, WCONTINUED, WNOHANG; the siginfo as Linux fills it (SIGCHLD, CLD_* code, si_status, si_pid; zeroed when WNOHANG finds nothing); WNOWAIT EINVAL") \
	X(getrusage, PARTIAL, 2, "RUSAGE_SELF, RUSAGE_THREAD: the kernel's accounting (cpu_time); RUSAGE_CHILDREN: the children waited for (wait4 replies); only ru_utime and ru_stime, the rest 0") \
	X(times, SUPPORTED, 1, "as getrusage, in clock ticks (100 Hz); returns CLOCK_MONOTONIC in ticks") \
	X(timer_create, PARTIAL, 3, "kernel timer_create: CLOCK_REALTIME, CLOCK_MONOTONIC (and their aliases); SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID (musl's SIGEV_THREAD builds on it); CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID (checked at ticks); 64 per process (EAGAIN)") \
	X(timer_settime, SUPPORTED, 4, "kernel timer_settime; TIMER_ABSTIME; periods below 100 us are lengthened to 100 us") \
	X(timer_gettime, SUPPORTED, 2, "kernel timer_gettime") \
	X(timer_getoverrun, PARTIAL, 1, "the periods the last expiry missed (a signal still pending when the next expiry comes is not counted)") \
	X(timer_delete, SUPPORTED, 1, "kernel timer_delete") \
	X(setitimer, PARTIAL, 3, "a kernel timer per kind made at the first call: ITIMER_REAL (CLOCK_MONOTONIC, SIGALRM; alarm uses it), ITIMER_VIRTUAL (user time, SIGVTALRM), ITIMER_PROF (CPU time, SIGPROF); not kept across exec") \
	X(getitimer, PARTIAL, 2, "ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF (setitimer's timers)") \
	X(prctl, PARTIAL, 5, "PR_SET_NAME, PR_GET_NAME: the process's name (procmgr: /proc/<pid>/comm, stat, status), kept until the next exec; Linux names the calling thread. Other options EINVAL") \
	X(getppid, SUPPORTED, 0, "procmgr; init's pid for an orphan it adopted, 0 for procmgr's own children") \
	X(tkill, SUPPORTED, 2, "kernel signal_thread: any thread of the calling process (SI_TKILL)") \
	X(pidfd_open, PARTIAL, 2, "a description naming the process (pid and start time, so a reused pid is ESRCH), always close-on-exec; PIDFD_NONBLOCK kept; readable (poll) once the process has ended, looked at in steps rather than woken; the thread-pidfd flag EINVAL") \
	X(pidfd_send_signal, SUPPORTED, 4, "kill, or rt_sigqueueinfo with the info; flags must be 0; ESRCH once the process has ended; EBADF, or EINVAL for an fd that is not a pidfd") \
	X(signalfd4, PARTIAL, 4, "a description holding a signal set (SIGKILL and SIGSTOP left out); read takes the caller's pending signals of the set through the kernel's sigtimedwait, as struct signalfd_siginfo records (blocking, or EAGAIN with SFD_NONBLOCK); poll: readable while one is pending and blocked, looked at in steps rather than woken; fd -1 makes one, a signalfd's fd gets the new set") \
	X(tgkill, SUPPORTED, 3, "a thread of the calling process as tkill; of another process through procmgr (kernel signal_thread_of, SI_TKILL with the sender's pid); ESRCH if the process has no such thread") \
	X(rt_tgsigqueueinfo, SUPPORTED, 4, "a queued signal (SI_QUEUE..SI_SIGIO with the info's value) to one thread: kernel signal_thread_of on the caller's own capability, or through procmgr for another process; si_code >= 0 or SI_TKILL: -EPERM for another process, -EINVAL for the caller's own") \
	X(rt_sigaction, SUPPORTED, 4, "kernel sigaction: SA_SIGINFO, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_ONSTACK, SA_RESTORER; frames as Linux's (docs/signals.md)") \
	X(rt_sigpending, SUPPORTED, 2, "kernel sigpending: the thread's and the process's pending signals it blocks") \
	X(rt_sigsuspend, SUPPORTED, 2, "kernel sigsuspend: -EINTR once a handler has run") \
	X(rt_sigtimedwait, SUPPORTED, 4, "kernel sigtimedwait; EAGAIN at the timeout") \
	X(sigaltstack, SUPPORTED, 2, "kernel sigaltstack (SA_ONSTACK handlers; uc_stack in the frame is not applied at sigreturn)") \
	X(rt_sigprocmask, SUPPORTED, 4, "kernel sigprocmask: a per-thread mask; a signal it unblocks is delivered before the call returns") \
	X(rt_sigreturn, SUPPORTED, 0, "kernel sigreturn (handlers return through __restore_rt); without a frame at sp the process dies as SIGSEGV") \
	X(getresuid, SUPPORTED, 3, "one user: 0") \
	X(getresgid, SUPPORTED, 3, "one group: 0") \
	X(reboot, SUPPORTED, 4, "procmgr, then the kernel's system_power: power off and halt stop the machine (PSCI SYSTEM_OFF on virt, the watchdog with the halt partition on raspi3; QEMU ends), restart resets it (QEMU ends: it runs with -no-reboot); Ctrl-Alt-Del on/off accepted, no effect; bad magic -EINVAL") \
	X(getgroups, SUPPORTED, 2, "no supplementary groups: 0") \
	X(sysinfo, PARTIAL, 1, "uptime, total and free memory (the kernel's mem_stat), the number of processes (procmgr); no swap, shared or buffer memory; load averages 0") \
	X(uname, SUPPORTED, 1, "sysname ChCore, machine aarch64") \
	X(getpid, SUPPORTED, 0, "the thread id of the main thread (as on Linux)") \
	X(getuid, SUPPORTED, 0, "0") \
	X(geteuid, SUPPORTED, 0, "0") \
	X(getgid, SUPPORTED, 0, "0") \
	X(getegid, SUPPORTED, 0, "0") \
	X(gettid, SUPPORTED, 0, "kernel gettid") \
	X(getcpu, SUPPORTED, 3, "kernel get_cpu; the node is always 0") \
	X(sched_getaffinity, PARTIAL, 3, "the calling thread only (tid 0 or its own; others ESRCH): the online CPUs, or the one it is pinned to") \
	X(sched_setaffinity, PARTIAL, 3, "the calling thread only: one online CPU pins it, all online CPUs unpin it, other masks EINVAL") \
	X(brk, SUPPORTED, 1, "kernel handle_brk; growth past RLIMIT_DATA or RLIMIT_AS is refused") \
	X(munmap, PARTIAL, 2, "whole mappings are unmapped and their PMO freed (a file's shared memory lives on with the file); a part is unmapped and its memory freed with the rest of its mapping") \
	X(mremap, PARTIAL, 5, "shrinking in place only; growing gives ENOMEM (callers such as realloc then copy)") \
	X(clone, PARTIAL, 5, "threads (CLONE_VM|CLONE_THREAD) through __clone and the kernel's create_thread; without CLONE_VM (fork, vfork) a new process: copy-on-write memory, open files shared, pipe ends and the console inherited (docs/processes.md); vfork is a fork; other flags EINVAL") \
	X(mmap, PARTIAL, 6, "anonymous private/shared memory (a PMO per mapping, holding no capability slot, at most 65,530 at a time; one larger than the free memory is ENOMEM, smaller ones overcommit; RLIMIT_AS and, for private writable memory, RLIMIT_DATA: ENOMEM); files of tmpfs: MAP_SHARED maps the file's shared memory (FS_MMAP), MAP_PRIVATE is a private copy made at mmap time; no SIGBUS past the end of a file; /dev/zero is anonymous memory; other fds ENODEV (docs/mmap.md)") \
	X(mprotect, SUPPORTED, 3, "kernel handle_mprotect (writable and executable at once is refused); a range that wraps or passes user space is ENOMEM") \
	X(msync, SUPPORTED, 3, "nothing to write back: a shared file mapping is the file's memory itself; MS_ASYNC, MS_SYNC, MS_INVALIDATE accepted, bad flags or an unaligned address EINVAL") \
	X(madvise, PARTIAL, 3, "accepted and ignored (MADV_DONTNEED does not zero the pages); a range that wraps is EINVAL") \
	X(getrandom, SUPPORTED, 3, "the kernel's ChaCha20 generator, seeded at boot from the device tree's rng-seed (virt) or the hardware RNG (raspi3); never blocks") \
	X(getrlimit, SUPPORTED, 2, "the process's own limits, Linux's defaults (RLIMIT_NOFILE 1024, the fd table's size)") \
	X(setrlimit, SUPPORTED, 2, "enforced: RLIMIT_NOFILE (new fds: EMFILE), RLIMIT_AS and RLIMIT_DATA (mmap, brk: ENOMEM); the others are recorded. Every process is root: raising a hard limit is allowed (RLIMIT_NOFILE up to 1024)") \
	X(prlimit64, PARTIAL, 4, "as getrlimit and setrlimit, for pid 0 or the caller; other processes ESRCH until the process manager exists")

#endif
