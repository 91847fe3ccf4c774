#!/usr/bin/env bash
# fetch-musl.sh DOWNLOAD_DIR
#
# Puts musl's source tarball (musl_1.2.3.orig.tar.gz from Debian's source
# package) into DOWNLOAD_DIR, checks its sha256 and prints its path. A
# second run finds it there and fetches nothing. How it is fetched (apt-get
# with a private deb-src list; the machine's apt configuration is not
# changed): user/fetch-debian-source.sh.
#
# Environment:
#   CHCORE_MUSL_DEB_SRC  use this deb-src line instead of one derived from
#                        /etc/apt (e.g. "deb-src [signed-by=/usr/share/keyrings/
#                        debian-archive-keyring.gpg] http://deb.debian.org/debian
#                        bookworm main"); CHCORE_DEB_SRC does the same for
#                        every source package the build fetches
set -euo pipefail

[ $# -eq 1 ] || {
  echo "usage: fetch-musl.sh DOWNLOAD_DIR" >&2
  exit 1
}
# Observed on Debian bookworm's musl 1.2.3-1; the same bytes as upstream's
# musl-1.2.3.tar.gz.
SHA256=7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4
[ -z "${CHCORE_MUSL_DEB_SRC:-}" ] || export CHCORE_DEB_SRC=$CHCORE_MUSL_DEB_SRC
exec "$(dirname "${BASH_SOURCE[0]}")/../fetch-debian-source.sh" \
  fetch-musl musl musl_1.2.3.orig.tar.gz "$SHA256" "$1"
