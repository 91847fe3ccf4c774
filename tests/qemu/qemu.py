#!/usr/bin/env python3
"""The one place that knows how to start QEMU for ChCore-Next.

Everything that boots a kernel -- `./chbuild run`, `./chbuild gdb` and the
test harness -- builds its command line with qemu_command(), so a board
quirk is fixed once, here.

As a program:
    qemu.py run --plat virt --image build/kernel-virt/kernel.img [--smp N]
                [--mem MiB] [--machine-opt KEY=VALUE]... [--gdb PORT]
                [--semihosting-arg=ARG]... [--dry-run]
execs QEMU (interactive: Ctrl-A X quits) or, with --dry-run, prints the
command line.
"""

import argparse
import os
import shlex
import sys

# Environment variable naming another QEMU binary (e.g. a self-built one).
QEMU_ENV = "CHCORE_QEMU"
DEFAULT_QEMU = "qemu-system-aarch64"

# Per-platform facts (measured on QEMU 7.2):
#  - virt needs "-nic none" (or the ipxe ROMs) or it refuses to start.
#  - raspi3b only exists with exactly 4 CPUs and 1 GiB of RAM.
#  - phys_entry is where the kernel Image is loaded and entered; `./chbuild
#    gdb` puts its first breakpoint there.
PLATFORMS = {
    "virt": {
        "machine": "virt",
        "cpu": "cortex-a72",
        "smp": 4,
        "mem": 1024,
        "fixed": False,
        "phys_entry": 0x40080000,
        "extra": ["-nic", "none"],
    },
    "raspi3": {
        "machine": "raspi3b",
        "cpu": None,  # the board model fixes the CPU (Cortex-A53)
        "smp": 4,
        "mem": 1024,
        "fixed": True,  # QEMU refuses any other CPU count or memory size
        "phys_entry": 0x80000,
        "extra": [],
    },
}


class QemuConfigError(ValueError):
    """A request QEMU cannot satisfy (bad platform, size, ...)."""


def parse_mem_mib(mem):
    """Accept 2048, "2048", "2048M" or "2G"; return the size in MiB."""
    if isinstance(mem, int):
        value = mem
    else:
        text = str(mem).strip().upper()
        scale = 1
        if text.endswith("G"):
            scale, text = 1024, text[:-1]
        elif text.endswith("M"):
            text = text[:-1]
        if not text.isdigit():
            raise QemuConfigError(
                f"--mem takes a size in MiB (e.g. 2048 or 2G), not {mem!r}")
        value = int(text) * scale
    if value <= 0:
        raise QemuConfigError(f"memory size must be positive, not {mem!r}")
    return value


def _escape_opt(value):
    # In QEMU's KEY=VALUE option lists a comma inside a value is doubled.
    return str(value).replace(",", ",,")


def semihosting_cmdline(words):
    """The command line that the test image splits into exactly `words`:
    each word quoted as a POSIX shell would need it (shlex.quote), joined
    by spaces. Plain words stay as they are ("exec /tests/caps")."""
    return " ".join(shlex.quote(str(w)) for w in words)


def qemu_command(plat, image, smp=None, mem=None, semihosting_args=None,
                 machine_opts=(), interactive=False, gdb_port=None, extra=()):
    """Return the argv that boots `image` on platform `plat`.

    smp, mem        CPU count and memory in MiB (None: the platform default).
    semihosting_args
                    None: no semihosting (production images). Otherwise
                    semihosting is on, and the command line SYS_GET_CMDLINE
                    returns is: for a string, that string as it is (already
                    quoted, e.g. "exec /tests/caps"); for a list, its items
                    each quoted as a POSIX shell word (semihosting_cmdline),
                    which the test image splits back into exactly these
                    words (kernel/lib/cmdline.h). [] or "" give an empty
                    command line.
    machine_opts    extra "-M" properties, e.g. ["virtualization=on"].
    interactive     True: terminal on the serial port plus the monitor
                    (Ctrl-A X quits). False: serial on stdout, no monitor,
                    nothing read from the terminal -- for tests and gdb.
    gdb_port        start halted with a GDB stub on 127.0.0.1:gdb_port.
    extra           more raw QEMU arguments, appended last.
    """
    if plat not in PLATFORMS:
        raise QemuConfigError(
            f"unknown platform {plat!r}; choose one of: {', '.join(PLATFORMS)}")
    board = PLATFORMS[plat]
    smp = board["smp"] if smp is None else int(smp)
    mem = board["mem"] if mem is None else parse_mem_mib(mem)
    if smp < 1:
        raise QemuConfigError(f"--smp must be at least 1, not {smp}")
    if board["fixed"] and (smp != board["smp"] or mem != board["mem"]):
        raise QemuConfigError(
            f"QEMU's {board['machine']} board always has {board['smp']} CPUs "
            f"and {board['mem']} MiB of memory (asked for {smp} CPUs, "
            f"{mem} MiB); use --plat virt to vary them")

    machine = ",".join([board["machine"]] + list(machine_opts))
    argv = [os.environ.get(QEMU_ENV, DEFAULT_QEMU), "-M", machine]
    if board["cpu"]:
        argv += ["-cpu", board["cpu"]]
    argv += ["-smp", str(smp), "-m", f"{mem}M"]
    argv += board["extra"]
    # With more virtual CPUs than host cores, multi-threaded TCG lets a vCPU
    # spin for a whole host time slice on a lock whose holder's host thread
    # is descheduled (yield and wfe are no-ops under MTTCG): a 4-CPU guest on
    # a 2-core host then runs lock-heavy work a hundred times slower.
    # Round-robin single-threaded TCG has no such problem. -icount implies it.
    if smp > (os.cpu_count() or 1) and "-icount" not in extra:
        argv += ["-accel", "tcg,thread=single"]
    argv += ["-kernel", str(image)]
    # A guest's reboot (reboot, the watchdog on raspi3, PSCI SYSTEM_RESET on
    # virt) ends QEMU as its poweroff does, instead of booting again.
    argv += ["-no-reboot"]

    if interactive:
        argv += ["-nographic"]
    else:
        argv += ["-display", "none", "-serial", "stdio", "-monitor", "none"]

    if semihosting_args is not None:
        if not isinstance(semihosting_args, str):
            semihosting_args = semihosting_cmdline(semihosting_args)
        # One arg= with the whole line: QEMU joins several with spaces, with
        # no quoting. Always pass one: with none, QEMU would hand the kernel
        # the image's file name as its command line.
        argv += ["-semihosting-config",
                 f"enable=on,target=native,arg={_escape_opt(semihosting_args)}"]

    if gdb_port is not None:
        # Listen on loopback only: the stub gives full control of the guest.
        argv += ["-S", "-gdb", f"tcp:127.0.0.1:{int(gdb_port)}"]

    argv += list(extra)
    return argv


SEMIHOSTING_ARG = "--semihosting-arg"


def _take_semihosting_args(argv):
    """Takes every `--semihosting-arg VALUE` and `--semihosting-arg=VALUE`
    out of argv before argparse sees it: argparse would read a VALUE that
    begins with '-' as an option, and it drops a VALUE of "--" (Python
    3.11). Returns (the other arguments, the VALUEs or None)."""
    rest, words = [], None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == SEMIHOSTING_ARG and i + 1 < len(argv):
            words = (words or []) + [argv[i + 1]]
            i += 2
            continue
        if arg.startswith(SEMIHOSTING_ARG + "="):
            words = (words or []) + [arg[len(SEMIHOSTING_ARG) + 1:]]
        else:
            rest.append(arg)
        i += 1
    return rest, words


def _parse_args(argv):
    argv, semihosting_words = _take_semihosting_args(list(argv))
    parser = argparse.ArgumentParser(
        prog="qemu.py",
        description="Boot a ChCore-Next kernel image in QEMU.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="exec QEMU on an image",
        description="Exec QEMU on a kernel image. Interactive unless --gdb "
                    "is given (then the serial output goes to stdout and "
                    "the terminal belongs to gdb).")
    run.add_argument("--plat", required=True, choices=sorted(PLATFORMS))
    run.add_argument("--image", required=True, help="raw kernel Image")
    run.add_argument("--smp", type=int, help="number of CPUs (virt)")
    run.add_argument("--mem", help="memory in MiB, e.g. 2048 (virt)")
    run.add_argument("--machine-opt", action="append", default=[],
                     metavar="KEY=VALUE",
                     help="extra -M property, e.g. virtualization=on")
    run.add_argument("--gdb", type=int, metavar="PORT",
                     help="start halted, GDB stub on 127.0.0.1:PORT")
    # Only for --help: _take_semihosting_args has taken them out already.
    run.add_argument(SEMIHOSTING_ARG, action="append", metavar="ARG",
                     help="enable semihosting; ARG is the next word of the "
                          "command line, which the test image reads back "
                          "unchanged (spaces, quotes, empty, leading dashes)")
    run.add_argument("--initrd", metavar="CPIO",
                     help="load this ramdisk next to the kernel (virt: replaces the built-in one)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the command instead of running it")
    args = parser.parse_args(argv)
    if semihosting_words is not None:
        args.semihosting_arg = semihosting_words
    return args


def main(argv=None):
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    interactive = args.gdb is None
    try:
        cmd = qemu_command(args.plat, args.image, smp=args.smp, mem=args.mem,
                           semihosting_args=args.semihosting_arg,
                           machine_opts=args.machine_opt,
                           interactive=interactive, gdb_port=args.gdb,
                           extra=["-initrd", args.initrd] if args.initrd else ())
    except QemuConfigError as err:
        print(f"qemu.py: {err}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(shlex.join(cmd))
        return 0
    if not os.path.isfile(args.image):
        print(f"qemu.py: no such image: {args.image}", file=sys.stderr)
        return 2
    if interactive:
        print("qemu.py: starting QEMU; press Ctrl-A then X to quit.",
              file=sys.stderr, flush=True)
    try:
        os.execvp(cmd[0], cmd)
    except FileNotFoundError:
        print(f"qemu.py: {cmd[0]} not found (install qemu-system-arm, or "
              f"set {QEMU_ENV})", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
