/* abort() ends the process with status 134 (128 + SIGABRT) and a message,
 * through the port's synchronous signal delivery. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
