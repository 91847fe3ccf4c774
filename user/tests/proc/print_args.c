/* Prints its arguments, each with its bytes in hex so that spaces, quotes,
 * tabs and empty strings are unambiguous (control characters show as '?'
 * in the text, so each argument stays on one line), and exits with status
 * argc:
 *   argc = 3
 *   argv[1] = "b c" (3 bytes: 622063)
 * exec.argv_unchanged (tests/qemu/exec_args_test.py) runs it through
 * `./chbuild exec` and checks that every argument arrived unchanged. */
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; i++) {
    char hex[2 * 256 + 1] = "", text[256 + 1] = "";
    size_t n = strlen(argv[i]);
    for (size_t j = 0; j < n && j < 256; j++) {
      unsigned char c = (unsigned char)argv[i][j];
      snprintf(hex + 2 * j, 3, "%02x", c);
      text[j] = c < 0x20 || c == 0x7f ? '?' : (char)c;
      text[j + 1] = '\0';
    }
    printf("argv[%d] = \"%s\" (%zu bytes: %s)\n", i, text, n, hex);
  }
  return argc;
}
