/* Reads lines from the console (stdin, fd 0) and echoes them in capitals
 * until a line starting with 'q' or end of input; exits 3. Feeds for the
 * harness: "hello\r" must come back as "got: HELLO". */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
	char line[128];
	printf("type lines; 'quit' ends\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		for (char *p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
		printf("got: %s", line);
		if (line[0] == 'Q') break;
	}
	return 3;
}
