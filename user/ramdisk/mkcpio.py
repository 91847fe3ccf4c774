#!/usr/bin/env python3
"""Write a newc cpio archive (the boot ramdisk) from host files.

    mkcpio.py -o ramdisk.cpio --entry build/hello:/bin/hello ...

Each --entry HOST_PATH:GUEST_PATH puts the host file at GUEST_PATH in the
archive as a regular file with mode 0100755 (a program); --file does the same
with mode 0100644 (data: /etc/passwd). --symlink TARGET:GUEST_PATH adds a
symbolic link (mode 0120777, its data the target), --symlinks LIST the links
of LIST, a file of "GUEST_PATH TARGET" lines (BusyBox's applets), and --dir
GUEST_PATH an empty directory. --base ARCHIVE starts from the entries of
an existing newc archive, which the other options may replace (./chbuild
exec --add). Parent directories are added
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
MODE_DATA = 0o100644
MODE_DIR = 0o040755
MODE_LINK = 0o120777


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


def read_newc(path):
    """Yields (name, mode, data) for each entry of the newc archive at path."""
    with open(path, "rb") as f:
        d = f.read()
    pos = 0
    while True:
        h = d[pos:pos + 110]
        if len(h) < 110 or h[:6] != MAGIC:
            raise ValueError(f"{path}: not a newc archive at byte {pos}")
        mode, size, namesize = (int(h[14:22], 16), int(h[54:62], 16),
                                int(h[94:102], 16))
        name = d[pos + 110:pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += pad4(pos)
        data = d[pos:pos + size]
        pos += size + pad4(size)
        if name == "TRAILER!!!":
            return
        yield name, mode, data


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True, help="archive to write")
    p.add_argument("--entry", action="append", default=[],
                   metavar="HOST_PATH:GUEST_PATH",
                   help="add a program, mode 0755 (repeatable)")
    p.add_argument("--file", action="append", default=[],
                   metavar="HOST_PATH:GUEST_PATH",
                   help="add a data file, mode 0644 (repeatable)")
    p.add_argument("--symlink", action="append", default=[],
                   metavar="TARGET:GUEST_PATH",
                   help="add a symbolic link (repeatable)")
    p.add_argument("--symlinks", action="append", default=[], metavar="LIST",
                   help='add the links of LIST: "GUEST_PATH TARGET" lines')
    p.add_argument("--dir", action="append", default=[], metavar="GUEST_PATH",
                   help="add an (empty) directory (repeatable)")
    p.add_argument("--base", metavar="ARCHIVE",
                   help="start from this archive's entries (the options replace them)")
    args = p.parse_args(argv)

    # name -> (mode, host file or None, bytes or None)
    files = {}
    dirs = set()
    base = set()
    if args.base:
        try:
            for name, mode, data in read_newc(args.base):
                if mode & 0o170000 == MODE_DIR & 0o170000:
                    dirs.add(name)
                else:
                    files[name] = (mode, None, data)
                    base.add(name)
        except (OSError, ValueError) as err:
            p.error(str(err))

    def add(name_of, mode, host=None, target=None):
        try:
            name = guest_name(name_of)
        except ValueError as err:
            p.error(str(err))
        if name in files and name not in base:
            p.error(f"{name_of} given twice")
        base.discard(name)
        files[name] = (mode, host, None if target is None else target.encode())

    for opt, mode, specs in (("--entry", MODE_FILE, args.entry),
                             ("--file", MODE_DATA, args.file)):
        for spec in specs:
            host, sep, guest = spec.rpartition(":")
            if not sep or not host:
                p.error(f"{opt} needs HOST_PATH:GUEST_PATH, not {spec!r}")
            add(guest, mode, host=host)
    links = []  # (guest path, target)
    for spec in args.symlink:
        target, sep, guest = spec.rpartition(":")
        if not sep or not target:
            p.error(f"--symlink needs TARGET:GUEST_PATH, not {spec!r}")
        links.append((guest, target))
    for path in args.symlinks:
        with open(path) as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                if len(words) != 2:
                    p.error(f"{path}: not a GUEST_PATH TARGET line: {line!r}")
                links.append((words[0], words[1]))
    for guest, target in links:
        add(guest, MODE_LINK, target=target)

    for d in args.dir:
        try:
            dirs.add(guest_name(d))
        except ValueError as err:
            p.error(str(err))
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
            continue
        mode, host, data = files[name]
        if data is not None:
            out += entry(ino, name, mode, 1, data)
            continue
        with open(host, "rb") as f:
            data = f.read()
        if len(data) > 0xffffffff:
            p.error(f"{host} is too large for newc (4 GiB)")
        out += entry(ino, name, mode, 1, data)
    out += entry(0, "TRAILER!!!", 0, 1)
    out += b"\0" * ((512 - len(out) % 512) % 512)

    with open(args.output, "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
