/* libc.stdin_exit: a process whose thread is blocked in read(0) on another
 * CPU ends cleanly when a second thread calls exit(): exit_group must take
 * the blocked reader off the console's wait queue. Exits 7; the harness
 * checks the status and that no input was ever typed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../../kernel/include/uapi/object.h"
#include "../../kernel/include/uapi/syscall_nr.h"

static long pin_self(long cpu)
{
	register unsigned long x8 __asm__("x8") = CHCORE_SYS_set_affinity;
	register long x0 __asm__("x0") = CHCORE_THREAD_SELF;
	register long x1 __asm__("x1") = cpu;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
	return x0;
}

static volatile int reading;

static void *reader(void *arg)
{
	(void)arg;
	char buf[16];
	pin_self(1);
	reading = 1;
	long n = read(0, buf, sizeof buf);
	printf("[FAIL] stdin_exit: read returned %ld\n", n);
	fflush(stdout);
	return 0;
}

int main(void)
{
	pthread_t t;
	pin_self(2);
	pthread_create(&t, 0, reader, 0);
	while (!reading) sched_yield();
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, 0);
	printf("reader blocked, exiting with 7\n");
	fflush(stdout);
	exit(7);
}
