/* libc.stdin_exit: a process whose thread is blocked in read(0) on another
 * CPU ends cleanly when a second thread calls exit(): exit_group must take
 * the blocked reader off the console's wait queue. Exits 7; the harness
 * checks the status and that no input was ever typed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <chcore/syscall.h>

static volatile int reading;

static void *reader(void *arg)
{
	(void)arg;
	char buf[16];
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, 1);
	reading = 1;
	long n = read(0, buf, sizeof buf);
	printf("[FAIL] stdin_exit: read returned %ld\n", n);
	fflush(stdout);
	return 0;
}

int main(void)
{
	pthread_t t;
	chcore_sys_set_affinity(CHCORE_THREAD_SELF, 2);
	pthread_create(&t, 0, reader, 0);
	while (!reading) sched_yield();
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, 0);
	printf("reader blocked, exiting with 7\n");
	fflush(stdout);
	exit(7);
}
