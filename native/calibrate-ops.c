/* faultline-calibrate: VMA operation, fork, lock and scheduler benches (see calibrate.c). */
#include "calibrate.h"

/* -------------------------------------------------------- VMA operations */

void bench_mprotect(int n, int argc, char **argv) {
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

void bench_munmap(int n, int argc, char **argv) {
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

void bench_mmap(int n) {
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    void *p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int64_t d = now_ns() - t;
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    sample(0, d);
    munmap(p, 64 * PAGE);
  }
}

void bench_madvise(int n, int argc, char **argv) {
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

void bench_fork_vmas(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long v = atol(argv[k]);
    char *b = make_vmas(v);
    for (int i = 0; i < n; i++) sample(v, timed_fork());
    if (b) munmap(b, (size_t)v * 2 * PAGE);
  }
}

void bench_fork_anon(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    char *p = np > 0 ? map_anon((size_t)np) : NULL;
    if (p) populate(p, (size_t)np);
    for (int i = 0; i < n; i++) sample(np, timed_fork());
    if (p) munmap(p, (size_t)np * PAGE);
  }
}

void bench_fork_file(const char *path, int n, int argc, char **argv) {
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

void bench_getppid(int n) {
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    syscall(SYS_getppid);
    sample(0, now_ns() - t);
  }
}

static char *lock_page;

void bench_mmap_read(int n) {
  unsigned char v;
  lock_page = map_anon(1);
  lock_page[0] = 1;
  for (int i = 0; i < n; i++) {
    int64_t t = now_ns();
    mincore(lock_page, PAGE, &v);
    sample(0, now_ns() - t);
  }
}

void bench_mmap_write(int n) {
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
void bench_threads(int kind, int n, int argc, char **argv) {
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

void bench_wakeup(int n) {
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

void bench_ctxswitch(int n) {
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


/* ------------------------------------------------ fork by page-table kind */

/* V anonymous VMAs of 2 pages, one unmapped page between neighbours (no
 * merge, no shared anon_vma); with `anon`, each with an anon_vma of its own
 * (one page written) and no present page (MADV_DONTNEED; its PTE table
 * stays); without, never touched (no anon_vma: fork only duplicates them). */
static char *make_anon_vmas(long v, int anon) {
  if (v == 0) return NULL;
  size_t span = (size_t)v * 3 * PAGE;
  char *base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) die("mmap: %s", strerror(errno));
  for (long i = 0; i < v; i++) {
    char *p = mmap(base + (size_t)i * 3 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
  }
  for (long i = 0; i < v; i++) munmap(base + ((size_t)i * 3 + 2) * PAGE, PAGE);
  for (long i = 0; anon && i < v; i++) {
    char *p = base + (size_t)i * 3 * PAGE;
    p[0] = 1; /* __anon_vma_prepare: an anon_vma of its own */
    madvise(p, 2 * PAGE, MADV_DONTNEED);
  }
  return base;
}

void bench_fork_vmas_anon(int anon, int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long v = atol(argv[k]);
    char *b = make_anon_vmas(v, anon);
    for (int i = 0; i < n; i++) sample(v, timed_fork());
    for (long i = 0; b && i < v; i++) munmap(b + (size_t)i * 3 * PAGE, 2 * PAGE);
  }
}

/* One VMA spanning T PTE tables (512 pages each), one present page in each. */
void bench_fork_tables(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long t = atol(argv[k]);
    size_t pages = (size_t)t * 512 + 512;
    char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
    for (long i = 0; i < t; i++) p[(size_t)i * 512 * PAGE] = 1;
    for (int i = 0; i < n; i++) sample(t, timed_fork());
    munmap(p, pages * PAGE);
  }
}

/* fork-anon with every page written again before each fork: the PTEs are
 * writable and PageAnonExclusive (wp_page_reuse), so the copy write-protects
 * each one. */
void bench_fork_anon_dirty(int n, int argc, char **argv) {
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    char *p = np > 0 ? map_anon((size_t)np) : NULL;
    if (p) madvise(p, (size_t)np * PAGE, MADV_NOHUGEPAGE);
    for (int i = 0; i < n; i++) {
      if (p) populate(p, (size_t)np);
      sample(np, timed_fork());
    }
    if (p) munmap(p, (size_t)np * PAGE);
  }
}

/* ------------------------------------------------------- TLB shoot-down */

static volatile int spin_stop;
static volatile unsigned long spin_count;
static void *tlb_spinner(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED)) __atomic_fetch_add(&spin_count, 1, __ATOMIC_RELAXED);
  return NULL;
}

static void pin_to(pthread_t t, int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(t, sizeof s, &s);
}

/* mprotect of one resident page (PROT_READ and back: each changes a present
 * PTE, so each flushes the TLB), with X = 0: no other thread of the process
 * runs; X = 1: a second thread spins in user space on the other CPU (it is in
 * mm_cpumask and not lazy, so flush_tlb_mm_range sends it an IPI). An X = 1
 * sample is kept only when the spinner advanced across the mprotect (it was
 * on its CPU: on a loaded host it often is not, and then no IPI is sent);
 * the count of dropped ones is a comment line. */
void bench_tlb_remote(int n) {
  int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 2) die("tlb-remote needs 2 CPUs");
  pin_to(pthread_self(), 0);
  char *p = map_anon(1);
  p[0] = 1;
  for (int x = 0; x <= 1; x++) {
    pthread_t sp;
    if (x == 1) {
      spin_stop = 0;
      pthread_create(&sp, NULL, tlb_spinner, NULL);
      pin_to(sp, 1);
      struct timespec d = { 0, 20000000 }; /* let it reach the other CPU */
      nanosleep(&d, NULL);
    }
    long dropped = 0;
    for (int i = 0; i < n; i++) {
      unsigned long c0 = __atomic_load_n(&spin_count, __ATOMIC_RELAXED);
      int64_t t = now_ns();
      if (mprotect(p, PAGE, PROT_READ) != 0) die("mprotect: %s", strerror(errno));
      int64_t t1 = now_ns();
      unsigned long c1 = __atomic_load_n(&spin_count, __ATOMIC_RELAXED);
      if (mprotect(p, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
      int64_t t2 = now_ns();
      unsigned long c2 = __atomic_load_n(&spin_count, __ATOMIC_RELAXED);
      if (x == 0 || c1 != c0) sample(x, t1 - t); else dropped++;
      if (x == 0 || c2 != c1) sample(x, t2 - t1); else dropped++;
    }
    if (x == 1) printf("# %ld of %d samples dropped: the spinner was not on its CPU (it counted %lu)\n", dropped, 2 * n, spin_count);
    if (x == 1) {
      __atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED);
      pthread_join(sp, NULL);
    }
  }
  munmap(p, PAGE);
}

/* fork with a MAP_PRIVATE file VMA of P+1 pages: P read (file PTEs, mapped
 * read-only; fault-around maps neighbours too) and the last one written (a
 * COW anonymous page: the VMA gets an anon_vma, so fork copies its PTEs). */
void bench_fork_file_private(const char *path, int n, int argc, char **argv) {
  int fd = open_or_die(path, O_RDONLY);
  size_t max = (size_t)(size_of(fd) / (off_t)PAGE);
  for (int k = 0; k < argc; k++) {
    long np = atol(argv[k]);
    if ((size_t)np + 1 > max) die("fork-file-private: %ld pages + 1 > file size", np);
    char *p = mmap(NULL, ((size_t)np + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    for (long i = 0; i < np; i++) (void)*(volatile char *)(p + (size_t)i * PAGE);
    p[(size_t)np * PAGE] = 1;
    for (int i = 0; i < n; i++) sample(np, timed_fork());
    munmap(p, ((size_t)np + 1) * PAGE);
  }
  close(fd);
}

/*
 * mprotect-siblings N X1 X2 ...: mprotect of 256 resident pages inside a VMA
 * (to PROT_READ and back, two samples), a 200 us sleep before each pair, while
 * X threads of the process loop: sleep 20 us, spin 2.5 us in user space (the
 * shape of calib-pft's faulting threads, without their faults or any lock).
 * X = 100 + k: the k looping threads are in a forked child process instead
 * (the same CPU competition, another mm). A measurement for
 * docs/calibration.md: the mprotect tail that comes with threads of the same
 * mm on the other CPU; no model cost is fitted from it.
 */
static volatile int sib_stop;
static void *sib_loop(void *arg) {
  (void)arg;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  while (!__atomic_load_n(&sib_stop, __ATOMIC_RELAXED)) {
    struct timespec d = { 0, 20000 };
    clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    int64_t end = now_ns() + 2500;
    while (now_ns() < end) { }
  }
  return NULL;
}

void bench_mprotect_siblings(int n, int argc, char **argv) {
  const size_t np = 256, pages = 3 * np;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  char *p = map_anon(pages);
  populate(p, pages);
  char *a = p + np * PAGE;
  for (int k = 0; k < argc; k++) {
    long x = atol(argv[k]);
    int other = x >= 100, ns = (int)(other ? x - 100 : x);
    pthread_t th[8];
    pid_t child = -1;
    if (ns > 8) die("mprotect-siblings: at most 8 threads");
    sib_stop = 0;
    if (other) {
      child = fork();
      if (child < 0) die("fork: %s", strerror(errno));
      if (child == 0) {
        for (int i = 0; i < ns; i++) pthread_create(&th[i], NULL, sib_loop, NULL);
        for (;;) pause(); /* killed by the parent */
      }
    } else {
      for (int i = 0; i < ns; i++) pthread_create(&th[i], NULL, sib_loop, NULL);
    }
    struct timespec settle = { 0, 20000000 };
    nanosleep(&settle, NULL);
    for (int i = 0; i < n; i++) {
      struct timespec d = { 0, 200000 };
      clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
      int64_t t = now_ns();
      if (mprotect(a, np * PAGE, PROT_READ) != 0) die("mprotect: %s", strerror(errno));
      int64_t t1 = now_ns();
      if (mprotect(a, np * PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
      int64_t t2 = now_ns();
      sample(x, t1 - t);
      sample(x, t2 - t1);
    }
    if (other) {
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
    } else {
      __atomic_store_n(&sib_stop, 1, __ATOMIC_RELAXED);
      for (int i = 0; i < ns; i++) pthread_join(th[i], NULL);
    }
  }
  munmap(p, pages * PAGE);
}
