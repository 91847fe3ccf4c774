// Console input, and the console as a terminal.
//
// The console UART's receive interrupt (platform/: PL011 SPI on virt,
// VideoCore interrupt 57 on raspi3, docs/interrupts.md) drains the UART's
// FIFO through the line discipline (docs/terminal.md) into a 4 KiB ring of
// input ready for readers; when the ring is full further bytes are dropped
// and counted. A reader takes bytes from the ring, or blocks on `g_readers`
// until the interrupt brings some.
//
// The line discipline is Linux's n_tty, in small: the termios settings
// (input translation ICRNL/INLCR/IGNCR, canonical mode with erase, word
// erase, kill and end-of-file, echo with ECHOE/ECHOK/ECHOCTL/ECHONL, the
// signal characters, VMIN/VTIME) and the window size live here, one set
// for the console. In canonical mode the ring holds completed lines only
// (their lengths in `g_lens`: a read returns at most one line, and a line
// of length 0 is an end of file); the line being edited is in `g_line`.
// A signal character (VINTR, VQUIT, VSUSP with ISIG) discards the pending
// input and is handed to whoever waits in tty_signal_wait: the process
// manager, which knows the foreground process group and signals it.
// Output (putstr) gets OPOST/ONLCR's "\n" -> "\r\n" here too.
//
// Blocking without a kernel stack: the kernel keeps no per-thread stack, so
// a blocked call cannot resume half-way. A reader that finds the ring empty
// blocks with its saved PC moved back onto its `svc`; every wake-up (input,
// deadline, or the polling tick) leaves x0..x8 as they were, so the thread
// simply executes console_read again and finds the bytes (or blocks again
// if another reader took them first, or returns -ETIMEDOUT once its
// absolute deadline has passed). A killed process's blocked reader is
// removed from the queue by sched_stop(), like any blocked thread.
//
// Locking: `g_input_lock` protects the ring, the line, the settings and
// the drop count; the wait queues are the scheduler's (g_sched_lock).
// Order: g_sched_lock -> g_input_lock, so "ring empty, so block" is atomic
// with the interrupt's "ring filled, so wake". The handler takes both:
// kernel code runs with interrupts masked, so it never interrupts their
// holder on its own CPU. Echo is written to the UART after both are
// released.
#include "console/input.h"

#include "ipc/poll.h"
#include "irq/irq.h"
#include "lib/byte_ring.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "uapi/errno.h"
#include "uapi/object.h"
#include "uapi/tty.h"

namespace kern {

namespace {
constexpr u32 kRingSize = 4096;
// Without a receive interrupt a blocked reader looks at the UART this often.
constexpr u64 kPollNs = 10'000'000;
constexpr u64 kFlags = CHCORE_CONSOLE_NONBLOCK | CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_DEADLINE |
                       CHCORE_CONSOLE_TIMEOUT_ZERO;
// The longest canonical line (Linux's N_TTY_BUF_SIZE - 1), and how many
// completed lines may wait.
constexpr u32 kLineMax = 4095;
constexpr u32 kMaxLines = 256;
constexpr u32 kSigInt = 2, kSigQuit = 3, kSigTstp = 20;

SpinLock g_input_lock;
ByteRing<kRingSize> g_ring TA_GUARDED(g_input_lock);
u64 g_dropped TA_GUARDED(g_input_lock);
WaitQueue g_readers TA_GUARDED(g_sched_lock);
WaitQueue g_sig_waiters TA_GUARDED(g_sched_lock);
bool g_have_irq;  // set once at boot: the receive interrupt is on

// Linux's defaults ("stty sane"): canonical mode with echo and signals,
// "\r" read as "\n", "\n" written as "\r\n".
chcore_termios g_tio TA_GUARDED(g_input_lock) = {
    CHCORE_ICRNL | CHCORE_IXON,
    CHCORE_OPOST | CHCORE_ONLCR,
    CHCORE_B115200 | CHCORE_CS8 | CHCORE_CREAD | CHCORE_CLOCAL,
    CHCORE_ISIG | CHCORE_ICANON | CHCORE_ECHO | CHCORE_ECHOE | CHCORE_ECHOK | CHCORE_ECHOCTL |
        CHCORE_ECHOKE | CHCORE_IEXTEN,
    0,
    {3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0, 0, 0}};
chcore_winsize g_ws TA_GUARDED(g_input_lock) = {24, 80, 0, 0};
u8 g_line[kLineMax] TA_GUARDED(g_input_lock);
u32 g_line_len TA_GUARDED(g_input_lock);
u32 g_lens[kMaxLines] TA_GUARDED(g_input_lock);  // completed lines' bytes still in g_ring
u32 g_lens_head TA_GUARDED(g_input_lock);
u32 g_lens_count TA_GUARDED(g_input_lock);
u32 g_sig_pending TA_GUARDED(g_input_lock);  // bit n: signal n was typed

bool canonical() TA_REQ(g_input_lock) { return (g_tio.c_lflag & CHCORE_ICANON) != 0; }

// Echo and other output of the line discipline, written once the locks
// are released (console_write takes the console's own lock).
struct Echo {
  char buf[512];
  u32 n = 0;
  void put(char c) {
    if (n < sizeof(buf)) buf[n++] = c;
  }
  void flush() {
    if (n > 0) console_write(buf, n);
    n = 0;
  }
};

// Echoes c as the settings say: control characters as ^X (ECHOCTL), "\n"
// with ONLCR.
void echo_char(Echo& e, u8 c) TA_REQ(g_input_lock) {
  if (c == '\n') {
    if ((g_tio.c_oflag & (CHCORE_OPOST | CHCORE_ONLCR)) == (CHCORE_OPOST | CHCORE_ONLCR)) e.put('\r');
    e.put('\n');
  } else if ((c < 32 && c != '\t') || c == 0177) {
    if (g_tio.c_lflag & CHCORE_ECHOCTL) {
      e.put('^');
      e.put(static_cast<char>(c == 0177 ? '?' : c + '@'));
    } else {
      e.put(static_cast<char>(c));
    }
  } else {
    e.put(static_cast<char>(c));
  }
}

// Erases the last character of the line being edited, on the screen too.
bool erase_one(Echo& e) TA_REQ(g_input_lock) {
  if (g_line_len == 0) return false;
  u8 c = g_line[--g_line_len];
  if ((g_tio.c_lflag & (CHCORE_ECHO | CHCORE_ECHOE)) == (CHCORE_ECHO | CHCORE_ECHOE)) {
    // A control character echoed as ^X takes two columns.
    int cols = ((c < 32 && c != '\t') || c == 0177) && (g_tio.c_lflag & CHCORE_ECHOCTL) ? 2 : 1;
    for (int i = 0; i < cols; i++) {
      e.put('\b');
      e.put(' ');
      e.put('\b');
    }
  }
  return true;
}

// Moves the edited line into the ring as a completed line (of length 0
// for an end of file at its start).
void complete_line() TA_REQ(g_input_lock) {
  u32 n = 0;
  while (n < g_line_len && g_ring.push(g_line[n])) n++;
  g_dropped += g_line_len - n;
  if (g_lens_count < kMaxLines) {
    g_lens[(g_lens_head + g_lens_count) % kMaxLines] = n;
    g_lens_count++;
  }
  g_line_len = 0;
}

void flush_input() TA_REQ(g_input_lock) {
  u8 junk[64];
  while (g_ring.pop(junk, sizeof(junk)) > 0) {
  }
  g_line_len = 0;
  g_lens_head = g_lens_count = 0;
}

// One received byte through the line discipline. Returns whether readers
// may have something new.
bool input_byte(u8 c, Echo& e) TA_REQ(g_input_lock) {
  const u32 ifl = g_tio.c_iflag, lfl = g_tio.c_lflag;
  const u8* cc = g_tio.c_cc;
  if (ifl & CHCORE_ISTRIP) c &= 0x7f;
  if (c == '\r') {
    if (ifl & CHCORE_IGNCR) return false;
    if (ifl & CHCORE_ICRNL) c = '\n';
  } else if (c == '\n' && (ifl & CHCORE_INLCR)) {
    c = '\r';
  }
  if (lfl & CHCORE_ISIG) {
    u32 sig = 0;
    if (c == cc[CHCORE_VINTR] && c != 0) sig = kSigInt;
    else if (c == cc[CHCORE_VQUIT] && c != 0) sig = kSigQuit;
    else if (c == cc[CHCORE_VSUSP] && c != 0) sig = kSigTstp;
    if (sig != 0) {
      if (!(lfl & CHCORE_NOFLSH)) flush_input();
      if (lfl & CHCORE_ECHO) {
        echo_char(e, c);
        echo_char(e, '\n');
      }
      g_sig_pending |= 1u << sig;
      return false;
    }
  }
  if (!(lfl & CHCORE_ICANON)) {
    if (!g_ring.push(c)) {
      g_dropped++;
      return false;
    }
    if (lfl & CHCORE_ECHO) echo_char(e, c);
    return true;
  }
  // Canonical mode: editing.
  if (c == cc[CHCORE_VERASE] && c != 0) {
    erase_one(e);
    return false;
  }
  if ((lfl & CHCORE_IEXTEN) && c == cc[CHCORE_VWERASE] && c != 0) {
    while (g_line_len > 0 && g_line[g_line_len - 1] == ' ') erase_one(e);
    while (g_line_len > 0 && g_line[g_line_len - 1] != ' ') erase_one(e);
    return false;
  }
  if (c == cc[CHCORE_VKILL] && c != 0) {
    if ((lfl & CHCORE_ECHOK) && (lfl & CHCORE_ECHO) && !(lfl & CHCORE_ECHOKE)) {
      g_line_len = 0;
      echo_char(e, '\n');
    } else {
      while (erase_one(e)) {
      }
    }
    return false;
  }
  if (c == cc[CHCORE_VEOF] && c != 0) {
    complete_line();  // without the character; at a line's start: end of file
    return true;
  }
  bool eol = c == '\n' || (c != 0 && (c == cc[CHCORE_VEOL] || c == cc[CHCORE_VEOL2]));
  if (!eol && g_line_len >= kLineMax - 1) {
    g_dropped++;  // a full line takes nothing but its end
    return false;
  }
  g_line[g_line_len++] = c;
  if ((lfl & CHCORE_ECHO) || (c == '\n' && (lfl & CHCORE_ECHONL))) echo_char(e, c);
  if (!eol) return false;
  complete_line();
  return true;
}

// What a reader may take now: canonical mode, a completed line (or an end
// of file); otherwise any byte.
bool input_ready() TA_REQ(g_input_lock) { return canonical() ? g_lens_count > 0 : !g_ring.empty(); }

// Takes up to len bytes for a reader: in canonical mode at most the rest
// of the oldest line. *eof: it was an end of file (0 bytes, consumed).
// *whole: the line's entry was used up (untake needs to know).
u32 take(u8* out, u32 len, bool* eof, bool* whole) TA_REQ(g_input_lock) {
  *eof = false;
  *whole = false;
  if (!canonical()) return g_ring.pop(out, len);
  if (g_lens_count == 0) return 0;
  u32& rest = g_lens[g_lens_head];
  u32 n = 0;
  if (rest == 0) {
    *eof = true;
  } else {
    n = g_ring.pop(out, len < rest ? len : rest);
    rest -= n;
    if (rest > 0) return n;
  }
  *whole = true;
  g_lens_head = (g_lens_head + 1) % kMaxLines;
  g_lens_count--;
  return n;
}

// Puts bytes a reader could not deliver back at the front, undoing take.
void untake(const u8* in, u32 n, bool whole) TA_REQ(g_input_lock) {
  if (n == 0) return;
  g_ring.unpop(in, n);
  if (!canonical()) return;
  if (!whole) {
    g_lens[g_lens_head] += n;
    return;
  }
  g_lens_head = (g_lens_head + kMaxLines - 1) % kMaxLines;
  g_lens[g_lens_head] = n;
  g_lens_count++;
}

// Ctrl-] typed three times in a row asks for the scheduler's state on the
// console (sched_debug_dump; the test harness types it when a test times
// out). The bytes still go to the reader as typed.
constexpr u8 kDumpKey = 0x1d;
u32 g_dump_keys TA_GUARDED(g_input_lock);
bool g_dump_wanted TA_GUARDED(g_input_lock);

bool drain_uart(Echo& e) TA_REQ(g_input_lock) {
  bool any = false;
  for (int c; (c = plat::console_getc()) >= 0;) {
    g_dump_keys = c == kDumpKey ? g_dump_keys + 1 : 0;
    if (g_dump_keys == 3) {
      g_dump_keys = 0;
      g_dump_wanted = true;
    }
    any |= input_byte(static_cast<u8>(c), e);
  }
  return any;
}

// Each reader re-executes its call (x0 stays its buffer address).
void wake_readers() TA_REQ(g_sched_lock) {
  while (Thread* t = g_readers.threads.front()) sched_wake(t, static_cast<i64>(t->ctx.x[0]));
}

void wake_sig_waiters() TA_REQ(g_sched_lock) {
  while (Thread* t = g_sig_waiters.threads.front()) sched_wake(t, static_cast<i64>(t->ctx.x[0]));
}

void rx_irq(u32, void*) {
  Echo e;
  bool dump = false;  // Ctrl-] x3: print the scheduler once the locks are released
  {
    SpinGuard s(sched_lock());
    bool have, sig;
    {
      SpinGuard g(g_input_lock);
      // Acknowledge first: a byte that arrives while we drain then raises
      // the interrupt again instead of waiting in the FIFO unnoticed.
      plat::console_rx_irq_clear();
      drain_uart(e);
      have = input_ready();
      sig = g_sig_pending != 0;
      dump = g_dump_wanted;
      g_dump_wanted = false;
    }
    if (have) {
      wake_readers();
      poll_wake_locked();
    }
    if (sig) wake_sig_waiters();
  }
  sched_flush_kicks();
  e.flush();
  if (dump) sched_debug_dump();
}

// The buffer's byte at `addr` can be read and written: read it and write
// the same value back. Checked before a reader blocks, so that a bad buffer
// fails at once instead of after the input has been taken.
bool probe_writable(UserPtr<u8> p) {
  u8 b;
  return p.read(&b).ok() && p.write(b).ok();
}

// Drains the UART when there is no receive interrupt (a reader polls).
void poll_uart() TA_REQ(g_input_lock) {
  if (g_have_irq) return;
  Echo e;
  drain_uart(e);
  e.flush();
}
}  // namespace

void console_input_init() {
  u32 irq;
  if (!plat::console_rx_irq(&irq)) return;
  irq_register(irq, rx_irq, nullptr);
  plat::console_rx_irq_enable();
  g_have_irq = true;
}

int console_input_getc() {
  SpinGuard g(g_input_lock);
  u8 c;
  if (g_ring.pop(&c, 1) == 1) return c;
  return plat::console_getc();
}

bool console_input_waiting() {
  SpinGuard g(g_input_lock);
  poll_uart();
  return input_ready();
}

u64 console_input_poll_deadline(u64 deadline) {
  if (g_have_irq) return deadline;
  u64 tick = deadline_after(kPollNs);
  return deadline == kNoDeadline || tick < deadline ? tick : deadline;
}

u64 console_input_dropped() {
  SpinGuard g(g_input_lock);
  return g_dropped;
}

// console_read(buf, len, flags, deadline_ns):
//   - copies min(len, CHCORE_CONSOLE_READ_MAX, bytes waiting) bytes to buf
//     and returns that count; len 0 returns 0 at once;
//   - with nothing waiting: blocks until a byte arrives, or returns -EAGAIN
//     with CHCORE_CONSOLE_NONBLOCK, or -ETIMEDOUT once CLOCK_MONOTONIC
//     reaches deadline_ns with CHCORE_CONSOLE_DEADLINE;
//   - CHCORE_CONSOLE_POLL takes nothing: it returns how many bytes wait
//     (at least 1, with the same blocking rules); buf and len are unused;
//   - -EFAULT for a buffer that is not writable user memory (its first and
//     last byte are checked before anything is taken; a fault in between
//     puts the bytes back), -EINVAL for unknown flags.
Result<i64> console_input_read(UserPtr<u8> buf, u64 len, u64 flags, u64 deadline_ns) {
  if (flags & ~kFlags) return Err::Inval;
  bool poll = flags & CHCORE_CONSOLE_POLL;
  if (!poll) {
    if (len == 0) return 0;
    if (len > CHCORE_CONSOLE_READ_MAX) len = CHCORE_CONSOLE_READ_MAX;
    if (!buf.range_ok(len) || !probe_writable(buf) || !probe_writable(buf + (len - 1)))
      return Err::Fault;
  }
  u64 deadline = kNoDeadline;
  bool expired = false;
  if (flags & CHCORE_CONSOLE_DEADLINE) {
    Result<u64> at = deadline_at(Clock::Monotonic, deadline_ns);
    if (at.ok())
      deadline = at.value();
    else
      expired = true;
  }
  if (!g_have_irq) {
    u64 tick = deadline_after(kPollNs);
    if (deadline == kNoDeadline || tick < deadline) deadline = tick;
  }

  u8 kbuf[CHCORE_CONSOLE_READ_MAX];
  u32 n;
  bool eof = false, whole = false;
  Thread* self = current_thread();
  {
    SpinGuard s(sched_lock());
    bool raw_nowait = false;
    u64 vtime_at_ns = 0;  // VTIME's deadline, when this call sets one
    {
      SpinGuard g(g_input_lock);
      poll_uart();
      if (poll) {
        n = input_ready() ? (canonical() ? g_lens[g_lens_head] : g_ring.size()) : 0;
        if (n == 0 && input_ready()) n = 1;  // an end of file is readable
      } else {
        n = take(kbuf, static_cast<u32>(len), &eof, &whole);
      }
      // Non-canonical VMIN 0: a read never waits for a first byte beyond
      // VTIME tenths of a second (none at all with VTIME 0), and then
      // returns 0. The re-executed call must see the same deadline: it
      // goes into the call's own arguments (flags and deadline_ns).
      if (!canonical() && !poll && g_tio.c_cc[CHCORE_VMIN] == 0 && n == 0) {
        u64 vtime = g_tio.c_cc[CHCORE_VTIME];
        if (vtime == 0) {
          raw_nowait = true;
        } else if (!(flags & CHCORE_CONSOLE_DEADLINE)) {
          vtime_at_ns = monotonic_ns() + vtime * 100'000'000;
          Result<u64> at = deadline_at(Clock::Monotonic, vtime_at_ns);
          if (at.ok() && (deadline == kNoDeadline || at.value() < deadline)) deadline = at.value();
        }
      }
    }
    if (n == 0 && !eof) {
      if (raw_nowait) return 0;
      if (flags & CHCORE_CONSOLE_NONBLOCK) return Err::Again;
      if (expired) return (flags & CHCORE_CONSOLE_TIMEOUT_ZERO) ? Result<i64>(0) : Err::TimedOut;
      // Whatever wakes it (input, the deadline, the polling tick), the
      // thread resumes at its svc with its arguments intact.
      TRY(sched_block_prepare(&g_readers, deadline, static_cast<i64>(self->ctx.x[0])));
      if (vtime_at_ns != 0) {
        // Only a call that blocks (and is re-executed) sees its arguments
        // changed; a returning call leaves every register but x0 as it was.
        self->ctx.x[2] = flags | CHCORE_CONSOLE_DEADLINE | CHCORE_CONSOLE_TIMEOUT_ZERO;
        self->ctx.x[3] = vtime_at_ns;
      }
      self->ctx.elr -= 4;
      ctx_rewritten();
      return 0;  // ignored: the thread re-executes the call when woken
    }
  }
  if (poll || eof) return n;
  if (!buf.write_array(kbuf, n).ok()) {
    SpinGuard g(g_input_lock);
    untake(kbuf, n, whole);
    return Err::Fault;
  }
  return n;
}

// ---- The terminal's settings (tty_ctl) and signals (tty_signal_wait) ----

Result<i64> console_tty_ctl(u64 op, UserPtr<u8> buf, u64 len) {
  switch (op) {
    case CHCORE_TTY_GET: {
      if (len != sizeof(chcore_termios)) return Err::Inval;
      chcore_termios t;
      {
        SpinGuard g(g_input_lock);
        t = g_tio;
      }
      TRY(buf.write_array(reinterpret_cast<const u8*>(&t), sizeof(t)));
      return 0;
    }
    case CHCORE_TTY_SET:
    case CHCORE_TTY_SET_FLUSH: {
      if (len != sizeof(chcore_termios)) return Err::Inval;
      chcore_termios t;
      TRY(buf.read_array(reinterpret_cast<u8*>(&t), sizeof(t)));
      SpinGuard s(sched_lock());
      {
        SpinGuard g(g_input_lock);
        if (op == CHCORE_TTY_SET_FLUSH) flush_input();
        bool was_canon = canonical();
        g_tio = t;
        if (was_canon && !canonical()) {
          // The line being edited becomes input; line boundaries go.
          for (u32 i = 0; i < g_line_len; i++)
            if (!g_ring.push(g_line[i])) g_dropped++;
          g_line_len = 0;
          g_lens_head = g_lens_count = 0;
        } else if (!was_canon && canonical() && !g_ring.empty()) {
          // What waits is one completed line.
          g_lens_head = 0;
          g_lens[0] = g_ring.size();
          g_lens_count = 1;
        }
      }
      wake_readers();  // VMIN/VTIME or the mode changed: readers look again
      return 0;
    }
    case CHCORE_TTY_GET_WINSZ: {
      if (len != sizeof(chcore_winsize)) return Err::Inval;
      chcore_winsize w;
      {
        SpinGuard g(g_input_lock);
        w = g_ws;
      }
      TRY(buf.write_array(reinterpret_cast<const u8*>(&w), sizeof(w)));
      return 0;
    }
    case CHCORE_TTY_SET_WINSZ: {
      if (len != sizeof(chcore_winsize)) return Err::Inval;
      chcore_winsize w;
      TRY(buf.read_array(reinterpret_cast<u8*>(&w), sizeof(w)));
      SpinGuard g(g_input_lock);
      g_ws = w;
      return 0;
    }
    case CHCORE_TTY_FLUSH: {
      SpinGuard g(g_input_lock);
      flush_input();
      return 0;
    }
    default:
      return Err::Inval;
  }
}

// Blocks until a signal character has been typed; returns its signal (the
// lowest pending one) and forgets it.
Result<i64> console_tty_signal_wait() {
  Thread* self = current_thread();
  SpinGuard s(sched_lock());
  {
    SpinGuard g(g_input_lock);
    if (g_sig_pending != 0) {
      u32 sig = static_cast<u32>(__builtin_ctz(g_sig_pending));
      g_sig_pending &= ~(1u << sig);
      return sig;
    }
  }
  TRY(sched_block_prepare(&g_sig_waiters, kNoDeadline, static_cast<i64>(self->ctx.x[0])));
  self->ctx.elr -= 4;
  return 0;  // re-executed when woken
}

// Output with OPOST/ONLCR applied, as one unit (`buf` is the kernel's
// copy; the translation needs up to twice its length).
void console_output(const char* buf, usize len) {
  bool onlcr;
  {
    SpinGuard g(g_input_lock);
    onlcr = (g_tio.c_oflag & (CHCORE_OPOST | CHCORE_ONLCR)) == (CHCORE_OPOST | CHCORE_ONLCR);
  }
  usize nl = 0;
  if (onlcr)
    for (usize i = 0; i < len; i++) nl += buf[i] == '\n';
  if (nl == 0) {
    console_write(buf, len);
    return;
  }
  char* out = static_cast<char*>(mm::kmalloc(len + nl));
  if (out == nullptr) {
    console_write(buf, len);  // untranslated rather than lost
    return;
  }
  usize n = 0;
  for (usize i = 0; i < len; i++) {
    if (buf[i] == '\n') out[n++] = '\r';
    out[n++] = buf[i];
  }
  console_write(out, n);
  mm::kfree(out);
}

}  // namespace kern
