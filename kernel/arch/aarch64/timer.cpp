// The EL1 virtual timer. CNTV_CTL_EL0: ENABLE (bit 0) starts comparing
// CNTVCT_EL0 with CNTV_CVAL_EL0, IMASK (bit 1) keeps the condition from
// raising the interrupt, ISTATUS (bit 2, read-only) says the condition holds.
// The interrupt is level-triggered: it stays asserted until the timer is
// disabled, masked or given a later deadline.
#include "arch/aarch64/timer.h"

#include "arch/aarch64/sysreg.h"
#include "irq/irq.h"
#include "platform/platform.h"

namespace kern {

namespace {
constexpr u64 kCtlEnable = 1u << 0;
constexpr u64 kCtlImask = 1u << 1;
constexpr u64 kCtlIstatus = 1u << 2;

void (*g_timer_fn)();

void timer_interrupt(u32, void*) {
  u64 ctl = read_sysreg(cntv_ctl_el0);
  // A level-triggered interrupt can still be seen pending just after it was
  // silenced: act only if this CPU's deadline really passed.
  if ((ctl & (kCtlEnable | kCtlImask | kCtlIstatus)) != (kCtlEnable | kCtlIstatus)) return;
  write_sysreg(cntv_ctl_el0, kCtlImask);  // stop: deassert before the EOI
  arch::isb();
  if (auto fn = __atomic_load_n(&g_timer_fn, __ATOMIC_ACQUIRE)) fn();
}
}  // namespace

void timer_init_this_cpu() {
  write_sysreg(cntv_ctl_el0, kCtlImask);
  arch::isb();
  irq_register(plat::timer_irq(), timer_interrupt, nullptr);  // the same on every CPU
  plat::irq_enable(plat::timer_irq());
}

void timer_set_deadline(u64 counter_value) {
  write_sysreg(cntv_cval_el0, counter_value);
  write_sysreg(cntv_ctl_el0, kCtlEnable);
  arch::isb();
}

void timer_cancel() {
  write_sysreg(cntv_ctl_el0, kCtlImask);
  arch::isb();
}

u64 timer_freq() { return arch::counter_freq(); }

void timer_register_handler(void (*fn)()) { __atomic_store_n(&g_timer_fn, fn, __ATOMIC_RELEASE); }

}  // namespace kern
