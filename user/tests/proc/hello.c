/* proc.hello: a program's first contact with the system: console output,
 * formatting, argv/envp/auxv as the kernel (first process) and chcore_spawn
 * (children) lay them out, with one builder (kernel/lib/initial_stack.c).
 *
 * Run as `hello_test alpha beta`, or as `hello_test alpha beta 3 4 ... N end`
 * (proc.hello_many_args): then every argument must arrive, in order, up to
 * "end" (the kernel once kept only the first 16). It then starts itself as
 * children with `--child` and `--many` arguments and environments, and each
 * child checks what it got; a child's exit status is its number of failed
 * checks. Arguments beyond CHCORE_ARG_MAX give -E2BIG, never a cut list. */
#define UT_SUITE "hello"
#include <stdlib.h>
#include <sys/auxv.h>
#include <chcore/launch.h>

#include "utest.h"

extern char _start[];
extern char** environ;

/* main's arguments, for the checks of the initial stack. */
static int g_argc;
static char** g_argv;

static int ends_with(const char* s, const char* suffix) {
  unsigned long n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_output(void) {
  static const char line[] = "hello_test: putstr works\n";
  UT_EQ("putstr_returns_length", chcore_sys_putstr((unsigned long)line, sizeof(line) - 1),
        sizeof(line) - 1);
  UT_EQ("putstr_empty", chcore_sys_putstr((unsigned long)line, 0), 0);
  int n = printf("hello_test: printf %d %s %c\n", 42, "str", '!');
  UT_EQ("printf_returns_count", n, 28);
  UT_TRUE("puts", puts("hello_test: puts works") >= 0);

  char buf[128];
#define FMT(nm, want_str, ...)                                                   \
  do {                                                                           \
    snprintf(buf, sizeof(buf), __VA_ARGS__);                              \
    if (!UT_EQ(nm, strcmp(buf, want_str), 0))                                    \
      printf("hello_test: got \"%s\", expected \"%s\"\n", buf, want_str); \
  } while (0)
  FMT("printf.d", "-42|7|+5", "%d|%i|%+d", -42, 7, 5);
  FMT("printf.u", "4000000000", "%u", 4000000000u);
  FMT("printf.x", "beef|BEEF|0xbeef", "%x|%X|%#x", 0xbeefu, 0xbeefu, 0xbeefu);
  FMT("printf.lx", "deadbeefcafe", "%lx", 0xdeadbeefcafeul);
  FMT("printf.ld", "-1234567890123", "%ld", -1234567890123l);
  FMT("printf.lu", "18446744073709551615", "%lu", ~0ul);
  FMT("printf.s", "str|(null)|ab", "%s|%s|%.2s", "str", (const char*)0, "abc");
  FMT("printf.c", "Z", "%c", 'Z');
  FMT("printf.p", "0x1234", "%p", (void*)0x1234);
  FMT("printf.percent", "100%", "%d%%", 100);
  FMT("printf.width", "[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42);
#undef FMT
  UT_EQ("snprintf_returns_full_length", snprintf(buf, 4, "%s", "truncated"), 9);
  UT_EQ("snprintf_truncates", strcmp(buf, "tru"), 0);
  printf("hello_test: %d %u %x %lx %ld %lu %s %c %p %%\n", -1, 1u, 0xabu, 0x1234abcdul, -5l,
                5ul, "s", 'c', (void*)&buf);
}

/* What every process must find on its stack. `first` is the process the
 * kernel started (which has no ramdisk slot entry). */
static void test_auxv(const char* prefix, int first) {
  char name[64];
#define NAME(s) (snprintf(name, sizeof(name), "%s%s", prefix, s), name)
  UT_EQ(NAME("auxv.pagesz"), getauxval(AT_PAGESZ), 4096);
  UT_EQ(NAME("auxv.entry"), getauxval(AT_ENTRY), (unsigned long)_start);
  UT_EQ(NAME("auxv.hwcap"), getauxval(AT_HWCAP), 0);
  /* AT_PHDR points at our own program headers, mapped. */
  const unsigned char* ph = (const unsigned char*)getauxval(AT_PHDR);
  unsigned long phnum = getauxval(AT_PHNUM);
  UT_TRUE(NAME("auxv.phdr_present"), ph != 0 && phnum > 0);
  UT_EQ(NAME("auxv.phent"), getauxval(AT_PHENT), 56);
  int text_found = 0;
  for (unsigned long i = 0; ph != 0 && i < phnum && i < 64; i++) {
    const unsigned char* p = ph + i * 56;
    unsigned type = *(const unsigned*)p;
    unsigned flags = *(const unsigned*)(p + 4);
    unsigned long vaddr = *(const unsigned long*)(p + 16);
    unsigned long memsz = *(const unsigned long*)(p + 40);
    unsigned long entry = (unsigned long)_start;
    if (type == 1 /* PT_LOAD */ && flags == 5 /* R+X */ && vaddr <= entry && entry - vaddr < memsz)
      text_found = 1;
  }
  UT_TRUE(NAME("auxv.phdr_describes_text"), text_found);
  /* AT_RANDOM: 16 bytes, not all zero (a 2^-128 chance of a false alarm). */
  const unsigned char* rnd = (const unsigned char*)getauxval(AT_RANDOM);
  int nonzero = 0;
  for (int i = 0; rnd != 0 && i < 16; i++) nonzero |= rnd[i];
  UT_TRUE(NAME("auxv.random"), rnd != 0 && nonzero);
  /* The ramdisk is there, with our own program in it. */
  const void* elf;
  unsigned long size;
  UT_EQ(NAME("ramdisk.has_hello"), chcore_ramdisk_find("/bin/hello", &elf, &size), 0);
  UT_TRUE(NAME("ramdisk.slot"), chcore_ramdisk_slot() >= 0);
  if (first) UT_EQ(NAME("ramdisk.first_slot"), chcore_ramdisk_slot(), CHCORE_SLOT_RAMDISK);
  /* sp was 16-byte aligned at entry: argc sat at sp, argv right above. */
  UT_EQ(NAME("stack.aligned"), ((unsigned long)g_argv - 8) % 16, 0);
  UT_TRUE(NAME("stack.argv_terminated"), g_argv[g_argc] == 0);
#undef NAME
}

static const char* const child_env[] = {"CHCORE_TEST=yes", "EMPTY=", "LAST=z", 0};

static int child_main(int argc, char** argv, char** envp) {
  UT_EQ("child.argc", argc, 5);
  if (argc == 5) {
    UT_TRUE("child.argv0", ends_with(argv[0], "hello_test"));
    UT_EQ("child.argv2_with_space", strcmp(argv[2], "two words"), 0);
    UT_EQ("child.argv3_empty", strcmp(argv[3], ""), 0);
    UT_EQ("child.argv4", strcmp(argv[4], "last"), 0);
  }
  UT_TRUE("child.envp", envp == argv + argc + 1 && envp == environ);
  int n = 0;
  while (envp != 0 && envp[n] != 0) n++;
  UT_EQ("child.envc", n, 3);
  UT_TRUE("child.getenv",
          getenv("CHCORE_TEST") != 0 && strcmp(getenv("CHCORE_TEST"), "yes") == 0);
  UT_TRUE("child.getenv_empty", getenv("EMPTY") != 0 && getenv("EMPTY")[0] == '\0');
  UT_TRUE("child.getenv_missing", getenv("MISSING") == 0);
  test_auxv("child.", 0);
  /* The exit status tells the parent how many checks failed here. */
  return ut_failed;
}

/* argv[from..argc-1] are "from", "from + 1", ..., and then "end". */
static int numbered_up_to_end(int argc, char** argv, int from) {
  if (argc <= from || strcmp(argv[argc - 1], "end") != 0) return 0;
  for (int i = from; i < argc - 1; i++) {
    char want[16];
    snprintf(want, sizeof(want), "%d", i);
    if (strcmp(argv[i], want) != 0) {
      printf("hello_test: argv[%d] = \"%s\", expected \"%s\"\n", i, argv[i], want);
      return 0;
    }
  }
  return 1;
}

/* Far more than 16 arguments and variables, with their strings. */
#define MANY_ARGS 600
#define MANY_ENV 200

static int many_main(int argc, char** argv, char** envp) {
  UT_EQ("many.argc", argc, MANY_ARGS);
  UT_TRUE("many.argv_in_order", numbered_up_to_end(argc, argv, 2));
  int n = 0;
  while (envp[n] != 0) n++;
  UT_EQ("many.envc", n, MANY_ENV);
  UT_TRUE("many.getenv_first", getenv("V0") != 0 && strcmp(getenv("V0"), "value0") == 0);
  UT_TRUE("many.getenv_last",
          getenv("V199") != 0 && strcmp(getenv("V199"), "value199") == 0);
  test_auxv("many.", 0);
  return ut_failed;
}

/* Children with many arguments, and with too many. */
static void test_spawn_many(void) {
  static char strings[MANY_ARGS + MANY_ENV][16];
  static const char* many_argv[MANY_ARGS + 1];
  static const char* many_env[MANY_ENV + 1];
  many_argv[0] = "/tests/hello_test";
  many_argv[1] = "--many";
  for (int i = 2; i < MANY_ARGS - 1; i++) {
    snprintf(strings[i], sizeof(strings[i]), "%d", i);
    many_argv[i] = strings[i];
  }
  many_argv[MANY_ARGS - 1] = "end";
  for (int i = 0; i < MANY_ENV; i++) {
    snprintf(strings[MANY_ARGS + i], sizeof(strings[0]), "V%d=value%d", i, i);
    many_env[i] = strings[MANY_ARGS + i];
  }
  long child = chcore_spawn_path(many_argv[0], many_argv, many_env);
  if (UT_OK("spawn_many_args", child) >= 0) UT_EQ("many_child_checks_passed", chcore_wait(child), 0);

  /* One argument of 64 KiB cannot fit with the rest: E2BIG, no child. */
  static char huge[CHCORE_ARG_MAX];
  memset(huge, 'h', sizeof(huge) - 1);
  const char* big_argv[] = {"/tests/hello_test", "--child", huge, 0};
  UT_ERR("spawn_too_big", chcore_spawn_path(big_argv[0], big_argv, 0), CHCORE_E2BIG);
  /* Nor do 9,000 empty arguments: their pointers alone take 72 KB. */
  static const char* empties[9001];
  empties[0] = "/tests/hello_test";
  for (int i = 1; i < 9000; i++) empties[i] = "";
  UT_ERR("spawn_too_many", chcore_spawn_path(empties[0], empties, 0), CHCORE_E2BIG);
}

int main(int argc, char** argv, char** envp) {
  g_argc = argc;
  g_argv = argv;
  if (argc >= 2 && strcmp(argv[1], "--child") == 0) return child_main(argc, argv, envp);
  if (argc >= 2 && strcmp(argv[1], "--many") == 0) return many_main(argc, argv, envp);

  test_output();
  UT_TRUE("argc", argc == 3 || argc > 4);
  if (argc >= 3) {
    UT_EQ("argv1", strcmp(argv[1], "alpha"), 0);
    UT_EQ("argv2", strcmp(argv[2], "beta"), 0);
  }
  if (argc > 3) {
    printf("hello_test: %d arguments from the kernel\n", argc);
    UT_TRUE("argv_all_arrive_in_order", numbered_up_to_end(argc, argv, 3));
  }
  UT_TRUE("argv0", argc > 0 && ends_with(argv[0], "hello_test"));
  UT_TRUE("argv_terminated", argv[argc] == 0);
  UT_TRUE("envp_after_argv", envp == argv + argc + 1);
  for (int i = 0; i < argc && i < 8; i++) printf("hello_test: argv[%d] = \"%s\"\n", i, argv[i]);
  for (int i = 0; envp[i] != 0; i++) printf("hello_test: envp[%d] = \"%s\"\n", i, envp[i]);
  /* This program is procmgr's child (the kernel starts procmgr only), so
   * it has a ramdisk slot entry like any child. */
  test_auxv("", 0);

  const char* child_argv[] = {"/tests/hello_test", "--child", "two words", "", "last", 0};
  long child = chcore_spawn_path(child_argv[0], child_argv, child_env);
  if (UT_OK("spawn_child", child) >= 0) UT_EQ("child_checks_passed", chcore_wait(child), 0);
  test_spawn_many();
  return ut_finish();
}
