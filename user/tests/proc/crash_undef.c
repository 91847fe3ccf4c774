/* Executes a permanently undefined instruction: the kernel must kill this
 * process (status < 0). */
#include <stdio.h>

int main(void) {
  __asm__ volatile("udf #0" ::: "memory");
  puts("crash_undef: survived an undefined instruction");
  return 0;
}
