#!/usr/bin/env bash
# build-busybox.sh SRC_TARBALL SYSROOT BUILD_DIR
#
# Builds BusyBox (SRC_TARBALL, from fetch-busybox.sh) statically with
# SYSROOT's chcore-clang against chcore-libc, configured as `make defconfig`
# with config.fragment laid over it:
#
#   BUILD_DIR/src/          the tarball, unpacked, with patches/ applied
#   BUILD_DIR/obj/          BusyBox's out-of-tree build (O=), its .config
#   BUILD_DIR/busybox       the stripped binary the ramdisk gets (/bin/busybox)
#   BUILD_DIR/busybox.elf   the same with debug information (for GDB)
#   BUILD_DIR/links.txt     "GUEST_PATH TARGET" per applet, for mkcpio.py
#
# Incremental: the tree is unpacked again only when the tarball or this
# script change, configured again when config.fragment changes; BusyBox's
# own make rebuilds what that changed, and relinks when chcore-libc's libc.a
# did. The
# outputs keep their timestamps when their bytes stay the same, so the
# ramdisk is not rebuilt for nothing; with no input changed, make is not
# even run.
#
# Environment: JOBS (make -j, default 2), CLANG (default clang-19, also the
# host compiler for BusyBox's build tools), LLVM_SUFFIX (default -19).
set -euo pipefail

die() {
  echo "build-busybox: $*" >&2
  exit 1
}

[ $# -eq 3 ] || die "usage: build-busybox.sh SRC_TARBALL SYSROOT BUILD_DIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$1" ] || die "$1: no such file (run fetch-busybox.sh first)"
TARBALL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SYSROOT=$(cd "$2" && pwd)
[ -x "$SYSROOT/bin/chcore-clang" ] || die "$SYSROOT/bin/chcore-clang: not found (build chcore-libc first)"
mkdir -p "$3"
B=$(cd "$3" && pwd)
SRC=$B/src
OBJ=$B/obj
JOBS=${JOBS:-2}
CLANG=${CLANG:-clang-19}
SFX=${LLVM_SUFFIX:--19}

for tool in "$CLANG" "ld.lld$SFX" "llvm-ar$SFX" "llvm-objcopy$SFX" make tar bzip2 patch; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

# BusyBox's make variables: chcore-clang compiles and links; built-in.o
# files are partial links (`$(LD) -r`), which must not get chcore-clang's
# start files and libc; the build's own tools (kconfig, fixdep) are host
# programs.
MAKE_VARS=(
  "CC=$SYSROOT/bin/chcore-clang"
  "LD=ld.lld$SFX"
  "AR=llvm-ar$SFX"
  "NM=llvm-nm$SFX"
  "STRIP=llvm-strip$SFX"
  "OBJCOPY=llvm-objcopy$SFX"
  "OBJDUMP=llvm-objdump$SFX"
  "HOSTCC=$CLANG"
  "HOSTCXX=clang++${SFX}"
)
bb_make() { make -C "$SRC" O="$OBJ" "${MAKE_VARS[@]}" "$@"; }

# ---- 1. The tree -----------------------------------------------------------------
recipe_hash() {
  {
    sha256sum "$TARBALL" | cut -d' ' -f1
    sha256sum "$HERE/build-busybox.sh" | cut -d' ' -f1
    (cd "$HERE/patches" && find . -type f | LC_ALL=C sort | xargs -r sha256sum)
    echo "$CLANG $SFX"
  } | sha256sum | cut -d' ' -f1
}
RECIPE=$(recipe_hash)
if [ ! -f "$B/.recipe" ] || [ "$(cat "$B/.recipe")" != "$RECIPE" ] || [ ! -d "$SRC" ]; then
  echo "build-busybox: unpacking $(basename "$TARBALL")"
  rm -rf "$SRC" "$OBJ" "$B/.recipe" "$B/.fragment"
  mkdir -p "$SRC" "$OBJ"
  tar -xjf "$TARBALL" -C "$SRC" --strip-components=1
  # The last resort: patches/ (each says why at its top) laid over the copy.
  for p in "$HERE"/patches/*.patch; do
    [ -e "$p" ] || continue
    patch -d "$SRC" -p1 --forward --quiet <"$p" || die "$(basename "$p") does not apply"
  done
  echo "$RECIPE" >"$B/.recipe"
fi

# ---- 2. The configuration: defconfig + config.fragment -------------------------------
# Made again when the fragment changes; BusyBox's make then rebuilds the
# files that use a changed symbol (kbuild tracks them one by one).
FRAGMENT=$(sha256sum "$HERE/config.fragment" | cut -d' ' -f1)
if [ ! -f "$B/.fragment" ] || [ "$(cat "$B/.fragment")" != "$FRAGMENT" ] || [ ! -f "$OBJ/.config" ]; then
  echo "build-busybox: configuring (defconfig + config.fragment)"
  rm -f "$B/.fragment"
  bb_make defconfig >"$B/config.log" 2>&1 || {
    tail -n 20 "$B/config.log" >&2
    die "make defconfig failed (whole log: $B/config.log)"
  }
  # Lay the fragment over: each CONFIG_X line of it replaces defconfig's.
  frag=$(grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$HERE/config.fragment")
  names=$(sed -E 's/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1/; s/=.*//' <<<"$frag")
  grep -vwF -f <(echo "$names") "$OBJ/.config" >"$OBJ/.config.new" || true
  echo "$frag" >>"$OBJ/.config.new"
  mv "$OBJ/.config.new" "$OBJ/.config"
  # New symbols the fragment's choices make visible take their defaults.
  { yes "" || :; } | bb_make oldconfig >>"$B/config.log" 2>&1 || die "make oldconfig failed (log: $B/config.log)"
  # Every line of the fragment must have survived kconfig's dependencies.
  while read -r line; do
    grep -qxF "$line" "$OBJ/.config" ||
      die "config.fragment: '$line' is not in the resulting .config (a dependency is missing; see $OBJ/.config)"
  done <<<"$frag"
  echo "$FRAGMENT" >"$B/.fragment"
fi

# ---- 3. Build -----------------------------------------------------------------------
# BusyBox's make does not know that the program depends on libc.a (and on
# the layout chcore-clang gives its data, fork-hot.order).
LIBC=$(cat "$SYSROOT/lib/libc.a" "$SYSROOT/lib/fork-hot.order" | sha256sum | cut -d' ' -f1)
if [ ! -f "$B/.libc" ] || [ "$(cat "$B/.libc")" != "$LIBC" ]; then
  rm -f "$OBJ/busybox_unstripped" "$OBJ/busybox" "$B/.built"
fi
# Nothing but these inputs can change the copy, so when none has changed
# since the last build, BusyBox's make (10 s to find nothing) is skipped.
BUILT="$RECIPE $FRAGMENT $LIBC"
if [ -f "$B/.built" ] && [ "$(cat "$B/.built")" = "$BUILT" ] &&
  [ -f "$B/busybox" ] && [ -f "$B/links.txt" ]; then
  echo "build-busybox: $B/busybox is up to date"
  exit 0
fi
rm -f "$B/.built"
echo "build-busybox: make -j$JOBS (log: $B/make.log)"
if ! bb_make -j"$JOBS" busybox busybox.links >"$B/make.log" 2>&1; then
  grep -E "error:|Error [0-9]|undefined" "$B/make.log" | head -n 40 >&2
  die "building BusyBox failed (whole log: $B/make.log)"
fi
echo "$LIBC" >"$B/.libc"

# ---- 4. Outputs, replaced only when they change ------------------------------------------
update() { # update NEW DEST
  if cmp -s "$1" "$2"; then rm -f "$1"; else mv "$1" "$2"; fi
}
cp "$OBJ/busybox_unstripped" "$B/busybox.elf.new"
update "$B/busybox.elf.new" "$B/busybox.elf"
"llvm-objcopy$SFX" --strip-all "$B/busybox.elf" "$B/busybox.new"
update "$B/busybox.new" "$B/busybox"
# One link per applet, all in /bin beside /bin/busybox (relative, so they
# also work below another root); names the system already has are left out
# (init is the project's own).
sed -E 's|.*/||' "$OBJ/busybox.links" | LC_ALL=C sort -u |
  grep -vxE 'busybox|init|linuxrc' | sed -E 's|^(.*)$|/bin/\1 busybox|' >"$B/links.txt.new"
update "$B/links.txt.new" "$B/links.txt"
echo "$BUILT" >"$B/.built"
echo "build-busybox: $B/busybox ($(wc -l <"$B/links.txt") applets)"
