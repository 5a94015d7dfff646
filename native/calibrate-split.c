/* faultline-calibrate: the split and merge of mprotect (issue 13), see calibrate.c. */
#include "calibrate.h"

/*
 * mprotect-split N P1 P2 ...: the same mprotect pair (PROT_READ, then back to
 * PROT_READ | PROT_WRITE) of P resident anonymous pages in two layouts,
 * N pairs of each per P, alternating which layout goes first:
 *   own: a VMA of exactly P pages between PROT_NONE guards (their flags
 *        differ, so vma_merge_existing_range merges nothing and vma_modify
 *        splits nothing: mprotect_fixup and change_protection only);
 *   mid: the P pages in the middle of a VMA of 3P + 64 pages (P before, P + 64
 *        after): the protect runs vma_modify -> two __split_vma (head and
 *        tail), the unprotect one vma_merge_existing_range that merges the
 *        three pieces back (commit_merge, the middle and the tail removed).
 * Each call is one sample; X = 10 P + k, with k = 0 own protect, 1 own
 * unprotect, 2 mid protect (two splits), 3 mid unprotect (one merge).
 */
void bench_mprotect_split(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    if (np < 1 || np > 100000) die("mprotect-split: P = %ld", np);
    size_t big = (size_t)np * 3 + 64, guarded = (size_t)np + 2;
    char *p = map_anon(big);
    populate(p, big);
    char *mid = p + (size_t)np * PAGE;
    char *g = mmap(NULL, guarded * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g == MAP_FAILED) die("mmap: %s", strerror(errno));
    char *own = g + PAGE;
    if (mprotect(own, (size_t)np * PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
    populate(own, (size_t)np);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 2; j++) {
        int is_mid = (i & 1) ^ j;
        char *a = is_mid ? mid : own;
        int64_t t = now_ns();
        if (mprotect(a, (size_t)np * PAGE, PROT_READ) != 0) die("mprotect: %s", strerror(errno));
        int64_t t1 = now_ns();
        if (mprotect(a, (size_t)np * PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
        int64_t t2 = now_ns();
        sample(10 * np + 2 * is_mid, t1 - t);
        sample(10 * np + 2 * is_mid + 1, t2 - t1);
      }
    }
    munmap(g, guarded * PAGE);
    munmap(p, big * PAGE);
  }
}

/*
 * mprotect-after-sleep N P S1 S2 ...: the load generator's mprotect (a
 * PROT_EXEC flip of P resident anonymous pages in the middle of a VMA of
 * 3P + 64 pages: the protect splits the VMA twice, the restore merges it)
 * right after the thread slept S microseconds (clock_nanosleep, 1 ns timer
 * slack), and the same protect again back to back, N pairs per S:
 *   sleep S; protect (timed, k = 1); restore; protect (timed, k = 0); restore.
 * X = 10 S + k. The difference k = 1 − k = 0 is what the call pays for the
 * CPU having idled or run something else meanwhile, most of it in
 * change_protection's walk (change_pte_range: each PTE, and the struct page
 * behind a present one, vm_normal_page -> page_folio): the PTE table's and
 * the struct pages' cache lines refilled.
 */
void bench_mprotect_after_sleep(int n, long np, int argc, char **argv) {
  if (np < 1 || np > 100000) die("mprotect-after-sleep: P = %ld", np);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  size_t big = (size_t)np * 3 + 64;
  char *p = map_anon(big);
  populate(p, big);
  char *mid = p + (size_t)np * PAGE;
  size_t len = (size_t)np * PAGE;
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    if (us < 0) die("mprotect-after-sleep: S = %ld", us);
    for (int i = 0; i < n; i++) {
      if (us > 0) {
        struct timespec d = { us / 1000000, (us % 1000000) * 1000 };
        clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
      }
      for (int warm = 0; warm < 2; warm++) {
        int64_t t = now_ns();
        if (mprotect(mid, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) die("mprotect: %s", strerror(errno));
        int64_t dt = now_ns() - t;
        if (mprotect(mid, len, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
        sample(10 * us + (warm ? 0 : 1), dt);
      }
    }
  }
  munmap(p, big * PAGE);
}
