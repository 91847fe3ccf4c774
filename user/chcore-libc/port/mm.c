/* chcore-libc: memory. brk is the kernel's handle_brk; each anonymous mmap
 * is one PMO mapped with map_pmo_range, whose capability goes at once (the
 * mapping holds the PMO: it is freed when the last of it is unmapped, by
 * unmap_range), so that mappings cost no capability slots. They are
 * remembered here, in a table that grows in an anonymous PMO of its own
 * (CHCORE_MAPS_VA, pages on first touch: a program that never maps pays
 * nothing), up to Linux's default vm.max_map_count. New mappings are placed
 * in [CHCORE_MMAP_BASE, CHCORE_MMAP_END),
 * the area libchcore also uses for its stacks and mappings (a program has
 * either libchcore's runtime or this libc, never both).
 *
 * RLIMIT_AS and RLIMIT_DATA (rlimit.c) are enforced here, as Linux does at
 * mmap and brk: the address space counted is the program's image (its
 * PT_LOAD segments, from the auxiliary vector), the brk heap and these
 * mappings; the data counted is the image's writable segments, the heap
 * and the private writable mappings. (Not counted: the main stack, and
 * the ramdisk the first process sees; a later mprotect to writable does
 * not move a mapping into the data count.) */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <fcntl.h>
#include "lock.h"
#include "chcore_port.h"
#include "chcore_fd.h"

#define CHCORE_MMAP_BASE 0x0000400000000000ul
#define CHCORE_MMAP_END 0x0000500000000000ul
#define CHCORE_MAX_MAPPINGS 65530
#define CHCORE_MAPS_VA 0x00003f0000000000ul /* the table (user/README.md) */
#define PAGE 4096ul

struct mapping {
	unsigned long start, end;       /* the PMO's extent */
	unsigned long live_lo, live_hi; /* still mapped for the program: munmap
	                                   of a part shrinks this (or leaves a
	                                   hole, inaccessible) */
	int data;                       /* private and writable: counts as data */
};

/* Sorted by start, no overlaps; NULL until the first mapping. */
static struct mapping *maps;
static int nmaps;
static volatile int mm_lock[1];

/* Makes the table exist (with mm_lock held): 0 or -ENOMEM. */
static long maps_ready(void)
{
	if (maps) return 0;
	unsigned long size = ((unsigned long)CHCORE_MAX_MAPPINGS * sizeof *maps + PAGE - 1) & ~(PAGE - 1);
	long pmo = __chcore_sys_create_pmo(size, CHCORE_PMO_ANONYMOUS);
	if (pmo < 0) return -ENOMEM;
	long r = __chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, CHCORE_MAPS_VA,
	                              CHCORE_PROT_READ | CHCORE_PROT_WRITE);
	__chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
	if (r < 0) return -ENOMEM;
	maps = (struct mapping *)CHCORE_MAPS_VA;
	return 0;
}

/* Index of the first mapping that ends above addr. */
static int first_above(unsigned long addr)
{
	int lo = 0, hi = nmaps;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (maps[mid].end <= addr) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

static int range_free(unsigned long start, unsigned long end)
{
	int i = first_above(start);
	return i == nmaps || maps[i].start >= end;
}

/* First fit in the mmap area; 0 if there is no room. */
static unsigned long find_space(unsigned long size)
{
	unsigned long cur = CHCORE_MMAP_BASE;
	for (int i = first_above(CHCORE_MMAP_BASE); i < nmaps && maps[i].start < CHCORE_MMAP_END; i++) {
		if (maps[i].start >= cur && maps[i].start - cur >= size) return cur;
		if (maps[i].end > cur) cur = maps[i].end;
	}
	return CHCORE_MMAP_END - cur >= size ? cur : 0;
}

/* ---- RLIMIT_AS, RLIMIT_DATA ----------------------------------------------------- */

static unsigned long page_up(unsigned long v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

/* The image's PT_LOAD segments (all; writable), page-rounded, from the
 * program headers the auxiliary vector points to. */
static unsigned long image_all, image_data;
static int image_known;

static void image_sizes(void)
{
	if (image_known) return;
	const Elf64_Phdr *ph = 0;
	unsigned long phnum = 0;
	for (size_t *a = __chcore_auxv; a && a[0] != AT_NULL; a += 2) {
		if (a[0] == AT_PHDR) ph = (const Elf64_Phdr *)a[1];
		if (a[0] == AT_PHNUM) phnum = a[1];
	}
	for (unsigned long i = 0; ph && i < phnum; i++) {
		if (ph[i].p_type != PT_LOAD) continue;
		unsigned long lo = ph[i].p_vaddr & ~(PAGE - 1);
		unsigned long size = page_up(ph[i].p_vaddr + ph[i].p_memsz) - lo;
		image_all += size;
		if (ph[i].p_flags & PF_W) image_data += size;
	}
	image_known = 1;
}

/* Bytes of our mappings still mapped in [lo, hi) (all; data). With mm_lock. */
static void mapped_in(unsigned long lo, unsigned long hi, unsigned long *all, unsigned long *data)
{
	*all = *data = 0;
	for (int i = first_above(lo); i < nmaps && maps[i].start < hi; i++) {
		unsigned long a = maps[i].live_lo > lo ? maps[i].live_lo : lo;
		unsigned long b = maps[i].live_hi < hi ? maps[i].live_hi : hi;
		if (a >= b) continue;
		*all += b - a;
		if (maps[i].data) *data += b - a;
	}
}

/* Whether growing by `all` bytes of address space, `data` of them data,
 * while [gone_lo, gone_hi) of our mappings goes away (MAP_FIXED over
 * them), would pass RLIMIT_AS, or RLIMIT_DATA for a data mapping (Linux's
 * may_expand_vm). heap: the brk heap's size. With mm_lock held. */
static int over_limits(unsigned long all, unsigned long data, unsigned long heap,
                       unsigned long gone_lo, unsigned long gone_hi)
{
	unsigned long long as_lim = __chcore_rlimit(RLIMIT_AS);
	unsigned long long data_lim = __chcore_rlimit(RLIMIT_DATA);
	unsigned long mapped, mapped_data, gone, gone_data;
	image_sizes();
	mapped_in(0, ~0ul, &mapped, &mapped_data);
	mapped_in(gone_lo, gone_hi, &gone, &gone_data);
	if (as_lim != RLIM_INFINITY &&
	    (unsigned long long)image_all + heap + mapped - gone + all > as_lim)
		return 1;
	if (data_lim != RLIM_INFINITY && data > 0 &&
	    (unsigned long long)image_data + heap + mapped_data - gone_data + data > data_lim)
		return 1;
	return 0;
}

static int limits_set(void)
{
	return __chcore_rlimit(RLIMIT_AS) != RLIM_INFINITY ||
	       __chcore_rlimit(RLIMIT_DATA) != RLIM_INFINITY;
}

static unsigned long heap_size(unsigned long brk)
{
	return brk > CHCORE_HEAP_BASE ? page_up(brk) - CHCORE_HEAP_BASE : 0;
}

/* brk(addr): the kernel's, after the limits' check when it grows (on
 * failure the old break, Linux's convention, which musl checks). */
CHCORE_LINUX_SYSCALL(brk)
{
	unsigned long want = (unsigned long)a0;
	if (!limits_set()) return __chcore_sys_handle_brk(want);
	LOCK(mm_lock);
	long cur = __chcore_sys_handle_brk(0);
	long r;
	if (cur >= 0 && want > (unsigned long)cur &&
	    over_limits(heap_size(want) - heap_size(cur), heap_size(want) - heap_size(cur),
	                heap_size(cur), 0, 0))
		r = cur;
	else
		r = __chcore_sys_handle_brk(want);
	UNLOCK(mm_lock);
	return r;
}

static void remove_at(int i)
{
	__chcore_sys_unmap_range(CHCORE_SLOT_SELF, maps[i].start, maps[i].end - maps[i].start);
	memmove(&maps[i], &maps[i + 1], (size_t)(nmaps - i - 1) * sizeof maps[0]);
	nmaps--;
}

/* Unmaps [addr, end) from the mappings we made; with mm_lock held. */
static void unmap_locked(unsigned long addr, unsigned long end)
{
	int i = first_above(addr);
	while (i < nmaps && maps[i].start < end) {
		struct mapping *m = &maps[i];
		unsigned long lo = addr > m->live_lo ? addr : m->live_lo;
		unsigned long hi = end < m->live_hi ? end : m->live_hi;
		if (lo <= m->live_lo && hi >= m->live_hi) {
			remove_at(i); /* nothing of it is left */
			continue;
		}
		if (lo < hi) {
			/* A part: unmapped now (a touch faults), its memory freed
			 * with the rest of the mapping. */
			__chcore_sys_unmap_range(CHCORE_SLOT_SELF, lo, hi - lo);
			if (lo == m->live_lo) m->live_lo = hi;
			else if (hi == m->live_hi) m->live_hi = lo;
		}
		i++;
	}
}

long __chcore_munmap(unsigned long addr, unsigned long len)
{
	if ((addr & (PAGE - 1)) || len == 0 || len > CHCORE_USER_TOP) return -EINVAL;
	unsigned long end = (addr + len + PAGE - 1) & ~(PAGE - 1);
	if (end > CHCORE_USER_TOP || end < addr) return -EINVAL;
	LOCK(mm_lock);
	unmap_locked(addr, end);
	UNLOCK(mm_lock);
	return 0;
}

CHCORE_LINUX_SYSCALL(munmap)
{
	return __chcore_munmap((unsigned long)a0, (unsigned long)a1);
}

/* What a new mapping shows:
 *   anonymous        a new PMO of its size (Shared for MAP_SHARED);
 *   MAP_SHARED file  [offset, offset + size) of the file's shared memory
 *                    (FS_MMAP gives a capability to it, writable only when
 *                    the mapping may write), so that stores are in the file
 *                    and writes to the file are in the mapping;
 *   /dev/zero        as anonymous;
 *   MAP_PRIVATE file a new anonymous PMO, filled with the file's bytes
 *                    from offset at mmap time (what follows the end of the
 *                    file reads as zeros): a private copy, never written
 *                    back. Later changes of the file are not seen in it,
 *                    which Linux allows for pages the program has not
 *                    written.
 * Mapping pages wholly past the end of a file gives no SIGBUS here: in a
 * shared mapping they are memory of the file's shared block that reads as
 * zeros and becomes the file's content (zeroed first) when the file grows
 * over it; in a private one, zeros. */
struct source {
	long pmo;              /* our capability, revoked once mapped */
	unsigned long offset;  /* where the mapping starts in it */
	int fill_fd;           /* MAP_PRIVATE file: read it in after mapping; else -1 */
	unsigned long fill_off;
};

/* The PMO of a new mapping of size bytes, or -errno. */
static long mmap_source(int fd, int type, int prot, unsigned long off, unsigned long size,
                        struct source *src)
{
	src->offset = 0;
	src->fill_fd = -1;
	if (fd >= 0) {
		/* /dev/zero is anonymous memory (shared or private), as on
		 * Linux; it still needs read access. */
		struct chcore_fd *d = __chcore_fd_get(fd);
		if (!d) return -EBADF;
		int zero = d->type == CHCORE_FD_DEVICE && __chcore_device_rdev(d) == ((1ul << 8) | 5);
		int acc = d->flags & O_ACCMODE;
		__chcore_fd_put(d);
		if (zero && acc == O_WRONLY) return -EACCES;
		if (zero) fd = -1;
	}
	if (fd >= 0 && type == MAP_SHARED) {
		struct chcore_fd *d = __chcore_fd_get(fd);
		if (!d) return -EBADF;
		long r;
		if (d->flags & O_PATH) r = -EBADF;
		else if (d->type != CHCORE_FD_FILE) r = -ENODEV; /* pipes, devices, the console */
		else if ((d->flags & O_ACCMODE) == O_WRONLY) r = -EACCES;
		else if ((prot & PROT_WRITE) && (d->flags & O_ACCMODE) != O_RDWR) r = -EACCES;
		else if (off > ~0ul - size) r = -EOVERFLOW;
		/* Writable whenever the description is (mprotect may add
		 * PROT_WRITE later, as on Linux). */
		else r = __chcore_file_mmap(d, off + size, (d->flags & O_ACCMODE) == O_RDWR);
		__chcore_fd_put(d);
		if (r < 0) return r;
		src->pmo = r;
		src->offset = off;
		return 0;
	}
	if (fd >= 0) {
		struct chcore_fd *d = __chcore_fd_get(fd);
		if (!d) return -EBADF;
		long r = 0;
		if (d->flags & O_PATH) r = -EBADF;
		else if (d->type != CHCORE_FD_FILE || __chcore_file_is_dir(d)) r = -ENODEV;
		else if ((d->flags & O_ACCMODE) == O_WRONLY) r = -EACCES;
		__chcore_fd_put(d);
		if (r < 0) return r;
		src->fill_fd = fd;
		src->fill_off = off;
	}
	/* Pages of an anonymous PMO are allocated when first touched. The
	 * kernel refuses a PMO larger than the free memory (Linux's default
	 * overcommit heuristic), so a request that can never be backed is
	 * ENOMEM here and NULL from malloc; smaller ones overcommit. */
	long pmo = __chcore_sys_create_pmo(size, type == MAP_SHARED ? CHCORE_PMO_SHARED
	                                                            : CHCORE_PMO_ANONYMOUS);
	if (pmo == -EINVAL) return -ENOMEM; /* not a size the kernel takes */
	if (pmo < 0) return pmo;
	src->pmo = pmo;
	return 0;
}

/* A private file mapping's contents: the file from off, read into the
 * mapping (mapped writable for this), then the requested protection.
 * Returns 0 or -errno. */
static long mmap_fill(unsigned long addr, unsigned long size, int prot, int fd, unsigned long off)
{
	if (!(prot & PROT_WRITE)) __chcore_sys_handle_mprotect(addr, size, PROT_READ | PROT_WRITE);
	struct chcore_fd *d = __chcore_fd_get(fd);
	long r = d ? 0 : -EBADF;
	for (unsigned long done = 0; r == 0 && done < size;) {
		long k = d->ops->pread(d, (char *)addr + done, size - done, (off_t)(off + done));
		if (k < 0) r = k;
		if (k <= 0) break; /* the end of the file: the rest stays zero */
		done += (unsigned long)k;
	}
	if (d) __chcore_fd_put(d);
	if (!(prot & PROT_WRITE))
		__chcore_sys_handle_mprotect(addr, size,
		                             (unsigned long)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
	return r;
}

/* mmap(addr, len, prot, flags, fd, offset) */
CHCORE_LINUX_SYSCALL(mmap)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	int prot = (int)a2, flags = (int)a3;
	int fd = (flags & MAP_ANONYMOUS) ? -1 : (int)a4;
	unsigned long off = (flags & MAP_ANONYMOUS) ? 0 : (unsigned long)a5;
	if (len == 0) return -EINVAL;
	if (off & (PAGE - 1)) return -EINVAL;
	if (len > CHCORE_USER_TOP) return -ENOMEM; /* Linux: more than fits */
	int type = flags & MAP_TYPE;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE) type = MAP_SHARED;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
	if (fd < -1 || (!(flags & MAP_ANONYMOUS) && fd == -1)) return -EBADF;
	unsigned long size = (len + PAGE - 1) & ~(PAGE - 1);
	int fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	if (fixed && ((addr & (PAGE - 1)) || addr + size > CHCORE_USER_TOP || addr + size < addr))
		return -EINVAL;

	if (!fixed && size > CHCORE_MMAP_END - CHCORE_MMAP_BASE) return -ENOMEM;
	struct source src;
	long r = mmap_source(fd, type, prot, off, size, &src);
	if (r < 0) return r;
	long pmo = src.pmo;

	int recorded = 0;
	LOCK(mm_lock);
	if (maps_ready() < 0 || nmaps == CHCORE_MAX_MAPPINGS) {
		r = -ENOMEM;
		goto out;
	}
	int data = type == MAP_PRIVATE && (prot & PROT_WRITE);
	if (limits_set() &&
	    over_limits(size, data ? size : 0, heap_size(__chcore_sys_handle_brk(0)),
	                fixed ? addr : 0, fixed ? addr + size : 0)) {
		r = -ENOMEM;
		goto out;
	}
	if (fixed) {
		if (!range_free(addr, addr + size)) {
			if (flags & MAP_FIXED_NOREPLACE) {
				r = -EEXIST;
				goto out;
			}
			unmap_locked(addr, addr + size);
		}
	} else if (addr == 0 || (addr & (PAGE - 1)) || addr < CHCORE_MMAP_BASE ||
	           addr + size > CHCORE_MMAP_END || addr + size < addr ||
	           !range_free(addr, addr + size)) {
		/* The hint is only taken when it is free and in the mmap area. */
		addr = find_space(size);
		if (addr == 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = __chcore_sys_map_pmo_range(CHCORE_SLOT_SELF, (unsigned long)pmo, addr,
	                               (unsigned long)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)),
	                               src.offset, size);
	if (r == -EEXIST && (flags & MAP_FIXED) && prot == PROT_NONE && fd < 0) {
		/* An inaccessible page over memory mmap did not make (malloc puts
		 * a guard page at the start of the brk heap): the memory stays, it
		 * only becomes inaccessible, which is all a program can tell. */
		r = __chcore_sys_handle_mprotect(addr, size, 0);
		if (r == 0) r = (long)addr;
		else r = -ENOMEM;
		goto out;
	}
	if (r == -EEXIST) r = -ENOMEM; /* over something not made by mmap */
	if (r < 0) goto out;
	int i = first_above(addr);
	memmove(&maps[i + 1], &maps[i], (size_t)(nmaps - i) * sizeof maps[0]);
	maps[i] = (struct mapping){ addr, addr + size, addr, addr + size, data };
	nmaps++;
	recorded = 1;
	r = (long)addr;
out:
	UNLOCK(mm_lock);
	/* The mapping holds the PMO now (or nothing does). */
	__chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
	if (!recorded) return r;
	if (src.fill_fd >= 0) {
		long e = mmap_fill(addr, size, prot, src.fill_fd, src.fill_off);
		if (e < 0) {
			__chcore_munmap(addr, size);
			return e;
		}
	}
	return r;
}

/* msync: a shared file mapping is the file's memory itself, so there is
 * nothing to write back or to invalidate; the arguments are checked as
 * Linux checks them. */
CHCORE_LINUX_SYSCALL(msync)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	int flags = (int)a2;
	if (addr & (PAGE - 1)) return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return -EINVAL;
	if (page_up(len) < len || addr + page_up(len) < addr) return -ENOMEM;
	return 0;
}

CHCORE_LINUX_SYSCALL(mprotect)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	if (addr & (PAGE - 1)) return -EINVAL;
	if (len == 0) return 0;
	/* Linux: a length whose rounding up or whose end wraps around is
	 * ENOMEM, and so is a range past user space (nothing is mapped there).
	 * Rounding SIZE_MAX up gives 0, which must not pass for "nothing". */
	if (addr >= CHCORE_USER_TOP || len > CHCORE_USER_TOP - addr) return -ENOMEM;
	len = page_up(len);
	if (addr + len > CHCORE_USER_TOP) return -ENOMEM;
	return __chcore_sys_handle_mprotect(addr, len, (unsigned long)a2);
}

/* mremap(old, old_size, new_size, flags, new_addr): shrinking in place. */
CHCORE_LINUX_SYSCALL(mremap)
{
	unsigned long old = (unsigned long)a0;
	unsigned long old_size = ((unsigned long)a1 + PAGE - 1) & ~(PAGE - 1);
	unsigned long new_size = ((unsigned long)a2 + PAGE - 1) & ~(PAGE - 1);
	if ((old & (PAGE - 1)) || new_size == 0) return -EINVAL;
	if (new_size > old_size) return -ENOMEM;
	if (new_size < old_size) __chcore_munmap(old + new_size, old_size - new_size);
	return (long)old;
}

CHCORE_LINUX_SYSCALL(madvise)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	if (addr & (PAGE - 1)) return -EINVAL;
	/* Linux: a length that wraps when rounded up, or a range that wraps. */
	if (page_up(len) < len || addr + page_up(len) < addr) return -EINVAL;
	return 0;
}
