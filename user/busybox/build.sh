#!/usr/bin/env bash
# build.sh DOWNLOAD_DIR SYSROOT BUILD_DIR: fetch BusyBox (cached) and build it.
# Called by the top-level CMake superbuild (ExternalProject busybox).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=$("$here/fetch-busybox.sh" "$1")
exec "$here/build-busybox.sh" "$tarball" "$2" "$3"
