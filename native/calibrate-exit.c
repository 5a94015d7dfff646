/* faultline-calibrate: the forked child's exit (exit_mmap of the copied mm), see calibrate.c. */
#include "calibrate.h"

/*
 * One fork whose child's exit is timed: the parent is pinned to CPU 0; the
 * child moves itself to CPU 1, writes the time into a shared page and calls
 * exit_group at once; the parent sleeps in waitpid and is woken by the
 * child's exit (do_exit -> exit_notify -> do_notify_parent). The sample is
 * the parent's wake-up time minus the child's start: do_exit with exit_mm ->
 * mmput -> exit_mmap (unmap_vmas over the copied PTEs, free_pgtables,
 * remove_vma per VMA), then the parent's wake-up. The per-VMA and per-PTE
 * slopes are exit_mmap's; the wake-up is in the intercept.
 */
static int64_t *child_t0;

static int64_t timed_child_exit(int cpus) {
  __atomic_store_n(child_t0, 0, __ATOMIC_RELEASE);
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    if (cpus >= 2) {
      cpu_set_t s;
      CPU_ZERO(&s);
      CPU_SET(1, &s);
      sched_setaffinity(0, sizeof s, &s);
    }
    __atomic_store_n(child_t0, now_ns(), __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 0);
  }
  if (pid < 0) die("fork: %s", strerror(errno));
  if (waitpid((pid_t)pid, NULL, 0) < 0) die("waitpid: %s", strerror(errno));
  int64_t t1 = now_ns();
  int64_t t0 = __atomic_load_n(child_t0, __ATOMIC_ACQUIRE);
  if (t0 == 0) die("exit bench: the child left no start time");
  return t1 - t0;
}

static int setup_exit_bench(void) {
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  child_t0 = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (child_t0 == MAP_FAILED) die("mmap: %s", strerror(errno));
  if (cpus >= 2) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    sched_setaffinity(0, sizeof s, &s);
  } else {
    printf("# one CPU: the child's exit shares the parent's CPU\n");
  }
  return cpus;
}

/* exit-vmas: V anonymous VMAs of 2 pages (an unmapped page between
 * neighbours), each with one present page: every one is copied at fork (it
 * has an anon_vma) and unmapped, its tables freed and removed at the child's
 * exit (unlink_anon_vmas included). exit-vmas-holes (`anon` 0): the same
 * VMAs never touched: no anon_vma, no PTE, nothing copied; the child's exit
 * only walks, frees and removes them. */
void bench_exit_vmas(int anon, int n, int argc, char **argv) {
  int cpus = setup_exit_bench();
  for (int k = 0; k < argc; k++) {
    long v = atol(argv[k]);
    char *base = NULL;
    size_t span = (size_t)v * 3 * PAGE;
    if (v > 0) {
      base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (base == MAP_FAILED) die("mmap: %s", strerror(errno));
      for (long i = 0; i < v; i++) {
        char *p = mmap(base + (size_t)i * 3 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
      }
      for (long i = 0; i < v; i++) munmap(base + ((size_t)i * 3 + 2) * PAGE, PAGE);
      for (long i = 0; anon && i < v; i++) base[(size_t)i * 3 * PAGE] = 1;
    }
    for (int i = 0; i < n; i++) sample(v, timed_child_exit(cpus));
    if (base) munmap(base, span);
  }
}

/* exit-anon: one VMA of P present anonymous pages (no THP), shared with the
 * child by fork: the child's exit zaps P PTEs of folios it does not free. */
void bench_exit_anon(int n, int argc, char **argv) {
  int cpus = setup_exit_bench();
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    char *p = np > 0 ? map_anon((size_t)np) : NULL;
    if (p) {
      madvise(p, (size_t)np * PAGE, MADV_NOHUGEPAGE);
      populate(p, (size_t)np);
    }
    for (int i = 0; i < n; i++) sample(np, timed_child_exit(cpus));
    if (p) munmap(p, (size_t)np * PAGE);
  }
}
