#!/usr/bin/env python3
"""Boot a kernel image in QEMU, watch its serial output, and give a verdict.

    harness.py --plat virt --image build/kernel-virt/kernel.img \
               --expect 'cpus online: 4'

The run FAILS when
  - a line contains "KERNEL PANIC:" (the harness keeps reading for a moment,
    or until QEMU exits, so the whole dump is in the log),
  - a line matches a --reject regex (with --ktest, "[FAIL] " lines too),
  - the time limit (--timeout) runs out,
  - QEMU exits with a code other than --expect-exit (semihosting images), or
    exits at all (production images never exit),
  - an --expect regex matched no line.
A production image (no semihosting) PASSES as soon as every --expect has
matched; QEMU is then stopped. With --until, reading also stops at the first
line matching it (e.g. the last line of a boot), so a missing --expect fails
at once instead of at the timeout. A semihosting image must exit by itself.

--expect-failure inverts the verdict, for tests of the failure path itself:
the run PASSES only if the normal verdict is FAIL *and* every --expect
matched (e.g. a deliberate kernel fault is detected and decoded).

--send REGEX TEXT types TEXT on the serial console (QEMU's stdin) once a
line matching REGEX has appeared and --input-delay seconds have passed
(repeatable; each waits for its own line, in order; TEXT takes Python
escapes such as \r). An unfinished line counts too, with only the text that
came after the last typing (a shell's prompt or a full-screen editor ends
no line). Without --send, QEMU's stdin is /dev/null.

Everything QEMU prints is echoed to stdout; the last line is
"harness: PASS" or "harness: FAIL: <reason>". Exit status 0 or 1.
"""

import argparse
import codecs
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402  (the one place that builds QEMU command lines)

PANIC_MARKER = "KERNEL PANIC:"
DEFAULT_TIMEOUT = 120.0   # seconds; generous, the host may be loaded
TIMEOUT_ENV = "CHCORE_TEST_TIMEOUT"
# After the first failure, keep reading this long (unless QEMU exits first)
# so the panic dump (registers, backtrace) makes it into the log.
GRACE_SECONDS = 2.0
DUMP_SECONDS = 3.0
KTEST_REJECT = r"^\[FAIL\] "


def default_timeout():
    value = os.environ.get(TIMEOUT_ENV)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        return float(value)
    except ValueError:
        sys.exit(f"harness: {TIMEOUT_ENV}={value!r} is not a number of seconds")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="harness.py",
        description="Boot an image in QEMU and check its serial output.")
    p.add_argument("--plat", choices=sorted(qemu.PLATFORMS))
    p.add_argument("--image", help="raw kernel Image to boot")
    p.add_argument("--smp", type=int, help="number of CPUs")
    p.add_argument("--mem", help="memory in MiB")
    p.add_argument("--machine-opt", action="append", default=[],
                   metavar="KEY=VALUE", help="extra -M property (repeatable)")
    p.add_argument("--initrd", metavar="CPIO",
                   help="load a ramdisk next to the kernel (QEMU -initrd)")
    p.add_argument("--ktest", metavar="PATTERN",
                   help="test image: run the in-kernel tests matching "
                        "PATTERN (empty: all); implies --semihosting and "
                        "rejects '[FAIL] ' lines")
    p.add_argument("--semihosting", action="store_true",
                   help="enable semihosting: the image ends QEMU itself "
                        "and its exit code is checked")
    p.add_argument("--semihosting-cmdline", metavar="CMDLINE",
                   help="test image: the command line it reads through "
                        "semihosting, e.g. 'exec /tests/caps', words quoted "
                        "as in a POSIX shell (kernel/lib/cmdline.h); "
                        "implies --semihosting")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="some output line must match (repeatable)")
    p.add_argument("--reject", action="append", default=[], metavar="REGEX",
                   help="no output line may match (repeatable)")
    p.add_argument("--until", metavar="REGEX",
                   help="stop reading after the first line that matches "
                        "(images that never exit); then decide")
    p.add_argument("--expect-exit", type=int, default=0, metavar="CODE",
                   help="exit code a semihosting image must end with "
                        "(default 0)")
    p.add_argument("--expect-failure", action="store_true",
                   help="pass only if the run fails and every --expect "
                        "matched")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help=f"time limit (default: ${TIMEOUT_ENV} or "
                        f"{DEFAULT_TIMEOUT:g})")
    p.add_argument("--send", action="append", nargs=2, default=[],
                   metavar=("REGEX", "TEXT"),
                   help="after a line matching REGEX, type TEXT on the "
                        "serial console (Python escapes, e.g. 'hi\\r'); "
                        "repeatable, in order")
    p.add_argument("--input-delay", type=float, default=0.5,
                   metavar="SECONDS",
                   help="wait this long after the --send line before "
                        "typing (default 0.5), so that a reader has "
                        "usually gone to sleep; correctness never "
                        "depends on it")
    # For testing the harness itself: run this shell command instead of QEMU.
    p.add_argument("--qemu-cmd-override", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.timeout is None:
        args.timeout = default_timeout()
    if args.ktest is not None and args.semihosting_cmdline is not None:
        p.error("--ktest and --semihosting-cmdline both set the command line")
    if args.ktest is not None:
        args.semihosting = True
        args.reject.append(KTEST_REJECT)
    if args.semihosting_cmdline is not None:
        args.semihosting = True
    if args.qemu_cmd_override is None and not (args.plat and args.image):
        p.error("--plat and --image are required")
    if not args.semihosting and not args.expect:
        p.error("an image that never exits needs at least one --expect "
                "(or use --semihosting)")
    if args.semihosting and args.until:
        p.error("--until is for images that never exit; a semihosting "
                "image is read until it exits")
    # A CMake list element with an unbalanced '[' swallows the arguments
    # after it, joined by ';' ("\x1b[A\r;--expect;..."): a test that would
    # silently check nothing more.
    for value in args.expect + args.reject + [args.until or ""] + \
            [x for pair in args.send for x in pair]:
        if re.search(r";--(expect|reject|send|until)\b", value):
            p.error(f"{value[:60]!r}...: arguments joined by ';' (an unbalanced '[' in a "
                    f"CMake list? write it as \\x5b)")
    try:
        args.expect_re = [re.compile(r) for r in args.expect]
        args.reject_re = [re.compile(r) for r in args.reject]
        args.until_re = re.compile(args.until) if args.until else None
        args.send_re = [(re.compile(rx), text) for rx, text in args.send]
    except re.error as err:
        p.error(f"bad regex {err.pattern!r}: {err}")
    try:
        args.send_re = [(rx, codecs.decode(text, "unicode_escape").encode(
            "latin-1")) for rx, text in args.send_re]
    except (UnicodeError, ValueError) as err:
        p.error(f"bad --send text: {err}")
    return args


def build_command(args):
    if args.qemu_cmd_override is not None:
        return ["sh", "-c", args.qemu_cmd_override]
    semihosting_args = None
    if args.semihosting_cmdline is not None:
        semihosting_args = args.semihosting_cmdline
    elif args.semihosting:
        semihosting_args = args.ktest or ""
    return qemu.qemu_command(args.plat, args.image, smp=args.smp,
                             mem=args.mem, semihosting_args=semihosting_args,
                             machine_opts=args.machine_opt,
                             extra=["-initrd", args.initrd] if args.initrd else ())


def _die_with_parent():
    # Runs in the child before exec: if the harness dies (even by SIGKILL),
    # the kernel sends QEMU SIGKILL, so no QEMU outlives its harness.
    try:
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG,
                                                signal.SIGKILL)
    except Exception:  # not Linux: the explicit kills below still apply
        pass


def kill_group(proc):
    """Stop QEMU and everything in its process group, then reap it."""
    def signal_group(sig):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # already gone
    signal_group(signal.SIGTERM)  # lets QEMU exit cleanly
    try:
        proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        pass
    signal_group(signal.SIGKILL)  # whatever is left, leader or helper
    proc.wait()


class Watcher:
    """Feeds output lines through the panic / reject / expect checks."""

    def __init__(self, args):
        self.args = args
        self.matched = [False] * len(args.expect_re)
        self.failures = []          # reasons, in the order they happened
        self.until_seen = False     # a line matched --until
        self.panicked = False       # a "KERNEL PANIC:" line was seen

    def line(self, text):
        if self.args.until_re and self.args.until_re.search(text):
            self.until_seen = True
        if PANIC_MARKER in text and not self.panicked:
            self.panicked = True  # the first panic line names the cause
            self._fail(f"kernel panic: {text.strip()}")
        for rx in self.args.reject_re:
            if rx.search(text):
                self._fail(f"line matches --reject {rx.pattern!r}: "
                           f"{text.strip()}")
        for i, rx in enumerate(self.args.expect_re):
            if not self.matched[i] and rx.search(text):
                self.matched[i] = True

    def _fail(self, reason):
        if reason not in self.failures:
            self.failures.append(reason)

    def missing(self):
        return [rx.pattern for rx, ok in zip(self.args.expect_re,
                                             self.matched) if not ok]


class Outcome:
    """How the run ended."""
    exit_code = None        # QEMU's exit status if it exited by itself
    timed_out = False       # the --timeout ran out
    stopped_early = False   # a non-exiting image printed every --expect,
                            # or the --until line


def run(args):
    """Boot, watch, stop QEMU. Returns the Watcher and an Outcome."""
    cmd = build_command(args)
    print(f"harness: {shlex.join(cmd)}", flush=True)
    sends = list(args.send_re)   # (regex, bytes) still to type, in order
    send_at = None               # when to type sends[0] (its line was seen)
    # stdin is a pipe even without --send: at a timeout the harness types
    # Ctrl-] three times, which makes the kernel print its scheduler state
    # (sched_debug_dump), and shows that for DUMP_SECONDS before stopping.
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True,
                            preexec_fn=_die_with_parent)
    watcher = Watcher(args)
    out = Outcome()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    partial = ""
    # Where the unfinished last line's text typed since starts: a --send
    # regex may match there too (a prompt, or a full-screen program, prints
    # no newline), but only text that came after the last typing.
    fresh = 0
    deadline = time.monotonic() + args.timeout
    grace_deadline = None
    dumped = False
    eof = False
    fd = proc.stdout.fileno()
    try:
        while True:
            end = deadline if grace_deadline is None else min(deadline,
                                                               grace_deadline)
            now = time.monotonic()
            if send_at is not None and now >= send_at:
                _, text = sends.pop(0)
                send_at = None
                fresh = len(partial)
                print(f"\nharness: typing {text!r}", flush=True)
                try:
                    proc.stdin.write(text)
                    proc.stdin.flush()
                except OSError:
                    pass  # QEMU is gone; the verdict will say why
                continue
            if now >= end:
                out.timed_out = now >= deadline
                if out.timed_out and not dumped:
                    dumped = True
                    print("\nharness: timeout; asking the kernel for its "
                          "scheduler state (Ctrl-] x3)", flush=True)
                    try:
                        proc.stdin.write(b"\x1d\x1d\x1d")
                        proc.stdin.flush()
                    except OSError:
                        pass
                    deadline = now + DUMP_SECONDS
                    grace_deadline = None
                    continue
                break
            wait = end - now
            if send_at is not None:
                wait = min(wait, max(0.0, send_at - now))
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                eof = True  # QEMU closed its output: it is exiting
                break
            text = decoder.decode(chunk).replace("\r", "")
            sys.stdout.write(text)
            sys.stdout.flush()
            *lines, partial = (partial + text).split("\n")
            if lines:
                fresh = 0
            for line in lines:
                watcher.line(line)
                if sends and send_at is None and sends[0][0].search(line):
                    send_at = time.monotonic() + args.input_delay
            if sends and send_at is None and sends[0][0].search(partial[fresh:]):
                send_at = time.monotonic() + args.input_delay
            if watcher.failures and grace_deadline is None:
                grace_deadline = time.monotonic() + GRACE_SECONDS
            # Done early? (After a failure, the grace period decides.)
            done = watcher.until_seen or (
                not args.semihosting and not args.expect_failure
                and not watcher.missing())
            if done and not watcher.failures:
                out.stopped_early = True
                break
        if dumped:
            # The dump's few seconds do not turn a timeout into a pass.
            out.timed_out = True
            out.stopped_early = False
        if partial:
            # An unfinished last line still counts (e.g. a panic message
            # printed right before the CPU stopped).
            sys.stdout.write("\n")
            watcher.line(partial)
        if eof:
            try:
                out.exit_code = proc.wait(
                    timeout=max(5.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                out.timed_out = True
        else:
            out.exit_code = proc.poll()
    finally:
        # No interruption half-way through the cleanup.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT,
                                                  signal.SIGTERM,
                                                  signal.SIGHUP})
        kill_group(proc)
        proc.stdout.close()
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
    return watcher, out


def verdict(args, watcher, out):
    """Failure reasons other than missing --expect lines (empty: none)."""
    reasons = list(watcher.failures)
    if out.stopped_early:
        return reasons
    if out.timed_out:
        reasons.append(f"timeout after {args.timeout:g} s")
    if out.exit_code is not None:
        if out.exit_code < 0:
            reasons.append(f"QEMU killed by signal {-out.exit_code}")
        elif not args.semihosting:
            reasons.append(f"QEMU exited (code {out.exit_code}) but this "
                           f"image should run until stopped")
        elif out.exit_code != args.expect_exit:
            reasons.append(f"exit code {out.exit_code}, expected "
                           f"{args.expect_exit}")
    return reasons


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.qemu_cmd_override is None and not os.path.isfile(args.image):
        print(f"harness: FAIL: no such image: {args.image} (was it built?)")
        return 1

    # Turn Ctrl-C, SIGTERM (e.g. ctest's timeout) and SIGHUP into a clean
    # exit, so the `finally` in run() stops QEMU. SIGINT is set explicitly
    # because a non-interactive shell starts background jobs ignoring it.
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    try:
        watcher, out = run(args)
    except KeyboardInterrupt:
        print("\nharness: FAIL: interrupted", flush=True)
        return 1
    except qemu.QemuConfigError as err:
        print(f"harness: FAIL: {err}", flush=True)
        return 1
    except OSError as err:
        print(f"harness: FAIL: cannot start QEMU: {err}", flush=True)
        return 1

    reasons = verdict(args, watcher, out)
    missing = ", ".join(repr(m) for m in watcher.missing())
    if args.expect_failure:
        if not reasons:
            reasons = ["expected the run to fail, but it did not" +
                       (f" (and missing expected output: {missing})"
                        if missing else "")]
        elif missing:
            reasons = ["the run failed (" + "; ".join(reasons) + ") but "
                       f"without the expected output: {missing}"]
        else:
            print("harness: failure detected as expected: " +
                  "; ".join(reasons))
            reasons = []
    elif missing:
        reasons.append(f"missing expected output: {missing}")

    if reasons:
        print("harness: FAIL: " + "; ".join(reasons), flush=True)
        return 1
    print("harness: PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
