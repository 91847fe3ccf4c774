/* Console output over the putstr system call. */
#include <chcore/print.h>
#include <chcore/string.h>
#include <chcore/syscall.h>

long chcore_write(const char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    size_t n = len - done;
    if (n > CHCORE_PUTSTR_MAX) n = CHCORE_PUTSTR_MAX;
    long r = chcore_sys_putstr((unsigned long)(buf + done), n);
    if (r < 0) return r;
    if (r == 0) break; /* the console took nothing: do not spin */
    done += (size_t)r;
  }
  return (long)done;
}

/* printf collects its output here and hands it to the kernel in one putstr
 * per CHCORE_PUTSTR_MAX bytes. */
struct print_buffer {
  size_t len;
  long error;
  char data[CHCORE_PUTSTR_MAX];
};

static void flush(struct print_buffer* b) {
  if (b->len > 0 && b->error == 0) {
    long r = chcore_write(b->data, b->len);
    if (r < 0) b->error = r;
  }
  b->len = 0;
}

static void buffer_putc(void* ctx, char c) {
  struct print_buffer* b = (struct print_buffer*)ctx;
  if (b->len == sizeof(b->data)) flush(b);
  b->data[b->len++] = c;
}

int chcore_vprintf(const char* fmt, va_list ap) {
  struct print_buffer b;
  b.len = 0;
  b.error = 0;
  int n = chcore_vformat(buffer_putc, &b, fmt, ap);
  flush(&b);
  return b.error != 0 ? (int)b.error : n;
}

int chcore_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = chcore_vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int chcore_snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = chcore_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int chcore_puts(const char* s) {
  size_t len = strlen(s);
  if (len < CHCORE_PUTSTR_MAX) {
    /* One putstr for the line and its newline. */
    char line[CHCORE_PUTSTR_MAX];
    memcpy(line, s, len);
    line[len] = '\n';
    long r = chcore_write(line, len + 1);
    return (int)r;
  }
  long r = chcore_write(s, len);
  if (r < 0) return (int)r;
  r = chcore_write("\n", 1);
  return r < 0 ? (int)r : (int)(len + 1);
}
