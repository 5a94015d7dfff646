/*
 * faultline-calibrate: micro-benchmarks of the host kernel for `faultline
 * calibrate` (src/calibrate/, docs/calibration.md).
 *
 * Usage: faultline-calibrate BENCH [ARGS...]
 *
 * Every bench prints
 *   bench NAME
 *   # COMMENT       a note (e.g. how many touches were major faults)
 *   s X NS          one sample: parameter X (pages, VMAs, threads; 0 when
 *                   none), duration NS in nanoseconds (CLOCK_MONOTONIC
 *                   around the operation only)
 *   end NAME
 * and nothing else on stdout. Set-up that needs root (zram swap, the FUSE
 * mount, the block device) is done by the caller, which passes paths.
 *
 * Benches (N = samples per parameter value):
 *   minor-cached FILE N       touch of a page-cache page whose PTE was zapped
 *                             (do_read_fault; fault-around off by MADV_RANDOM
 *                             is not possible for a hit, so this includes
 *                             fault-around's mapping of neighbours)
 *   anon-write N              write to a never-touched anonymous page
 *                             (do_anonymous_page: allocate, clear, map)
 *   anon-read N               read of a never-touched page (zero page mapped)
 *   anon-first N              first write into a fresh VMA (adds
 *                             __anon_vma_prepare to anon-write)
 *   cow N                     write to a private page shared with a forked
 *                             child (wp_page_copy)
 *   major PATH N              touch of an evicted page of PATH (file or block
 *                             device) mapped MAP_SHARED with MADV_RANDOM:
 *                             one read of one page, the lock drop and retry
 *   pread-direct PATH N       O_DIRECT 4 KiB pread of PATH (the device alone)
 *   swapin N                  touch of an anonymous page pushed out with
 *                             MADV_PAGEOUT (needs a swap device)
 *   mprotect N P1 P2 ...      mprotect of P pages in the middle of a resident
 *                             VMA: the protect (split) and the unprotect
 *                             (merge) are samples `X=P` each
 *   munmap N P1 P2 ...        munmap of a VMA with P resident pages
 *   mmap N                    mmap of a fresh anonymous VMA
 *   madvise N P1 P2 ...       MADV_DONTNEED of P resident pages
 *   fork-vmas N V1 V2 ...     fork of a process with V extra VMAs, no resident page
 *   fork-anon N P1 P2 ...     fork with one VMA of P resident anonymous pages
 *   fork-file N P1 P2 ...     fork with one MAP_SHARED file VMA of P mapped pages (FILE=argv[3])
 *   getppid N                 the syscall floor
 *   mmap-read N               mincore of one page: mmap_read_lock + find_vma + one PTE
 *   mmap-write N              mprotect to the same protection: mmap_write_lock + find + unlock
 *   lock-threads N T1 T2 ...  T threads doing mmap-write at once: per-op time vs T
 *   fault-threads N T1 ...    T threads write-faulting fresh anonymous pages of ONE VMA
 *                             (per-VMA lock shared) : per-fault time vs T
 *   fault-threads-own N T1 .. the same, each thread in its own VMA
 *   wakeup N                  futex wake -> the woken thread runs (latency)
 *   ctxswitch N               two threads ping-pong on futexes: one switch = round trip / 2
 */
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

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#include <stdarg.h>
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("faultline-calibrate: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long majflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_majflt;
}

static void sample(long x, int64_t ns) { printf("s %ld %lld\n", x, (long long)ns); }

static void *map_anon(size_t pages) {
  void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap %zu pages: %s", pages, strerror(errno));
  return p;
}

static void populate(char *p, size_t pages) {
  for (size_t i = 0; i < pages; i++) p[i * PAGE] = (char)(i | 1);
}

static int open_or_die(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  return fd;
}

static off_t size_of(int fd) {
  off_t n = lseek(fd, 0, SEEK_END);
  if (n <= 0) die("empty file or device");
  return n;
}

/* A page index sequence that visits pages far apart (no fault-around or
 * readahead neighbour is the next one). */
static size_t spread(size_t i, size_t pages) { return (i * 7919 + 13) % pages; }

/* ------------------------------------------------------------ faults */

static void bench_minor_cached(const char *path, int n) {
  int fd = open_or_die(path, O_RDONLY);
  size_t pages = (size_t)(size_of(fd) / (off_t)PAGE);
  char *p = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("mmap %s: %s", path, strerror(errno));
  for (size_t i = 0; i < pages; i++) (void)*(volatile char *)(p + i * PAGE); /* everything in the page cache */
  for (int i = 0; i < n; i++) {
    char *a = p + spread((size_t)i, pages) * PAGE;
    madvise(p, pages * PAGE, MADV_DONTNEED); /* zap every PTE: no neighbour mapped by an earlier fault-around */
    int64_t t = now_ns();
    (void)*(volatile char *)a;
    sample(0, now_ns() - t);
  }
  munmap(p, pages * PAGE);
  close(fd);
}

/* A fresh VMA of 4,096 pages every 4,096 samples (or every sample with
 * `first`); the touched pages are a permutation of it, never touched before. */
static void bench_anon(int n, int write, int first) {
  size_t pages = 4096;
  char *p = NULL;
  for (int i = 0; i < n; i++) {
    size_t k = (size_t)i % pages;
    if (first || k == 0) {
      if (p) munmap(p, pages * PAGE);
      p = map_anon(pages);
    }
    char *a = p + spread(k, pages) * PAGE;
    int64_t t = now_ns();
    if (write) *(volatile char *)a = 1;
    else (void)*(volatile char *)a;
    sample(0, now_ns() - t);
  }
  if (p) munmap(p, pages * PAGE);
}

static void bench_cow(int n) {
  size_t pages = (size_t)n;
  char *p = map_anon(pages);
  populate(p, pages);
  int pipefd[2];
  if (pipe(pipefd) != 0) die("pipe: %s", strerror(errno));
  pid_t c = fork();
  if (c == 0) { char b; close(pipefd[1]); (void)read(pipefd[0], &b, 1); _exit(0); }
  for (int i = 0; i < n; i++) {
    char *a = p + spread((size_t)i, pages) * PAGE;
    int64_t t = now_ns();
    *(volatile char *)a = 2;
    sample(0, now_ns() - t);
  }
  close(pipefd[1]);
  waitpid(c, NULL, 0);
  munmap(p, pages * PAGE);
}

static void bench_major(const char *path, int n) {
  int fd = open_or_die(path, O_RDONLY);
  size_t pages = (size_t)(size_of(fd) / (off_t)PAGE);
  if (pages > 262144) pages = 262144;
  char *p = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("mmap %s: %s", path, strerror(errno));
  madvise(p, pages * PAGE, MADV_RANDOM);
  posix_fadvise(fd, 0, (off_t)(pages * PAGE), POSIX_FADV_RANDOM);
  long majors = 0;
  for (int i = 0; i < n; i++) {
    size_t pg = spread((size_t)i, pages);
    char *a = p + pg * PAGE;
    madvise(a, PAGE, MADV_DONTNEED);
    posix_fadvise(fd, (off_t)(pg * PAGE), (off_t)PAGE, POSIX_FADV_DONTNEED);
    long m0 = majflt();
    int64_t t = now_ns();
    (void)*(volatile char *)a;
    int64_t d = now_ns() - t;
    if (majflt() > m0) { majors++; sample(0, d); }
  }
  /* Touches that were not major faults (the page stayed cached) are left out and counted. */
  printf("# major %ld of %d\n", majors, n);
  munmap(p, pages * PAGE);
  close(fd);
}

static void bench_pread_direct(const char *path, int n) {
  int fd = open_or_die(path, O_RDONLY | O_DIRECT);
  size_t pages = (size_t)(size_of(fd) / (off_t)PAGE);
  void *buf;
  if (posix_memalign(&buf, PAGE, PAGE) != 0) die("posix_memalign");
  for (int i = 0; i < n; i++) {
    off_t off = (off_t)(spread((size_t)i, pages) * PAGE);
    int64_t t = now_ns();
    ssize_t got = pread(fd, buf, PAGE, off);
    int64_t d = now_ns() - t;
    if (got != (ssize_t)PAGE) die("pread %s: %s", path, got < 0 ? strerror(errno) : "short");
    sample(0, d);
  }
  free(buf);
  close(fd);
}

static void fill_page(char *p, unsigned long long seed) {
  uint64_t *w = (uint64_t *)p;
  unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < PAGE / 8; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    w[i] = (i & 1) ? 0 : s;
  }
}

static void bench_swapin(int n) {
  size_t pages = (size_t)n;
  char *p = map_anon(pages);
  for (size_t i = 0; i < pages; i++) fill_page(p + i * PAGE, i);
  if (madvise(p, pages * PAGE, MADV_PAGEOUT) != 0) die("MADV_PAGEOUT: %s", strerror(errno));
  unsigned char *vec = malloc(pages);
  if (mincore(p, pages * PAGE, vec) != 0) die("mincore: %s", strerror(errno));
  size_t out = 0;
  for (size_t i = 0; i < pages; i++) out += !(vec[i] & 1);
  if (out < pages / 2) die("only %zu of %zu pages were swapped out (no swap device?)", out, pages);
  for (int i = 0; i < n; i++) {
    size_t pg = spread((size_t)i, pages);
    if (vec[pg] & 1) continue;
    int64_t t = now_ns();
    (void)*(volatile char *)(p + pg * PAGE);
    sample(0, now_ns() - t);
  }
  free(vec);
  munmap(p, pages * PAGE);
}

/* -------------------------------------------------------- VMA operations */

static void bench_mprotect(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    size_t pages = (size_t)np * 3 + 64;
    char *p = map_anon(pages);
    populate(p, pages);
    char *a = p + (size_t)np * PAGE;
    for (int i = 0; i < n; i++) {
      int64_t t = now_ns();
      if (mprotect(a, (size_t)np * PAGE, PROT_READ) != 0) die("mprotect: %s", strerror(errno));
      int64_t t1 = now_ns();
      if (mprotect(a, (size_t)np * PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
      int64_t t2 = now_ns();
      sample(np, t1 - t);
      sample(np, t2 - t1);
    }
    munmap(p, pages * PAGE);
  }
}

static void bench_munmap(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    for (int i = 0; i < n; i++) {
      char *p = map_anon((size_t)np + 1);
      populate(p, (size_t)np);
      int64_t t = now_ns();
      munmap(p, ((size_t)np + 1) * PAGE);
      sample(np, now_ns() - t);
    }
  }
}

static void bench_mmap(int n) {
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    void *p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int64_t d = now_ns() - t;
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    sample(0, d);
    munmap(p, 64 * PAGE);
  }
}

static void bench_madvise(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    char *p = map_anon((size_t)np);
    for (int i = 0; i < n; i++) {
      populate(p, (size_t)np);
      int64_t t = now_ns();
      madvise(p, (size_t)np * PAGE, MADV_DONTNEED);
      sample(np, now_ns() - t);
    }
    munmap(p, (size_t)np * PAGE);
  }
}

/* One fork timed in the parent; the child exits at once (reaped here). */
static int64_t timed_fork(void) {
  int64_t t = now_ns();
  long pid = syscall(SYS_fork);
  if (pid == 0) syscall(SYS_exit_group, 0);
  int64_t d = now_ns() - t;
  if (pid < 0) die("fork: %s", strerror(errno));
  waitpid((pid_t)pid, NULL, 0);
  return d;
}

/* V anonymous VMAs of 2 pages with alternating protections (they cannot merge). */
static char *make_vmas(long v) {
  if (v == 0) return NULL;
  char *base = mmap(NULL, (size_t)v * 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) die("mmap: %s", strerror(errno));
  for (long i = 0; i < v; i += 2) mprotect(base + i * 2 * PAGE, 2 * PAGE, PROT_READ);
  return base;
}

static void bench_fork_vmas(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long v = atol(argv[k]);
    char *b = make_vmas(v);
    for (int i = 0; i < n; i++) sample(v, timed_fork());
    if (b) munmap(b, (size_t)v * 2 * PAGE);
  }
}

static void bench_fork_anon(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    char *p = np > 0 ? map_anon((size_t)np) : NULL;
    if (p) populate(p, (size_t)np);
    for (int i = 0; i < n; i++) sample(np, timed_fork());
    if (p) munmap(p, (size_t)np * PAGE);
  }
}

static void bench_fork_file(const char *path, int n, int argc, char **argv) {
  int fd = open_or_die(path, O_RDONLY);
  size_t max = (size_t)(size_of(fd) / (off_t)PAGE);
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    if ((size_t)np > max) die("fork-file: %ld pages > file size", np);
    char *p = np > 0 ? mmap(NULL, (size_t)np * PAGE, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0) : NULL;
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    for (int i = 0; i < n; i++) sample(np, timed_fork());
    if (p) munmap(p, (size_t)np * PAGE);
  }
  close(fd);
}

/* ------------------------------------------------------ locks, scheduler */

static void bench_getppid(int n) {
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    syscall(SYS_getppid);
    sample(0, now_ns() - t);
  }
}

static char *lock_page;

static void bench_mmap_read(int n) {
  unsigned char v;
  lock_page = map_anon(1);
  lock_page[0] = 1;
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    mincore(lock_page, PAGE, &v);
    sample(0, now_ns() - t);
  }
}

static void bench_mmap_write(int n) {
  lock_page = map_anon(1);
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    mprotect(lock_page, PAGE, PROT_READ | PROT_WRITE);
    sample(0, now_ns() - t);
  }
}

struct worker {
  pthread_t pt;
  int n, kind;
  char *vma;
  size_t pages, first;
  int64_t *ns;
};
static pthread_barrier_t bar;

static void *worker_main(void *arg) {
  struct worker *w = arg;
  pthread_barrier_wait(&bar);
  for (int i = 0; i < w->n; i++) {
    int64_t t = now_ns();
    if (w->kind == 0) mprotect(lock_page, PAGE, PROT_READ | PROT_WRITE);
    else *(volatile char *)(w->vma + (w->first + (size_t)i) * PAGE) = 1;
    w->ns[i] = now_ns() - t;
  }
  return NULL;
}

/* kind 0: mmap_lock writers; 1: faults in one shared VMA; 2: faults, a VMA per thread. */
static void bench_threads(int kind, int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    int nt = atoi(argv[k]);
    if (nt < 1 || nt > 64) die("thread count %d", nt);
    struct worker *w = calloc((size_t)nt, sizeof *w);
    char *shared = NULL;
    if (kind == 0) { lock_page = map_anon(1); }
    if (kind == 1) shared = map_anon((size_t)n * (size_t)nt);
    pthread_barrier_init(&bar, NULL, (unsigned)nt);
    for (int i = 0; i < nt; i++) {
      w[i].n = n; w[i].kind = kind == 0 ? 0 : 1;
      w[i].ns = calloc((size_t)n, sizeof *w[i].ns);
      if (kind == 1) { w[i].vma = shared; w[i].first = (size_t)i * (size_t)n; }
      if (kind == 2) { w[i].vma = map_anon((size_t)n); w[i].first = 0; }
      pthread_create(&w[i].pt, NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < nt; i++) pthread_join(w[i].pt, NULL);
    pthread_barrier_destroy(&bar);
    for (int i = 0; i < nt; i++) {
      for (int j = 0; j < n; j++) sample(nt, w[i].ns[j]);
      if (kind == 2) munmap(w[i].vma, (size_t)n * PAGE);
      free(w[i].ns);
    }
    if (shared) munmap(shared, (size_t)n * (size_t)nt * PAGE);
    if (kind == 0) munmap(lock_page, PAGE);
    free(w);
  }
}

static int futex_word[2];
static volatile int64_t wake_at;

static long futex(int *uaddr, int op, int val) { return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0); }

static void *sleeper_main(void *arg) {
  int n = *(int *)arg;
  for (int i = 0; i < n; i++) {
    while (__atomic_load_n(&futex_word[0], __ATOMIC_ACQUIRE) == 0) futex(&futex_word[0], FUTEX_WAIT_PRIVATE, 0);
    int64_t t = now_ns();
    sample(0, t - wake_at);
    __atomic_store_n(&futex_word[0], 0, __ATOMIC_RELEASE);
    __atomic_store_n(&futex_word[1], 1, __ATOMIC_RELEASE);
    futex(&futex_word[1], FUTEX_WAKE_PRIVATE, 1);
  }
  return NULL;
}

static void bench_wakeup(int n) {
  pthread_t pt;
  pthread_create(&pt, NULL, sleeper_main, &n);
  for (int i = 0; i < n; i++) {
    struct timespec d = { 0, 200000 }; /* let the sleeper block */
    nanosleep(&d, NULL);
    wake_at = now_ns();
    __atomic_store_n(&futex_word[0], 1, __ATOMIC_RELEASE);
    futex(&futex_word[0], FUTEX_WAKE_PRIVATE, 1);
    while (__atomic_load_n(&futex_word[1], __ATOMIC_ACQUIRE) == 0) futex(&futex_word[1], FUTEX_WAIT_PRIVATE, 0);
    __atomic_store_n(&futex_word[1], 0, __ATOMIC_RELEASE);
  }
  pthread_join(pt, NULL);
}

static int pp[2];
static void *pong_main(void *arg) {
  int n = *(int *)arg;
  for (int i = 0; i < n; i++) {
    while (__atomic_load_n(&pp[0], __ATOMIC_ACQUIRE) == 0) futex(&pp[0], FUTEX_WAIT_PRIVATE, 0);
    __atomic_store_n(&pp[0], 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pp[1], 1, __ATOMIC_RELEASE);
    futex(&pp[1], FUTEX_WAKE_PRIVATE, 1);
  }
  return NULL;
}

static void bench_ctxswitch(int n) {
  /* Both threads on one CPU: every hand-over is a context switch. */
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof one, &one);
  pthread_t pt;
  pthread_create(&pt, NULL, pong_main, &n);
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    __atomic_store_n(&pp[0], 1, __ATOMIC_RELEASE);
    futex(&pp[0], FUTEX_WAKE_PRIVATE, 1);
    while (__atomic_load_n(&pp[1], __ATOMIC_ACQUIRE) == 0) futex(&pp[1], FUTEX_WAIT_PRIVATE, 0);
    __atomic_store_n(&pp[1], 0, __ATOMIC_RELEASE);
    sample(0, (now_ns() - t) / 2);
  }
  pthread_join(pt, NULL);
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) { puts("faultline-calibrate 1"); return 0; }
  if (argc < 3) { fprintf(stderr, "usage: faultline-calibrate BENCH N [ARGS...] (see the header of native/calibrate.c)\n"); return 2; }
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  const char *b = argv[1];
  printf("bench %s\n", b);
  if (!strcmp(b, "minor-cached") && argc == 4) bench_minor_cached(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "anon-write")) bench_anon(atoi(argv[2]), 1, 0);
  else if (!strcmp(b, "anon-read")) bench_anon(atoi(argv[2]), 0, 0);
  else if (!strcmp(b, "anon-first")) bench_anon(atoi(argv[2]), 1, 1);
  else if (!strcmp(b, "cow")) bench_cow(atoi(argv[2]));
  else if (!strcmp(b, "major") && argc == 4) bench_major(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "pread-direct") && argc == 4) bench_pread_direct(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "swapin")) bench_swapin(atoi(argv[2]));
  else if (!strcmp(b, "mprotect")) bench_mprotect(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "munmap")) bench_munmap(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "mmap")) bench_mmap(atoi(argv[2]));
  else if (!strcmp(b, "madvise")) bench_madvise(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-vmas")) bench_fork_vmas(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-anon")) bench_fork_anon(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-file") && argc >= 5) bench_fork_file(argv[2], atoi(argv[3]), argc - 4, argv + 4);
  else if (!strcmp(b, "getppid")) bench_getppid(atoi(argv[2]));
  else if (!strcmp(b, "mmap-read")) bench_mmap_read(atoi(argv[2]));
  else if (!strcmp(b, "mmap-write")) bench_mmap_write(atoi(argv[2]));
  else if (!strcmp(b, "lock-threads")) bench_threads(0, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fault-threads")) bench_threads(1, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fault-threads-own")) bench_threads(2, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "wakeup")) bench_wakeup(atoi(argv[2]));
  else if (!strcmp(b, "ctxswitch")) bench_ctxswitch(atoi(argv[2]));
  else die("unknown bench or wrong arguments: %s", b);
  printf("end %s\n", b);
  return 0;
}
