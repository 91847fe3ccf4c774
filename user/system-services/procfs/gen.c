/* The texts of /proc's files, in Linux's formats (proc(5)), which BusyBox's
 * ps, top, free, uptime, mount and df parse. What we cannot know is 0 (or
 * what Linux prints for "none"); docs/services.md lists what is
 * approximate. */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/proto/fs.h>
#include <chcore/proto/fsm.h>
#include <chcore/services.h>
#include <chcore/thread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "procfs.h"

/* ---- Memory, CPUs, time ------------------------------------------------------------ */

/* meminfo: "Name:" padded to 16 columns, the value in kB in 8 (Linux's
 * show_val_kb). There is no page cache, swap or reclaimable slab: 0. */
static void gen_meminfo(struct text* t) {
  struct chcore_mem_stat ms;
  memset(&ms, 0, sizeof ms);
  chcore_sys_mem_stat((unsigned long)&ms);
  unsigned long total = ms.total >> 10, free = ms.free >> 10;
  static const char* const zeros[] = {
      "SwapCached:", "Active:",       "Inactive:",   "SwapTotal:",  "SwapFree:",
      "Dirty:",      "Writeback:",    "AnonPages:",  "Mapped:",     "Shmem:",
      "Slab:",       "SReclaimable:", "SUnreclaim:", "PageTables:", "Committed_AS:",
  };
  putf(t, "%-16s%8lu kB\n", "MemTotal:", total);
  putf(t, "%-16s%8lu kB\n", "MemFree:", free);
  putf(t, "%-16s%8lu kB\n", "MemAvailable:", free);
  putf(t, "%-16s%8lu kB\n", "Buffers:", 0ul);
  putf(t, "%-16s%8lu kB\n", "Cached:", 0ul);
  for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++)
    putf(t, "%-16s%8lu kB\n", zeros[i], 0ul);
}

/* The hwcap names Linux prints for what ID_AA64PFR0/ISAR0 say, in Linux's
 * order (arch/arm64/kernel/cpuinfo.c). */
static void put_features(struct text* t, const struct chcore_cpu_id* id) {
  unsigned fp = (id->pfr0 >> 16) & 0xf, simd = (id->pfr0 >> 20) & 0xf;
  unsigned aes = (id->isar0 >> 4) & 0xf, sha1 = (id->isar0 >> 8) & 0xf,
           sha2 = (id->isar0 >> 12) & 0xf, crc = (id->isar0 >> 16) & 0xf,
           atom = (id->isar0 >> 20) & 0xf, rdm = (id->isar0 >> 28) & 0xf,
           sha3 = (id->isar0 >> 32) & 0xf, sm3 = (id->isar0 >> 36) & 0xf,
           sm4 = (id->isar0 >> 40) & 0xf, dp = (id->isar0 >> 44) & 0xf,
           fhm = (id->isar0 >> 48) & 0xf, ts = (id->isar0 >> 52) & 0xf,
           rndr = (id->isar0 >> 60) & 0xf;
  const char* sep = "";
#define FEATURE(cond, name)    \
  do {                         \
    if (cond) {                \
      putf(t, "%s" name, sep); \
      sep = " ";               \
    }                          \
  } while (0)
  FEATURE(fp != 0xf, "fp");
  FEATURE(simd != 0xf, "asimd");
  FEATURE(aes >= 1, "aes");
  FEATURE(aes >= 2, "pmull");
  FEATURE(sha1 >= 1, "sha1");
  FEATURE(sha2 >= 1, "sha2");
  FEATURE(crc >= 1, "crc32");
  FEATURE(atom >= 2, "atomics");
  FEATURE(fp == 1, "fphp");
  FEATURE(simd == 1, "asimdhp");
  FEATURE(rdm >= 1, "asimdrdm");
  FEATURE(sha3 >= 1, "sha3");
  FEATURE(sm3 >= 1, "sm3");
  FEATURE(sm4 >= 1, "sm4");
  FEATURE(dp >= 1, "asimddp");
  FEATURE(sha2 >= 2, "sha512");
  FEATURE(fhm >= 1, "asimdfhm");
  FEATURE(ts >= 1, "flagm");
  FEATURE(rndr >= 1, "rng");
#undef FEATURE
}

/* cpuinfo: a block per online CPU, as Linux prints it on arm64. The
 * registers are read on one CPU: the boards' CPUs are all alike. */
static void gen_cpuinfo(struct text* t) {
  struct chcore_cpu_id id;
  memset(&id, 0, sizeof id);
  chcore_sys_cpu_id((unsigned long)&id);
  /* BogoMIPS: Linux's figure for the timer-based delay loop, 2 * CNTFRQ / 1e6. */
  unsigned long bogo = id.cntfrq / 5000; /* hundredths */
  long mask = chcore_sys_online_cpus();
  for (int cpu = 0; cpu < 64; cpu++) {
    if (mask > 0 ? !((unsigned long)mask & (1ul << cpu)) : cpu > 0) continue;
    putf(t, "processor\t: %d\n", cpu);
    putf(t, "BogoMIPS\t: %lu.%02lu\n", bogo / 100, bogo % 100);
    putstr(t, "Features\t: ");
    put_features(t, &id);
    putf(t, "\nCPU implementer\t: 0x%02lx\n", (id.midr >> 24) & 0xff);
    putf(t, "CPU architecture: 8\n");
    putf(t, "CPU variant\t: 0x%lx\n", (id.midr >> 20) & 0xf);
    putf(t, "CPU part\t: 0x%03lx\n", (id.midr >> 4) & 0xfff);
    putf(t, "CPU revision\t: %lu\n\n", id.midr & 0xf);
  }
}

static unsigned long uptime_ticks(void) {
  return (unsigned long)(clock_ns(CLOCK_MONOTONIC) / (1000000000 / USER_HZ));
}

/* stat: the kernel's accounting of each CPU (cpu_stat): user, system and
 * idle time in USER_HZ ticks (nice, iowait, irq... 0). */
static unsigned long ns_ticks(unsigned long ns) { return ns / (1000000000 / USER_HZ); }

static void gen_stat(struct text* t) {
  struct chcore_cpu_stat cs[64];
  long n = chcore_sys_cpu_stat((unsigned long)cs, 64);
  unsigned long su = 0, ss = 0, si = 0;
  for (long c = 0; c < n; c++) {
    su += ns_ticks(cs[c].user_ns);
    ss += ns_ticks(cs[c].system_ns);
    si += ns_ticks(cs[c].idle_ns);
  }
  putf(t, "cpu  %lu 0 %lu %lu 0 0 0 0 0 0\n", su, ss, si);
  for (long c = 0; c < n; c++)
    if (cs[c].online)
      putf(t, "cpu%ld %lu 0 %lu %lu 0 0 0 0 0 0\n", c, ns_ticks(cs[c].user_ns),
           ns_ticks(cs[c].system_ns), ns_ticks(cs[c].idle_ns));
  size_t np = 0;
  int* pids = pid_list(&np);
  xfree(pids);
  putf(t, "intr 0\nctxt 0\nbtime %lld\nprocesses %zu\nprocs_running 1\nprocs_blocked 0\n",
       (long long)(boot_ns / 1000000000), np);
  putstr(t, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

static void gen_uptime(struct text* t) {
  unsigned long up = uptime_ticks(), idle = 0;
  struct chcore_cpu_stat cs[64];
  long n = chcore_sys_cpu_stat((unsigned long)cs, 64);
  for (long c = 0; c < n; c++) idle += ns_ticks(cs[c].idle_ns);
  putf(t, "%lu.%02lu %lu.%02lu\n", up / USER_HZ, up % USER_HZ, idle / USER_HZ, idle % USER_HZ);
}

/* loadavg: the load is not measured (0.00); running/total and the latest
 * pid are. */
static void gen_loadavg(struct text* t) {
  size_t n = 0;
  int* pids = pid_list(&n);
  int last = 0;
  for (size_t i = 0; i < n; i++)
    if (pids[i] > last) last = pids[i];
  xfree(pids);
  putf(t, "0.00 0.00 0.00 1/%zu %d\n", n, last);
}

/* ---- Mounts ------------------------------------------------------------------------ */

static int fsm_lock;
static struct chcore_conn fsm;
static int fsm_ok;

/* Linux escapes these in mount paths (\040 for a space...). */
static void put_escaped(struct text* t, const char* s) {
  for (; *s; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
      putf(t, "\\%03o", (unsigned char)*s);
    else
      put(t, s, 1);
  }
}

/* The file system type of the server `cap` (a capability fsm gave us),
 * from its FS_STATFS magic. */
static const char* fs_type(long cap) {
  struct chcore_conn c;
  if (chcore_connect(cap, 4096, &c) < 0) return "unknown";
  struct fs_req q;
  memset(&q, 0, sizeof q);
  q.handle = -1;
  memcpy(c.buf, &q, sizeof q);
  const char* type = "unknown";
  if (chcore_ipc_call(&c, FS_STATFS, 0, 0, 0, sizeof q, 0, NULL, NULL) == 0) {
    struct fs_statfs sf;
    memcpy(&sf, c.buf, sizeof sf);
    type = sf.type == PROC_SUPER_MAGIC ? "proc" : sf.type == TMPFS_MAGIC ? "tmpfs" : "unknown";
  }
  chcore_disconnect(&c);
  return type;
}

/* mounts: "source path type options 0 0" per mount, from fsm's table in
 * mount order (a parent before what is mounted in it). */
static void gen_mounts(struct text* t) {
  procfs_lock(&fsm_lock);
  if (!fsm_ok) {
    long cap = chcore_service_lookup("fsm");
    if (cap >= 0 && chcore_connect(cap, 2 * CHCORE_FS_PATH_MAX + 4096, &fsm) == 0) fsm_ok = 1;
  }
  for (int id = 0; fsm_ok && id < CHCORE_FSM_MAX_MOUNTS; id++) {
    struct chcore_ipc_result out;
    if (chcore_ipc_call(&fsm, FSM_GET_MOUNT, (unsigned long)id, 0, 0, 0, 0, NULL, &out) < 0)
      continue;
    long cap = CHCORE_IPC_INFO_NCAPS(out.info) > 0 ? (long)chcore_ipc_cap(&out, 0) : -1;
    char path[CHCORE_FS_PATH_MAX];
    size_t len = CHCORE_IPC_INFO_LEN(out.info);
    if (len > fsm.buf_size) len = fsm.buf_size;
    size_t plen = strnlen(fsm.buf, len);
    if (plen >= sizeof path) plen = sizeof path - 1;
    memcpy(path, fsm.buf, plen);
    path[plen] = 0;
    const char* type = cap >= 0 ? fs_type(cap) : "unknown";
    if (cap >= 0) chcore_cap_release(cap);
    putstr(t, type);
    putstr(t, " ");
    put_escaped(t, path);
    putf(t, " %s rw 0 0\n", type);
  }
  procfs_unlock(&fsm_lock);
}

/* ---- The system ---------------------------------------------------------------------- */

static void gen_uname(struct text* t, int kind) {
  struct utsname u;
  memset(&u, 0, sizeof u);
  uname(&u);
  switch (kind) {
    case N_VERSION:
      putf(t, "%s version %s (root@%s) (clang 19) #1 SMP %s\n", u.sysname, u.release, u.nodename,
           u.version);
      break;
    case N_HOSTNAME:
      putf(t, "%s\n", u.nodename);
      break;
    case N_OSTYPE:
      putf(t, "%s\n", u.sysname);
      break;
    default:
      putf(t, "%s\n", u.release);
  }
}

/* ---- Processes --------------------------------------------------------------------- */

/* The state letter: ended and not waited for, the reader itself (running,
 * as on Linux), or any other (we cannot tell runnable from blocked: S). */
static char state_of(const struct pinfo* pi, int caller) {
  return pi->i.state == 'Z' ? 'Z' : pi->i.pid == caller ? 'R' : 'S';
}

static const char* state_name(char s) {
  return s == 'Z' ? "Z (zombie)" : s == 'R' ? "R (running)" : "S (sleeping)";
}

/* stat: Linux's 52 fields (proc(5)); unknown ones 0. */
static void gen_pid_stat(struct text* t, const struct pinfo* pi, int caller) {
  const struct procmgr_proc_info* i = &pi->i;
  unsigned long long start = (unsigned long long)(i->start_ns / (1000000000 / USER_HZ));
  unsigned long threads = i->state == 'Z' ? 1 : i->threads ? i->threads : 1;
  /* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
   * majflt cmajflt utime stime cutime cstime priority nice num_threads
   * itrealvalue starttime vsize rss rsslim */
  putf(t,
       "%d (%.15s) %c %d %d %d 0 -1 0 0 0 0 0 %lu %lu %lu %lu 20 0 %lu 0 %llu %llu %llu "
       "18446744073709551615 ",
       i->pid, i->name, state_of(pi, caller), i->ppid, i->pgid, i->sid,
       ns_ticks(i->utime_ns), ns_ticks(i->stime_ns), ns_ticks(i->cutime_ns),
       ns_ticks(i->cstime_ns), threads, start, (unsigned long long)i->vsize,
       (unsigned long long)i->resident);
  /* startcode endcode startstack kstkesp kstkeip signal blocked sigignore
   * sigcatch wchan nswap cnswap exit_signal processor rt_priority policy
   * delayacct_blkio_ticks guest_time cguest_time start_data end_data
   * start_brk arg_start arg_end env_start env_end exit_code */
  putstr(t, "0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
}

static void gen_pid_status(struct text* t, const struct pinfo* pi, int caller) {
  const struct procmgr_proc_info* i = &pi->i;
  putf(t,
       "Name:\t%.15s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
       "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t\n"
       "NSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
       i->name, state_name(state_of(pi, caller)), i->pid, i->pid, i->ppid, i->pid, i->pgid, i->sid);
  if (i->state != 'Z') {
    putf(t, "VmSize:\t%8llu kB\nVmLck:\t%8d kB\nVmRSS:\t%8llu kB\n",
         (unsigned long long)(i->vsize >> 10), 0, (unsigned long long)i->resident * 4);
  }
  putf(t,
       "Threads:\t%lu\nSigQ:\t0/0\nSigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\n"
       "SigIgn:\t%016x\nSigCgt:\t%016x\n",
       (unsigned long)(i->state == 'Z' ? 1
                       : i->threads    ? i->threads
                                       : 1),
       0, 0, 0, 0, 0);
}

/* maps: "start-end perms offset dev inode" and, for none of ours, a path:
 * Linux ends such lines with the space before the path. */
static void gen_pid_maps(struct text* t, int pid) {
  size_t n = 0;
  struct chcore_region_info* v = region_list(pid, &n);
  for (size_t k = 0; k < n; k++) {
    const struct chcore_region_info* r = &v[k];
    putf(t, "%08lx-%08lx %c%c%c%c %08lx 00:00 0 \n", r->start, r->start + r->size,
         (r->perm & 1) ? 'r' : '-', (r->perm & 2) ? 'w' : '-', (r->perm & 4) ? 'x' : '-',
         r->kind == CHCORE_REGION_SHARED || r->kind == CHCORE_REGION_DEVICE ? 's' : 'p', r->offset);
  }
  xfree(v);
}

long gen_text(struct node n, int caller, struct text* t) {
  if (n.kind < N_PID) {
    switch (n.kind) {
      case N_MEMINFO:
        gen_meminfo(t);
        break;
      case N_CPUINFO:
        gen_cpuinfo(t);
        break;
      case N_STAT:
        gen_stat(t);
        break;
      case N_UPTIME:
        gen_uptime(t);
        break;
      case N_LOADAVG:
        gen_loadavg(t);
        break;
      case N_MOUNTS:
        gen_mounts(t);
        break;
      case N_FILESYSTEMS:
        putstr(t, "nodev\ttmpfs\nnodev\tproc\n");
        break;
      default:
        gen_uname(t, n.kind);
    }
    return t->oom ? -ENOMEM : 0;
  }
  if (n.kind == N_PID_MOUNTS) {
    if (!pid_exists(n.pid)) return -ENOENT;
    gen_mounts(t);
    return t->oom ? -ENOMEM : 0;
  }
  if (n.kind == N_PID_MAPS) {
    if (!pid_exists(n.pid)) return -ENOENT;
    gen_pid_maps(t, n.pid);
    return t->oom ? -ENOMEM : 0;
  }
  struct pinfo pi;
  long r = pinfo_get(n.pid, &pi);
  if (r < 0) return r == -ESRCH ? -ENOENT : r;
  switch (n.kind) {
    case N_PID_STAT:
      gen_pid_stat(t, &pi, caller);
      break;
    case N_PID_STATUS:
      gen_pid_status(t, &pi, caller);
      break;
    case N_PID_CMDLINE:
      /* A zombie's memory is gone: Linux shows nothing. */
      if (pi.i.state != 'Z') put(t, pi.argv, pi.i.argv_len);
      break;
    case N_PID_ENVIRON:
      if (pi.i.state != 'Z') put(t, pi.env, pi.i.env_len);
      break;
    case N_PID_COMM:
      putf(t, "%.15s\n", pi.i.name);
      break;
    default:
      break;
  }
  pinfo_free(&pi);
  return t->oom ? -ENOMEM : 0;
}

long gen_link(struct node n, int caller, char* out, size_t size) {
  if (n.kind == N_SELF) {
    if (caller <= 0) return -ENOENT;
    int k = snprintf(out, size, "%d", caller);
    return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : k;
  }
  if (n.kind == N_PID_FD_LINK) {
    size_t cnt = 0;
    struct fd_link* v = fd_list(n.pid, &cnt);
    long r = -ENOENT;
    for (size_t i = 0; i < cnt; i++) {
      if (v[i].fd != n.fd) continue;
      /* A file inherited at spawn has no name known to it. */
      const char* s = v[i].name[0] ? v[i].name : "anon_inode:[unknown]";
      size_t len = strlen(s);
      if (len >= size) len = size - 1;
      memcpy(out, s, len);
      out[len] = 0;
      r = (long)len;
    }
    fd_list_free(v, cnt);
    return r;
  }
  struct pinfo pi;
  long r = pinfo_get(n.pid, &pi);
  if (r < 0) return r == -ESRCH ? -ENOENT : r;
  /* The program, and the directory it is in (the one it started in if
   * its C library does not say). A zombie has neither, as on Linux. */
  const char* s = n.kind == N_PID_EXE ? pi.exe : pi.cwd;
  if (pi.i.state == 'Z' || s[0] == 0) {
    pinfo_free(&pi);
    return -ENOENT;
  }
  size_t len = strlen(s);
  if (len >= size) len = size - 1;
  memcpy(out, s, len);
  out[len] = 0;
  pinfo_free(&pi);
  return (long)len;
}
