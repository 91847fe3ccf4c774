/* Host stand-in for musl's internal kstat.h: struct kstat, the kernel's
 * stat layout, as musl defines it for aarch64 (arch/aarch64/kstat.h). fd.c
 * only passes it to the description's fstat op. */
#ifndef CHCORE_HOST_SHIM_KSTAT_H
#define CHCORE_HOST_SHIM_KSTAT_H

#include <sys/types.h>

struct kstat {
	dev_t st_dev;
	ino_t st_ino;
	mode_t st_mode;
	nlink_t st_nlink;
	uid_t st_uid;
	gid_t st_gid;
	dev_t st_rdev;
	unsigned long __pad;
	off_t st_size;
	blksize_t st_blksize;
	int __pad2;
	blkcnt_t st_blocks;
	long st_atime_sec;
	long st_atime_nsec;
	long st_mtime_sec;
	long st_mtime_nsec;
	long st_ctime_sec;
	long st_ctime_nsec;
	unsigned __unused[2];
};

#endif
