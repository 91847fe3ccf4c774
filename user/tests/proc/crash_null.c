/* Reads address 0: the kernel must kill this process (status < 0). The load
 * is in assembly so that the compiler cannot turn it into anything else. */
#include <stdio.h>

int main(void) {
  unsigned long v;
  __asm__ volatile("mov x9, #0\n\tldr %0, [x9]" : "=r"(v) : : "x9", "memory");
  printf("crash_null: survived reading address 0 (got %#lx)\n", v);
  return 0;
}
