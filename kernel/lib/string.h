// The C memory and string functions the kernel provides (lib/string.cpp).
#pragma once
#include "lib/types.h"

extern "C" {
void* memcpy(void* dst, const void* src, usize n);
void* memmove(void* dst, const void* src, usize n);
void* memset(void* dst, int c, usize n);
int memcmp(const void* a, const void* b, usize n);
usize strlen(const char* s);
}
