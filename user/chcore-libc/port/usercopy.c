/* chcore-libc: the caller's memory. A handler of a system call runs in the
 * calling process, but the pointers it is given are the caller's, as
 * unchecked as a kernel's: Linux promises EFAULT for a bad one (NULL, a
 * kernel address, an unmapped or read-only page), and a handler that
 * dereferenced it itself would kill the program instead. So handlers read
 * and write caller memory only through these two functions.
 *
 * They copy here, in user space, with copy_user below, a loop that the
 * kernel knows as this process's copy routine (set_copy_fixup, registered
 * at start-up by __chcore_usercopy_init): a data abort in it that the
 * kernel cannot resolve (demand paging still happens as for any access)
 * does not kill the process but resumes at its fix-up, which returns
 * -EFAULT. The loads and stores are EL0's own, so they reach exactly what
 * the caller could reach itself; no pointer is guessed safe or unsafe.
 * Before the registration (or if it failed) and for the one case the loop
 * does not handle, a destination inside the source range above its start
 * (memmove's backward case), the kernel's user_copy does the copy, with
 * the same checks (kernel/syscall/sys_usercopy.cpp).
 *
 * As the kernel's copy: a range that wraps or reaches past user space
 * (2^48) is EFAULT before anything is copied, a copy of 0 bytes touches
 * nothing and succeeds, and part of dst may be written before an EFAULT. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "chcore_port.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* From this size on, the copy goes through the FP/SIMD registers: 8.5
 * instructions per 128 bytes instead of 18. Smaller copies (the structures
 * handlers copy out) keep to the general registers, so that a thread that
 * does not use FP/SIMD otherwise does not take the kernel's trap that loads
 * its FP/SIMD state for them. */
#define SIMD_MIN 512

/* long __chcore_copy_user(void *dst, const void *src, size_t n): 0, or
 * -EFAULT from the fix-up. Front to back (right for an overlap with
 * dst <= src), 128 bytes per step, then 8, then 1. It touches neither the
 * stack nor x30, so that the fix-up can return straight to the caller;
 * the registers it uses are the caller-saved x3-x10 and q0-q7. */
__asm__(
	"	.text\n"
	"	.p2align 4\n"
	"	.global	__chcore_copy_user\n"
	"	.hidden	__chcore_copy_user\n"
	"	.type	__chcore_copy_user, %function\n"
	"__chcore_copy_user:\n"
	"	cmp	x2, #" STR(SIMD_MIN) "\n"
	"	b.hs	7f\n"
	"	subs	x2, x2, #128\n"
	"	b.lo	2f\n"
	"1:	ldp	x3, x4, [x1], #128\n"
	"	ldp	x5, x6, [x1, #-112]\n"
	"	ldp	x7, x8, [x1, #-96]\n"
	"	ldp	x9, x10, [x1, #-80]\n"
	"	stp	x3, x4, [x0], #128\n"
	"	stp	x5, x6, [x0, #-112]\n"
	"	stp	x7, x8, [x0, #-96]\n"
	"	stp	x9, x10, [x0, #-80]\n"
	"	ldp	x3, x4, [x1, #-64]\n"
	"	ldp	x5, x6, [x1, #-48]\n"
	"	ldp	x7, x8, [x1, #-32]\n"
	"	ldp	x9, x10, [x1, #-16]\n"
	"	stp	x3, x4, [x0, #-64]\n"
	"	stp	x5, x6, [x0, #-48]\n"
	"	stp	x7, x8, [x0, #-32]\n"
	"	stp	x9, x10, [x0, #-16]\n"
	"	subs	x2, x2, #128\n"
	"	b.hs	1b\n"
	/* What is left, less 8. */
	"2:	adds	x2, x2, #128 - 8\n"
	"	b.lo	4f\n"
	"3:	ldr	x3, [x1], #8\n"
	"	str	x3, [x0], #8\n"
	"	subs	x2, x2, #8\n"
	"	b.hs	3b\n"
	"4:	adds	x2, x2, #8\n"
	"	b.eq	6f\n"
	"5:	ldrb	w3, [x1], #1\n"
	"	strb	w3, [x0], #1\n"
	"	subs	x2, x2, #1\n"
	"	b.ne	5b\n"
	"6:	mov	x0, #0\n"
	"	ret\n"
	/* A large copy: 512 bytes per step through q0-q7 (34 instructions),
	 * then 128 per step, then the tail as above. */
	"7:	sub	x2, x2, #512\n"
	"9:	ldp	q0, q1, [x1], #512\n"
	"	ldp	q2, q3, [x1, #-480]\n"
	"	ldp	q4, q5, [x1, #-448]\n"
	"	ldp	q6, q7, [x1, #-416]\n"
	"	stp	q0, q1, [x0], #512\n"
	"	stp	q2, q3, [x0, #-480]\n"
	"	stp	q4, q5, [x0, #-448]\n"
	"	stp	q6, q7, [x0, #-416]\n"
	"	ldp	q0, q1, [x1, #-384]\n"
	"	ldp	q2, q3, [x1, #-352]\n"
	"	ldp	q4, q5, [x1, #-320]\n"
	"	ldp	q6, q7, [x1, #-288]\n"
	"	stp	q0, q1, [x0, #-384]\n"
	"	stp	q2, q3, [x0, #-352]\n"
	"	stp	q4, q5, [x0, #-320]\n"
	"	stp	q6, q7, [x0, #-288]\n"
	"	ldp	q0, q1, [x1, #-256]\n"
	"	ldp	q2, q3, [x1, #-224]\n"
	"	ldp	q4, q5, [x1, #-192]\n"
	"	ldp	q6, q7, [x1, #-160]\n"
	"	stp	q0, q1, [x0, #-256]\n"
	"	stp	q2, q3, [x0, #-224]\n"
	"	stp	q4, q5, [x0, #-192]\n"
	"	stp	q6, q7, [x0, #-160]\n"
	"	ldp	q0, q1, [x1, #-128]\n"
	"	ldp	q2, q3, [x1, #-96]\n"
	"	ldp	q4, q5, [x1, #-64]\n"
	"	ldp	q6, q7, [x1, #-32]\n"
	"	stp	q0, q1, [x0, #-128]\n"
	"	stp	q2, q3, [x0, #-96]\n"
	"	stp	q4, q5, [x0, #-64]\n"
	"	stp	q6, q7, [x0, #-32]\n"
	"	subs	x2, x2, #512\n"
	"	b.hs	9b\n"
	"	adds	x2, x2, #512 - 128\n"
	"	b.lo	2b\n"
	"8:	ldp	q0, q1, [x1], #128\n"
	"	ldp	q2, q3, [x1, #-96]\n"
	"	ldp	q4, q5, [x1, #-64]\n"
	"	ldp	q6, q7, [x1, #-32]\n"
	"	stp	q0, q1, [x0], #128\n"
	"	stp	q2, q3, [x0, #-96]\n"
	"	stp	q4, q5, [x0, #-64]\n"
	"	stp	q6, q7, [x0, #-32]\n"
	"	subs	x2, x2, #128\n"
	"	b.hs	8b\n"
	"	b	2b\n"
	"	.size	__chcore_copy_user, . - __chcore_copy_user\n"
	"	.global	__chcore_copy_user_end\n"
	"	.hidden	__chcore_copy_user_end\n"
	"__chcore_copy_user_end:\n"
	/* The fix-up: give up (what was stored so far stays). */
	"	.global	__chcore_copy_user_fault\n"
	"	.hidden	__chcore_copy_user_fault\n"
	"__chcore_copy_user_fault:\n"
	"	mov	x0, #-" STR(EFAULT) "\n"
	"	ret\n");

hidden long __chcore_copy_user(void *dst, const void *src, size_t n);
extern hidden const char __chcore_copy_user_end[], __chcore_copy_user_fault[];

static int registered;

void __chcore_usercopy_init(void)
{
	registered = __chcore_sys_set_copy_fixup((unsigned long)__chcore_copy_user,
	                                         (unsigned long)__chcore_copy_user_end,
	                                         (unsigned long)__chcore_copy_user_fault) == 0;
}

#define USER_TOP (1ul << 48)

/* The kernel's copy, in pieces of at most CHCORE_USER_COPY_MAX, from the
 * end when dst is above src in the same range. */
__attribute__((noinline))
static long copy_by_kernel(uintptr_t d, uintptr_t s, size_t len)
{
	int backward = d > s && d - s < len;
	for (size_t done = 0; done < len;) {
		size_t n = len - done < CHCORE_USER_COPY_MAX ? len - done : CHCORE_USER_COPY_MAX;
		size_t off = backward ? len - done - n : done;
		long r = __chcore_sys_user_copy(d + off, s + off, n);
		if (r < 0) return r;
		done += n;
	}
	return 0;
}

static long copy(void *dst, const void *src, size_t len)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
	if (len == 0) return 0;
	if (d + len < d || d + len > USER_TOP || s + len < s || s + len > USER_TOP) return -EFAULT;
	if (__builtin_expect(registered && !(d > s && d - s < len), 1))
		return __chcore_copy_user(dst, src, len);
	return copy_by_kernel(d, s, len);
}

long __chcore_copy_in(void *dst, const void *user_src, size_t len)
{
	return copy(dst, user_src, len);
}

long __chcore_copy_out(void *user_dst, const void *src, size_t len)
{
	return copy(user_dst, src, len);
}

/* A string: pieces of at most STR_STEP bytes that never cross a page of
 * the source past the one holding its end (reading the rest of a page that
 * holds some of the string is as safe as reading the string), so a string
 * that ends just before an unmapped page copies. STR_STEP stays below
 * SIMD_MIN: strings are short and need no FP/SIMD state. */
#define STR_STEP 128ul
long __chcore_copy_in_str(char *dst, const char *user_src, size_t max)
{
	size_t done = 0;
	while (done < max) {
		uintptr_t s = (uintptr_t)user_src + done;
		size_t n = 4096 - (s & 4095);
		if (n > STR_STEP) n = STR_STEP;
		if (n > max - done) n = max - done;
		long r = copy(dst + done, user_src + done, n);
		if (r < 0) return r;
		char *z = memchr(dst + done, 0, n);
		if (z) return z - dst + 1;
		done += n;
	}
	return -E2BIG;
}
