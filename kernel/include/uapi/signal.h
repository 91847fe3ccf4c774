/* Signals: the constants and structures user space and the kernel share. C
 * and C++. The values and layouts are Linux's on AArch64, so that musl and
 * programs written for Linux read them unchanged (docs/signals.md, the
 * calls in docs/abi.md).
 *
 * Signal numbers are 1..64; a signal set is a u64 with bit (sig - 1). */
#ifndef CHCORE_UAPI_SIGNAL_H
#define CHCORE_UAPI_SIGNAL_H

#define CHCORE_NSIG 64
#define CHCORE_SIGBIT(sig) (1ull << ((sig)-1))

#define CHCORE_SIGHUP 1
#define CHCORE_SIGINT 2
#define CHCORE_SIGQUIT 3
#define CHCORE_SIGILL 4
#define CHCORE_SIGTRAP 5
#define CHCORE_SIGABRT 6
#define CHCORE_SIGBUS 7
#define CHCORE_SIGFPE 8
/* CHCORE_SIGKILL 9 and CHCORE_SIGSEGV 11: uapi/object.h */
#define CHCORE_SIGUSR1 10
#define CHCORE_SIGUSR2 12
#define CHCORE_SIGPIPE 13
#define CHCORE_SIGALRM 14
#define CHCORE_SIGTERM 15
#define CHCORE_SIGCHLD 17
#define CHCORE_SIGCONT 18
#define CHCORE_SIGSTOP 19
#define CHCORE_SIGTSTP 20
#define CHCORE_SIGTTIN 21
#define CHCORE_SIGTTOU 22
#define CHCORE_SIGURG 23
#define CHCORE_SIGXCPU 24
#define CHCORE_SIGXFSZ 25
#define CHCORE_SIGWINCH 28
#define CHCORE_SIGSYS 31
#define CHCORE_SIGRTMIN 32

/* The wait status of a process killed by a signal whose default action
 * dumps core: the signal number with this bit (Linux's WCOREDUMP). */
#define CHCORE_WCOREFLAG 0x80

/* What wait_cap_group_event reports besides an end (encoded as Linux's
 * wait statuses: WIFSTOPPED, WSTOPSIG, WIFCONTINUED). */
#define CHCORE_WSTATUS_STOPPED(sig) ((((sig)&0xff) << 8) | 0x7f)
#define CHCORE_WSTATUS_CONTINUED 0xffff
#define CHCORE_WIFSTOPPED(s) (((s)&0xff) == 0x7f)
#define CHCORE_WIFCONTINUED(s) ((s) == 0xffff)

/* sigaction: handler values and flags. */
#define CHCORE_SIG_DFL 0ul
#define CHCORE_SIG_IGN 1ul
#define CHCORE_SA_NOCLDSTOP 0x00000001ul
#define CHCORE_SA_NOCLDWAIT 0x00000002ul
#define CHCORE_SA_SIGINFO 0x00000004ul
#define CHCORE_SA_RESTORER 0x04000000ul
#define CHCORE_SA_ONSTACK 0x08000000ul
#define CHCORE_SA_RESTART 0x10000000ul
#define CHCORE_SA_NODEFER 0x40000000ul
#define CHCORE_SA_RESETHAND 0x80000000ul

/* sigprocmask's `how`. */
#define CHCORE_SIG_BLOCK 0
#define CHCORE_SIG_UNBLOCK 1
#define CHCORE_SIG_SETMASK 2

/* sigaltstack: ss_flags, and the smallest stack accepted (a frame is
 * 4,704 bytes; Linux arm64's MINSIGSTKSZ is 5,120). */
#define CHCORE_SS_ONSTACK 1
#define CHCORE_SS_DISABLE 2
#define CHCORE_MINSIGSTKSZ 5120

/* si_code values. */
#define CHCORE_SI_USER 0      /* kill */
#define CHCORE_SI_KERNEL 0x80 /* the kernel (a forged sigreturn frame) */
#define CHCORE_SI_TKILL (-6)  /* tkill / tgkill */
#define CHCORE_SI_QUEUE (-1)  /* sigqueue (rt_sigqueueinfo); SI_TIMER -2, SI_MESGQ -3,
                               * SI_ASYNCIO -4, SI_SIGIO -5 carry a value the same way */
#define CHCORE_SI_SIGIO (-5)
#define CHCORE_SI_TIMER (-2)  /* a process timer (timer_create) */
#define CHCORE_SEGV_MAPERR 1  /* nothing mapped there */
#define CHCORE_SEGV_ACCERR 2  /* mapped, but not for this access */
#define CHCORE_BUS_ADRALN 1   /* misaligned access */
#define CHCORE_ILL_ILLOPC 1   /* undefined instruction */
#define CHCORE_TRAP_BRKPT 1   /* brk */
/* SIGCHLD's si_code (signal_cap_group's `code`; its `status` goes into
 * si_status). */
#define CHCORE_CLD_EXITED 1
#define CHCORE_CLD_KILLED 2
#define CHCORE_CLD_DUMPED 3
#define CHCORE_CLD_STOPPED 5
#define CHCORE_CLD_CONTINUED 6

/* Linux's struct k_sigaction on AArch64 (what rt_sigaction takes). */
struct chcore_sigaction {
  unsigned long handler;  /* CHCORE_SIG_DFL, CHCORE_SIG_IGN or a function */
  unsigned long flags;    /* CHCORE_SA_* */
  unsigned long restorer; /* return address of the handler (CHCORE_SA_RESTORER) */
  unsigned long mask;     /* blocked while the handler runs */
};

/* stack_t. */
struct chcore_stack {
  unsigned long sp;
  int flags;
  int pad;
  unsigned long size;
};

/* siginfo_t: 128 bytes; the union at offset 16 holds the sender (kill,
 * tkill: pid and uid) or the fault address (SIGSEGV, SIGBUS, SIGILL,
 * SIGTRAP). */
struct chcore_siginfo {
  int signo;
  int errno_;
  int code;
  int pad;
  union {
    struct {
      int pid;
      unsigned int uid;
    } kill;
    struct {
      int pid;
      unsigned int uid;
      int status;
    } child; /* SIGCHLD (CHCORE_CLD_*) */
    struct {
      int pid;
      unsigned int uid;
      unsigned long value; /* union sigval */
    } queue; /* CHCORE_SI_QUEUE .. CHCORE_SI_SIGIO */
    struct {
      int tid;               /* the timer's id */
      int overrun;
      unsigned long value;   /* sigev_value */
    } timer;
    unsigned long addr;
    unsigned long words[14];
  } u;
};

/* The signal frame (docs/signals.md): Linux's struct rt_sigframe on
 * AArch64, then a frame record {fp, lr}.
 *   frame + 0      siginfo (128 bytes)           x1 points here
 *   frame + 128    ucontext                      x2 points here
 *     +0 uc_flags, +8 uc_link, +16 uc_stack (24 bytes),
 *     +40 uc_sigmask (8 bytes, padded to 128), +176 uc_mcontext:
 *     struct sigcontext { fault_address; regs[31]; sp; pc; pstate;
 *     (pad to 16) __reserved[4096] }, whose __reserved holds an
 *     fpsimd_context record then a zero record.
 *   frame + 4688   frame record {x29, x30}       x29 points here */
#define CHCORE_SIGFRAME_UC 128
#define CHCORE_UC_STACK 16
#define CHCORE_UC_SIGMASK 40
#define CHCORE_UC_MCONTEXT 176
#define CHCORE_MC_FAULT_ADDRESS 0
#define CHCORE_MC_REGS 8
#define CHCORE_MC_SP 256
#define CHCORE_MC_PC 264
#define CHCORE_MC_PSTATE 272
#define CHCORE_MC_RESERVED 288
#define CHCORE_MC_RESERVED_SIZE 4096
#define CHCORE_UC_SIZE (CHCORE_UC_MCONTEXT + CHCORE_MC_RESERVED + CHCORE_MC_RESERVED_SIZE)
#define CHCORE_SIGFRAME_SIZE (CHCORE_SIGFRAME_UC + CHCORE_UC_SIZE) /* 4688 */
#define CHCORE_SIGFRAME_RECORD CHCORE_SIGFRAME_SIZE

/* The records of __reserved: {magic, size} headers. */
#define CHCORE_FPSIMD_MAGIC 0x46508001u
#define CHCORE_FPSIMD_SIZE 528 /* header, fpsr, fpcr, vregs[32] (16 bytes each) */
#define CHCORE_FPSIMD_FPSR 8
#define CHCORE_FPSIMD_FPCR 12
#define CHCORE_FPSIMD_VREGS 16

/* set_job_control's flags: what procmgr, which keeps the process groups,
 * tells the kernel about a process. ORPHANED: its process group is
 * orphaned; the default stop of SIGTSTP, SIGTTIN and SIGTTOU is then
 * discarded (Linux's rule; SIGSTOP still stops). */
#define CHCORE_JC_ORPHANED 1u

#endif
