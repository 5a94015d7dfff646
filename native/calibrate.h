/* Shared helpers of faultline-calibrate (native/calibrate.c is the entry point and documents the benches). */
#ifndef FAULTLINE_CALIBRATE_H
#define FAULTLINE_CALIBRATE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE 4096UL

#define FAULTLINE_PROG "faultline-calibrate"
#include "util.h"

static inline long majflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_majflt;
}

static inline void sample(long x, int64_t ns) { printf("s %ld %lld\n", x, (long long)ns); }

static inline void *map_anon(size_t pages) {
  void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap %zu pages: %s", pages, strerror(errno));
  return p;
}

static inline void populate(char *p, size_t pages) {
  for (size_t i = 0; i < pages; i++) p[i * PAGE] = (char)(i | 1);
}

static inline int open_or_die(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  return fd;
}

static inline off_t size_of(int fd) {
  off_t n = lseek(fd, 0, SEEK_END);
  if (n <= 0) die("empty file or device");
  return n;
}

/* A page index sequence that visits pages far apart (no fault-around or
 * readahead neighbour is the next one). */
static inline size_t spread(size_t i, size_t pages) { return (i * 7919 + 13) % pages; }


/* Benches of calibrate-faults.c */
void bench_minor_cached(const char *path, int n);
void bench_anon(int n, int write, int first);
void bench_cow(int n);
void bench_major(const char *path, int n);
void bench_pread_direct(const char *path, int n);
void bench_swapin(int n);
void bench_fault_after_sleep(int n, int argc, char **argv);
void bench_file_after_sleep(const char *path, int major, int n, int argc, char **argv);
void bench_swapin_after_sleep(int n, int argc, char **argv);
void bench_mprotect_after_sleep(int n, long np, int argc, char **argv);
void bench_fork_anon_after_sleep(int n, long np, long w, int argc, char **argv);
void bench_timer_sleep(int n, int argc, char **argv);
/* calibrate-line.c */
void bench_cacheline(int n, long r);
/* Benches of calibrate-around.c */
void bench_fault_around(const char *path, const char *kind, int n, int argc, char **argv);
/* Benches of calibrate-ops.c */
void bench_mprotect(int n, int argc, char **argv);
void bench_munmap(int n, int argc, char **argv);
void bench_mmap(int n);
void bench_madvise(int n, int argc, char **argv);
void bench_fork_vmas(int n, int argc, char **argv);
void bench_fork_anon(int n, int argc, char **argv);
void bench_fork_file(const char *path, int n, int argc, char **argv);
void bench_fork_vmas_anon(int anon, int n, int argc, char **argv);
void bench_fork_tables(int n, int argc, char **argv);
void bench_fork_anon_dirty(int n, int argc, char **argv);
void bench_tlb_remote(int n);
void bench_mprotect_siblings(int n, int argc, char **argv);
void bench_fork_file_private(const char *path, int n, int argc, char **argv);
void bench_getppid(int n);
void bench_mmap_read(int n);
void bench_mmap_write(int n);
void bench_threads(int kind, int n, int argc, char **argv);
void bench_wakeup(int n);
void bench_ctxswitch(int n);

/* Benches of calibrate-irq.c */
void bench_hrtimer_irq(int n);
void bench_tlb_target(int n);
void bench_sched_tick(int n);
void bench_short_sleep(int n, int nargs, char **args);

/* Benches of calibrate-exit.c */
void bench_exit_vmas(int anon, int n, int argc, char **argv);
void bench_exit_anon(int n, int argc, char **argv);

/* Benches of calibrate-split.c */
void bench_mprotect_split(int n, int argc, char **argv);

#endif
