// Signals: sending, default actions, the frame and its delivery at the
// exit to user space. The block comment of signal/signal.h gives the
// overview, docs/signals.md the frame layout.
#include "signal/signal.h"

#include "arch/aarch64/timer.h"
#include "lib/printk.h"
#include "mm/uaccess.h"
#include "object/cap_group.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "uapi/syscall_nr.h"

namespace kern {

namespace {

constexpr u64 kUnblockable = CHCORE_SIGBIT(CHCORE_SIGKILL) | CHCORE_SIGBIT(CHCORE_SIGSTOP);

enum class Default : u8 { Terminate, Core, Ignore };

// Linux's default actions. Stopping is not implemented: the stop signals
// are ignored (docs/signals.md).
Default default_action(u32 sig) {
  switch (sig) {
    case CHCORE_SIGQUIT:
    case CHCORE_SIGILL:
    case CHCORE_SIGTRAP:
    case CHCORE_SIGABRT:
    case CHCORE_SIGBUS:
    case CHCORE_SIGFPE:
    case CHCORE_SIGSEGV:
    case CHCORE_SIGXCPU:
    case CHCORE_SIGXFSZ:
    case CHCORE_SIGSYS:
      return Default::Core;
    case CHCORE_SIGCHLD:
    case CHCORE_SIGCONT:
    case CHCORE_SIGURG:
    case CHCORE_SIGWINCH:
    case CHCORE_SIGSTOP:
    case CHCORE_SIGTSTP:
    case CHCORE_SIGTTIN:
    case CHCORE_SIGTTOU:
      return Default::Ignore;
    default:
      return Default::Terminate;
  }
}

const char* signal_name(u32 sig) {
  static const char* const names[] = {
      "?",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  return sig < sizeof(names) / sizeof(names[0]) ? names[sig] : "SIGRT";
}

bool is_ignored(const SigAction& a, u32 sig) {
  return a.handler == CHCORE_SIG_IGN ||
         (a.handler == CHCORE_SIG_DFL && default_action(sig) == Default::Ignore);
}
bool is_fatal(const SigAction& a, u32 sig) {
  return a.handler == CHCORE_SIG_DFL && default_action(sig) != Default::Ignore;
}

// Calls that a handler with SA_RESTART does not restart (as on Linux).
bool restartable(u64 nr) {
  return nr != CHCORE_SYS_clock_nanosleep && nr != CHCORE_SYS_poll && nr != CHCORE_SYS_sigsuspend &&
         nr != CHCORE_SYS_sigtimedwait;
}

// Makes `sig` pending in `set`, keeping the first siginfo.
void make_pending(u64* set, SigInfo* infos, u32 sig, const SigInfo& info) {
  u64 bit = CHCORE_SIGBIT(sig);
  if ((*set & bit) == 0) infos[sig - 1] = info;
  __atomic_store_n(set, *set | bit, __ATOMIC_RELEASE);
}
void clear_pending(u64* set, u32 sig) {
  __atomic_store_n(set, *set & ~CHCORE_SIGBIT(sig), __ATOMIC_RELEASE);
}

// Asks the scheduler to interrupt or wake `t` if it should look at its
// signals now.
void notify(Thread* t) {
  {
    SpinGuard s(sched_lock());
    sched_signal_notify(t);
  }
  sched_flush_kicks();
}

bool on_altstack(const ThreadSignals& s, u64 sp) {
  return s.altstack_enabled && sp > s.altstack_sp && sp - s.altstack_sp <= s.altstack_size;
}

// One signal taken for delivery to a handler.
struct Delivery {
  u32 sig;
  SigInfo info;
  SigAction act;
  u64 frame_mask;  // uc_sigmask: the mask to restore at sigreturn
};

// Writes the frame for `d` below the user stack of `ctx` (or on the
// alternate stack) and points `ctx` at the handler. False if the stack is
// not writable user memory.
bool push_frame(Thread* t, ArchContext* ctx, const Delivery& d) {
  const ThreadSignals& s = t->sig;
  u64 sp = ctx->sp;
  bool was_on_alt = on_altstack(s, sp);
  if ((d.act.flags & CHCORE_SA_ONSTACK) && s.altstack_enabled && !was_on_alt)
    sp = s.altstack_sp + s.altstack_size;
  // A frame record {fp, lr} above the frame, both 16-byte aligned.
  u64 record = (sp - 16) & ~15ull;
  u64 frame = record - CHCORE_SIGFRAME_SIZE;
  if (sp < 16 + CHCORE_SIGFRAME_SIZE || !user_range_ok(VirtAddr{frame}, CHCORE_SIGFRAME_SIZE + 16))
    return false;

  chcore_siginfo si{};
  si.signo = static_cast<int>(d.sig);
  si.code = d.info.code;
  if (d.info.code <= 0)
    si.u.kill.pid = d.info.pid;  // SI_USER, SI_TKILL: the sender (uid 0); SI_TIMER: its id
  else if (d.info.code != CHCORE_SI_KERNEL)
    si.u.addr = d.info.addr;  // a fault
  if (d.info.code == CHCORE_SI_TIMER) si.u.timer.value = d.info.addr;

  struct {
    u64 flags, link;
    chcore_stack stack;
    u64 sigmask;
  } uc_head{};
  uc_head.stack.sp = s.altstack_sp;
  uc_head.stack.size = s.altstack_size;
  uc_head.stack.flags = !s.altstack_enabled ? CHCORE_SS_DISABLE
                        : was_on_alt        ? CHCORE_SS_ONSTACK
                                            : 0;
  uc_head.sigmask = d.frame_mask;
  static_assert(sizeof(uc_head) == CHCORE_UC_SIGMASK + 8);

  struct {
    u64 fault_address;
    u64 regs[31];
    u64 sp, pc, pstate;
  } mc{};
  static_assert(sizeof(mc) == CHCORE_MC_PSTATE + 8);
  mc.fault_address = d.info.addr;
  for (int i = 0; i < 31; i++) mc.regs[i] = ctx->x[i];
  mc.sp = ctx->sp;
  mc.pc = ctx->elr;
  mc.pstate = ctx->spsr;

  // The FP/SIMD registers: their newest values may still be in the CPU.
  sched_fp_sync_current();
  struct {
    u32 magic, size, fpsr, fpcr;
  } fp_head{CHCORE_FPSIMD_MAGIC, CHCORE_FPSIMD_SIZE, static_cast<u32>(t->fp.fpsr),
            static_cast<u32>(t->fp.fpcr)};
  static_assert(sizeof(t->fp.q) == CHCORE_FPSIMD_SIZE - CHCORE_FPSIMD_VREGS);
  const u64 zero_record[2] = {0, 0};
  const u64 frame_record[2] = {ctx->x[29], ctx->x[30]};

  u64 uc = frame + CHCORE_SIGFRAME_UC;
  u64 mcx = uc + CHCORE_UC_MCONTEXT;
  u64 res = mcx + CHCORE_MC_RESERVED;
  if (!copy_to_user(VirtAddr{frame}, &si, sizeof(si)).ok() ||
      !copy_to_user(VirtAddr{uc}, &uc_head, sizeof(uc_head)).ok() ||
      !copy_to_user(VirtAddr{mcx}, &mc, sizeof(mc)).ok() ||
      !copy_to_user(VirtAddr{res}, &fp_head, sizeof(fp_head)).ok() ||
      !copy_to_user(VirtAddr{res + CHCORE_FPSIMD_VREGS}, t->fp.q, sizeof(t->fp.q)).ok() ||
      !copy_to_user(VirtAddr{res + CHCORE_FPSIMD_SIZE}, zero_record, sizeof(zero_record)).ok() ||
      !copy_to_user(VirtAddr{record}, frame_record, sizeof(frame_record)).ok())
    return false;

  ctx->x[0] = d.sig;
  ctx->x[1] = frame;
  ctx->x[2] = uc;
  ctx->x[29] = record;
  ctx->x[30] = (d.act.flags & CHCORE_SA_RESTORER) ? d.act.restorer : 0;
  ctx->sp = frame;
  ctx->elr = d.act.handler;
  return true;
}

// An interrupted relative clock_nanosleep: the time left into its `rem`
// (a bad pointer there is the program's loss; the call still returns
// -EINTR).
void report_time_left(ThreadSignals& s) {
  u64 now = timer_now();
  u64 left = s.sleep_deadline > now ? ticks_to_ns(s.sleep_deadline - now) : 0;
  chcore_timespec ts{static_cast<long>(left / 1'000'000'000),
                     static_cast<long>(left % 1'000'000'000)};
  (void)copy_to_user(VirtAddr{s.sleep_rem}, &ts, sizeof(ts));
  s.sleep_rem = 0;
}

// The lowest-numbered signal of `set`.
u32 lowest(u64 set) { return static_cast<u32>(__builtin_ctzll(set)) + 1; }

}  // namespace

bool signal_dumps_core(u32 sig) { return default_action(sig) == Default::Core; }

bool signal_work_pending(const Thread* t) {
  if (t->sig.interrupted) return true;
  return signal_deliverable_set(__atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE),
                                __atomic_load_n(&t->group->sig.pending, __ATOMIC_ACQUIRE),
                                t->ipc_port != nullptr,
                                __atomic_load_n(&t->sig.blocked, __ATOMIC_RELAXED)) != 0;
}

void signal_kill_group(CapGroup* g, u32 sig) {
  i32 status = static_cast<i32>(sig);
  if (signal_dumps_core(sig)) status |= CHCORE_WCOREFLAG;
  cap_group_exit(g, status);
  if (g == current_group()) sched_exit_current();
}

// Thread-directed: pending on `t`, or the process ends now if the signal
// is fatal and `t` does not block it.
void signal_send_thread(Thread* t, u32 sig, const SigInfo& info) {
  CapGroup* g = t->group;
  if (sig == CHCORE_SIGKILL) {
    signal_kill_group(g, sig);
    return;
  }
  bool kill = false;
  {
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    bool blocked = (t->sig.blocked & CHCORE_SIGBIT(sig)) != 0;
    if (is_ignored(a, sig) && !blocked) return;  // discarded, as on Linux
    if (is_fatal(a, sig) && !blocked)
      kill = true;
    else
      make_pending(&t->sig.pending, t->sig.info, sig, info);
  }
  if (kill) {
    if (signal_dumps_core(sig))
      printk("process %s (pid %lu) killed: %s (signal %u)\n", g->name, g->pid, signal_name(sig),
             sig);
    signal_kill_group(g, sig);
    return;
  }
  notify(t);
}

// Process-directed: pending on the process; the thread that will take it
// (one that does not block it, or waits for it in sigtimedwait; the
// current thread first) is told.
void signal_send_group(CapGroup* g, u32 sig, const SigInfo& info) {
  if (sig == CHCORE_SIGKILL) {
    signal_kill_group(g, sig);
    return;
  }
  u64 bit = CHCORE_SIGBIT(sig);
  Thread* target = nullptr;
  bool kill = false;
  {
    SpinGuard gl(g->lock);
    if (g->state != ProcState::Running) return;
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    Thread* cur = current_thread();
    if (cur != nullptr && cur->group == g && (cur->sig.blocked & bit) == 0) target = cur;
    for (Thread* t : g->threads) {
      if (target != nullptr) break;
      if (t->ipc_port == nullptr && load_state(t) != ThreadState::Exited &&
          (t->sig.blocked & bit) == 0)
        target = t;
    }
    if (target == nullptr) {
      // Everyone blocks it: maybe someone waits for it.
      for (Thread* t : g->threads)
        if (t->ipc_port == nullptr && (__atomic_load_n(&t->sig.waitset, __ATOMIC_RELAXED) & bit)) {
          target = t;
          break;
        }
    }
    bool blocked_by_all = target == nullptr || (target->sig.blocked & bit) != 0;
    if (is_ignored(a, sig) && !blocked_by_all) return;
    if (is_fatal(a, sig) && !blocked_by_all) {
      kill = true;
    } else {
      make_pending(&g->sig.pending, g->sig.info, sig, info);
      if (target != nullptr) obj_get(target);
    }
  }
  if (kill) {
    if (signal_dumps_core(sig))
      printk("process %s (pid %lu) killed: %s (signal %u)\n", g->name, g->pid, signal_name(sig),
             sig);
    signal_kill_group(g, sig);
    return;
  }
  if (target != nullptr) {
    notify(target);
    obj_put(target);
  }
}

bool signal_fault(Thread* t, u32 sig, i32 code, u64 addr) {
  CapGroup* g = t->group;
  {
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    if (a.handler == CHCORE_SIG_DFL || a.handler == CHCORE_SIG_IGN ||
        (t->sig.blocked & CHCORE_SIGBIT(sig)))
      return false;
    make_pending(&t->sig.pending, t->sig.info, sig, SigInfo{code, 0, addr});
  }
  notify(t);
  return true;
}

// The exit path (sched.cpp calls it for the current thread before
// resuming it). Cases, one signal at a time, lowest number first, the
// thread's own before its process's:
//   - ignored (SIG_IGN, or SIG_DFL of an ignoring default): dropped;
//   - SIG_DFL terminating: the process ends (nothing is resumed);
//   - a handler: a frame is pushed and the registers point at the
//     handler; the next pending signal that the handler's mask lets
//     through gets a frame on top (it runs first, as on Linux).
// An interrupted call (a signal woke it with -EINTR) is finished first:
// restarted (pc back on its svc, x0 restored) when no handler runs or the
// first handler has SA_RESTART and the call may be restarted; otherwise it
// returns -EINTR to the code the handler returns to.
ArchContext* signal_exit_work(Thread* t, ArchContext* ctx) {
  CapGroup* g = t->group;
  ThreadSignals& s = t->sig;
  for (int round = 0; round < CHCORE_NSIG; round++) {
    Delivery d{};
    {
      SpinGuard l(g->sig.lock);
      u64 own = s.pending & ~s.blocked;
      u64 shared = t->ipc_port == nullptr ? g->sig.pending & ~s.blocked : 0;
      if (own == 0 && shared == 0) break;
      if (own != 0) {
        d.sig = lowest(own);
        d.info = s.info[d.sig - 1];
        clear_pending(&s.pending, d.sig);
      } else {
        d.sig = lowest(shared);
        d.info = g->sig.info[d.sig - 1];
        clear_pending(&g->sig.pending, d.sig);
      }
      SigAction& a = g->sig.actions[d.sig - 1];
      d.act = a;
      if (is_ignored(a, d.sig)) continue;
      if (!is_fatal(a, d.sig)) {
        if (a.flags & CHCORE_SA_RESETHAND) a = SigAction{};
        d.frame_mask = s.has_saved_mask ? s.saved_mask : s.blocked;
      }
    }
    if (is_fatal(d.act, d.sig)) {
      if (signal_dumps_core(d.sig))
        printk("process %s (pid %lu) killed: %s (signal %u)\n", g->name, g->pid, signal_name(d.sig),
               d.sig);
      signal_kill_group(g, d.sig);
      return ctx;
    }
    if (s.interrupted) {
      s.interrupted = false;
      if ((d.act.flags & CHCORE_SA_RESTART) && restartable(ctx->x[8])) {
        ctx->x[0] = s.restart_x0;
        ctx->elr -= 4;
      } else if (ctx->x[8] == CHCORE_SYS_clock_nanosleep && s.sleep_rem != 0) {
        report_time_left(s);
      }
    }
    if (!push_frame(t, ctx, d)) {
      printk("process %s (pid %lu) killed: bad stack for a %s frame at sp=0x%lx\n", g->name, g->pid,
             signal_name(d.sig), ctx->sp);
      signal_kill_group(g, CHCORE_SIGSEGV);
      return ctx;
    }
    SpinGuard l(g->sig.lock);
    u64 mask = d.frame_mask | d.act.mask;
    if (!(d.act.flags & CHCORE_SA_NODEFER)) mask |= CHCORE_SIGBIT(d.sig);
    __atomic_store_n(&s.blocked, mask & ~kUnblockable, __ATOMIC_RELAXED);
    s.has_saved_mask = false;
  }
  if (s.interrupted) {
    // No handler ran: the call goes on as if nothing had happened.
    s.interrupted = false;
    ctx->x[0] = s.restart_x0;
    ctx->elr -= 4;
  }
  if (s.has_saved_mask) {
    SpinGuard l(g->sig.lock);
    __atomic_store_n(&s.blocked, s.saved_mask, __ATOMIC_RELAXED);
    s.has_saved_mask = false;
  }
  return ctx;
}

}  // namespace kern
