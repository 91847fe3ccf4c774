// Console system calls: putstr, getc, console_read.
#include "console/input.h"
#include "lib/printk.h"
#include "mm/kmalloc.h"
#include "irq/irq_object.h"
#include "object/ref.h"
#include "platform/platform.h"
#include "uapi/tty.h"
#include "syscall/syscall.h"

namespace kern {

// Writes the bytes as the terminal's output settings say (OPOST|ONLCR,
// on by default: "\n" goes out as "\r\n"; console/input.cpp). Lengths above
// CHCORE_PUTSTR_MAX are refused rather than clamped, so a caller never
// mistakes a short write for success. One call is printed as a unit.
SysResult sys_putstr(UserPtr<const char> buf, u64 len) {
  if (len > CHCORE_PUTSTR_MAX) return Err::Inval;
  if (len == 0) return 0;
  char* k = static_cast<char*>(mm::kmalloc(len));
  if (k == nullptr) return Err::NoMem;
  Status s = buf.read_array(k, len);
  if (s.ok()) console_output(k, len);
  mm::kfree(k);
  TRY(s);
  return static_cast<i64>(len);
}

// Never blocks (the old interface, kept for compatibility): the oldest byte
// received, or -EAGAIN. Blocking reads are console_read.
SysResult sys_getc() {
  int c = console_input_getc();
  if (c < 0) return Err::Again;
  return c;
}

// Blocking (or not) reads of the console input: console/input.cpp.
SysResult sys_console_read(UserPtr<u8> buf, u64 len, u64 flags, u64 deadline_ns) {
  return console_input_read(buf, len, flags, deadline_ns);
}

// The terminal's settings: uapi/tty.h's CHCORE_TTY_* operations.
SysResult sys_tty_ctl(u64 op, UserPtr<u8> buf, u64 len) { return console_tty_ctl(op, buf, len); }

// For the process manager only (the IRQ-control capability): waits for a
// signal character typed on the console and returns its signal.
// Power off (CHCORE_POWER_OFF) or restart (CHCORE_POWER_REBOOT) the
// machine; needs the IRQ-control capability (procmgr's, which does it for
// reboot(2)). Does not return unless the board cannot: -ENOSYS.
SysResult sys_system_power(CapSlot ctl, u64 cmd) {
  Ref<Irq> c = TRY(cap_lookup<Irq>(ctl, CHCORE_RIGHT_CONTROL));
  if (!irq_is_control(c.get())) return Err::Inval;
  if (cmd != CHCORE_POWER_OFF && cmd != CHCORE_POWER_REBOOT) return Err::Inval;
  printk("chcore: %s\n", cmd == CHCORE_POWER_OFF ? "power off" : "restarting");
  plat::system_off(cmd == CHCORE_POWER_REBOOT);
  return Err::NoSys;
}

SysResult sys_tty_signal_wait(CapSlot ctl) {
  Ref<Irq> c = TRY(cap_lookup<Irq>(ctl, CHCORE_RIGHT_CONTROL));
  if (!irq_is_control(c.get())) return Err::Inval;
  return console_tty_signal_wait();
}

}  // namespace kern
