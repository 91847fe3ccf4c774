// Splits a command line into words with the quoting of a POSIX shell, so
// that a word may hold spaces, quotes or nothing at all. Used by the test
// image for the semihosting command line that `./chbuild exec` and the QEMU
// tests give it (tests/qemu/qemu.py quotes each argument with Python's
// shlex.quote, whose output this reads back unchanged).
//
// The subset of sh(1) that is understood:
//  - words are separated by spaces, tabs and newlines;
//  - '...' keeps everything up to the next ' literally;
//  - "..." keeps everything up to the next unescaped ", where a backslash
//    escapes only " \ $ ` (before any other character it stays);
//  - outside quotes a backslash takes the next character literally;
//  - '' or "" alone is an empty word.
// Nothing is expanded ($, *, ~ and the like are ordinary characters).
#pragma once

#include "lib/types.h"

namespace kern {

enum class CmdlineError : u8 {
  kNone,
  kUnterminated,  // a quote without its closing partner, or a final backslash
  kTooManyWords,  // more than the caller's array holds
};

struct CmdlineWords {
  CmdlineError error;
  u32 count;  // words found (those stored, on kTooManyWords)
};

// Splits `line` in place: the words are NUL-terminated strings inside it
// (unquoting never makes a word longer), words[0..count) point at them.
[[nodiscard]] CmdlineWords split_cmdline(char* line, char** words, u32 max_words);

}  // namespace kern
