/* The smallest program: one line, exit status 0. */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
