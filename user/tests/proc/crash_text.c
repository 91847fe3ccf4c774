/* Writes to its own (read-only, executable) code: the kernel must kill this
 * process (status < 0). */
#include <stdio.h>

int main(void) {
  __asm__ volatile(
      "adr x9, 1f\n\t"
      "str wzr, [x9]\n"
      "1:\tnop"
      :
      :
      : "x9", "memory");
  puts("crash_text: survived writing to its own text");
  return 0;
}
