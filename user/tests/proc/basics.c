/* proc.basics: starting programs, how they end (exit codes, faults,
 * thread exits), and several threads in one process. */
#define UT_SUITE "processes"
#include <chcore/launch.h>
#include <chcore/thread.h>

#include "regs.h"
#include "utest.h"

/* Spawns path with argv and returns its exit status (or the spawn error,
 * reported as a failure of `name`). */
static long run(const char* name, const char* const argv[]) {
  long child = chcore_spawn_path(argv[0], argv, 0);
  if (child < 0) {
    ut_fail(name, "chcore_spawn_path(%s) = %ld%s", argv[0], child, ut_errname(child));
    return -1000;
  }
  return chcore_wait(child);
}

static void test_exit_status(void) {
  const char* hello[] = {"/bin/hello", 0};
  UT_EQ("hello_exits_0", run("hello_exits_0", hello), 0);
  const char* e42[] = {"/tests/exit_with", "42", 0};
  UT_EQ("exit_group_42", run("exit_group_42", e42), 42);
  /* Exit codes are 8 bits, as on Linux. */
  const char* big[] = {"/tests/exit_with", "1000", 0};
  UT_EQ("exit_code_is_8_bits", run("exit_code_is_8_bits", big), 1000 & 0xff);
  const char* ret3[] = {"/tests/exit_with", "ret", "3", 0};
  UT_EQ("main_return_3", run("main_return_3", ret3), 3);
  const char* te[] = {"/tests/exit_with", "thread_exit", 0};
  UT_EQ("last_thread_exit_is_0", run("last_thread_exit_is_0", te), 0);
}

static void test_faults(void) {
  static const char* const crashers[] = {"/tests/crash_null", "/tests/crash_undef",
                                         "/tests/crash_text"};
  static const char* const names[] = {"killed.null_dereference", "killed.undefined_instruction",
                                      "killed.write_to_text"};
  for (int i = 0; i < 3; i++) {
    const char* argv[] = {crashers[i], 0};
    long status = run(names[i], argv);
    if (status == -1000) continue;
    char why[96];
    snprintf(why, sizeof(why), "exit status %ld, expected a negative one (killed)", status);
    ut_report(names[i], status < 0, why);
  }
  /* We are still here, and can still start programs. */
  const char* hello[] = {"/bin/hello", 0};
  UT_EQ("parent_survives_crashes", run("parent_survives_crashes", hello), 0);
}

static void test_threads_in_child(void) {
  const char* a[] = {"/tests/thread_child", "exit_group_from_thread", 0};
  UT_EQ("child.exit_group_from_second_thread", run("child.exit_group_from_second_thread", a), 17);
  const char* b[] = {"/tests/thread_child", "main_exits_first", 0};
  UT_EQ("child.main_thread_exit_leaves_process", run("child.main_thread_exit_leaves_process", b),
        23);
  const char* c[] = {"/tests/thread_child", "all_thread_exit", 0};
  UT_EQ("child.all_threads_exit_is_0", run("child.all_threads_exit_is_0", c), 0);
}

static void test_many_children(void) {
  /* Started together, waited for in reverse order: every status arrives,
   * whether the child is still running or long gone. */
  enum { N = 6 };
  long child[N];
  char code[N][8];
  int started = 1;
  for (int i = 0; i < N; i++) {
    snprintf(code[i], sizeof(code[i]), "%d", 10 + i);
    const char* argv[] = {"/tests/exit_with", code[i], 0};
    child[i] = chcore_spawn_path(argv[0], argv, 0);
    if (child[i] < 0) started = 0;
  }
  UT_TRUE("many.started", started);
  for (int i = 0; i < 1000; i++) chcore_sys_yield();
  int ok = 1;
  for (int i = N - 1; i >= 0; i--) {
    if (child[i] < 0) continue;
    long status = chcore_wait(child[i]);
    if (status != 10 + i) {
      ut_fail("many.statuses", "child %d: status %ld, expected %d", i, status, 10 + i);
      ok = 0;
    }
  }
  if (ok && started) ut_report("many.statuses", 1, "");
}

static void test_spawn(void) {
  /* A child can start programs too: the ramdisk was shared with it. */
  const char* nested[] = {"/tests/spawn_child", "/bin/hello", 0};
  UT_EQ("spawn.nested", run("spawn.nested", nested), 0);
  const char* nested42[] = {"/tests/spawn_child", "/tests/exit_with", "42", 0};
  UT_EQ("spawn.nested_status", run("spawn.nested_status", nested42), 42);

  UT_ERR("spawn.missing_file", chcore_spawn_path("/no/such/program", 0, 0), CHCORE_ENOENT);
  UT_ERR("spawn.directory", chcore_spawn_path("/bin", 0, 0), CHCORE_ENOENT);
  static const char junk[256] = "this is not an ELF file";
  UT_ERR("spawn.not_elf", chcore_spawn(junk, sizeof(junk), "junk", 0, 0), CHCORE_ENOEXEC);
  /* A truncated copy of a real program: the headers promise more bytes. */
  const void* elf;
  unsigned long size;
  if (chcore_ramdisk_find("/bin/hello", &elf, &size) == 0) {
    UT_ERR("spawn.truncated_elf", chcore_spawn(elf, 200, "trunc", 0, 0), CHCORE_ENOEXEC);
  }

  /* argv and envp arrive as given. */
  const char* args[] = {"/tests/exit_with", "ret", "7", 0};
  const char* env[] = {"A=1", "B=two", 0};
  long child = chcore_spawn_path(args[0], args, env);
  UT_EQ("spawn.with_env", child >= 0 ? chcore_wait(child) : child, 7);
}

/* ---- Threads in this process ------------------------------------------------ */

enum { WORKERS = 3, ROUNDS = 100 };
static unsigned long counter;
static unsigned long finished;
static unsigned long interleaved;
static unsigned long arrived;

struct worker {
  int id;
  unsigned long tls_seen;
};

static void worker(void* arg) {
  struct worker* w = (struct worker*)arg;
  unsigned long tls;
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tls));
  w->tls_seen = tls;
  /* All on one CPU, so that each yield hands the CPU to another worker. */
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  /* Start the rounds together: a worker that got CPU 0 before the others
   * were created would otherwise do all its rounds alone (the test then
   * failed in about one run of six). Bounded, in case a creation failed. */
  __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
  for (long i = 0; i < 100000 && __atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < WORKERS; i++)
    chcore_sys_yield();
  /* Other threads ran between two of our rounds (on this CPU after our
   * yield, or in parallel on another) if the shared counter moved by more
   * than our own increment. */
  unsigned long prev = 0;
  for (int i = 0; i < ROUNDS; i++) {
    unsigned long mine = __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST) + 1;
    if (i > 0 && mine != prev + 1) __atomic_fetch_add(&interleaved, 1, __ATOMIC_RELAXED);
    prev = mine;
    chcore_sys_yield();
  }
  __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

static void test_threads(void) {
  static struct worker w[WORKERS];
  int created = 0;
  for (int i = 0; i < WORKERS; i++) {
    w[i].id = i;
    long t = chcore_thread_create(worker, &w[i], 0x7e570000ul + (unsigned long)i);
    if (t >= 0) {
      created++;
      chcore_cap_release(t);
    } else {
      UT_OK("threads.create", t);
    }
  }
  UT_EQ("threads.created", created, WORKERS);
  for (long i = 0;
       i < 1000000 && __atomic_load_n(&finished, __ATOMIC_SEQ_CST) < (unsigned long)created; i++)
    chcore_sys_yield();
  UT_EQ("threads.all_finished", finished, created);
  UT_EQ("threads.all_rounds_ran", counter, created * ROUNDS);
  UT_TRUE("threads.ran_interleaved", interleaved > 0);
  for (int i = 0; i < created; i++) {
    char name[48];
    snprintf(name, sizeof(name), "threads.tls_%d", i);
    UT_EQ(name, w[i].tls_seen, 0x7e570000ul + (unsigned long)i);
  }
}

/* create_thread itself: pc = entry, sp = stack, x0 = arg, TPIDR_EL0 = tls
 * and every other register zero, on a stack PMO of our own. */
static void test_thread_start_state(void) {
  static struct thread_dump d;
  unsigned long stack;
  long pmo = UT_OK(
      "start.stack_pmo",
      chcore_map_anon(16384, CHCORE_PMO_ANONYMOUS, CHCORE_PROT_READ | CHCORE_PROT_WRITE, &stack));
  if (pmo < 0) return;
  unsigned long sp = stack + 16384 - 64;
  unsigned long tls = 0x1234567890abcdeful;
  long t = UT_OK("start.create_thread",
                 chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)regs_dump_thread, sp,
                                          (unsigned long)&d, tls, 0));
  if (t < 0) return;
  UT_EQ("start.thread_cap_type", CHCORE_CAP_INFO_TYPE(chcore_sys_cap_info(t)), CHCORE_OBJ_THREAD);
  for (long i = 0; i < 1000000 && __atomic_load_n(&d.done, __ATOMIC_ACQUIRE) == 0; i++)
    chcore_sys_yield();
  if (!UT_EQ("start.thread_ran", d.done, 1)) return;
  UT_EQ("start.x0_is_arg", d.x[0], (unsigned long)&d);
  UT_EQ("start.sp", d.sp, sp);
  UT_EQ("start.tpidr_el0", d.tpidr, tls);
  int nonzero = -1;
  for (int i = 1; i < 31 && nonzero < 0; i++)
    if (d.x[i] != 0) nonzero = i;
  if (nonzero >= 0)
    ut_fail("start.other_x_regs_zero", "x%d = %#lx", nonzero, d.x[nonzero]);
  else
    ut_report("start.other_x_regs_zero", 1, "");
  int qnz = -1;
  for (int i = 0; i < 32 && qnz < 0; i++)
    if (d.q[i][0] != 0 || d.q[i][1] != 0) qnz = i;
  if (qnz >= 0)
    ut_fail("start.fp_regs_zero", "q%d = %#lx:%#lx", qnz, d.q[qnz][1], d.q[qnz][0]);
  else
    ut_report("start.fp_regs_zero", 1, "");
  UT_EQ("start.fpcr_zero", d.fpcr, 0);
  UT_EQ("start.fpsr_zero", d.fpsr, 0);
  chcore_cap_release(t);
  chcore_cap_release(pmo);
}

int main(void) {
  test_exit_status();
  test_faults();
  test_threads_in_child();
  test_many_children();
  test_spawn();
  test_threads();
  test_thread_start_state();
  return ut_finish();
}
