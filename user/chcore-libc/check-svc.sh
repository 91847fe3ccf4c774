#!/usr/bin/env bash
# check-svc.sh LIBC_A [OBJDUMP]
#
# Fails if any object of LIBC_A other than the native kernel-call stubs
# (native_syscall.o) contains an `svc` instruction: every system call of the
# libc must go through the dispatcher. Prints the offending functions.
set -euo pipefail
LIB=$1
OBJDUMP=${2:-llvm-objdump-19}
# musl builds its objects as .o, or as .lo when the compiler produces PIC by
# default (clang for aarch64-linux-musl does).
ALLOWED=native_syscall

out=$("$OBJDUMP" -d --no-show-raw-insn "$LIB" | awk -v allowed="$ALLOWED" '
  /file format/ { obj = $1; sub(/^.*\(/, "", obj); sub(/\).*$/, "", obj); sub(/:$/, "", obj); next }
  /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
  $2 == "svc" || $3 == "svc" {
    total++
    if (obj == allowed ".o" || obj == allowed ".lo") ok++
    else print "  " obj ": " fn ": " $0
  }
  END { printf "SUMMARY %d %d\n", total, ok }
')
bad=$(echo "$out" | grep -v '^SUMMARY' || true)
read -r _ total ok <<<"$(echo "$out" | grep '^SUMMARY')"
if [ -n "$bad" ]; then
  echo "check-svc: svc outside $ALLOWED.{o,lo} in $LIB:" >&2
  echo "$bad" >&2
  exit 1
fi
if [ "$ok" -eq 0 ]; then
  echo "check-svc: no svc found in $ALLOWED.{o,lo} either: is $LIB the right library?" >&2
  exit 1
fi
echo "check-svc: $ok svc instructions, all in $ALLOWED.{o,lo}"
