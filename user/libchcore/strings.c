/* The string functions the kernel's lib/string.cpp does not have. */
#include <chcore/string.h>

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  const unsigned char* x = (const unsigned char*)a;
  const unsigned char* y = (const unsigned char*)b;
  while (*x != '\0' && *x == *y) {
    x++;
    y++;
  }
  return (int)*x - (int)*y;
}

int strncmp(const char* a, const char* b, size_t n) {
  const unsigned char* x = (const unsigned char*)a;
  const unsigned char* y = (const unsigned char*)b;
  for (; n > 0; n--, x++, y++) {
    if (*x != *y || *x == '\0') return (int)*x - (int)*y;
  }
  return 0;
}

char* strchr(const char* s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char*)s;
    if (*s == '\0') return NULL;
  }
}

char* strrchr(const char* s, int c) {
  const char* last = NULL;
  for (;; s++) {
    if (*s == (char)c) last = s;
    if (*s == '\0') return (char*)last;
  }
}
