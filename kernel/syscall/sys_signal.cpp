// Signals: sigaction, sigprocmask, sigpending, sigaltstack, sigreturn,
// sigsuspend, sigtimedwait, signal_thread, signal_cap_group, signal_handover,
// signal_start_state
// (signal/signal.cpp does the delivery; docs/signals.md, docs/abi.md).
#include "lib/printk.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "sched/sched.h"
#include "signal/signal.h"
#include "syscall/syscall.h"
#include "time/clock.h"

namespace kern {

namespace {
constexpr u64 kUnblockable = CHCORE_SIGBIT(CHCORE_SIGKILL) | CHCORE_SIGBIT(CHCORE_SIGSTOP);

bool valid_signal(u64 sig) { return sig >= 1 && sig <= CHCORE_NSIG; }

void set_blocked(Thread* t, u64 mask) {
  __atomic_store_n(&t->sig.blocked, mask & ~kUnblockable, __ATOMIC_RELAXED);
}
}  // namespace

// Linux's rt_sigaction: the new action is read before anything changes,
// the old one written after.
SysResult sys_sigaction(u64 sig, UserPtr<const chcore_sigaction> act,
                        UserPtr<chcore_sigaction> old) {
  if (!valid_signal(sig)) return Err::Inval;
  chcore_sigaction in{};
  if (!act.is_null()) {
    TRY(act.read(&in));
    if (sig == CHCORE_SIGKILL || sig == CHCORE_SIGSTOP) return Err::Inval;
  }
  CapGroup* g = current_group();
  chcore_sigaction prev{};
  {
    SpinGuard l(g->sig.lock);
    SigAction& a = g->sig.actions[sig - 1];
    prev = chcore_sigaction{a.handler, a.flags, a.restorer, a.mask};
    if (!act.is_null()) a = SigAction{in.handler, in.flags, in.restorer, in.mask & ~kUnblockable};
  }
  if (!old.is_null()) TRY(old.write(prev));
  return 0;
}

SysResult sys_sigprocmask(u64 how, UserPtr<const u64> set, UserPtr<u64> old) {
  Thread* t = current_thread();
  u64 s = 0;
  if (!set.is_null()) {
    TRY(set.read(&s));
    if (how != CHCORE_SIG_BLOCK && how != CHCORE_SIG_UNBLOCK && how != CHCORE_SIG_SETMASK)
      return Err::Inval;
  }
  u64 prev;
  {
    SpinGuard l(t->group->sig.lock);
    prev = t->sig.blocked;
    if (!set.is_null()) {
      u64 next = how == CHCORE_SIG_BLOCK ? prev | s : how == CHCORE_SIG_UNBLOCK ? prev & ~s : s;
      set_blocked(t, next);
    }
  }
  sched_signal_recheck_current();
  if (!old.is_null()) TRY(old.write(prev));
  return 0;
}

SysResult sys_sigpending(UserPtr<u64> set) {
  Thread* t = current_thread();
  u64 p;
  {
    SpinGuard l(t->group->sig.lock);
    p = (t->sig.pending | t->group->sig.pending) & t->sig.blocked;
  }
  TRY(set.write(p));
  return 0;
}

SysResult sys_sigaltstack(UserPtr<const chcore_stack> ss, UserPtr<chcore_stack> old) {
  Thread* t = current_thread();
  ThreadSignals& s = t->sig;
  chcore_stack in{};
  if (!ss.is_null()) TRY(ss.read(&in));
  chcore_stack prev{};
  {
    SpinGuard l(t->group->sig.lock);
    u64 sp = t->ctx.sp;
    bool on = s.altstack_enabled && sp > s.altstack_sp && sp - s.altstack_sp <= s.altstack_size;
    prev.sp = s.altstack_sp;
    prev.size = s.altstack_size;
    prev.flags = !s.altstack_enabled ? CHCORE_SS_DISABLE : on ? CHCORE_SS_ONSTACK : 0;
    if (!ss.is_null()) {
      if (on) return Err::Perm;  // cannot change the stack it runs on
      if (in.flags & ~CHCORE_SS_DISABLE) return Err::Inval;
      if (in.flags & CHCORE_SS_DISABLE) {
        s.altstack_enabled = false;
        s.altstack_sp = s.altstack_size = 0;
      } else {
        if (in.size < CHCORE_MINSIGSTKSZ) return Err::NoMem;
        if (!user_range_ok(VirtAddr{in.sp}, in.size)) return Err::Fault;
        s.altstack_enabled = true;
        s.altstack_sp = in.sp;
        s.altstack_size = in.size;
      }
    }
  }
  if (!old.is_null()) TRY(old.write(prev));
  return 0;
}

// The handler returned through its restorer, with sp at its frame (sp is
// what the frame said when the handler was entered). Everything is read
// and checked before anything changes; a frame that cannot be read or
// would resume anywhere but EL0 in AArch64 ends the process as SIGSEGV
// would.
SysResult sys_sigreturn() {
  Thread* t = current_thread();
  CapGroup* g = t->group;
  ArchContext* ctx = &t->ctx;
  u64 frame = ctx->sp;
  u64 uc = frame + CHCORE_SIGFRAME_UC;
  u64 mcx = uc + CHCORE_UC_MCONTEXT;
  u64 res = mcx + CHCORE_MC_RESERVED;
  struct {
    u64 fault_address;
    u64 regs[31];
    u64 sp, pc, pstate;
  } mc;
  struct {
    u32 magic, size, fpsr, fpcr;
  } fp_head;
  u64 mask;
  FpState fp;
  bool ok = (frame & 15) == 0 && user_range_ok(VirtAddr{frame}, CHCORE_SIGFRAME_SIZE) &&
            copy_from_user(&mask, VirtAddr{uc + CHCORE_UC_SIGMASK}, sizeof(mask)).ok() &&
            copy_from_user(&mc, VirtAddr{mcx}, sizeof(mc)).ok() &&
            copy_from_user(&fp_head, VirtAddr{res}, sizeof(fp_head)).ok() &&
            fp_head.magic == CHCORE_FPSIMD_MAGIC && fp_head.size == CHCORE_FPSIMD_SIZE &&
            copy_from_user(fp.q, VirtAddr{res + CHCORE_FPSIMD_VREGS}, sizeof(fp.q)).ok();
  // PSTATE: M[4:0] (EL0t, AArch64), DAIF, IL and SS must be zero; the
  // flags and the other user-controlled bits come back as saved.
  constexpr u64 kPstateFlags = 0xf0000000ull;
  ok = ok && (mc.pstate & ~kPstateFlags) == 0;
  if (!ok) {
    printk("process %s (pid %lu) killed: bad signal frame at sp=0x%lx (sigreturn)\n", g->name,
           g->pid, frame);
    signal_kill_group(g, CHCORE_SIGSEGV);
    return 0;
  }
  for (int i = 0; i < 31; i++) ctx->x[i] = mc.regs[i];
  ctx->sp = mc.sp;
  ctx->elr = mc.pc;
  ctx->spsr = mc.pstate;
  fp.fpsr = fp_head.fpsr;
  fp.fpcr = fp_head.fpcr;
  t->fp = fp;
  sched_fp_reload_current();
  {
    SpinGuard l(g->sig.lock);
    set_blocked(t, mask);
  }
  sched_signal_recheck_current();
  // The system-call return puts this into x0: the saved x0 comes back.
  return static_cast<i64>(ctx->x[0]);
}

// Waits with the mask `mask` until a signal is delivered; its handler
// returns to the caller with -EINTR and the old mask back (the frame's
// uc_sigmask). Never restarted.
SysResult sys_sigsuspend(u64 mask) {
  Thread* t = current_thread();
  {
    SpinGuard l(t->group->sig.lock);
    if (!t->sig.has_saved_mask) {
      t->sig.saved_mask = t->sig.blocked;
      t->sig.has_saved_mask = true;
    }
    set_blocked(t, mask);
  }
  SpinGuard s(sched_lock());
  // No queue and no timeout: only a signal ends it (cannot fail).
  (void)sched_block_prepare(nullptr, 0, 0);
  return kBlocked;
}

// Takes a pending signal of `set` (the thread's first, then its
// process's), waiting for one until `deadline_ns` (CLOCK_MONOTONIC, as
// poll's: CHCORE_POLL_NOW, CHCORE_POLL_FOREVER). -EAGAIN when time is up.
SysResult sys_sigtimedwait(u64 set, UserPtr<chcore_siginfo> info, u64 deadline_ns) {
  Thread* t = current_thread();
  CapGroup* g = t->group;
  set &= ~kUnblockable;
  if (set == 0) return Err::Inval;
  u32 sig = 0;
  SigInfo si{};
  {
    SpinGuard l(g->sig.lock);
    u64 own = t->sig.pending & set;
    u64 shared = g->sig.pending & set;
    if (own | shared) {
      sig = static_cast<u32>(__builtin_ctzll(own ? own : shared)) + 1;
      si = own ? signal_take(&t->sig.pending, t->sig.info, &t->sig.queued, sig)
               : signal_take(&g->sig.pending, g->sig.info, &g->sig.queued, sig);
    }
  }
  if (sig != 0) {
    if (!info.is_null()) {
      TRY(info.write(signal_siginfo(sig, si)));
    }
    return sig;
  }
  if (deadline_ns == CHCORE_POLL_NOW) return Err::Again;
  u64 deadline = 0;
  if (deadline_ns != CHCORE_POLL_FOREVER) {
    Result<u64> at = deadline_at(Clock::Monotonic, deadline_ns);
    if (!at.ok()) return Err::Again;  // the time is up
    deadline = at.value();
  }
  SpinGuard s(sched_lock());
  t->sig.waitset = set;
  // A signal of `set` restarts the call, which then takes it.
  if (Status st = sched_block_prepare(nullptr, deadline, to_errno(Err::Again)); !st.ok()) {
    t->sig.waitset = 0;
    return st.error();
  }
  return kBlocked;
}

// Sends `sig` (0: only checks) to the thread `tid` of `g`; -ESRCH if `g`
// has no such thread (or only an exited one).
static SysResult signal_tid(CapGroup* g, u64 tid, u64 sig, const SigInfo& info) {
  Thread* target = nullptr;
  {
    SpinGuard l(g->lock);
    for (Thread* t : g->threads)
      if (t->tid == tid && load_state(t) != ThreadState::Exited) {
        target = t;
        obj_get(t);
        break;
      }
  }
  if (target == nullptr) return Err::Srch;
  Status st = sig != 0 ? signal_send_thread(target, static_cast<u32>(sig), info) : kOk;
  obj_put(target);
  TRY(st);
  return 0;
}

// tkill: a thread of the caller's own process, by tid. sig 0 only checks
// that it exists.
SysResult sys_signal_thread(u64 tid, u64 sig, u64 sender_pid) {
  if (sig != 0 && !valid_signal(sig)) return Err::Inval;
  return signal_tid(current_group(), tid, sig,
                    SigInfo{CHCORE_SI_TKILL, static_cast<i32>(sender_pid), 0});
}

// tgkill and rt_tgsigqueueinfo: a thread of a process through a capability
// to it (CONTROL right): procmgr's, for another process; slot 0 for the
// caller's own. `code` is SI_TKILL, or SI_QUEUE and its kin with `value`.
SysResult sys_signal_thread_of(CapSlot cg, u64 tid, u64 sig, u64 sender_pid, u64 code,
                               u64 value) {
  if (sig != 0 && !valid_signal(sig)) return Err::Inval;
  i64 c = static_cast<i64>(code);
  if (c != CHCORE_SI_TKILL && !(c >= CHCORE_SI_SIGIO && c <= CHCORE_SI_QUEUE)) return Err::Inval;
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  return signal_tid(g.get(), tid, sig,
                    SigInfo{static_cast<i32>(c), static_cast<i32>(sender_pid),
                            c == CHCORE_SI_TKILL ? 0 : value});
}

// kill: a process through a capability to it (CONTROL right); procmgr's
// kill and a process's kill of itself (slot 0). SIGKILL ends it; any other
// signal is delivered to it (or its default action taken).
SysResult sys_signal_cap_group(CapSlot cg, u64 sig, u64 sender_pid, u64 code, u64 status) {
  if (sig != 0 && !valid_signal(sig)) return Err::Inval;
  // SI_USER; sigqueue's SI_QUEUE and its kin (with a value in `status`);
  // or, for SIGCHLD, what happened to the child (procmgr).
  i64 c = static_cast<i64>(code);
  bool queued = c >= CHCORE_SI_SIGIO && c <= CHCORE_SI_QUEUE;
  bool child = sig == CHCORE_SIGCHLD && c >= CHCORE_CLD_EXITED && c <= CHCORE_CLD_CONTINUED;
  if (c != CHCORE_SI_USER && !queued && !child) return Err::Inval;
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (sig != 0)
    TRY(signal_send_group(g.get(), static_cast<u32>(sig),
                          SigInfo{static_cast<i32>(code), static_cast<i32>(sender_pid), status}));
  return 0;
}

// signal_handover: exec's last step (procmgr): the signals pending on the
// old image go to the new one, or the new one ends as the old one did if
// a signal ended it (both held with CONTROL; two different processes).
SysResult sys_signal_handover(CapSlot from, CapSlot to) {
  Ref<CapGroup> old_image = TRY(cap_lookup<CapGroup>(from, CHCORE_RIGHT_CONTROL));
  Ref<CapGroup> new_image = TRY(cap_lookup<CapGroup>(to, CHCORE_RIGHT_CONTROL));
  if (old_image.get() == new_image.get()) return Err::Inval;
  TRY(signal_handover(old_image.get(), new_image.get()));
  return 0;
}

// signal_start_state: what a new image starts with (procmgr, before it
// runs; CONTROL right): its first thread's mask, and the signals it
// ignores (an exec and a spawn keep the ignored ones, POSIX). Applied by
// the kernel so that a signal arriving before the C library's start-up
// finds them already.
SysResult sys_signal_start_state(CapSlot cg, u64 blocked, u64 ignored) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  SpinGuard gl(g->lock);
  if (g->started) return Err::Busy;
  SpinGuard l(g->sig.lock);
  g->sig.start_mask = blocked & ~kUnblockable;
  for (Thread* t : g->threads) set_blocked(t, blocked);
  // Only the signals named (a spawn usually names none): one step per bit.
  for (u64 m = ignored & ~kUnblockable; m != 0; m &= m - 1) {
    u32 sig = static_cast<u32>(__builtin_ctzll(m)) + 1;
    if (sig <= CHCORE_NSIG) g->sig.actions[sig - 1] = SigAction{CHCORE_SIG_IGN, 0, 0, 0};
  }
  return 0;
}

// set_job_control: what procmgr knows of a process's group (CONTROL
// right); CHCORE_JC_ORPHANED only.
SysResult sys_set_job_control(CapSlot cg, u64 flags) {
  if (flags & ~u64{CHCORE_JC_ORPHANED}) return Err::Inval;
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  SpinGuard l(g->sig.lock);
  g->sig.orphaned = (flags & CHCORE_JC_ORPHANED) != 0;
  return 0;
}

}  // namespace kern
