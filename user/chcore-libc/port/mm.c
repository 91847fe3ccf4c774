/* chcore-libc: memory. brk is the kernel's handle_brk; each anonymous mmap
 * is one PMO mapped with map_pmo, remembered here so that munmap can unmap
 * it (unmap_pmo needs the PMO) and free it (revoke_cap drops the last
 * reference). New mappings are placed in [CHCORE_MMAP_BASE, CHCORE_MMAP_END),
 * the area libchcore also uses for its stacks and mappings (a program has
 * either libchcore's runtime or this libc, never both). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "lock.h"
#include "chcore_port.h"

#define CHCORE_MMAP_BASE 0x0000400000000000ul
#define CHCORE_MMAP_END 0x0000500000000000ul
#define CHCORE_MAX_MAPPINGS 512
#define PAGE 4096ul

struct mapping {
	unsigned long start, end;       /* the PMO's extent */
	unsigned long live_lo, live_hi; /* still mapped for the program: munmap
	                                   of a part shrinks this (or leaves a
	                                   hole, inaccessible) */
	long pmo;                       /* our capability to the PMO */
};

/* Sorted by start, no overlaps. */
static struct mapping maps[CHCORE_MAX_MAPPINGS];
static int nmaps;
static volatile int mm_lock[1];

CHCORE_LINUX_SYSCALL(brk)
{
	return __chcore_sys_handle_brk((unsigned long)a0);
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

static void remove_at(int i)
{
	__chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)maps[i].pmo, maps[i].start);
	__chcore_sys_revoke_cap((unsigned long)maps[i].pmo, CHCORE_REVOKE_SELF);
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
			/* A part: inaccessible now, its memory freed with the rest. */
			__chcore_sys_handle_mprotect(lo, hi - lo, 0);
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

/* mmap(addr, len, prot, flags, fd, offset) */
CHCORE_LINUX_SYSCALL(mmap)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	int prot = (int)a2, flags = (int)a3;
	if (!(flags & MAP_ANONYMOUS)) return -ENODEV; /* files: with the file servers */
	if (len == 0) return -EINVAL;
	if (len > CHCORE_USER_TOP) return -ENOMEM; /* as Linux: more than the address space */
	int type = flags & MAP_TYPE;
	if (type != MAP_PRIVATE && type != MAP_SHARED) return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
	unsigned long size = (len + PAGE - 1) & ~(PAGE - 1);
	int fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	if (fixed && ((addr & (PAGE - 1)) || addr + size > CHCORE_USER_TOP || addr + size < addr))
		return -EINVAL;

	if (!fixed && size > CHCORE_MMAP_END - CHCORE_MMAP_BASE) return -ENOMEM;
	/* Pages of an anonymous PMO are allocated when first touched. The
	 * kernel refuses a PMO larger than the free memory (Linux's default
	 * overcommit heuristic), so a request that can never be backed is
	 * ENOMEM here and NULL from malloc; smaller ones overcommit. */
	long pmo = __chcore_sys_create_pmo(size, type == MAP_SHARED ? CHCORE_PMO_SHARED
	                                                            : CHCORE_PMO_ANONYMOUS);
	if (pmo == -EINVAL) return -ENOMEM; /* not a size the kernel takes */
	if (pmo < 0) return pmo;

	long r;
	int recorded = 0;
	LOCK(mm_lock);
	if (nmaps == CHCORE_MAX_MAPPINGS) {
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
	r = __chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, addr,
	                         (unsigned long)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
	if (r == -EEXIST && (flags & MAP_FIXED) && prot == PROT_NONE) {
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
	maps[i] = (struct mapping){ addr, addr + size, addr, addr + size, pmo };
	nmaps++;
	recorded = 1;
	r = (long)addr;
out:
	UNLOCK(mm_lock);
	if (!recorded) __chcore_sys_revoke_cap((unsigned long)pmo, CHCORE_REVOKE_SELF);
	return r;
}

CHCORE_LINUX_SYSCALL(mprotect)
{
	unsigned long addr = (unsigned long)a0, len = (unsigned long)a1;
	if (addr & (PAGE - 1)) return -EINVAL;
	if (len == 0) return 0;
	/* As Linux: a length whose rounding wraps (SIZE_MAX) is ENOMEM. */
	if (len > -PAGE) return -ENOMEM;
	len = (len + PAGE - 1) & ~(PAGE - 1);
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
	if ((unsigned long)a0 & (PAGE - 1)) return -EINVAL;
	return 0;
}
