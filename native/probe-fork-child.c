/*
 * probe-fork-child: an investigation probe for docs/calibration.md "The
 * forked child's exit" (not part of `faultline calibrate`; build it with
 * `make -C native probes`).
 *
 * A process shaped like the calib-fork-many scenario (199 MAP_SHARED file
 * mappings of 64 pages, a 32 MiB heap a quarter resident, 1,000 8-page
 * anonymous VMAs half resident) forks N times, 10 ms apart, with two worker
 * threads doing what the scenario's workers do (MODE) and the child doing
 * CHILD. Each fork() is timed in user space, as faultline-loadgen times it,
 * with the forker's CPU time and context switches across the call; a
 * getppid() right after marks the return for a trace
 * (syscalls:sys_exit_fork -> syscalls:sys_enter_getppid: the time the parent
 * spent between the kernel's return from fork and user space).
 *
 * Usage: probe-fork-child FILE MODE CHILD [N]
 *   FILE   a file of at least 50 MiB (read into the page cache)
 *   MODE   none | spin (user-space loops) | fault (each worker: MADV_DONTNEED
 *          and touch of a random heap or file page, then 200 us asleep)
 *   CHILD  exit (exit_group at once, as the load generator's child) |
 *          late (sleep 4 ms, then exit_group: the exit leaves the fork's return)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#define FAULTLINE_PROG "probe-fork-child"
#include "util.h"

#define PAGE 4096L
#define FILES 199
#define FILE_PAGES 64
#define HEAP_PAGES 8192L

static char *heap, *files[FILES];
static volatile int stop;
static int spin;

static int64_t cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *worker(void *arg) {
  unsigned s = (unsigned)(long)arg * 7919u + 1u;
  while (!stop) {
    if (spin) continue;
    s = s * 1103515245u + 12345u;
    if (s & 1) {
      char *p = heap + (long)((s >> 8) % HEAP_PAGES) * PAGE;
      madvise(p, PAGE, MADV_DONTNEED);
      *p = 1;
    } else {
      char *p = files[(s >> 3) % FILES] + (long)((s >> 12) % FILE_PAGES) * PAGE;
      madvise(p, PAGE, MADV_DONTNEED);
      (void)*(volatile char *)p;
    }
    struct timespec ts = { 0, 200000 };
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void print_pct(const char *what, int64_t *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  printf("%-24s p10 %7.0f  p50 %7.0f  p90 %7.0f  p99 %7.0f us\n", what, v[n / 10] / 1e3, v[n / 2] / 1e3, v[n * 9 / 10] / 1e3, v[n * 99 / 100] / 1e3);
}

int main(int argc, char **argv) {
  if (argc < 4) die("usage: probe-fork-child FILE none|spin|fault exit|late [N]");
  int workers = strcmp(argv[2], "none") != 0;
  spin = !strcmp(argv[2], "spin");
  int late = !strcmp(argv[3], "late");
  int n = argc > 4 ? atoi(argv[4]) : 100;
  if (n < 10) die("N must be at least 10");
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) die("open %s: %s", argv[1], strerror(errno));
  for (int i = 0; i < FILES; i++) {
    files[i] = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_SHARED, fd, (off_t)i * FILE_PAGES * PAGE);
    if (files[i] == MAP_FAILED) die("mmap file: %s", strerror(errno));
    for (long p = 0; p < FILE_PAGES; p++) (void)*(volatile char *)(files[i] + p * PAGE);
  }
  heap = mmap(NULL, HEAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (heap == MAP_FAILED) die("mmap heap: %s", strerror(errno));
  for (long p = 0; p < HEAP_PAGES; p += 4) heap[p * PAGE] = 1;
  for (int i = 0; i < 1000; i++) { /* 8 pages, half resident; alternate protections so neighbours never merge */
    char *v = mmap(NULL, 9 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) die("mmap: %s", strerror(errno));
    munmap(v + 8 * PAGE, PAGE);
    for (int p = 0; p < 8; p += 2) v[p * PAGE] = 1;
    if (i & 1) mprotect(v, 8 * PAGE, PROT_READ);
  }
  signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel, as in faultline-loadgen */
  pthread_t th[2];
  for (int i = 0; workers && i < 2; i++) pthread_create(&th[i], NULL, worker, (void *)(long)i);
  int64_t *wall = calloc((size_t)n, sizeof *wall), *cpu = calloc((size_t)n, sizeof *cpu), *off = calloc((size_t)n, sizeof *off);
  long nvcsw = 0, nivcsw = 0;
  for (int i = 0; i < n; i++) {
    struct timespec ts = { 0, 10000000 };
    nanosleep(&ts, NULL);
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    int64_t c0 = cpu_ns(), t0 = now_ns();
    long pid = syscall(SYS_fork);
    if (pid == 0) {
      if (late) {
        struct timespec z = { 0, 4000000 };
        nanosleep(&z, NULL);
      }
      syscall(SYS_exit_group, 0);
    }
    wall[i] = now_ns() - t0;
    syscall(SYS_getppid); /* the trace's marker */
    cpu[i] = cpu_ns() - c0;
    off[i] = wall[i] - cpu[i];
    getrusage(RUSAGE_THREAD, &r1);
    nvcsw += r1.ru_nvcsw - r0.ru_nvcsw;
    nivcsw += r1.ru_nivcsw - r0.ru_nivcsw;
    if (pid < 0) die("fork: %s", strerror(errno));
  }
  stop = 1;
  for (int i = 0; workers && i < 2; i++) pthread_join(th[i], NULL);
  printf("workers %s, child %s, %d forks\n", argv[2], argv[3], n);
  print_pct("fork() wall", wall, n);
  print_pct("forker CPU in it", cpu, n);
  print_pct("forker off CPU in it", off, n);
  printf("context switches per fork: voluntary %.2f, involuntary %.2f\n", (double)nvcsw / n, (double)nivcsw / n);
  return 0;
}
