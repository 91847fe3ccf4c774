/* Console output for programs without a libc. Everything goes to the kernel
 * console through the putstr system call; one chcore_printf is one putstr
 * (unless it prints more than CHCORE_PUTSTR_MAX bytes), so lines printed by
 * different processes do not interleave mid-line.
 *
 * The formatting is the kernel's (kernel/lib/format.h): %d %i %u %x %X %o %c
 * %s %p %% with flags, width, precision and the h/hh/l/ll/z/t/j lengths. %p
 * prints "0x" and 16 hex digits; %s of NULL prints "(null)"; there is no
 * floating point and no %n. */
#ifndef CHCORE_PRINT_H
#define CHCORE_PRINT_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes len bytes (several putstr calls if needed). Returns len or the
 * first negative error. */
long chcore_write(const char* buf, size_t len);
/* Writes s and a newline (like C's puts). Returns >= 0 or a negative error. */
int chcore_puts(const char* s);
/* Returns the number of characters printed, or a negative error. */
int chcore_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int chcore_vprintf(const char* fmt, va_list ap);
/* C semantics: at most size - 1 characters and a NUL (if size > 0); returns
 * the length the whole output would have. */
int chcore_snprintf(char* buf, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
int chcore_vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
/* The formatting core: calls out(ctx, c) for every character. */
int chcore_vformat(void (*out)(void* ctx, char c), void* ctx, const char* fmt, va_list ap);

#ifdef __cplusplus
}
#endif

#endif
