/* The C library on ChCore (chcore-libc): stdio, memory, threads, time,
 * fds, signals and the missing-syscall path, each check a "[PASS] libc.*"
 * line. Built with chcore-clang; run as the first process
 * (./chbuild exec -- /tests/libc_test) on both boards. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <chcore/syscall.h>

static int passed, failed;
#define CHECK(name, cond) \
	do { \
		if (cond) { \
			passed++; \
			printf("[PASS] libc.%s\n", name); \
		} else { \
			failed++; \
			printf("[FAIL] libc.%s: %s (line %d, errno %d)\n", name, #cond, __LINE__, errno); \
		} \
	} while (0)

static __thread int tls_var = 5;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready_count;
static pthread_key_t key;

static unsigned long cpus_seen;
static pthread_barrier_t start_barrier;

static void *worker(void *arg)
{
	long id = (long)arg;
	tls_var = (int)id;
	errno = (int)id;
	pthread_setspecific(key, (void *)(id + 1));
	/* All start the contended part together, so that they spread. */
	pthread_barrier_wait(&start_barrier);
	/* Some work (10 ms of computing) that takes long enough for the
	 * scheduler to spread the threads; where they ran is seen through
	 * sched_getcpu (the dispatcher's getcpu). */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		int cpu = sched_getcpu();
		if (cpu >= 0 && cpu < 64) __atomic_fetch_or(&cpus_seen, 1ul << cpu, __ATOMIC_RELAXED);
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 10 * 1000 * 1000);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	ready_count++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	sched_yield();
	int ok = tls_var == (int)id && errno == (int)id && pthread_getspecific(key) == (void *)(id + 1);
	return (void *)(long)ok;
}

static void *detached(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static jmp_buf jb;
static void jump(int v) { longjmp(jb, v); }

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static volatile int got_sig;
static void on_usr1(int s) { got_sig = s; }

static void memory_workload(int report)
{
	int ok = 1;
	for (size_t sz = 1; sz <= (64u << 20); sz *= 4) {
		unsigned char *p = malloc(sz);
		if (!p) { ok = 0; break; }
		p[sz - 1] = 2; p[0] = 1;
		unsigned char *q = realloc(p, sz * 2 + 1);
		if (!q || q[0] != 1 || (sz > 1 && q[sz - 1] != 2)) { ok = 0; free(q ? q : p); break; }
		free(q);
	}
	if (report) CHECK("mem.malloc_sizes", ok);
	int *c = calloc(1000, sizeof(int)); int zero = 1;
	for (int i = 0; i < 1000; i++) zero &= c[i] == 0;
	free(c);
	if (report) CHECK("mem.calloc", zero);
	void *volatile huge = malloc((size_t)1 << 46);
	if (report) CHECK("mem.exhaustion_null", huge == 0 && errno == ENOMEM);
	free(huge);
	/* Exhaustion by touching: 64 MiB blocks until malloc says no. */
	void *blocks[64]; int nb = 0;
	while (nb < 64) { char *b = malloc(64 << 20); if (!b) break; memset(b, 0x5a, 64 << 20); blocks[nb++] = b; }
	if (report) printf("exhaustion: %d blocks of 64 MiB\n", nb);
	if (report) CHECK("mem.exhaustion_touch", nb > 0 && nb < 64);
	while (nb > 0) free(blocks[--nb]);
	char *again = malloc(64 << 20);
	if (report) CHECK("mem.after_exhaustion", again != 0 && (memset(again, 1, 64 << 20), 1));
	free(again);
}

int main(int argc, char **argv)
{
	char buf[256];

	/* stdio */
	snprintf(buf, sizeof buf, "%d|%5.2f|%e|%g|%s|%p|%Lf", -17, 3.14159, 12345.678, 0.5, "x", (void *)0x1234, 1.5L);
	CHECK("stdio.snprintf", !strcmp(buf, "-17| 3.14|1.234568e+04|0.5|x|0x1234|1.500000"));
	int a = 0; char w[16]; double d = 0;
	CHECK("stdio.sscanf", sscanf("42 word 2.5", "%d %15s %lf", &a, w, &d) == 3 && a == 42 && !strcmp(w, "word") && d == 2.5);
	CHECK("stdio.strtod", strtod("1e-3", 0) == 1e-3 && strtod("0x1p4", 0) == 16.0);
	long double ld = strtold("1.000000000000000000000000000001", 0);
	CHECK("stdio.strtold", ld > 1.0L && ld < 1.0000001L);
	CHECK("math.sqrt", fabs(sqrt(2.0) - 1.41421356237) < 1e-9 && fabs(sin(M_PI)) < 1e-12);

	/* memory: the same workload twice. The first run may leave what malloc
	 * and the address space keep for reuse (malloc's groups, page tables);
	 * the second must end exactly where it started: nothing leaks. */
	long mem_first = chcore_sys_get_free_mem();
	memory_workload(1);
	long mem0 = chcore_sys_get_free_mem();
	memory_workload(0);
	long mem1 = chcore_sys_get_free_mem();
	printf("free memory: at start %ld, after one run %ld, after two %ld\n", mem_first, mem0, mem1);
	CHECK("mem.no_leak", mem1 == mem0);
	CHECK("mem.first_run_keeps_little", mem_first - mem0 < 256 * 1024);
	void *m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mem.mmap", m != MAP_FAILED && ((char *)m)[12345] == 0);
	if (m != MAP_FAILED) { memset(m, 1, 1 << 20); CHECK("mem.munmap", munmap(m, 1 << 20) == 0); }
	m = mmap(0, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mem.mmap_none_mprotect", m != MAP_FAILED && mprotect(m, 8192, PROT_READ | PROT_WRITE) == 0 && (((char *)m)[0] = 1));
	munmap(m, 8192);

	/* threads */
	pthread_key_create(&key, 0);
	pthread_t t[64];
	int created = 0;
	pthread_barrier_init(&start_barrier, 0, 65);
	for (long i = 0; i < 64; i++) if (pthread_create(&t[i], 0, worker, (void *)(i + 100)) == 0) created++;
	if (created == 64) pthread_barrier_wait(&start_barrier);
	int all_ok = 1;
	for (int i = 0; i < created; i++) { void *r; pthread_join(t[i], &r); all_ok &= r == (void *)1; }
	CHECK("thread.create_join_64", created == 64);
	/* argv[1]: the number of CPUs the guest has (the harness knows). */
	int ncpus = argc > 1 ? atoi(argv[1]) : 1;
	printf("libc_test: threads ran on CPUs %#lx of %d\n", cpus_seen, ncpus);
	CHECK("thread.all_cpus", cpus_seen == (1ul << ncpus) - 1);
	/* CPU count and affinity through the libc (sched_getaffinity). */
	CHECK("sched.nprocessors", sysconf(_SC_NPROCESSORS_ONLN) == ncpus && sysconf(_SC_NPROCESSORS_CONF) == ncpus);
	cpu_set_t cs;
	CHECK("sched.getaffinity_all", sched_getaffinity(0, sizeof cs, &cs) == 0 && CPU_COUNT(&cs) == ncpus);
	CPU_ZERO(&cs);
	CPU_SET(ncpus - 1, &cs);
	int pinned = sched_setaffinity(0, sizeof cs, &cs) == 0;
	sched_yield();
	CHECK("sched.setaffinity_pins", pinned && sched_getcpu() == ncpus - 1);
	CPU_ZERO(&cs);
	CHECK("sched.getaffinity_pinned", sched_getaffinity(0, sizeof cs, &cs) == 0 && CPU_COUNT(&cs) == 1 && CPU_ISSET(ncpus - 1, &cs));
	CPU_ZERO(&cs);
	errno = 0;
	CHECK("sched.setaffinity_empty_einval", sched_setaffinity(0, sizeof cs, &cs) == -1 && errno == EINVAL);
	for (int i = 0; i < ncpus; i++) CPU_SET(i, &cs);
	CHECK("sched.setaffinity_all_unpins", sched_setaffinity(0, sizeof cs, &cs) == 0 &&
	      sched_getaffinity(0, sizeof cs, &cs) == 0 && CPU_COUNT(&cs) == ncpus);
	errno = 0;
	CHECK("sched.other_tid_esrch", sched_getaffinity(999999, sizeof cs, &cs) == -1 && errno == ESRCH);
	CHECK("thread.mutex_count", counter == 64 * 1000);
	CHECK("thread.tls_errno_key", all_ok);
	pthread_mutex_lock(&mu);
	while (ready_count < 64) pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	CHECK("thread.condvar", ready_count == 64);
	int dcount = 0;
	pthread_attr_t attr; pthread_attr_init(&attr); pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 8; i++) { pthread_t dt; pthread_create(&dt, &attr, detached, &dcount); }
	for (int i = 0; i < 1000 && __atomic_load_n(&dcount, __ATOMIC_SEQ_CST) < 8; i++) usleep(1000);
	CHECK("thread.detached", dcount == 8);

	/* misc */
	int v = setjmp(jb);
	if (v == 0) jump(5);
	CHECK("misc.setjmp", v == 5);
	int arr[] = { 5, 3, 9, 1, 7 };
	qsort(arr, 5, sizeof arr[0], cmp_int);
	CHECK("misc.qsort", arr[0] == 1 && arr[4] == 9);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct timespec req = { 0, 20 * 1000 * 1000 };
	nanosleep(&req, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long el = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	CHECK("time.nanosleep", el >= 20 * 1000 * 1000);
	/* The monotonic clock is read from the counter in user space, as a
	 * vDSO would: many reads, and the kernel's clock agrees with it. */
	struct timespec k;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	chcore_sys_clock_gettime(CHCORE_CLOCK_MONOTONIC, (unsigned long)&k);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long n0 = t0.tv_sec * 1000000000LL + t0.tv_nsec, nk = k.tv_sec * 1000000000LL + k.tv_nsec,
	          n1 = t1.tv_sec * 1000000000LL + t1.tv_nsec;
	CHECK("time.monotonic_matches_kernel", n0 <= nk && nk <= n1);
	struct timespec rt;
	CHECK("time.realtime", clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_sec >= 0);
	/* The coarse wall clock, read in user space: never ahead of the
	 * kernel's, behind it by less than a millisecond, never backwards. */
	struct timespec c0, r, c1;
	clock_gettime(CLOCK_REALTIME_COARSE, &c0);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_REALTIME_COARSE, &c1);
	long long nc0 = c0.tv_sec * 1000000000LL + c0.tv_nsec, nr = r.tv_sec * 1000000000LL + r.tv_nsec,
	          nc1 = c1.tv_sec * 1000000000LL + c1.tv_nsec;
	CHECK("time.realtime_coarse_not_ahead", nc0 <= nr);
	CHECK("time.realtime_coarse_close", nr - nc1 < 1000000);
	CHECK("time.realtime_coarse_forward", nc0 <= nc1);
	CHECK("time.time", time(0) >= 0);
	struct utsname u;
	CHECK("misc.uname", uname(&u) == 0 && !strcmp(u.sysname, "ChCore"));
	CHECK("misc.ids", getuid() == 0 && getgid() == 0 && getpid() > 0);
	unsigned char r1[16] = { 0 }, r2[16] = { 0 };
	CHECK("misc.getrandom", getrandom(r1, 16, 0) == 16 && getrandom(r2, 16, 0) == 16 && memcmp(r1, r2, 16));
	errno = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK("misc.missing_enosys", s == -1 && errno == ENOSYS);

	/* fds */
	CHECK("fd.isatty", isatty(1) && isatty(0));
	struct winsize ws;
	CHECK("fd.winsz", ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col == 80);
	errno = 0;
	CHECK("fd.lseek_espipe", lseek(1, 0, SEEK_CUR) == -1 && errno == ESPIPE);
	int fd = dup(1);
	CHECK("fd.dup", fd >= 3 && write(fd, "via dup\n", 8) == 8);
	CHECK("fd.dup2", dup2(fd, 10) == 10 && write(10, "via dup2\n", 9) == 9);
	CHECK("fd.dup3_cloexec", dup3(fd, 11, O_CLOEXEC) == 11 && fcntl(11, F_GETFD) == FD_CLOEXEC && fcntl(fd, F_GETFD) == 0);
	errno = 0;
	CHECK("fd.dup3_same_einval", dup3(11, 11, 0) == -1 && errno == EINVAL);
	CHECK("fd.close", close(fd) == 0 && close(10) == 0 && close(11) == 0 && write(fd, "x", 1) == -1 && errno == EBADF);
	CHECK("fd.fcntl", fcntl(1, F_GETFL) >= 0 && fcntl(1, F_SETFD, FD_CLOEXEC) == 0 && fcntl(1, F_GETFD) == FD_CLOEXEC);
	struct stat st;
	CHECK("fd.fstat", fstat(1, &st) == 0 && S_ISCHR(st.st_mode));
	struct termios tio;
	CHECK("fd.tcgetattr", tcgetattr(0, &tio) == 0);

	/* signals */
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	CHECK("signal.raise_handler", got_sig == SIGUSR1);
	sigset_t set, old; sigemptyset(&set); sigaddset(&set, SIGUSR1);
	got_sig = 0;
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	int pending_ok = got_sig == 0;
	sigprocmask(SIG_SETMASK, &old, 0);
	CHECK("signal.blocked_pending", pending_ok && got_sig == SIGUSR1);

	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
