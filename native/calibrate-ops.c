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

