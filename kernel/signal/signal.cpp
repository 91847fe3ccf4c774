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

enum class Default : u8 { Terminate, Core, Ignore, Stop };

constexpr u64 kStopSignals = CHCORE_SIGBIT(CHCORE_SIGSTOP) | CHCORE_SIGBIT(CHCORE_SIGTSTP) |
                             CHCORE_SIGBIT(CHCORE_SIGTTIN) | CHCORE_SIGBIT(CHCORE_SIGTTOU);

// Linux's default actions.
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
      return Default::Ignore;
    case CHCORE_SIGSTOP:
    case CHCORE_SIGTSTP:
    case CHCORE_SIGTTIN:
    case CHCORE_SIGTTOU:
      return Default::Stop;
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
  if (a.handler != CHCORE_SIG_DFL) return false;
  Default d = default_action(sig);
  return d == Default::Terminate || d == Default::Core;
}
bool is_stop(const SigAction& a, u32 sig) {
  return a.handler == CHCORE_SIG_DFL && default_action(sig) == Default::Stop;
}

// Calls that a handler with SA_RESTART does not restart (as on Linux).
bool restartable(u64 nr) {
  return nr != CHCORE_SYS_clock_nanosleep && nr != CHCORE_SYS_poll && nr != CHCORE_SYS_sigsuspend &&
         nr != CHCORE_SYS_sigtimedwait;
}

// Makes `sig` pending in `set`: a standard signal keeps its first siginfo,
// a real-time one queues (SigQueue). false: the queue is full.
bool make_pending(u64* set, SigInfo* infos, SigQueue* q, u32 sig, const SigInfo& info) {
  u64 bit = CHCORE_SIGBIT(sig);
  if ((*set & bit) == 0) {
    infos[sig - 1] = info;
    __atomic_store_n(set, *set | bit, __ATOMIC_RELEASE);
    return true;
  }
  if (sig < CHCORE_SIGRTMIN || info.code == CHCORE_SI_TIMER) return true;
  if (q->n == kSigQueueMax) return false;
  q->e[q->n++] = SigQueue::Entry{sig, info};
  return true;
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

// Reports a stop or continue of `g` (a wait status) to wait_cap_group_event:
// to the one waiting now, or to the next one.
void report_event(CapGroup* g, i32 event) TA_REQ(g->sig.lock) {
  SpinGuard s(sched_lock());
  if (Thread* w = g->event_waiters.threads.front()) {
    sched_wake(w, event);
    g->sig.event = 0;
  } else {
    g->sig.event = event;
  }
}

// What sending `sig` does to job control before it is queued (Linux's
// rules): SIGCONT continues a stopped process and discards its pending
// stop signals; a stop signal discards a pending SIGCONT.
void job_control_on_send(CapGroup* g, u32 sig) {
  u64 discard;
  if (sig == CHCORE_SIGCONT)
    discard = kStopSignals;
  else if (CHCORE_SIGBIT(sig) & kStopSignals)
    discard = CHCORE_SIGBIT(CHCORE_SIGCONT);
  else
    return;
  {
    SpinGuard gl(g->lock);
    SpinGuard l(g->sig.lock);
    __atomic_store_n(&g->sig.pending, g->sig.pending & ~discard, __ATOMIC_RELEASE);
    for (Thread* t : g->threads)
      __atomic_store_n(&t->sig.pending, t->sig.pending & ~discard, __ATOMIC_RELEASE);
    if (sig != CHCORE_SIGCONT || !g->sig.stopped) return;
    __atomic_store_n(&g->sig.stopped, false, __ATOMIC_RELEASE);
    report_event(g, CHCORE_WSTATUS_CONTINUED);
    SpinGuard s(sched_lock());
    sched_wake_all(&g->parked, kResumeAsIs);
  }
  sched_flush_kicks();
}

// The default action of stop signal `sig`, taken by thread `t` of `g`:
// the process stops (its threads park at their exits to user space) and
// the stop is reported.
void stop_group(CapGroup* g, Thread* t, u32 sig) {
  {
    SpinGuard gl(g->lock);
    {
      SpinGuard l(g->sig.lock);
      if (!g->sig.stopped) {
        __atomic_store_n(&g->sig.stopped, true, __ATOMIC_RELEASE);
        report_event(g, CHCORE_WSTATUS_STOPPED(sig));
      }
    }
    // The others take their exit paths (a running one is kicked; a blocked
    // one parks when it wakes).
    SpinGuard s(sched_lock());
    for (Thread* o : g->threads)
      if (o != t) sched_signal_notify(o);
  }
  sched_flush_kicks();
}

// Parks the current thread `t` of a stopped process until SIGCONT (the
// exit path then switches away; its registers stay as they are).
void park_if_stopped(CapGroup* g, Thread* t) {
  SpinGuard l(g->sig.lock);
  if (!g->sig.stopped || t->kill_pending) return;
  SpinGuard s(sched_lock());
  (void)sched_block_prepare(&g->parked, 0, 0, false);  // no timeout: cannot fail
  t->result_by_waker = false;  // the call's result is in its x0 already
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

  chcore_siginfo si = signal_siginfo(d.sig, d.info);

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

SigInfo signal_take(u64* set, SigInfo* infos, SigQueue* q, u32 sig) {
  SigInfo si = infos[sig - 1];
  for (u32 i = 0; i < q->n; i++) {
    if (q->e[i].sig != sig) continue;
    infos[sig - 1] = q->e[i].info;  // the next instance, still pending
    for (u32 j = i + 1; j < q->n; j++) q->e[j - 1] = q->e[j];
    q->n--;
    return si;
  }
  clear_pending(set, sig);
  return si;
}

chcore_siginfo signal_siginfo(u32 sig, const SigInfo& info) {
  chcore_siginfo si{};
  si.signo = static_cast<int>(sig);
  si.code = info.code;
  if (sig == CHCORE_SIGCHLD && info.code >= CHCORE_CLD_EXITED && info.code <= CHCORE_CLD_CONTINUED) {
    si.u.child.pid = info.pid;  // procmgr's report of a child
    si.u.child.status = static_cast<int>(info.addr);
  } else if (info.code >= CHCORE_SI_SIGIO && info.code <= CHCORE_SI_QUEUE) {
    si.u.queue.pid = info.pid;  // sigqueue: the sender and its value
    si.u.queue.value = info.addr;
  } else if (info.code <= 0) {
    si.u.kill.pid = info.pid;  // SI_USER, SI_TKILL: the sender (uid 0)
  } else if (info.code != CHCORE_SI_KERNEL) {
    si.u.addr = info.addr;  // a fault
  }
  return si;
}

bool signal_work_pending(const Thread* t) {
  if (t->sig.interrupted) return true;
  if (__atomic_load_n(&t->group->sig.stopped, __ATOMIC_RELAXED) && t->ipc_port == nullptr)
    return true;
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
Status signal_send_thread(Thread* t, u32 sig, const SigInfo& info) {
  CapGroup* g = t->group;
  if (sig == CHCORE_SIGKILL) {
    signal_kill_group(g, sig);
    return kOk;
  }
  job_control_on_send(g, sig);
  bool kill = false;
  {
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    bool blocked = (t->sig.blocked & CHCORE_SIGBIT(sig)) != 0;
    if (is_ignored(a, sig) && !blocked) return kOk;  // discarded, as on Linux
    if (is_fatal(a, sig) && !blocked)
      kill = true;
    else if (!make_pending(&t->sig.pending, t->sig.info, &t->sig.queued, sig, info))
      return Err::Again;
  }
  if (kill) {
    if (signal_dumps_core(sig))
      printk("process %s (pid %lu) killed: %s (signal %u)\n", g->name, g->pid, signal_name(sig),
             sig);
    signal_kill_group(g, sig);
    return kOk;
  }
  notify(t);
  return kOk;
}

// Process-directed: pending on the process; the thread that will take it
// (one that does not block it, or waits for it in sigtimedwait; the
// current thread first) is told.
Status signal_send_group(CapGroup* g, u32 sig, const SigInfo& info) {
  if (sig == CHCORE_SIGKILL) {
    signal_kill_group(g, sig);
    return kOk;
  }
  job_control_on_send(g, sig);
  u64 bit = CHCORE_SIGBIT(sig);
  Thread* target = nullptr;
  bool kill = false;
  {
    SpinGuard gl(g->lock);
    if (g->state != ProcState::Running) return kOk;
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    // SIGCHLD reporting a child's stop or continue, to a parent that asked
    // not to hear of those.
    if (sig == CHCORE_SIGCHLD && (a.flags & CHCORE_SA_NOCLDSTOP) &&
        (info.code == CHCORE_CLD_STOPPED || info.code == CHCORE_CLD_CONTINUED))
      return kOk;
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
    if (is_ignored(a, sig) && !blocked_by_all) return kOk;
    if (is_fatal(a, sig) && !blocked_by_all) {
      kill = true;
    } else {
      if (!make_pending(&g->sig.pending, g->sig.info, &g->sig.queued, sig, info))
        return Err::Again;
      if (target != nullptr) obj_get(target);
    }
  }
  if (kill) {
    if (signal_dumps_core(sig))
      printk("process %s (pid %lu) killed: %s (signal %u)\n", g->name, g->pid, signal_name(sig),
             sig);
    signal_kill_group(g, sig);
    return kOk;
  }
  if (target != nullptr) {
    notify(target);
    obj_put(target);
  }
  return kOk;
}

// exec's hand-over (procmgr, once the record names the new image): what
// was sent to the old image and not taken goes to the new one, one signal
// at a time with its siginfo, as if sent again, so that the new image's
// (default) actions and the inherited mask decide. Taken lowest first:
// the process's, then each thread's (the new image has one thread; a
// signal meant for another old thread is its process's now). A bound on
// the rounds keeps a sender that refills the old image (a fast timer)
// from holding this call; what it sends after the bound is lost with the
// old image, as a signal sent to it later is.
Status signal_handover(CapGroup* from, CapGroup* to) {
  constexpr u32 kRounds = 4 * (CHCORE_NSIG + kSigQueueMax);
  for (u32 round = 0; round < kRounds; round++) {
    u32 sig = 0;
    SigInfo info{};
    bool ended = false;
    i32 status = 0;
    {
      SpinGuard gl(from->lock);
      if (from->state != ProcState::Running) {
        ended = true;
        status = from->exit_status;
      } else {
        SpinGuard l(from->sig.lock);
        if (from->sig.pending != 0) {
          sig = lowest(from->sig.pending);
          info = signal_take(&from->sig.pending, from->sig.info, &from->sig.queued, sig);
        } else {
          for (Thread* t : from->threads)
            if (t->sig.pending != 0) {
              sig = lowest(t->sig.pending);
              info = signal_take(&t->sig.pending, t->sig.info, &t->sig.queued, sig);
              break;
            }
        }
      }
    }
    // The old image ended by a signal before the record moved (a fatal
    // signal or SIGKILL sent during the exec): the new one ends the same.
    if (ended) {
      if (!CHCORE_WIFEXITED(status)) signal_kill_group(to, static_cast<u32>(CHCORE_WTERMSIG(status)));
      return kOk;
    }
    if (sig == 0) return kOk;
    (void)signal_send_group(to, sig, info);  // a full queue: lost, as a send would be
  }
  return kOk;
}

bool signal_fault(Thread* t, u32 sig, i32 code, u64 addr) {
  CapGroup* g = t->group;
  {
    SpinGuard l(g->sig.lock);
    const SigAction& a = g->sig.actions[sig - 1];
    if (a.handler == CHCORE_SIG_DFL || a.handler == CHCORE_SIG_IGN ||
        (t->sig.blocked & CHCORE_SIGBIT(sig)))
      return false;
    (void)make_pending(&t->sig.pending, t->sig.info, &t->sig.queued, sig, SigInfo{code, 0, addr});
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
        d.info = signal_take(&s.pending, s.info, &s.queued, d.sig);
      } else {
        d.sig = lowest(shared);
        d.info = signal_take(&g->sig.pending, g->sig.info, &g->sig.queued, d.sig);
      }
      SigAction& a = g->sig.actions[d.sig - 1];
      d.act = a;
      if (is_ignored(a, d.sig)) continue;
      // Nobody in the session could continue an orphaned group.
      if (is_stop(a, d.sig) && d.sig != CHCORE_SIGSTOP && g->sig.orphaned) continue;
      if (!is_fatal(a, d.sig) && !is_stop(a, d.sig)) {
        if (a.flags & CHCORE_SA_RESETHAND) a = SigAction{};
        d.frame_mask = s.has_saved_mask ? s.saved_mask : s.blocked;
      }
    }
    if (is_stop(d.act, d.sig)) {
      stop_group(g, t, d.sig);
      continue;
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
  if (t->ipc_port == nullptr) park_if_stopped(g, t);
  return ctx;
}

}  // namespace kern
