#!/usr/bin/env bash
# fetch-busybox.sh DOWNLOAD_DIR
#
# Puts BusyBox's source tarball (busybox_1.35.0.orig.tar.bz2 from Debian
# bookworm's source package) into DOWNLOAD_DIR, checks its sha256 and
# prints its path; cached like musl's (user/fetch-debian-source.sh says how
# it is fetched, and CHCORE_DEB_SRC how to name another archive).
set -euo pipefail

[ $# -eq 1 ] || {
  echo "usage: fetch-busybox.sh DOWNLOAD_DIR" >&2
  exit 1
}
# Observed on Debian bookworm's busybox 1:1.35.0-4; the same bytes as
# upstream's busybox-1.35.0.tar.bz2.
SHA256=faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694
exec "$(dirname "${BASH_SOURCE[0]}")/../fetch-debian-source.sh" \
  fetch-busybox busybox busybox_1.35.0.orig.tar.bz2 "$SHA256" "$1"
