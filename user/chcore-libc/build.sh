#!/usr/bin/env bash
# build.sh DOWNLOAD_DIR BUILD_DIR: fetch musl (cached) and build the sysroot.
# Called by the top-level CMake superbuild (ExternalProject chcore-libc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=$("$here/fetch-musl.sh" "$1")
exec "$here/build-musl.sh" "$tarball" "$2"
