/* chcore-libc: identity and system information. One user (0), one group
 * (0); the process id is the main thread's tid, as on Linux (an exec'd
 * program keeps the pid it had). */
#include <errno.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include "lock.h"
#include "chcore_port.h"
#include "chcore_services.h"
#include "chcore_proto_procmgr.h"
#include "uapi/object.h"
#include "uapi/tty.h"

CHCORE_LINUX_SYSCALL(getpid)
{
	return __chcore_pid ? __chcore_pid : __chcore_sys_gettid();
}

CHCORE_LINUX_SYSCALL(getuid) { return 0; }
CHCORE_LINUX_SYSCALL(geteuid) { return 0; }
CHCORE_LINUX_SYSCALL(getgid) { return 0; }
CHCORE_LINUX_SYSCALL(getegid) { return 0; }

/* Three ids of 0, each stored in turn (Linux stops at the first bad
 * pointer with EFAULT). */
static long put_three_zero_ids(long a0, long a1, long a2)
{
	const unsigned zero = 0;
	long r = __chcore_copy_out((void *)a0, &zero, sizeof zero);
	if (r == 0) r = __chcore_copy_out((void *)a1, &zero, sizeof zero);
	if (r == 0) r = __chcore_copy_out((void *)a2, &zero, sizeof zero);
	return r;
}

/* No supplementary groups: the list is empty (the size is only checked). */
CHCORE_LINUX_SYSCALL(getgroups)
{
	return (int)a0 < 0 ? -EINVAL : 0;
}

CHCORE_LINUX_SYSCALL(getresuid)
{
	return put_three_zero_ids(a0, a1, a2);
}

CHCORE_LINUX_SYSCALL(getresgid)
{
	return put_three_zero_ids(a0, a1, a2);
}

CHCORE_LINUX_SYSCALL(uname)
{
	struct utsname u;
	memset(&u, 0, sizeof u);
	strcpy(u.sysname, "ChCore");
	strcpy(u.nodename, "chcore");
	strcpy(u.release, "0.1");
	strcpy(u.version, "chcore-next");
	strcpy(u.machine, "aarch64");
#ifdef _GNU_SOURCE
	strcpy(u.domainname, "(none)");
#else
	strcpy(u.__domainname, "(none)");
#endif
	return __chcore_copy_out((void *)a0, &u, sizeof u);
}

/* getrandom(buf, len, flags): the kernel's generator (a ChaCha20 key
 * stream seeded at boot from the board's entropy source: the device tree's
 * rng-seed on virt, the hardware RNG on raspi3; docs/random.md). It is
 * seeded before any process runs, so it never blocks and GRND_NONBLOCK,
 * GRND_RANDOM and GRND_INSECURE change nothing. */
CHCORE_LINUX_SYSCALL(getrandom)
{
	unsigned long buf = (unsigned long)a0;
	size_t len = (size_t)a1;
	unsigned flags = (unsigned)a2;
	if (flags & ~7u) return -EINVAL; /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
	if (len > 0x1ffffff) len = 0x1ffffff; /* Linux's limit per call */
	size_t done = 0;
	while (done < len) {
		long r = __chcore_sys_getrandom(buf + done, len - done, 0);
		if (r < 0) return done ? (long)done : r;
		done += (size_t)r;
	}
	return (long)done;
}

/* membarrier(cmd, flags): musl registers for the private expedited command
 * at its first pthread_create and falls back when that fails; no barrier of
 * another thread's is needed by anything the port runs. */
CHCORE_LINUX_SYSCALL(membarrier)
{
	return -ENOSYS;
}

/* sysinfo: uptime (CLOCK_MONOTONIC), the page allocator's total and free
 * memory (the kernel's mem_stat), the number of processes (procmgr's
 * list, as /proc shows it); no swap, no shared or buffer memory, load
 * averages 0 (the scheduler keeps none yet). BusyBox's free and uptime
 * read it. */
CHCORE_LINUX_SYSCALL(sysinfo)
{
	struct sysinfo si;
	memset(&si, 0, sizeof si);
	struct timespec ts;
	if (__chcore_sys_clock_gettime(CLOCK_MONOTONIC, (unsigned long)&ts) == 0) si.uptime = ts.tv_sec;
	struct chcore_mem_stat ms;
	if (__chcore_sys_mem_stat((unsigned long)&ms) == 0) {
		si.totalram = ms.total;
		si.freeram = ms.free;
	}
	si.mem_unit = 1;
	struct chcore_srv *s = __chcore_procmgr();
	if (s) {
		unsigned long n = 0;
		struct chcore_ipc_result out;
		LOCK(s->lock);
		for (long r; (r = __chcore_srv_call(s, PROCMGR_PROC_LIST, n, 0, 0, 0, 0, 0, &out)) > 0;)
			n += (unsigned long)r;
		UNLOCK(s->lock);
		si.procs = (unsigned short)(n > 0xffff ? 0xffff : n);
	}
	return __chcore_copy_out((void *)a0, &si, sizeof si);
}

/* reboot(2) (musl's reboot(type) passes Linux's two magic numbers first):
 * power off, halt (the same here: the machine stops) or restart, through
 * procmgr, which holds the capability the kernel asks for. Ctrl-Alt-Del
 * on or off is accepted and changes nothing (the console has no such
 * key). */
CHCORE_LINUX_SYSCALL(reboot)
{
	if ((unsigned)a0 != 0xfee1deadu ||
	    ((unsigned)a1 != 672274793u && (unsigned)a1 != 85072278u && (unsigned)a1 != 369367448u &&
	     (unsigned)a1 != 537993216u))
		return -EINVAL;
	unsigned long what;
	switch ((unsigned)a2) {
	case 0x4321fedcu: /* RB_POWER_OFF */
	case 0xcdef0123u: /* RB_HALT_SYSTEM */
		what = CHCORE_POWER_OFF;
		break;
	case 0x01234567u: /* RB_AUTOBOOT */
		what = CHCORE_POWER_REBOOT;
		break;
	case 0x89abcdefu: /* RB_ENABLE_CAD */
	case 0:           /* RB_DISABLE_CAD */
		return 0;
	default:
		return -EINVAL;
	}
	struct chcore_srv *s = __chcore_procmgr();
	if (!s) return -EPERM;
	struct chcore_ipc_result out;
	LOCK(s->lock);
	long r = __chcore_srv_call(s, PROCMGR_REBOOT, what, 0, 0, 0, 0, 0, &out);
	UNLOCK(s->lock);
	return r;
}
