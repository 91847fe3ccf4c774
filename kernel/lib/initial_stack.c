// The Linux initial stack (see initial_stack.h for the layout).
//
// The block is measured first and written only if it fits, so a failure
// leaves the caller's buffer as it was. Words are stored byte by byte in
// little-endian order, so the caller's buffer needs no alignment.
#include "initial_stack.h"

#define END_MARKER_SIZE 16
#define RANDOM_SIZE 16
#define WORD 8

static chcore_u64 align_up16(chcore_u64 v) { return (v + 15) & ~(chcore_u64)15; }

// The length of s, but at most max (not reading beyond s[max - 1]).
static chcore_u64 bounded_len(const char* s, chcore_u64 max) {
  chcore_u64 n = 0;
  while (n < max && s[n] != '\0') n++;
  return n;
}

struct measure {
  chcore_u64 strings;  // bytes of all strings with their NULs
  chcore_u64 words;    // argc, the two lists with their NULLs, the auxv pairs
  chcore_u64 size;     // top - sp
};

// Adds the strings of one list to m->strings.
static int add_strings(struct measure* m, const char* const* list, chcore_u64 n, chcore_u64 limit) {
  for (chcore_u64 i = 0; i < n; i++) {
    if (list[i] == 0) return STACK_ERR_INVAL;
    chcore_u64 len = bounded_len(list[i], limit) + 1;
    if (__builtin_add_overflow(m->strings, len, &m->strings) || m->strings > limit)
      return STACK_ERR_TOO_BIG;
  }
  return STACK_OK;
}

static int measure(const struct chcore_stack_args* a, chcore_u64 limit, struct measure* m) {
  if (a == 0 || a->random == 0) return STACK_ERR_INVAL;
  if ((a->argc != 0 && a->argv == 0) || (a->envc != 0 && a->envp == 0) ||
      (a->nauxv != 0 && a->auxv == 0))
    return STACK_ERR_INVAL;
  // Every entry takes at least a word: longer lists cannot fit, and with
  // each count below 2^61 the sum below cannot overflow.
  chcore_u64 max_words = limit / WORD;
  if (a->argc > max_words || a->envc > max_words || a->nauxv > max_words) return STACK_ERR_TOO_BIG;
  m->words = 1 + (a->argc + 1) + (a->envc + 1) + 2 * (a->nauxv + 2);
  if (m->words > max_words) return STACK_ERR_TOO_BIG;
  m->strings = 0;
  int r = add_strings(m, a->argv, a->argc, limit);
  if (r == STACK_OK) r = add_strings(m, a->envp, a->envc, limit);
  if (r != STACK_OK) return r;
  // size = align16(end marker + strings) + random + align16(words), each
  // step checked: the limit may be near 2^64.
  chcore_u64 above = 0, block = 0;
  if (__builtin_add_overflow(m->strings, END_MARKER_SIZE + 15, &above) ||
      __builtin_add_overflow(above & ~(chcore_u64)15, RANDOM_SIZE, &above) ||
      __builtin_add_overflow(m->words * WORD, 15, &block) ||  // words * WORD <= limit
      __builtin_add_overflow(above, block & ~(chcore_u64)15, &m->size) || m->size > limit)
    return STACK_ERR_TOO_BIG;
  return STACK_OK;
}

int chcore_initial_stack_size(const struct chcore_stack_args* args, chcore_u64 limit,
                              chcore_u64* size) {
  struct measure m;
  int r = measure(args, limit, &m);
  if (r == STACK_OK) *size = m.size;
  return r;
}

struct writer {
  chcore_u8* base;  // the byte at sp
  chcore_u64 sp;
  chcore_u64 word;  // the next word's index
};

static void put_word(struct writer* w, chcore_u64 v) {
  chcore_u8* p = w->base + w->word * WORD;
  for (int i = 0; i < WORD; i++) p[i] = (chcore_u8)(v >> (8 * i));
  w->word++;
}

static void put_bytes(struct writer* w, chcore_u64 va, const void* src, chcore_u64 len) {
  const chcore_u8* s = (const chcore_u8*)src;
  chcore_u8* d = w->base + (va - w->sp);
  for (chcore_u64 i = 0; i < len; i++) d[i] = s[i];
}

// Copies the strings of one list upward from *va and puts a pointer to
// each, then the NULL that ends the list.
static void put_strings(struct writer* w, chcore_u64* va, const char* const* list, chcore_u64 n) {
  for (chcore_u64 i = 0; i < n; i++) {
    chcore_u64 len = bounded_len(list[i], ~(chcore_u64)0) + 1;
    put_bytes(w, *va, list[i], len);
    put_word(w, *va);
    *va += len;
  }
  put_word(w, 0);
}

int chcore_initial_stack_build(const struct chcore_stack_args* args, chcore_u64 top, void* buf,
                               chcore_u64 buf_size, chcore_u64* sp) {
  if (buf == 0 || sp == 0 || (top & 15) != 0) return STACK_ERR_INVAL;
  struct measure m;
  int r = measure(args, buf_size, &m);
  if (r != STACK_OK) return r;
  if (m.size > top) return STACK_ERR_INVAL;

  struct writer w;
  w.sp = top - m.size;
  w.base = (chcore_u8*)buf + (buf_size - m.size);
  w.word = 0;
  // Padding, the end marker and the ends of the lists are zero.
  for (chcore_u64 i = 0; i < m.size; i++) w.base[i] = 0;

  chcore_u64 str_va = top - align_up16(END_MARKER_SIZE + m.strings);
  chcore_u64 random_va = str_va - RANDOM_SIZE;
  put_word(&w, args->argc);
  put_strings(&w, &str_va, args->argv, args->argc);
  put_strings(&w, &str_va, args->envp, args->envc);
  for (chcore_u64 i = 0; i < args->nauxv; i++) {
    put_word(&w, args->auxv[i].type);
    put_word(&w, args->auxv[i].value);
  }
  put_word(&w, CHCORE_AT_RANDOM);
  put_word(&w, random_va);
  put_word(&w, CHCORE_AT_NULL);
  put_word(&w, 0);
  put_bytes(&w, random_va, args->random, RANDOM_SIZE);
  *sp = w.sp;
  return STACK_OK;
}
