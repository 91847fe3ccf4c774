/* Copies between kernel and user memory. The user side is accessed with
 * LDTR/STTR, which the MMU checks with EL0 permissions: a user pointer can
 * only reach what the user could reach itself. Every instruction that touches
 * user memory has an entry in __ex_table; a fault there (after the page-fault
 * handler had its chance to map an anonymous page) resumes at the fix-up,
 * which returns -EFAULT. Range checks happen in C++ (mm/uaccess.h) first. */
#include "uapi/errno.h"

/* EX_ENTRY(insn label, fixup label) */
.macro ex_entry insn, fixup
	.pushsection __ex_table, "a"
	.balign 8
	.quad	\insn, \fixup
	.popsection
.endm

.text
/* i64 arch_copy_from_user(void *dst, const void *user_src, usize n): 0 or -EFAULT */
.global arch_copy_from_user
arch_copy_from_user:
	/* 64 bytes at a time while at least 64 remain: one bookkeeping step
	 * per 64 bytes instead of per 8. */
	cmp	x2, #64
	b.lo	0f
5:
10:	ldtr	x3, [x1]
	ex_entry 10b, uaccess_fault
11:	ldtr	x4, [x1, #8]
	ex_entry 11b, uaccess_fault
12:	ldtr	x5, [x1, #16]
	ex_entry 12b, uaccess_fault
13:	ldtr	x6, [x1, #24]
	ex_entry 13b, uaccess_fault
14:	ldtr	x7, [x1, #32]
	ex_entry 14b, uaccess_fault
15:	ldtr	x8, [x1, #40]
	ex_entry 15b, uaccess_fault
16:	ldtr	x9, [x1, #48]
	ex_entry 16b, uaccess_fault
17:	ldtr	x10, [x1, #56]
	ex_entry 17b, uaccess_fault
	stp	x3, x4, [x0]
	stp	x5, x6, [x0, #16]
	stp	x7, x8, [x0, #32]
	stp	x9, x10, [x0, #48]
	add	x0, x0, #64
	add	x1, x1, #64
	sub	x2, x2, #64
	cmp	x2, #64
	b.hs	5b
0:	cmp	x2, #8
	b.lo	2f
1:	/* 8 bytes at a time while at least 8 remain */
9:	ldtr	x3, [x1]
	ex_entry 9b, uaccess_fault
	str	x3, [x0], #8
	add	x1, x1, #8
	sub	x2, x2, #8
	cmp	x2, #8
	b.hs	1b
2:	cbz	x2, 3f
8:	ldtrb	w3, [x1]
	ex_entry 8b, uaccess_fault
	strb	w3, [x0], #1
	add	x1, x1, #1
	subs	x2, x2, #1
	b.ne	8b
3:	mov	x0, #0
	ret

/* i64 arch_copy_to_user(void *user_dst, const void *src, usize n): 0 or -EFAULT */
.global arch_copy_to_user
arch_copy_to_user:
	/* 64 bytes at a time while at least 64 remain (as above) */
	cmp	x2, #64
	b.lo	0f
5:	ldp	x3, x4, [x1]
	ldp	x5, x6, [x1, #16]
	ldp	x7, x8, [x1, #32]
	ldp	x9, x10, [x1, #48]
10:	sttr	x3, [x0]
	ex_entry 10b, uaccess_fault
11:	sttr	x4, [x0, #8]
	ex_entry 11b, uaccess_fault
12:	sttr	x5, [x0, #16]
	ex_entry 12b, uaccess_fault
13:	sttr	x6, [x0, #24]
	ex_entry 13b, uaccess_fault
14:	sttr	x7, [x0, #32]
	ex_entry 14b, uaccess_fault
15:	sttr	x8, [x0, #40]
	ex_entry 15b, uaccess_fault
16:	sttr	x9, [x0, #48]
	ex_entry 16b, uaccess_fault
17:	sttr	x10, [x0, #56]
	ex_entry 17b, uaccess_fault
	add	x0, x0, #64
	add	x1, x1, #64
	sub	x2, x2, #64
	cmp	x2, #64
	b.hs	5b
0:	cmp	x2, #8
	b.lo	2f
1:	ldr	x3, [x1], #8
9:	sttr	x3, [x0]
	ex_entry 9b, uaccess_fault
	add	x0, x0, #8
	sub	x2, x2, #8
	cmp	x2, #8
	b.hs	1b
2:	cbz	x2, 3f
4:	ldrb	w3, [x1], #1
8:	sttrb	w3, [x0]
	ex_entry 8b, uaccess_fault
	add	x0, x0, #1
	subs	x2, x2, #1
	b.ne	4b
3:	mov	x0, #0
	ret

/* i64 arch_copy_in_user(void *user_dst, const void *user_src, usize n):
 * 0 or -EFAULT. A copy within user space, both sides unprivileged (LDTR
 * and STTR), with no kernel buffer in between. Front to back: correct
 * for overlapping ranges only when dst <= src (the caller sees to that).
 * 128 bytes per step, loaded and stored 64 at a time. */
.macro ldtr8 off
	.irp	r, 3, 4, 5, 6, 7, 8, 9, 10
99:	ldtr	x\r, [x1, #(\off + 8 * (\r - 3))]
	ex_entry 99b, uaccess_fault
	.endr
.endm
.macro sttr8 off
	.irp	r, 3, 4, 5, 6, 7, 8, 9, 10
99:	sttr	x\r, [x0, #(\off + 8 * (\r - 3))]
	ex_entry 99b, uaccess_fault
	.endr
.endm
.global arch_copy_in_user
arch_copy_in_user:
	subs	x2, x2, #128
	b.lo	1f
0:	ldtr8	0
	sttr8	0
	ldtr8	64
	sttr8	64
	add	x0, x0, #128
	add	x1, x1, #128
	subs	x2, x2, #128
	b.hs	0b
1:	adds	x2, x2, #128 - 8	/* what is left, less 8 */
	b.lo	3f
2:	/* 8 bytes at a time while at least 8 remain */
9:	ldtr	x3, [x1]
	ex_entry 9b, uaccess_fault
8:	sttr	x3, [x0]
	ex_entry 8b, uaccess_fault
	add	x0, x0, #8
	add	x1, x1, #8
	subs	x2, x2, #8
	b.hs	2b
3:	adds	x2, x2, #8
	b.eq	5f
4:
7:	ldtrb	w3, [x1]
	ex_entry 7b, uaccess_fault
6:	sttrb	w3, [x0]
	ex_entry 6b, uaccess_fault
	add	x0, x0, #1
	add	x1, x1, #1
	subs	x2, x2, #1
	b.ne	4b
5:	mov	x0, #0
	ret

/* i64 arch_strncpy_from_user(char *dst, const char *user_src, usize n):
 * copies up to n bytes, stopping after a NUL; returns the string length
 * (without the NUL), n if no NUL was found in n bytes, or -EFAULT. */
.global arch_strncpy_from_user
arch_strncpy_from_user:
	mov	x4, #0
1:	cmp	x4, x2
	b.hs	2f
9:	ldtrb	w3, [x1, #0]
	ex_entry 9b, uaccess_fault
	strb	w3, [x0, x4]
	cbz	w3, 2f
	add	x1, x1, #1
	add	x4, x4, #1
	b	1b
2:	mov	x0, x4
	ret

/* i64 arch_probe_write(void *kernel_addr): writes the byte that is already
 * there (with a privileged store); 0, or -EFAULT if the store faults. Used
 * by tests to check that the kernel's own mappings are W^X. */
.global arch_probe_write
arch_probe_write:
	ldrb	w1, [x0]
9:	strb	w1, [x0]
	ex_entry 9b, uaccess_fault
	mov	x0, #0
	ret

/* i64 arch_user_cmpxchg32(u32 *user_addr, u32 old, u32 new, u32 *cur):
 * atomically replaces *user_addr with new if it holds old. Returns 0 (done),
 * 1 (it held something else, stored in *cur) or -EFAULT. A privileged
 * exclusive pair: there is no unprivileged LDXR, and user mappings are
 * never EL1-only, so the MMU still refuses a store to a page the user may
 * only read. A fault that the page-fault handler resolves retries the
 * load; the exclusive monitor is then lost and the store fails and loops. */
.global arch_user_cmpxchg32
arch_user_cmpxchg32:
1:
9:	ldaxr	w4, [x0]
	ex_entry 9b, uaccess_fault
	cmp	w4, w1
	b.ne	2f
8:	stlxr	w5, w2, [x0]
	ex_entry 8b, uaccess_fault
	cbnz	w5, 1b
	mov	x0, #0
	ret
2:	clrex
	str	w4, [x3]
	mov	x0, #1
	ret

uaccess_fault:
	mov	x0, #-CHCORE_EFAULT
	ret
