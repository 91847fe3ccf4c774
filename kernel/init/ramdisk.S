/* The boot ramdisk (a newc cpio archive built from user/), embedded in the
 * kernel image, page aligned so that it can be handed to the first process
 * as a read-only PMO without copying. */
.section .rodata.ramdisk, "a"
.balign 4096
.global __ramdisk_start
__ramdisk_start:
#ifdef CHCORE_RAMDISK_PATH
	.incbin CHCORE_RAMDISK_PATH
#endif
.global __ramdisk_end
__ramdisk_end:
.balign 4096
