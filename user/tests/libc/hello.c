/* The seed path of the libc port: printf -> musl stdio -> writev -> the
 * dispatcher -> stdout's fd_ops -> putstr. Prints a few formats, its
 * arguments, and exits with the status given as its first argument (0 by
 * default). Run with CHCORE_STRACE=1 (tests/env_spawn) the trace shows the
 * writev calls of fd 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char buf[128];
	int failed = 0;
	printf("hello from musl on ChCore\n");
	printf("ints %d %u %ld %x, string [%-6s], float %f %e %g, long double %Lf\n", -42, 42u,
	       1234567890123L, 0xbeef, "abc", 3.14159265358979, 6.02214076e23, 0.0001, 1.0L / 3.0L);
	for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
	snprintf(buf, sizeof buf, "%d %f %e %g", -42, 3.14159265358979, 6.02214076e23, 0.0001);
	if (strcmp(buf, "-42 3.141593 6.022141e+23 0.0001") == 0) {
		printf("[PASS] libc.hello_printf\n");
	} else {
		printf("[FAIL] libc.hello_printf: got \"%s\"\n", buf);
		failed = 1;
	}
	printf("%d passed, %d failed\n", !failed, failed);
	return failed ? 1 : argc > 1 ? atoi(argv[1]) : 0;
}
