// Console input: the UART's receive interrupt fills a ring buffer, and
// readers block on it (the console_read system call, docs/abi.md).
#pragma once
#include "mm/uaccess.h"
#include "lib/types.h"

namespace kern {

// On the boot CPU, after irq_init_this_cpu(): installs the receive
// interrupt's handler and turns the interrupt on (routed to this CPU). If
// the board has none, readers poll the UART instead (every 10 ms while
// blocked).
void console_input_init();

// The getc system call: the oldest byte received, or -1 if none is waiting.
int console_input_getc();

// The console_read system call (see input.cpp for the semantics). Returns
// a count or a negative errno; when it blocks, its return value is ignored
// (the thread re-enters the call once woken).
[[nodiscard]] Result<i64> console_input_read(UserPtr<u8> buf, u64 len, u64 flags, u64 deadline_ns);

// For poll: whether input waits (read would not block), and the deadline
// a poller of the console blocks until: `deadline`, or sooner on a board
// without a receive interrupt (the polling tick).
bool console_input_waiting();
u64 console_input_poll_deadline(u64 deadline);

// The terminal (docs/terminal.md): tty_ctl's settings and window size,
// tty_signal_wait's signal characters, and putstr's output with ONLCR.
[[nodiscard]] Result<i64> console_tty_ctl(u64 op, UserPtr<u8> buf, u64 len);
[[nodiscard]] Result<i64> console_tty_signal_wait();
void console_output(const char* buf, usize len);

// Bytes dropped since boot because the ring was full.
u64 console_input_dropped();

}  // namespace kern
