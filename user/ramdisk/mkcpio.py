#!/usr/bin/env python3
"""Write a newc cpio archive (the boot ramdisk) from host files.

    mkcpio.py -o ramdisk.cpio --entry build/hello:/bin/hello ...

Each --entry HOST_PATH:GUEST_PATH puts the host file at GUEST_PATH in the
archive as a regular file with mode 0100755. Parent directories are added
as entries of their own (mode 040755) before their contents. Names are stored
without the leading "/" ("bin/hello"), as `find . | cpio -o -H newc` would
store "./bin/hello" minus the "./".

The output depends only on the arguments and the files' bytes: entries are
sorted by guest path, mtime, uid and gid are 0, inode numbers count up from 1
in archive order, and the archive ends with the usual TRAILER!!! entry,
padded to a multiple of 512 bytes like GNU cpio's output.
"""

import argparse
import sys

MAGIC = b"070701"
MODE_FILE = 0o100755
MODE_DIR = 0o040755


def header(ino, mode, nlink, filesize, namesize):
    fields = [ino, mode, 0, 0, nlink, 0, filesize, 0, 0, 0, 0, namesize, 0]
    return MAGIC + b"".join(b"%08x" % f for f in fields)


def pad4(n):
    return (4 - n % 4) % 4


def entry(ino, name, mode, nlink, data=b""):
    encoded = name.encode() + b"\0"
    out = header(ino, mode, nlink, len(data), len(encoded)) + encoded
    out += b"\0" * pad4(len(out))
    out += data + b"\0" * pad4(len(data))
    return out


def guest_name(path):
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"bad guest path {path!r}")
    return "/".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True, help="archive to write")
    p.add_argument("--entry", action="append", default=[],
                   metavar="HOST_PATH:GUEST_PATH",
                   help="add a file (repeatable)")
    args = p.parse_args(argv)

    files = {}
    for spec in args.entry:
        host, sep, guest = spec.rpartition(":")
        if not sep or not host:
            p.error(f"--entry needs HOST_PATH:GUEST_PATH, not {spec!r}")
        try:
            name = guest_name(guest)
        except ValueError as err:
            p.error(str(err))
        if name in files:
            p.error(f"{guest} given twice")
        files[name] = host

    dirs = set()
    for name in files:
        parts = name.split("/")
        for i in range(1, len(parts)):
            dirs.add("/".join(parts[:i]))
    clash = dirs & files.keys()
    if clash:
        p.error(f"{sorted(clash)[0]} is both a file and a directory")

    # Sorting by path components puts every directory before its contents.
    names = sorted(dirs | files.keys(), key=lambda n: n.split("/"))
    out = bytearray()
    for ino, name in enumerate(names, start=1):
        if name in dirs:
            out += entry(ino, name, MODE_DIR, 2)
        else:
            with open(files[name], "rb") as f:
                data = f.read()
            if len(data) > 0xffffffff:
                p.error(f"{files[name]} is too large for newc (4 GiB)")
            out += entry(ino, name, MODE_FILE, 1, data)
    out += entry(0, "TRAILER!!!", 0, 1)
    out += b"\0" * ((512 - len(out) % 512) % 512)

    with open(args.output, "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
