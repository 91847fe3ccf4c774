/* The smallest program: one line, exit status 0. */
#include <chcore/print.h>

int main(void) {
  chcore_puts("hello, world");
  return 0;
}
