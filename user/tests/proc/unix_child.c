/* The child of the Unix-process tests (unix.c): does what argv says and
 * tells by its exit status whether what it found was right.
 *   unix_child exit N          exits with N
 *   unix_child ppid N          0 if getppid() == N
 *   unix_child write FD TEXT   writes TEXT to FD; 0 if all of it went
 *   unix_child nofd FD         0 if FD is not open (EBADF)
 *   unix_child cwd PATH        0 if getcwd() is PATH
 *   unix_child print TEXT      prints TEXT and a newline on stdout
 *   unix_child sleep           sleeps until killed
 *   unix_child crash           stores to address 0
 *   unix_child orphan FILE     starts "unix_child sleepms 300", writes its
 *                              pid to FILE, exits 0 at once
 *   unix_child sleepms N       sleeps N ms, exits 5
 *   unix_child produce N       writes N bytes of the test pattern (byte i
 *                              is i * 7 + i / 251, mod 256) to stdout
 *   unix_child consume         reads stdin to its end; prints the byte
 *                              count and a checksum ("N SUM") on stdout
 *   unix_child dirfd FD NAME CWD  0 if openat(FD, NAME) opens and, after
 *                              fchdir(FD), getcwd() is CWD
 *   unix_child writefds A B    writes its number to each fd from A to B;
 *                              0 if every write went
 *   unix_child readnb          0 if a read of stdin fails with EAGAIN
 *                              (its pipe end is non-blocking) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  const char* cmd = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (strcmp(cmd, "exit") == 0) return atoi(arg);
  if (strcmp(cmd, "ppid") == 0) return getppid() == atoi(arg) ? 0 : 1;
  if (strcmp(cmd, "write") == 0) {
    const char* text = argc > 3 ? argv[3] : "";
    return write(atoi(arg), text, strlen(text)) == (ssize_t)strlen(text) ? 0 : 1;
  }
  if (strcmp(cmd, "nofd") == 0) return fcntl(atoi(arg), F_GETFD) < 0 && errno == EBADF ? 0 : 1;
  if (strcmp(cmd, "cwd") == 0) {
    char buf[PATH_MAX];
    return getcwd(buf, sizeof buf) && strcmp(buf, arg) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "print") == 0) {
    printf("%s\n", arg);
    return 0;
  }
  if (strcmp(cmd, "sleep") == 0) {
    for (;;) sleep(1);
  }
  if (strcmp(cmd, "crash") == 0) {
    *(volatile int*)0 = 1;
    return 1;
  }
  if (strcmp(cmd, "sleepms") == 0) {
    struct timespec t = {0, atoi(arg) * 1000000l};
    nanosleep(&t, 0);
    return 5;
  }
  if (strcmp(cmd, "orphan") == 0) {
    pid_t pid;
    char* args[] = {"/tests/unix_child", "sleepms", "300", NULL};
    if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0) return 2;
    FILE* f = fopen(arg, "w");
    if (!f) return 3;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    return 0;
  }
  if (strcmp(cmd, "produce") == 0) {
    long n = atol(arg), done = 0;
    unsigned char buf[3000];
    while (done < n) {
      long k = n - done < (long)sizeof buf ? n - done : (long)sizeof buf;
      for (long i = 0; i < k; i++) buf[i] = (unsigned char)((done + i) * 7 + (done + i) / 251);
      ssize_t w = write(1, buf, (size_t)k);
      if (w <= 0) return 1;
      done += w;
    }
    return 0;
  }
  if (strcmp(cmd, "consume") == 0) {
    unsigned long count = 0, sum = 0;
    unsigned char buf[5000];
    for (;;) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0) return 1;
      if (r == 0) break;
      for (ssize_t i = 0; i < r; i++) sum = sum * 31 + buf[i] + count++;
    }
    printf("%lu %lu\n", count, sum);
    return 0;
  }
  if (strcmp(cmd, "dirfd") == 0 && argc == 5) {
    int fd = openat(atoi(arg), argv[3], O_RDONLY);
    if (fd < 0) return 1;
    close(fd);
    char buf[PATH_MAX];
    if (fchdir(atoi(arg)) != 0) return 2;
    return getcwd(buf, sizeof buf) && strcmp(buf, argv[4]) == 0 ? 0 : 3;
  }
  if (strcmp(cmd, "writefds") == 0 && argc == 4) {
    int bad = 0;
    for (int fd = atoi(arg); fd <= atoi(argv[3]); fd++) {
      char num[16];
      int n = snprintf(num, sizeof num, "%d", fd);
      if (write(fd, num, (size_t)n) != n) {
        fprintf(stderr, "unix_child: write to fd %d: %s\n", fd, strerror(errno));
        bad++;
      }
    }
    return bad ? 1 : 0;
  }
  if (strcmp(cmd, "readnb") == 0) {
    char c;
    return read(0, &c, 1) < 0 && errno == EAGAIN ? 0 : 1;
  }
  return 100;
}
