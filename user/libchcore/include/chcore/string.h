/* The C string and memory functions libchcore provides. memcpy, memmove,
 * memset, memcmp and strlen are the kernel's (kernel/lib/string.cpp, built
 * into libchcore too); the rest are in strings.c. */
#ifndef CHCORE_STRING_H
#define CHCORE_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);

#ifdef __cplusplus
}
#endif

#endif
