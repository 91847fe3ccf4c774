/* EL0 code for the system-call path tests, run before processes exist.
 * The kernel maps this page user-executable at USER_CODE_VA and enters it
 * with x0 = mode, SP_EL0 = USER_STACK_TOP. It ends with
 * test_exit(code, detail); code 0 means every check passed. */
#include "uapi/errno.h"
#include "uapi/syscall_nr.h"
#include "tests/user_layout.h"

#define ITERATIONS 10000
/* Stack frame: E[0..31] expected registers, R[0..31] registers after svc,
 * then the remaining iteration count. */
#define E_OFF 0
#define R_OFF 256
#define ITER_OFF 512
#define FRAME 528

.section .user_stub, "ax"
.balign 4096
.global el0_stub_start
el0_stub_start:
	cmp	x0, #1
	b.eq	enosys_checks
	cmp	x0, #2
	b.eq	touch_pages
	cmp	x0, #3
	b.eq	write_own_code
	cmp	x0, #4
	b.eq	read_null
	cmp	x0, #5
	b.eq	exec_stack
	cmp	x0, #6
	b.eq	bench_null
	cmp	x0, #7
	b.eq	bench_touch

/* Mode 0: every register but x0 survives svc, 10,000 times, with values
 * that change every iteration; the test syscall computes the right value. */
	sub	sp, sp, #FRAME
	mov	x9, #ITERATIONS
	str	x9, [sp, #ITER_OFF]
loop:
	/* E[i] = i * K + C + iteration: distinct per register and per round. */
	ldr	x9, [sp, #ITER_OFF]
	ldr	x10, =0x1111111111111111
	ldr	x11, =0x0123456789abcdef
	add	x11, x11, x9
	mov	x12, #0
1:	madd	x14, x12, x10, x11
	str	x14, [sp, x12, lsl #3]
	add	x12, x12, #1
	cmp	x12, #31
	b.lo	1b
	mov	x14, #CHCORE_SYS_test_echo
	str	x14, [sp, #E_OFF + 8 * 8]

	ldp	x0, x1, [sp, #E_OFF + 16 * 0]
	ldp	x2, x3, [sp, #E_OFF + 16 * 1]
	ldp	x4, x5, [sp, #E_OFF + 16 * 2]
	ldp	x6, x7, [sp, #E_OFF + 16 * 3]
	ldp	x8, x9, [sp, #E_OFF + 16 * 4]
	ldp	x10, x11, [sp, #E_OFF + 16 * 5]
	ldp	x12, x13, [sp, #E_OFF + 16 * 6]
	ldp	x14, x15, [sp, #E_OFF + 16 * 7]
	ldp	x16, x17, [sp, #E_OFF + 16 * 8]
	ldp	x18, x19, [sp, #E_OFF + 16 * 9]
	ldp	x20, x21, [sp, #E_OFF + 16 * 10]
	ldp	x22, x23, [sp, #E_OFF + 16 * 11]
	ldp	x24, x25, [sp, #E_OFF + 16 * 12]
	ldp	x26, x27, [sp, #E_OFF + 16 * 13]
	ldp	x28, x29, [sp, #E_OFF + 16 * 14]
	ldr	x30, [sp, #E_OFF + 8 * 30]
	svc	#0
	stp	x0, x1, [sp, #R_OFF + 16 * 0]
	stp	x2, x3, [sp, #R_OFF + 16 * 1]
	stp	x4, x5, [sp, #R_OFF + 16 * 2]
	stp	x6, x7, [sp, #R_OFF + 16 * 3]
	stp	x8, x9, [sp, #R_OFF + 16 * 4]
	stp	x10, x11, [sp, #R_OFF + 16 * 5]
	stp	x12, x13, [sp, #R_OFF + 16 * 6]
	stp	x14, x15, [sp, #R_OFF + 16 * 7]
	stp	x16, x17, [sp, #R_OFF + 16 * 8]
	stp	x18, x19, [sp, #R_OFF + 16 * 9]
	stp	x20, x21, [sp, #R_OFF + 16 * 10]
	stp	x22, x23, [sp, #R_OFF + 16 * 11]
	stp	x24, x25, [sp, #R_OFF + 16 * 12]
	stp	x26, x27, [sp, #R_OFF + 16 * 13]
	stp	x28, x29, [sp, #R_OFF + 16 * 14]
	str	x30, [sp, #R_OFF + 8 * 30]

	/* SP_EL0 itself must be unchanged. */
	mov	x9, sp
	ldr	x10, =(USER_STACK_TOP - FRAME)
	cmp	x9, x10
	b.ne	fail_sp

	/* x0 = a0 + 2 a1 + 3 a2 + 4 a3 + 5 a4 + 6 a5 (see sys_test_echo). */
	ldp	x0, x1, [sp, #E_OFF + 16 * 0]
	ldp	x2, x3, [sp, #E_OFF + 16 * 1]
	ldp	x4, x5, [sp, #E_OFF + 16 * 2]
	add	x6, x0, x1, lsl #1
	mov	x7, #3
	madd	x6, x2, x7, x6
	add	x6, x6, x3, lsl #2
	mov	x7, #5
	madd	x6, x4, x7, x6
	mov	x7, #6
	madd	x6, x5, x7, x6
	ldr	x7, [sp, #R_OFF]
	cmp	x6, x7
	b.ne	fail_result

	mov	x12, #1
	add	x13, sp, #R_OFF
2:	ldr	x14, [sp, x12, lsl #3]
	ldr	x15, [x13, x12, lsl #3]
	cmp	x14, x15
	b.ne	fail_reg
	add	x12, x12, #1
	cmp	x12, #31
	b.lo	2b

	ldr	x9, [sp, #ITER_OFF]
	subs	x9, x9, #1
	str	x9, [sp, #ITER_OFF]
	b.ne	loop
	mov	x0, #0
	mov	x1, #ITERATIONS
	b	stub_exit

fail_sp:
	mov	x0, #3
	mov	x1, x9
	b	stub_exit
fail_result:
	mov	x0, #1
	ldr	x1, [sp, #ITER_OFF]
	b	stub_exit
fail_reg:
	/* code 0x100 + register number, detail = remaining iterations */
	add	x0, x12, #0x100
	ldr	x1, [sp, #ITER_OFF]
	b	stub_exit

/* Mode 1: numbers without a handler return -ENOSYS; known ones work. */
.macro expect_enosys nr, code
	ldr	x8, =\nr
	mov	x0, #0x55
	svc	#0
	cmn	x0, #CHCORE_ENOSYS
	mov	x1, x0
	mov	x0, #\code
	b.ne	stub_exit
.endm

enosys_checks:
	expect_enosys	CHCORE_NR_SYSCALLS, 10		/* just past the table */
	expect_enosys	(CHCORE_NR_SYSCALLS + 1), 11
	expect_enosys	0xffffffff, 12			/* far past it */
	expect_enosys	0xffffffffffffffff, 13		/* -1 */
	expect_enosys	0x8000000000000000, 14		/* negative if signed */
	expect_enosys	47, 15				/* inside the table, no entry */
	/* The null call returns 0. */
	mov	x8, #CHCORE_SYS_null
	mov	x0, #0x55
	svc	#0
	mov	x1, x0
	mov	x0, #16
	cbnz	x1, stub_exit
	/* test_echo(1, 2, 3, 4, 5, 6) = 1 + 4 + 9 + 16 + 25 + 36 = 91 */
	mov	x0, #1
	mov	x1, #2
	mov	x2, #3
	mov	x3, #4
	mov	x4, #5
	mov	x5, #6
	mov	x8, #CHCORE_SYS_test_echo
	svc	#0
	cmp	x0, #91
	mov	x1, x0
	mov	x0, #17
	b.ne	stub_exit
	mov	x0, #0
	mov	x1, #0
	b	stub_exit

/* Mode 2: write then verify the first and last word of TOUCH_PAGES pages
 * from x1 (anonymous memory: every first touch is a page fault). */
#define TOUCH_PAGES 16
touch_pages:
	ldr	x15, =0x5a5a5a5a00005a5a
	mov	x9, x1
	mov	x10, #TOUCH_PAGES
1:	eor	x11, x9, x15
	str	x11, [x9]
	str	x11, [x9, #4088]
	add	x9, x9, #4096
	subs	x10, x10, #1
	b.ne	1b
	mov	x9, x1
	mov	x10, #TOUCH_PAGES
2:	eor	x11, x9, x15
	ldr	x12, [x9]
	ldr	x13, [x9, #4088]
	cmp	x11, x12
	b.ne	3f
	cmp	x11, x13
	b.ne	3f
	add	x9, x9, #4096
	subs	x10, x10, #1
	b.ne	2b
	mov	x0, #0
	mov	x1, #TOUCH_PAGES
	b	stub_exit
3:	mov	x0, #20
	mov	x1, x9
	b	stub_exit

/* Modes 3-5 must be killed by the kernel; reaching test_exit is a failure. */
write_own_code:
	adr	x9, el0_stub_start
	str	xzr, [x9]
	mov	x0, #30
	b	stub_exit
read_null:
	mov	x9, #0
	ldr	x10, [x9]
	mov	x0, #31
	b	stub_exit
exec_stack:
	ldr	x9, =0xd65f03c0		/* ret */
	str	w9, [sp, #-16]!
	mov	x9, sp
	blr	x9
	mov	x0, #32
	b	stub_exit

/* Benchmarks: the detail is the elapsed counter ticks (CNTVCT_EL0, which
 * the kernel lets EL0 read). Mode 6: x1 null system calls. Mode 7: one
 * store to each of x2 pages from x1 (each a first touch: a page fault). */
bench_null:
	mov	x9, x1
	isb
	mrs	x10, cntvct_el0
1:	mov	x8, #CHCORE_SYS_null
	svc	#0
	subs	x9, x9, #1
	b.ne	1b
	isb
	mrs	x11, cntvct_el0
	sub	x1, x11, x10
	mov	x0, #0
	b	stub_exit
bench_touch:
	isb
	mrs	x10, cntvct_el0
1:	str	xzr, [x1]
	add	x1, x1, #4096
	subs	x2, x2, #1
	b.ne	1b
	isb
	mrs	x11, cntvct_el0
	sub	x1, x11, x10
	mov	x0, #0
	b	stub_exit

stub_exit:
	mov	x8, #CHCORE_SYS_test_exit
	svc	#0
	b	.
.ltorg
.balign 4096
.global el0_stub_end
el0_stub_end:
