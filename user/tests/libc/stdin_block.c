/* libc.stdin_block: console input blocks in the kernel.
 *
 * The harness types "hello\r" after the line "ready for input" and "xy\r"
 * after "ready for poll". Checks:
 *   - nonblock_*: with O_NONBLOCK and nothing typed, read(0) fails with
 *     EAGAIN; poll() with a timeout returns 0 after it; FIONREAD says 0;
 *   - read_gets_typed_line: the blocked reader gets "hello\n" ("\r" is
 *     read as "\n");
 *   - poll_wakes_on_input: poll(stdin, POLLIN, 60 s) returns when "xy\r"
 *     arrives; FIONREAD counts it and read() takes it.
 * That a blocked reader leaves its CPU to others is a matter of time, so
 * it is measured by ./chbuild bench (spin_alone, spin_beside_reader in
 * libc_bench.c), not asserted here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <chcore/syscall.h>

static int passed, failed;

static void report(const char *name, int ok, const char *why)
{
	if (ok) {
		printf("[PASS] stdin.%s\n", name);
		passed++;
	} else {
		printf("[FAIL] stdin.%s: %s\n", name, why);
		failed++;
	}
	fflush(stdout);
}

static unsigned long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000ul + (unsigned long)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, 0);
}

#define WORK_CPU 1

static char line[128];
static volatile int reader_started;

/* Reads one line from fd 0 with read(), pinned next to the counter. */
static void *read_line(void *arg)
{
	(void)arg;
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, WORK_CPU);
	reader_started = 1;
	size_t got = 0;
	while (got < sizeof line - 1) {
		long n = read(0, line + got, sizeof line - 1 - got);
		if (n <= 0) break;
		got += (size_t)n;
		if (line[got - 1] == '\n') break;
	}
	line[got] = 0;
	return 0;
}

int main(void)
{
	char why[160];
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);

	/* Nothing has been typed yet. */
	int fl = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, fl | O_NONBLOCK);
	char c;
	errno = 0;
	long r = read(0, &c, 1);
	snprintf(why, sizeof why, "read = %ld, errno %d", r, errno);
	report("nonblock_read_eagain", r == -1 && errno == EAGAIN, why);
	fcntl(0, F_SETFL, fl);
	int avail = -1;
	ioctl(0, FIONREAD, &avail);
	snprintf(why, sizeof why, "FIONREAD = %d", avail);
	report("nonblock_fionread_zero", avail == 0, why);
	struct pollfd p = { 0, POLLIN, 0 };
	unsigned long t0 = now_ns();
	r = poll(&p, 1, 50);
	unsigned long waited = now_ns() - t0;
	snprintf(why, sizeof why, "poll = %ld after %lu us", r, waited / 1000);
	report("poll_times_out", r == 0 && waited >= 50000000ul, why);

	/* A reader blocked in read(0) until the harness types a line. */
	pthread_t reader;
	pthread_create(&reader, 0, read_line, 0);
	while (!reader_started) sleep_ms(10);
	sleep_ms(100); /* it is in read(0) by now; nothing was typed */

	printf("ready for input\n");
	fflush(stdout);
	pthread_join(reader, 0);
	snprintf(why, sizeof why, "read \"%s\"", line);
	report("read_gets_typed_line", strcmp(line, "hello\n") == 0, why);

	printf("ready for poll\n");
	fflush(stdout);
	p.revents = 0;
	r = poll(&p, 1, 60000);
	snprintf(why, sizeof why, "poll = %ld, revents %#x", r, p.revents);
	report("poll_wakes_on_input", r == 1 && (p.revents & POLLIN), why);
	sleep_ms(100); /* the rest of "xy\r" */
	avail = -1;
	ioctl(0, FIONREAD, &avail);
	char buf[8] = { 0 };
	r = read(0, buf, sizeof buf - 1);
	snprintf(why, sizeof why, "FIONREAD %d, read %ld \"%s\"", avail, r, buf);
	report("fionread_then_read", avail == 3 && r == 3 && strcmp(buf, "xy\n") == 0, why);

	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
