// Processes and threads: create_cap_group, create_thread, thread_exit,
// exit_group, yield, wait_cap_group, get_free_mem; cap_group_regions,
// cap_group_stat and mem_stat for /proc.
#include "ipc/ipc.h"
#include "mm/kmalloc.h"
#include "mm/phys.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "sched/cpu_time.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "sched/user_state.h"
#include "syscall/syscall.h"
#include "arch/aarch64/timer.h"
#include "time/clock.h"

namespace kern {

SysResult sys_create_cap_group(UserPtr<const char> name_ptr, u64 name_len, UserPtr<u64> pid_out) {
  if (name_len >= CHCORE_NAME_MAX) return Err::Inval;
  char name[CHCORE_NAME_MAX];
  TRY(name_ptr.read_array(name, name_len));
  name[name_len] = '\0';
  CapGroup* g = TRY(cap_group_create(name));
  // Its pid (what cap_info's id says), if the caller asks: a bad pointer
  // undoes the creation.
  if (!pid_out.is_null() && !pid_out.write(g->pid).ok()) {
    obj_put(g);
    return Err::Fault;
  }
  // The new process's reference moves into the caller's capability.
  Result<u32> slot = current_group()->caps.install(current_group(), g, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) obj_put(g);
  return TRY(slot);
}

SysResult sys_create_thread(CapSlot cg, VirtAddr entry, VirtAddr stack, u64 arg, u64 tls,
                            u64 flags) {
  Ref<CapGroup> group = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (entry >= kUserTop || stack >= kUserTop || !is_aligned(entry, 4)) return Err::Inval;
  if ((flags & ~CHCORE_THREAD_TID) != 0) return Err::Inval;
  // Check, then act: the capability is installed before the thread can run.
  Thread* t = TRY(thread_create(group.get(), entry, stack, arg, tls));
  if (flags & CHCORE_THREAD_TID) {
    const u64 tid = t->tid;  // the thread may be gone once started
    thread_start(t);
    obj_put(t);  // the reference a capability would have taken
    return static_cast<i64>(tid);
  }
  Result<u32> slot = current_group()->caps.install(current_group(), t, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    thread_abort(t);
    return slot.error();
  }
  thread_start(t);
  return slot.value();
}

// What fork copies into the child's capability table: everything that
// works for any holder (PMOs, pipe ends, notifications, servers to connect
// to, connections their server accepted as fork-shared, which it serves by
// the caller's pid), not what is bound to this process: other connections
// (the server knows its client by them), threads, other processes,
// interrupt lines.
namespace {
bool fork_keeps(const Object* o) {
  switch (o->type) {
    case ObjType::Pmo:
    case ObjType::IpcServer:
    case ObjType::Notification:
    case ObjType::PipeEnd:
      return true;
    case ObjType::Connection:
      return static_cast<const Connection*>(o)->forkable;
    default:
      return false;
  }
}
}  // namespace

// The mechanism of fork (docs/processes.md): the child is `cg`, a process
// created for it (never started, nothing mapped, no capabilities but its
// own); procmgr decides its pid and parent. The caller's address space is
// copied copy-on-write, its capabilities as fork_keeps says, and the
// calling thread, whose copy returns 0 from this call (and its own tid in
// x1, which saves the child a gettid). The copy is not
// started: the caller hands it to whoever starts it (start_thread). `hot`
// (0: none) names a page the caller knows both sides write at once (the C
// library's fork-time data): it and the page of the caller's stack are
// copied for the child now instead of at their first writes (two faults
// each saved; VmSpace::fork_copy_now).
SysResult sys_fork(CapSlot cg, VirtAddr hot) {
  Thread* self = current_thread();
  CapGroup* parent = self->group;
  Ref<CapGroup> child = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (child.get() == parent) return Err::Inval;
  {
    SpinGuard l(child->lock);
    if (child->started || child->state != ProcState::Running || !child->threads.empty())
      return Err::Inval;
  }
  if (child->vmspace.region_count() != 0) return Err::Inval;
  TRY(parent->caps.fork_into(child->caps, fork_keeps));
  TRY(parent->vmspace.fork_into(child->vmspace));
  parent->vmspace.fork_copy_now(child->vmspace, VirtAddr{self->ctx.sp});
  if (hot != VirtAddr{}) parent->vmspace.fork_copy_now(child->vmspace, hot);
  child->brk = parent->brk;
  child->heap_mapped = parent->heap_mapped;
  {
    SpinGuard a(parent->lock);
    SpinGuard b(child->lock);
    child->copy_start = parent->copy_start;
    child->copy_end = parent->copy_end;
    child->copy_fixup = parent->copy_fixup;
    child->proc_info = parent->proc_info;
  }
  {
    // In its parent's process group: orphaned as that is (procmgr keeps
    // the groups and says so with set_job_control; docs/signals.md).
    bool orphaned;
    {
      SpinGuard a(parent->sig.lock);
      orphaned = parent->sig.orphaned;
    }
    SpinGuard b(child->sig.lock);
    child->sig.orphaned = orphaned;
  }
  Thread* t = TRY(thread_create(child.get(), VirtAddr{self->ctx.elr}, VirtAddr{self->ctx.sp}, 0,
                                read_sysreg(tpidr_el0)));
  t->ctx = self->ctx;
  t->ctx.x[0] = 0;
  t->ctx.x[1] = t->tid;
  // FP/SIMD: the registers, if they hold ours, else our saved state.
  PerCpu* cpu = this_cpu();
  if (cpu->fp_owner == self && cpu->fp_enabled) arch_fpu_save(&self->fp);
  t->fp = self->fp;
  t->own_sc.prio = self->own_sc.prio;
  t->own_sc.affinity = self->own_sc.affinity;
  // Signals as Linux's fork: the actions and the thread's mask and
  // alternate stack are copied; nothing is pending in the child.
  {
    SpinGuard a(parent->sig.lock);
    SpinGuard b(child->sig.lock);
    for (u32 i = 0; i < CHCORE_NSIG; i++) child->sig.actions[i] = parent->sig.actions[i];
  }
  t->sig.blocked = self->sig.blocked;
  t->sig.altstack_sp = self->sig.altstack_sp;
  t->sig.altstack_size = self->sig.altstack_size;
  t->sig.altstack_enabled = self->sig.altstack_enabled;
  Result<u32> slot = parent->caps.install(parent, t, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    thread_abort(t);
    return slot.error();
  }
  return slot.value();
}

// Starts a thread made by fork.
SysResult sys_start_thread(CapSlot thread) {
  Ref<Thread> t = TRY(cap_lookup<Thread>(thread, CHCORE_RIGHT_CONTROL));
  {
    SpinGuard s(sched_lock());
    if (t->state != ThreadState::Created) return Err::Inval;
  }
  thread_start(t.get());
  return 0;
}

SysResult sys_thread_exit() {
  Thread* self = current_thread();
  CapGroup* g = self->group;
  // Robust futexes it still owns are marked as such (their waiters see
  // EOWNERDEAD).
  futex_exit_robust(self);
  // set_tid_address: clear the word and wake one waiter (pthread_join).
  if (self->clear_child_tid != VirtAddr{}) {
    UserPtr<u32> tid(self->clear_child_tid);
    if (tid.write(0).ok()) (void)futex_wake(g, tid.addr(), 1);
  }
  // If it is the last thread, the process exits (status 0) when it is
  // reaped (thread_reap).
  sched_exit_current();  // the exit path reaps it
  {
    // Waiters of PI futexes it owns retry, and take them over now that it
    // counts as exited.
    SpinGuard l(g->lock);
    futex_exit_pi_waiters(g, static_cast<u32>(self->tid));
  }
  return 0;
}

SysResult sys_exit_group(i64 code) {
  cap_group_exit(current_group(), exit_status_of(code));
  sched_exit_current();
  return 0;
}

// The process manager's kill: the process ends as one killed by signal
// `sig` (its threads stop at their next exit to user space, or at once if
// blocked), with that wait status.
SysResult sys_kill_cap_group(CapSlot cg, u64 sig) {
  if (sig == 0 || sig > 64) return Err::Inval;
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  cap_group_exit(g.get(), static_cast<i32>(sig & 0x7f));
  if (g.get() == current_group()) sched_exit_current();
  return 0;
}

// Waiting holds no reference to the process: a process whose last reference
// disappears wakes its waiters as it is destroyed (cap_group_destroy).
SysResult sys_wait_cap_group(CapSlot cg) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (g.get() == current_group()) return Err::Inval;  // would wait forever
  SpinGuard l(g->lock);
  if (g->exit_reported) return g->exit_status;
  SpinGuard s(sched_lock());
  (void)sched_block_prepare(&g->waiters, 0, 0);  // no timeout: cannot fail
  return kBlocked;  // the exit wakes us with the status
}

// The same, and also the process's stops and continues (job control:
// procmgr's reaper, for wait4's WUNTRACED and WCONTINUED): a stop or
// continue not reported yet is reported once (the newest only, as a
// parent of a stopped-and-continued child sees on Linux).
SysResult sys_wait_cap_group_event(CapSlot cg) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (g.get() == current_group()) return Err::Inval;
  SpinGuard l(g->lock);
  if (g->exit_reported) return g->exit_status;
  SpinGuard sl(g->sig.lock);
  if (i32 e = g->sig.event; e != 0) {
    g->sig.event = 0;
    return e;
  }
  SpinGuard s(sched_lock());
  (void)sched_block_prepare(&g->event_waiters, 0, 0);
  return kBlocked;  // the exit, a stop or a continue wakes us with its status
}

SysResult sys_get_free_mem() {
  mm::kmalloc_shrink();
  return static_cast<i64>(mm::free_page_count() * mm::kPageSize);
}

// ---- What /proc shows of a process and of memory (docs/abi.md) ----------------
//
// Read-only views for the process manager and procfs: they change nothing.
// A process's regions are read one at a time under its address space's
// lock and copied out without it (a copy to user space may fault), so a
// listing made while the process maps or unmaps can miss or repeat a
// region; /proc/<pid>/maps on Linux has the same property between reads.

// Copies regions first, first + 1, ... (address order) of the process into
// out[0..max); returns how many were copied (0: first is past the last).
SysResult sys_cap_group_regions(CapSlot cg, u64 first, UserPtr<chcore_region_info> out, u64 max) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (!out.range_ok(max)) return Err::Fault;
  u64 n = 0;
  for (; n < max && first + n >= first; n++) {
    chcore_region_info info{};
    if (!g->vmspace.region_info(first + n, &info)) break;
    TRY((out + n).write(info));
  }
  return static_cast<i64>(n);
}

SysResult sys_cap_group_stat(CapSlot cg, UserPtr<chcore_cap_group_stat> out) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  chcore_cap_group_stat st{};
  {
    SpinGuard l(g->lock);
    st.exited = g->state == ProcState::Exited ? 1 : 0;
    st.threads = st.exited ? 0 : g->threads.size();
  }
  if (!st.exited) {
    usize regions, bytes, resident;
    g->vmspace.usage(&regions, &bytes, &resident);
    st.regions = regions;
    st.vsize = bytes;
    st.resident = resident;
  }
  {
    SpinGuard l(g->lock);
    st.proc_info = g->proc_info.raw();
  }
  CpuTimes c = cap_group_cpu_times(g.get());
  st.utime_ns = ticks_to_ns(c.user);
  st.stime_ns = ticks_to_ns(c.sys);
  TRY(out.write(st));
  return 0;
}

// Reads len bytes at addr of the process's memory into buf (Linux's
// process_vm_readv, for procmgr's view of a process's C library: /proc's
// fd/ and cwd). Nothing is faulted in: a page not allocated yet reads as
// zeros; memory the process cannot read, or device registers, stop the
// copy. Returns the bytes copied, or -EFAULT if none could be.
SysResult sys_cap_group_read(CapSlot cg, VirtAddr addr, UserPtr<u8> buf, u64 len) {
  Ref<CapGroup> g = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (!buf.range_ok(len) || !user_range_ok(addr, len)) return Err::Fault;
  u8 bounce[256];  // the target's locks are not held while we copy out
  u64 done = 0;
  while (done < len) {
    u64 n = len - done < sizeof bounce ? len - done : sizeof bounce;
    Status s = g->vmspace.read(addr + done, bounce, n);
    if (!s.ok()) {
      if (done > 0) break;
      return s.error() == kErrSpaceGone ? Err::Srch : Err::Fault;
    }
    TRY((buf + done).write_array(bounce, n));
    done += n;
  }
  return static_cast<i64>(done);
}

// Where the calling process's C library describes itself for /proc
// (uapi/object.h, struct chcore_proc_info): any address, never read by
// the kernel; fork copies it, a new image starts without.
SysResult sys_set_proc_info(VirtAddr addr) {
  CapGroup* g = current_group();
  SpinGuard l(g->lock);
  g->proc_info = addr;
  return 0;
}

// The CPU time of the calling thread (as of this entry) or of its process
// (sched/cpu_time.h).
SysResult sys_cpu_time(u64 which, UserPtr<chcore_cpu_time> out) {
  CpuTimes c;
  if (which == CHCORE_CPU_TIME_THREAD)
    c = acct_read(current_thread()->times);
  else if (which == CHCORE_CPU_TIME_PROCESS)
    c = cap_group_cpu_times(current_group());
  else
    return Err::Inval;
  TRY(out.write(chcore_cpu_time{ticks_to_ns(c.user), ticks_to_ns(c.sys)}));
  return 0;
}

// Per CPU: user, system and idle time since it started (/proc/stat);
// returns how many entries were written (at most max, one per possible
// CPU up to the last online one).
SysResult sys_cpu_stat(UserPtr<chcore_cpu_stat> out, u64 max) {
  u64 n = 0;
  for (u32 c = 0; c < kMaxCpus; c++)
    if (__atomic_load_n(&g_per_cpu[c].online, __ATOMIC_ACQUIRE)) n = c + 1;
  if (n > max) n = max;
  if (!out.range_ok(n)) return Err::Fault;
  u64 now = timer_now();
  for (u32 c = 0; c < n; c++) {
    chcore_cpu_stat st{};
    const PerCpu& pc = g_per_cpu[c];
    if (__atomic_load_n(&pc.online, __ATOMIC_ACQUIRE)) {
      u64 user = __atomic_load_n(&pc.acct_user, __ATOMIC_RELAXED);
      u64 sys = __atomic_load_n(&pc.acct_sys, __ATOMIC_RELAXED);
      u64 start = acct_cpu_start(c);
      u64 total = now > start ? now - start : 0;
      u64 idle = total > user + sys ? total - user - sys : 0;
      st.user_ns = ticks_to_ns(user);
      st.system_ns = ticks_to_ns(sys);
      st.idle_ns = ticks_to_ns(idle);
      st.online = 1;
    }
    TRY((out + c).write(st));
  }
  return static_cast<i64>(n);
}

SysResult sys_mem_stat(UserPtr<chcore_mem_stat> out) {
  mm::kmalloc_shrink();  // as get_free_mem: cached slabs count as free
  chcore_mem_stat st{};
  st.total = mm::total_page_count() * mm::kPageSize;
  st.free = mm::free_page_count() * mm::kPageSize;
  TRY(out.write(st));
  return 0;
}

}  // namespace kern
