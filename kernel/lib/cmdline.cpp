#include "lib/cmdline.h"

namespace kern {

namespace {

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Inside double quotes a backslash escapes only these (POSIX).
bool escapable_in_double_quotes(char c) { return c == '"' || c == '\\' || c == '$' || c == '`'; }

}  // namespace

CmdlineWords split_cmdline(char* line, char** words, u32 max_words) {
  // The reader `r` runs ahead of the writer `w`: quotes and backslashes are
  // dropped, so a word's unquoted text always fits where it was read from.
  char* r = line;
  char* w = line;
  u32 count = 0;
  for (;;) {
    while (is_separator(*r)) r++;
    if (*r == '\0') return {CmdlineError::kNone, count};
    if (count == max_words) return {CmdlineError::kTooManyWords, count};
    char* start = w;
    while (*r != '\0' && !is_separator(*r)) {
      char c = *r++;
      if (c == '\'') {
        while (*r != '\0' && *r != '\'') *w++ = *r++;
        if (*r == '\0') return {CmdlineError::kUnterminated, count};
        r++;
      } else if (c == '"') {
        while (*r != '\0' && *r != '"') {
          if (*r == '\\' && escapable_in_double_quotes(r[1])) r++;
          *w++ = *r++;
        }
        if (*r == '\0') return {CmdlineError::kUnterminated, count};
        r++;
      } else if (c == '\\') {
        if (*r == '\0') return {CmdlineError::kUnterminated, count};
        *w++ = *r++;
      } else {
        *w++ = c;
      }
    }
    // `r` is at the separator or the end: remember which before the NUL
    // that ends the word (at `w <= r`) may overwrite it.
    bool at_end = *r == '\0';
    *w++ = '\0';
    words[count++] = start;
    if (at_end) return {CmdlineError::kNone, count};
    r++;
  }
}

}  // namespace kern
