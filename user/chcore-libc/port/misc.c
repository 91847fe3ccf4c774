/* chcore-libc: identity and system information. One user (0), one group
 * (0); the process id is the main thread's tid, as on Linux. */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include "chcore_port.h"

CHCORE_LINUX_SYSCALL(getpid)
{
	return __chcore_pid ? __chcore_pid : __chcore_sys_gettid();
}

CHCORE_LINUX_SYSCALL(getuid) { return 0; }
CHCORE_LINUX_SYSCALL(geteuid) { return 0; }
CHCORE_LINUX_SYSCALL(getgid) { return 0; }
CHCORE_LINUX_SYSCALL(getegid) { return 0; }

CHCORE_LINUX_SYSCALL(getresuid)
{
	*(unsigned *)a0 = *(unsigned *)a1 = *(unsigned *)a2 = 0;
	return 0;
}

CHCORE_LINUX_SYSCALL(getresgid)
{
	*(unsigned *)a0 = *(unsigned *)a1 = *(unsigned *)a2 = 0;
	return 0;
}

CHCORE_LINUX_SYSCALL(uname)
{
	struct utsname *u = (struct utsname *)a0;
	memset(u, 0, sizeof *u);
	strcpy(u->sysname, "ChCore");
	strcpy(u->nodename, "chcore");
	strcpy(u->release, "0.1");
	strcpy(u->version, "chcore-next");
	strcpy(u->machine, "aarch64");
#ifdef _GNU_SOURCE
	strcpy(u->domainname, "(none)");
#else
	strcpy(u->__domainname, "(none)");
#endif
	return 0;
}

/* getrandom(buf, len, flags). These boards have no hardware random-number
 * generator (Cortex-A53/A72: no RNDR) and the kernel no entropy pool yet, so
 * the bytes come from splitmix64 over a state that mixes the 16 AT_RANDOM
 * bytes the loader gave the process, the counter at every call and a call
 * sequence number. Different in every process and call, fine for hash-table
 * seeds and the like; NOT cryptographic: someone who can guess the boot
 * time and the counter can guess them. */
static unsigned long splitmix64(unsigned long *state)
{
	unsigned long z = (*state += 0x9e3779b97f4a7c15ul);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
	return z ^ (z >> 31);
}

static unsigned long random_seq;

CHCORE_LINUX_SYSCALL(getrandom)
{
	unsigned char *buf = (unsigned char *)a0;
	size_t len = (size_t)a1;
	unsigned flags = (unsigned)a2;
	if (flags & ~7u) return -EINVAL; /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
	if (len > 0x1ffffff) len = 0x1ffffff;
	unsigned long seed[2] = { 0, 0 };
	for (size_t *a = __chcore_auxv; a && a[0]; a += 2)
		if (a[0] == 25 /* AT_RANDOM */ && a[1]) memcpy(seed, (void *)a[1], sizeof seed);
	unsigned long cnt;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(cnt));
	unsigned long seq = __atomic_add_fetch(&random_seq, 1, __ATOMIC_RELAXED);
	unsigned long state = seed[0] ^ cnt ^ (seq * 0xd1b54a32d192ed03ul);
	state ^= splitmix64(&seed[1]);
	for (size_t i = 0; i < len; i += 8) {
		unsigned long v = splitmix64(&state);
		size_t n = len - i < 8 ? len - i : 8;
		memcpy(buf + i, &v, n);
	}
	return (long)len;
}
