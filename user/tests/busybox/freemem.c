/* /tests/freemem: prints the kernel's free memory once it has settled
 * (user/tests/utest.h), for shell scripts that compare it. */
#include <stdio.h>
#define UT_SUITE "freemem"
#include "utest.h"

int main(void) {
  printf("%ld\n", ut_settled_free_mem());
  return 0;
}
