/*
 * probe-fork-cold: an investigation probe for docs/calibration.md "Fork
 * below the real kernel: cold page tables" (not part of `faultline
 * calibrate`; build it with `make -C native probes`).
 *
 * A process shaped like the calib-fork-file scenario (a heap of HEAP pages,
 * every other one written; SMALL 16-page anonymous VMAs, every other page
 * written, an unmapped page after each so none merge; FILES unpopulated
 * 16 MiB MAP_SHARED mappings, which dup_mmap duplicates but does not copy)
 * forks N times in each of three situations, in this order every iteration:
 * after a 20 ms sleep and a write walk (one store per line) of a 64 MiB
 * MADV_DONTFORK buffer, back to back, after a 20 ms sleep alone. Each fork is
 * timed by the parent's own CPU time across fork() (CLOCK_THREAD_CPUTIME_ID:
 * dup_mmap's work, which a loaded host does not stretch the way it stretches
 * the wall time); the child exits at once and is reaped untimed.
 *
 * Usage: probe-fork-cold N SMALL HEAP FILES
 * Output: the three p50s, microseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#define FAULTLINE_PROG "probe-fork-cold"
#include "util.h"

#define PAGE 4096UL

static int64_t cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int64_t fork_cpu(void) {
  int64_t t = cpu_ns();
  long pid = syscall(SYS_fork);
  if (pid == 0) syscall(SYS_exit_group, 0);
  int64_t d = cpu_ns() - t;
  if (pid < 0) die("fork: %s", strerror(errno));
  waitpid((pid_t)pid, NULL, 0);
  return d;
}

static char *map_or_die(size_t bytes, int prot, int flags) {
  char *p = mmap(NULL, bytes, prot, flags, -1, 0);
  if (p == MAP_FAILED) die("mmap %zu: %s", bytes, strerror(errno));
  return p;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static double p50_us(int64_t *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp64);
  return (double)v[n / 2] / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: probe-fork-cold N SMALL HEAP FILES\n"); return 2; }
  int n = atoi(argv[1]), nsmall = atoi(argv[2]), files = atoi(argv[4]);
  long heap = atol(argv[3]);
  if (n < 1 || nsmall < 0 || heap < 0 || files < 0) die("bad arguments");
  if (heap > 0) {
    char *h = map_or_die((size_t)heap * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    for (long i = 0; i < heap; i += 2) h[i * PAGE] = 1;
  }
  for (int v = 0; v < nsmall; v++) {
    char *s = map_or_die(17 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    munmap(s + 16 * PAGE, PAGE);
    for (int i = 0; i < 16; i += 2) s[i * PAGE] = 1;
  }
  for (int f = 0; f < files; f++) map_or_die(4096 * PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS);
  size_t wb = (size_t)64 << 20;
  char *buf = map_or_die(wb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);
  if (madvise(buf, wb, MADV_DONTFORK) != 0) die("madvise: %s", strerror(errno));
  (void)fork_cpu(); /* write-protects the written PTEs: every later fork copies the same kind */
  int64_t *walk = calloc((size_t)n, sizeof *walk), *back = calloc((size_t)n, sizeof *back), *sleep = calloc((size_t)n, sizeof *sleep);
  if (!walk || !back || !sleep) die("calloc");
  struct timespec d = { 0, 20000000 };
  for (int i = 0; i < n; i++) {
    nanosleep(&d, NULL);
    for (size_t o = 0; o < wb; o += 64) buf[o]++;
    walk[i] = fork_cpu();
    back[i] = fork_cpu();
    nanosleep(&d, NULL);
    sleep[i] = fork_cpu();
  }
  printf("fork CPU p50 (us): after sleep+walk %.0f, back to back %.0f, after sleep %.0f\n", p50_us(walk, n), p50_us(back, n), p50_us(sleep, n));
  return 0;
}
