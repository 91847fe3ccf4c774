#!/usr/bin/env bash
# fetch-debian-source.sh NAME PACKAGE TARBALL SHA256 DOWNLOAD_DIR
#
# Puts TARBALL (the upstream ".orig" tarball of Debian's source package
# PACKAGE) into DOWNLOAD_DIR, checks its sha256 against SHA256 and prints its
# path. A second run finds it there and fetches nothing. NAME prefixes the
# messages (fetch-musl, fetch-busybox). Used by user/chcore-libc/fetch-musl.sh
# and user/busybox/fetch-busybox.sh, which fix the package and its checksum.
#
# The machine's apt configuration is not changed, and no root is needed:
# apt-get runs with a private sources list holding one deb-src line (the
# archive URI, suite and signed-by keyring of the machine's own Debian apt
# sources) and private state and cache directories under DOWNLOAD_DIR.
#
# Environment:
#   CHCORE_DEB_SRC  use this deb-src line instead of one derived from
#                   /etc/apt (e.g. "deb-src [signed-by=/usr/share/keyrings/
#                   debian-archive-keyring.gpg] http://deb.debian.org/debian
#                   bookworm main")
set -euo pipefail

[ $# -eq 5 ] || {
  echo "usage: fetch-debian-source.sh NAME PACKAGE TARBALL SHA256 DOWNLOAD_DIR" >&2
  exit 1
}
NAME=$1 PACKAGE=$2 TARBALL=$3 SHA256=$4

die() {
  echo "$NAME: $*" >&2
  exit 1
}
note() { echo "$NAME: $*" >&2; }

mkdir -p "$5"
DL=$(cd "$5" && pwd)
OUT=$DL/$TARBALL
BY_HAND="put $TARBALL (sha256 $SHA256) into $DL by hand"

sha_ok() { echo "$SHA256  $1" | sha256sum --check --status; }

if [ -f "$OUT" ]; then
  if sha_ok "$OUT"; then
    echo "$OUT"
    exit 0
  fi
  note "$OUT has the wrong sha256; fetching it again"
  rm -f "$OUT"
fi

command -v apt-get >/dev/null || die "apt-get not found: $PACKAGE comes from Debian's source package ($BY_HAND on other systems)"

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

LINE=${CHCORE_DEB_SRC:-}
[ -n "$LINE" ] || LINE=$(derive_deb_src)
[ -n "$LINE" ] || LINE=$(derive_deb_src_oneline)
[ -n "$LINE" ] || die "no Debian archive found in /etc/apt/sources.list{,.d/} to fetch $PACKAGE's source from; set CHCORE_DEB_SRC to a deb-src line (see user/fetch-debian-source.sh)"

WORK=$(mktemp -d "$DL/.$NAME.XXXXXX")
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

note "fetching $PACKAGE's source from Debian ($LINE)"
if ! apt-get -q "${APT_OPTS[@]}" update >"$WORK/update.log" 2>&1 ||
  grep -qE '^(W|E): (Failed|Some index)' "$WORK/update.log"; then
  cat "$WORK/update.log" >&2
  die "cannot reach the Debian archive ($LINE). Check the network or proxy, or $BY_HAND."
fi
if ! (cd "$WORK/src" && apt-get -q "${APT_OPTS[@]}" source --download-only "$PACKAGE" >"$WORK/source.log" 2>&1); then
  cat "$WORK/source.log" >&2
  die "apt-get source $PACKAGE failed (see above). The archive must carry the version of $TARBALL (Debian bookworm does); or $BY_HAND."
fi
[ -f "$WORK/src/$TARBALL" ] ||
  die "the archive's $PACKAGE source package has no $TARBALL (got: $(cd "$WORK/src" && ls)); use a bookworm deb-src line in CHCORE_DEB_SRC"
sha_ok "$WORK/src/$TARBALL" ||
  die "$TARBALL from the archive has sha256 $(sha256sum "$WORK/src/$TARBALL" | cut -d' ' -f1), expected $SHA256"
mv "$WORK/src/$TARBALL" "$OUT"
note "$PACKAGE source cached at $OUT"
echo "$OUT"
