/* faultline-calibrate: a fork on cold caches (issue 14, twelfth session), see calibrate.c. */
#include "calibrate.h"

/*
 * fork-anon-after-sleep N P W S1 S2 ...: a fork of a process with one VMA of
 * P resident anonymous pages (written once, as fork-anon: after the first
 * fork their PTEs are read-only and shared, as the calib scenarios' heap),
 * timed in the parent (the child exits at once and is reaped untimed, as
 * fork-anon), in three situations, N iterations per S:
 *   k = 1: right after the thread slept S microseconds (clock_nanosleep, 1 ns
 *          timer slack);
 *   k = 0: the same fork again back to back (what fork-anon measures: the
 *          previous fork's copy and the child's exit have just touched the
 *          PTE tables and the struct pages);
 *   k = 2: (W > 0 only) after a sleep of S and a write walk, one store per
 *          cache line, of a W MiB buffer of this process: the scenario's
 *          workers fault between the forks and evict what the last fork
 *          touched (the sleep alone leaves an idle CPU's caches as they were).
 *          The buffer is MADV_DONTFORK (VM_DONTCOPY): dup_mmap skips it.
 * The difference k = 1 − k = 0 (and k = 2 − k = 0) is what dup_mmap's
 * copy_page_range pays for its lines having gone cold: copy_pte_range reads
 * each source PTE (8 to a line), and for a present anonymous one
 * copy_present_ptes -> vm_normal_page -> page_folio and
 * folio_try_dup_anon_rmap_ptes (the folio's refcount and mapcount, atomics on
 * the struct page's lines) and, for a writable one, wrprotect_ptes. A sample
 * whose child ran on this CPU before the parent returned (wake_up_new_task
 * placed it here and it preempted the parent: its exit is in the sample) is
 * recorded at k + 5. X = 10 S + k.
 */
static int64_t *mark;

static int64_t timed_fork_marked(int *child_first) {
  __atomic_store_n(&mark[0], 0, __ATOMIC_RELAXED);
  int cpu = sched_getcpu();
  int64_t t = now_ns();
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    mark[1] = sched_getcpu();
    __atomic_store_n(&mark[0], now_ns(), __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 0);
  }
  int64_t t1 = now_ns();
  if (pid < 0) die("fork: %s", strerror(errno));
  int64_t ct = __atomic_load_n(&mark[0], __ATOMIC_ACQUIRE);
  *child_first = ct != 0 && ct < t1 && mark[1] == cpu;
  waitpid((pid_t)pid, NULL, 0);
  return t1 - t;
}

static void sleep_us(long us) {
  if (us <= 0) return;
  struct timespec d = { us / 1000000, (us % 1000000) * 1000 };
  clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
}

void bench_fork_anon_after_sleep(int n, long np, long w, int argc, char **argv) {
  if (np < 1 || np > 1000000) die("fork-anon-after-sleep: P = %ld", np);
  if (w < 0 || w > 4096) die("fork-anon-after-sleep: W = %ld MiB", w);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  mark = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mark == MAP_FAILED) die("mmap: %s", strerror(errno));
  char *p = map_anon((size_t)np);
  populate(p, (size_t)np);
  size_t wb = (size_t)w << 20;
  char *buf = NULL;
  if (wb > 0) {
    buf = mmap(NULL, wb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (buf == MAP_FAILED) die("mmap %ld MiB: %s", w, strerror(errno));
    /* VM_DONTCOPY: dup_mmap skips the buffer, the fork copies the P pages only */
    if (madvise(buf, wb, MADV_DONTFORK) != 0) die("madvise DONTFORK: %s", strerror(errno));
  }
  int cf;
  (void)timed_fork_marked(&cf); /* the first fork write-protects the written PTEs: every later one copies the same kind */
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    if (us < 0 || us > 1000000) die("fork-anon-after-sleep: S = %ld", us);
    for (int i = 0; i < n; i++) {
      sleep_us(us);
      int64_t d = timed_fork_marked(&cf);
      sample(10 * us + 1 + 5 * cf, d);
      d = timed_fork_marked(&cf);
      sample(10 * us + 0 + 5 * cf, d);
      if (buf) {
        sleep_us(us);
        for (size_t o = 0; o < wb; o += 64) buf[o]++;
        d = timed_fork_marked(&cf);
        sample(10 * us + 2 + 5 * cf, d);
      }
    }
  }
  if (buf) munmap(buf, wb);
  munmap(p, (size_t)np * PAGE);
  munmap(mark, PAGE);
}
