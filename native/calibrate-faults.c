/* faultline-calibrate: the fault benches (see calibrate.c). */
#include "calibrate.h"

/* ------------------------------------------------------------ faults */

void bench_minor_cached(const char *path, int n) {
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
void bench_anon(int n, int write, int first) {
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

void bench_cow(int n) {
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

void bench_major(const char *path, int n) {
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

void bench_pread_direct(const char *path, int n) {
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

void bench_swapin(int n) {
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


/* Sleep `us` microseconds (relative clock_nanosleep); 0: no sleep (back to back). */
static void sleep_us(long us) {
  if (us > 0) {
    struct timespec d = { us / 1000000, (us % 1000000) * 1000 };
    clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
  }
}

/* Time one read touch of `a`; *major: whether it was a major fault (the task's majflt count rose). */
static int64_t timed_read(const char *a, int *major) {
  long m0 = majflt();
  int64_t t = now_ns();
  (void)*(volatile const char *)a;
  int64_t dt = now_ns() - t;
  *major = majflt() > m0;
  return dt;
}

/*
 * fault-after-sleep N S1 S2 ...: a write fault on a never-touched anonymous
 * page right after the thread slept S microseconds (clock_nanosleep, 1 ns
 * timer slack; S = 0: no sleep, back to back), N samples per S. The pages are
 * taken in pseudo-random order over a 128 MiB VMA (the pft pattern: page
 * tables and struct pages far apart), the VMA replaced when all are used.
 * The difference from S = 0 is what a fault pays for its CPU having idled or
 * run something else meanwhile (caches and TLB refilled).
 */
void bench_fault_after_sleep(int n, int argc, char **argv) {
  const size_t pages = 32768;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  char *used = calloc(pages, 1);
  if (used == NULL) die("calloc: %s", strerror(errno));
  char *p = map_anon(pages);
  size_t left = pages;
  uint64_t x = 88172645463325252ULL;
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    for (int i = 0; i < n; i++) {
      if (left == 0) {
        munmap(p, pages * PAGE);
        p = map_anon(pages);
        memset(used, 0, pages);
        left = pages;
      }
      size_t pg;
      do {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        pg = (size_t)(x % pages);
      } while (used[pg]);
      used[pg] = 1;
      left--;
      sleep_us(us);
      int64_t t = now_ns();
      *(volatile char *)(p + pg * PAGE) = 1;
      sample(us, now_ns() - t);
    }
  }
  munmap(p, pages * PAGE);
  free(used);
}

/*
 * timer-sleep N S1 S2 ...: the thread sleeps until an absolute time S
 * microseconds ahead (clock_nanosleep TIMER_ABSTIME, 1 ns timer slack), as the
 * load generator's think times do (loadgen.c sleep_until), N samples per S;
 * a sample is how late it is back in user space: the hrtimer's expiry
 * (hrtimer_interrupt -> __hrtimer_run_queues -> hrtimer_wakeup ->
 * wake_up_process) and the wake-up of the sleeping task on its CPU (idle
 * exit, context switch, return to user space).
 */
void bench_timer_sleep(int n, int argc, char **argv) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    for (int i = 0; i < n; i++) {
      int64_t at = now_ns() + us * 1000;
      struct timespec d = { (time_t)(at / 1000000000LL), (long)(at % 1000000000LL) };
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL) == EINTR) {}
      sample(us, now_ns() - at);
    }
  }
}

/*
 * file-after-sleep DEV KIND N S1 S2 ...: a fault on the block device DEV
 * mapped MAP_SHARED with MADV_RANDOM (a miss reads one page), N samples per
 * S, the pages in pseudo-random order, every page of the device in the page
 * cache and mapped first (as the load generator's file regions are after
 * their preload). KIND "cached": a page-cache hit; S = 0 zaps every PTE of
 * the mapping before the touch (as the minor-cached bench does), S > 0 the
 * page's PTE, then a sleep of S us, then the touch (as the load generator
 * does). KIND "major": a miss; the page's PTE zapped and the page dropped
 * from the page cache (as the major bench does), then (S > 0) a sleep of S
 * us, then the touch. The difference from S = 0 is what a file fault pays
 * for its CPU having idled or run something else meanwhile. (The neighbours
 * here are cached and mapped, which fault-around walks; the minor-cached and
 * major benches' are not: their figures differ from S = 0 here.)
 */
void bench_file_after_sleep(const char *path, int major, int n, int argc, char **argv) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int fd = open_or_die(path, O_RDONLY);
  size_t pages = (size_t)(size_of(fd) / (off_t)PAGE);
  char *p = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("mmap %s: %s", path, strerror(errno));
  madvise(p, pages * PAGE, MADV_RANDOM);
  posix_fadvise(fd, 0, (off_t)(pages * PAGE), POSIX_FADV_RANDOM);
  for (size_t i = 0; i < pages; i++) (void)*(volatile char *)(p + i * PAGE); /* everything in the page cache */
  uint64_t x = 88172645463325252ULL;
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      size_t pg = (size_t)(x % pages);
      char *a = p + pg * PAGE;
      if (major) {
        madvise(a, PAGE, MADV_DONTNEED);
        posix_fadvise(fd, (off_t)(pg * PAGE), (off_t)PAGE, POSIX_FADV_DONTNEED);
      } else if (us == 0) {
        madvise(p, pages * PAGE, MADV_DONTNEED);
      } else {
        madvise(a, PAGE, MADV_DONTNEED);
      }
      sleep_us(us);
      int was_major;
      int64_t dt = timed_read(a, &was_major);
      if (was_major == (major != 0)) sample(us, dt); /* a miss that was a hit (or the reverse) is not this kind's */
    }
  }
  munmap(p, pages * PAGE);
  close(fd);
}

/*
 * swapin-after-sleep N S1 S2 ...: a read fault on an anonymous page pushed
 * out to the swap device (zram: do_swap_page's SWP_SYNCHRONOUS_IO read and
 * decompress, as the swapin bench), N samples per S, the pages in
 * pseudo-random order over a 16 MiB VMA of 2:1 compressible content. Before
 * each sample the page is pushed out (MADV_PAGEOUT of that page), then (S > 0)
 * the thread sleeps S us, then the touch; S = 0 is back to back (as the
 * file-after-sleep bench's major kind prepares its page). A touch that was
 * not a major fault (the page was not out) is not sampled. The difference
 * from S = 0 is what a swap-in pays for its CPU having idled or run
 * something else meanwhile.
 */
void bench_swapin_after_sleep(int n, int argc, char **argv) {
  const size_t pages = 4096;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  char *p = map_anon(pages);
  for (size_t i = 0; i < pages; i++) fill_page(p + i * PAGE, i);
  uint64_t x = 88172645463325252ULL;
  long missed = 0;
  for (int k = 0; k < argc; k++) {
    long us = atol(argv[k]);
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      char *a = p + (size_t)(x % pages) * PAGE;
      if (madvise(a, PAGE, MADV_PAGEOUT) != 0) die("MADV_PAGEOUT: %s", strerror(errno));
      sleep_us(us);
      int was_major;
      int64_t dt = timed_read(a, &was_major);
      if (was_major) sample(us, dt);
      else missed++;
    }
  }
  if (missed > (long)n * argc / 2) die("only %ld of %d touches were swap-ins (no swap device?)", (long)n * argc - missed, n * argc);
  munmap(p, pages * PAGE);
}
