#!/usr/bin/env bash
# fetch-musl.sh DOWNLOAD_DIR
#
# Puts musl's source tarball (musl_1.2.3.orig.tar.gz from Debian's source
# package) into DOWNLOAD_DIR, checks its sha256 and prints its path. A
# second run finds it there and fetches nothing.
#
# The machine's apt configuration is not changed, and no root is needed:
# apt-get runs with a private sources list holding one deb-src line (the
# archive URI, suite and signed-by keyring of the machine's own Debian apt
# sources) and private state and cache directories under DOWNLOAD_DIR.
#
# Environment:
#   CHCORE_MUSL_DEB_SRC  use this deb-src line instead of one derived from
#                        /etc/apt (e.g. "deb-src [signed-by=/usr/share/keyrings/
#                        debian-archive-keyring.gpg] http://deb.debian.org/debian
#                        bookworm main")
set -euo pipefail

MUSL_VERSION=1.2.3
TARBALL=musl_${MUSL_VERSION}.orig.tar.gz
# Observed on Debian bookworm's musl 1.2.3-1; the same bytes as upstream's
# musl-1.2.3.tar.gz.
SHA256=7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4

die() {
  echo "fetch-musl: $*" >&2
  exit 1
}
note() { echo "fetch-musl: $*" >&2; }

[ $# -eq 1 ] || die "usage: fetch-musl.sh DOWNLOAD_DIR"
mkdir -p "$1"
DL=$(cd "$1" && pwd)
OUT=$DL/$TARBALL

sha_ok() { echo "$SHA256  $1" | sha256sum --check --status; }

if [ -f "$OUT" ]; then
  if sha_ok "$OUT"; then
    echo "$OUT"
    exit 0
  fi
  note "$OUT has the wrong sha256; fetching it again"
  rm -f "$OUT"
fi

command -v apt-get >/dev/null || die "apt-get not found: musl comes from Debian's source package (put $TARBALL with sha256 $SHA256 into $DL by hand on other systems)"

# The deb-src line: from the first Debian archive entry of the machine's apt
# sources (deb822 .sources files first, then one-line sources.list files).
derive_deb_src() {
  local f
  # deb822: stanzas separated by blank lines; take Types/URIs/Suites/
  # Components/Signed-By/Enabled of the first stanza whose URI is a Debian
  # archive (not debian-security).
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (uri != "" && enabled != "no" && uri ~ /\/debian\/?$/ && !found) {
          split(suites, s, " ")
          line = "deb-src"
          if (key != "" && key !~ /BEGIN PGP/) line = line " [signed-by=" key "]"
          print line " " uri " " s[1] " main"
          found = 1
        }
        uri = ""; suites = ""; key = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { $1 = ""; sub(/^ +/, ""); suites = $0 }
      tolower($1) == "signed-by:" { key = $2 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { flush() }
    ' "$f" | head -n1
  done | head -n1
}
derive_deb_src_oneline() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] uri suite components...
    awk '
      $1 == "deb" || $1 == "deb-src" {
        opts = ""; i = 2
        if ($2 ~ /^\[/) {
          while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } i++ }
        }
        uri = $i; suite = $(i + 1)
        if (uri ~ /\/debian\/?$/) {
          key = ""
          if (match(opts, /signed-by=[^] ]+/)) key = substr(opts, RSTART + 10, RLENGTH - 10)
          line = "deb-src"
          if (key != "") line = line " [signed-by=" key "]"
          print line " " uri " " suite " main"
          exit
        }
      }
    ' "$f"
  done | head -n1
}

LINE=${CHCORE_MUSL_DEB_SRC:-}
[ -n "$LINE" ] || LINE=$(derive_deb_src)
[ -n "$LINE" ] || LINE=$(derive_deb_src_oneline)
[ -n "$LINE" ] || die "no Debian archive found in /etc/apt/sources.list{,.d/} to fetch musl's source from; set CHCORE_MUSL_DEB_SRC to a deb-src line (see this script's header)"

WORK=$(mktemp -d "$DL/.fetch-musl.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/src"
echo "$LINE" >"$WORK/sources.list"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$WORK/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$WORK/lists"
  -o "Dir::Cache=$WORK/cache"
  -o "Acquire::Retries=2"
  -o "Acquire::http::Timeout=30"
)
# As root, apt downloads as the _apt user, who cannot write to our private
# directories; keep the download in the calling user's hands.
[ "$(id -u)" = 0 ] && APT_OPTS+=(-o "APT::Sandbox::User=root")

note "fetching musl $MUSL_VERSION's source from Debian ($LINE)"
if ! apt-get -q "${APT_OPTS[@]}" update >"$WORK/update.log" 2>&1 ||
  grep -qE '^(W|E): (Failed|Some index)' "$WORK/update.log"; then
  cat "$WORK/update.log" >&2
  die "cannot reach the Debian archive ($LINE). Check the network or proxy, or put $TARBALL (sha256 $SHA256) into $DL by hand."
fi
if ! (cd "$WORK/src" && apt-get -q "${APT_OPTS[@]}" source --download-only musl >"$WORK/source.log" 2>&1); then
  cat "$WORK/source.log" >&2
  die "apt-get source musl failed (see above). The archive must carry musl $MUSL_VERSION (Debian bookworm does); or put $TARBALL (sha256 $SHA256) into $DL by hand."
fi
[ -f "$WORK/src/$TARBALL" ] ||
  die "the archive's musl source package is not $MUSL_VERSION (got: $(cd "$WORK/src" && ls)); use a bookworm deb-src line in CHCORE_MUSL_DEB_SRC"
sha_ok "$WORK/src/$TARBALL" ||
  die "$TARBALL from the archive has sha256 $(sha256sum "$WORK/src/$TARBALL" | cut -d' ' -f1), expected $SHA256"
mv "$WORK/src/$TARBALL" "$OUT"
note "musl source cached at $OUT"
echo "$OUT"
