/* abort() ends the process by SIGABRT's default action: the kernel's
 * one-line kill message, and exec's status 134 (128 + SIGABRT). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
