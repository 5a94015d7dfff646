/*
 * faultline-loadgen: runs one translated faultline scenario for real.
 *
 * Usage: faultline-loadgen CONFIG OUTPUT
 *
 * CONFIG is written by src/real/translate.ts (line format documented there and
 * in docs/calibration.md). The generator
 *   1. joins the memory cgroup named in the config (if any), pins itself to
 *      the first `cpus` CPUs;
 *   2. maps every region at a fixed address (one unmapped page between
 *      regions, so no two regions merge into one VMA), drops the page cache of
 *      the file regions and reads them back in (state "cached"), fills
 *      anonymous pages and pushes the swap pool out with MADV_PAGEOUT;
 *   3. creates one pthread per scenario thread (nice value, 1 ns timer slack),
 *      prints "ready PID TID..." on stdout and waits for a line on stdin;
 *   4. runs every thread's precomputed schedule until the run's end, timing
 *      each operation with CLOCK_MONOTONIC and counting the thread's minor and
 *      major faults around it (getrusage RUSAGE_THREAD);
 *   5. writes one record per operation to OUTPUT and prints "done".
 *
 * Operations: a fault is one load or store to one byte of the target page,
 * after an untimed preparation that puts the page in the requested state
 * (see prepare()); mprotect flips PROT_EXEC on a page range and the next
 * mprotect of the thread flips it back (so the VMA is split and merged and
 * its PTEs rewritten, like a GC's protect/unprotect pair, but no fault can
 * SIGSEGV);
 * madvise_dontneed is MADV_DONTNEED on a range; munmap unmaps the whole
 * region and maps it again at the same address (the second half is recorded
 * as an "mmap" op); fork is a raw fork() whose child exits at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096UL

/* Page states as the config names them (shared with translate.ts). */
enum { ST_NONE = 0, ST_CACHED = 1, ST_ABSENT = 2, ST_ZERO = 3, ST_SWAPPED = 4 };
/* Tracked state of a page (per region, one byte; bit 7 = claimed by a thread). */
enum { PG_CACHED = 1, PG_EVICTED = 2, PG_ZERO = 3, PG_RESIDENT = 4, PG_SWAPPED = 5 };
#define PG_BUSY 0x80

/* Operation kinds (shared with translate.ts). */
enum { OP_FAULT = 0, OP_MPROTECT = 1, OP_MADVISE = 2, OP_MUNMAP = 3, OP_MMAP = 4, OP_FORK = 5 };

/* Record flags. */
#define F_SEGV 1      /* the touch hit SIGSEGV (region unmapped meanwhile) */
#define F_PREP 2      /* the page had to be prepared in line (no page in the state) */
#define F_ERROR 4     /* the syscall failed */
#define F_UNFINISHED 8

struct region {
  int id;
  int file;            /* 1: file-backed */
  size_t pages;
  int prot;
  int shared;
  int dontfork;
  int random;
  int fd;              /* file regions */
  off_t off;           /* offset in the file, bytes */
  size_t resident;     /* anon pages populated at setup */
  size_t swap_pool;    /* anon pages pushed to swap at setup */
  char *addr;
  unsigned char *st;   /* tracked page states */
  char path[512];
  int open_flags;
};

struct op {
  int64_t delay;
  int kind, region;
  long page, npages;
  int state, write;
};

struct rec {
  int op, region, state, flags;
  long page;
  int64_t start, end, prep_start, prep_end;
  long minflt, majflt;
};

struct thread {
  int id, nice;
  int64_t start;
  char name[64];
  int nops;
  struct op *ops;
  struct rec *recs;
  int nrecs;
  pthread_t pt;
  pid_t tid;
  unsigned long long rng;
  /* The range of the last unpaired mprotect (see run_op). */
  int mp_pending, mp_region;
  long mp_page, mp_npages;
};

static int64_t duration_ns, warmup_ns;
static int ncpus_wanted;
static char cgroup_path[512];
static struct region *regions;
static int nregions;
static struct thread *threads;
static int nthreads;
static char *arena;
static size_t arena_pages;
static volatile int64_t t0_abs; /* CLOCK_MONOTONIC ns of the run start */
static pthread_mutex_t go_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int go_flag, ready_count;

static __thread sigjmp_buf touch_jmp;
static __thread volatile int in_touch;

static void die(const char *fmt, ...);

/*
 * Memory the generator writes during the run (page-state arrays, records,
 * thread stacks): its own anonymous mapping, MADV_DONTFORK and touched now.
 * Otherwise every scenario fork would write-protect it (COW), and the
 * generator's next writes would be page faults of its own between timed ops,
 * waiting for mmap_lock behind the next fork. Untouched by MADV_DONTFORK: the
 * stack of a thread that forks (the child runs on it until exit_group).
 */
static void *alloc_private(size_t n, int dontfork) {
  size_t len = (n + 4095) & ~(size_t)4095;
  if (len == 0) len = 4096;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (dontfork) madvise(p, len, MADV_DONTFORK);
  for (size_t k = 0; k < len; k += 4096) ((volatile char *)p)[k] = 0;
  return p;
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("faultline-loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t abs_ns) {
  struct timespec ts = { .tv_sec = abs_ns / 1000000000LL, .tv_nsec = abs_ns % 1000000000LL };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static unsigned long long xorshift(unsigned long long *s) {
  unsigned long long x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

static void segv_handler(int sig, siginfo_t *si, void *uc) {
  (void)si; (void)uc;
  if (in_touch) { in_touch = 0; siglongjmp(touch_jmp, 1); }
  signal(sig, SIG_DFL);
  raise(sig);
}

/* ---------------------------------------------------------------- config */

static void parse_config(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die("cannot open config %s: %s", file, strerror(errno));
  char line[1024];
  int ri = 0, ti = -1, oi = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char kw[32];
    if (sscanf(line, "%31s", kw) != 1) continue;
    if (!strcmp(kw, "faultline-loadgen")) continue;
    else if (!strcmp(kw, "duration")) sscanf(line, "%*s %lld", (long long *)&duration_ns);
    else if (!strcmp(kw, "warmup")) sscanf(line, "%*s %lld", (long long *)&warmup_ns);
    else if (!strcmp(kw, "cpus")) sscanf(line, "%*s %d", &ncpus_wanted);
    else if (!strcmp(kw, "cgroup")) sscanf(line, "%*s %511s", cgroup_path);
    else if (!strcmp(kw, "regions")) {
      sscanf(line, "%*s %d", &nregions);
      regions = calloc((size_t)nregions, sizeof *regions);
    } else if (!strcmp(kw, "threads")) {
      sscanf(line, "%*s %d", &nthreads);
      threads = calloc((size_t)nthreads, sizeof *threads);
    } else if (!strcmp(kw, "region")) {
      if (ri >= nregions) die("too many regions");
      struct region *r = &regions[ri++];
      char kind[16];
      long long off;
      if (sscanf(line, "%*s %d %15s %zu %d %d %d %d %zu %zu %lld %511s", &r->id, kind, &r->pages, &r->prot, &r->shared,
                 &r->dontfork, &r->random, &r->resident, &r->swap_pool, &off, r->path) != 11)
        die("bad region line: %s", line);
      r->file = !strcmp(kind, "file");
      r->off = (off_t)off;
      r->fd = -1;
    } else if (!strcmp(kw, "thread")) {
      struct thread *t = &threads[++ti];
      if (ti >= nthreads) die("too many threads");
      int n = 0;
      if (sscanf(line, "%*s %d %d %lld %d %n", &t->id, &t->nice, (long long *)&t->start, &t->nops, &n) < 4)
        die("bad thread line: %s", line);
      snprintf(t->name, sizeof t->name, "%s", line + n);
      t->name[strcspn(t->name, "\n")] = 0;
      t->ops = calloc((size_t)t->nops + 1, sizeof *t->ops);
      t->recs = alloc_private(((size_t)t->nops * 2 + 2) * sizeof *t->recs, 1);
      if (!t->ops || !t->recs) die("out of memory for the schedule of thread %d", t->id);
      oi = 0;
    } else if (!strcmp(kw, "op")) {
      if (ti < 0 || oi >= threads[ti].nops) die("op outside a thread or too many ops");
      struct op *o = &threads[ti].ops[oi++];
      long long d;
      if (sscanf(line, "%*s %lld %d %d %ld %ld %d %d", &d, &o->kind, &o->region, &o->page, &o->npages, &o->state, &o->write) != 7)
        die("bad op line: %s", line);
      o->delay = d;
      if (o->region < -1 || o->region >= nregions) die("op region out of range: %s", line);
    } else if (!strcmp(kw, "end")) break;
    else die("unknown config keyword %s", kw);
  }
  fclose(f);
  if (ri != nregions) die("expected %d regions, got %d", nregions, ri);
  if (ti != nthreads - 1) die("expected %d threads, got %d", nthreads, ti + 1);
}

/* ----------------------------------------------------------------- setup */

static void join_cgroup(void) {
  if (cgroup_path[0] == 0 || !strcmp(cgroup_path, "-")) return;
  char p[600];
  snprintf(p, sizeof p, "%s/cgroup.procs", cgroup_path);
  FILE *f = fopen(p, "w");
  if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) die("cannot join cgroup %s: %s", cgroup_path, strerror(errno));
}

static void pin_cpus(void) {
  if (ncpus_wanted <= 0) return;
  cpu_set_t cur, want;
  CPU_ZERO(&want);
  if (sched_getaffinity(0, sizeof cur, &cur) != 0) return;
  int n = 0;
  for (int c = 0; c < CPU_SETSIZE && n < ncpus_wanted; c++)
    if (CPU_ISSET(c, &cur)) { CPU_SET(c, &want); n++; }
  if (sched_setaffinity(0, sizeof want, &want) != 0) die("sched_setaffinity: %s", strerror(errno));
}

/* Map region r at r->addr with the extra mmap flags `how`. */
static int map_region_flags(struct region *r, int how) {
  int flags = (r->shared ? MAP_SHARED : MAP_PRIVATE) | how;
  void *p;
  if (r->file) p = mmap(r->addr, r->pages * PAGE, r->prot, flags, r->fd, r->off);
  else p = mmap(r->addr, r->pages * PAGE, r->prot, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  if (p != r->addr) { munmap(p, r->pages * PAGE); errno = EEXIST; return -1; }
  if (r->random) madvise(r->addr, r->pages * PAGE, MADV_RANDOM);
  if (r->dontfork) madvise(r->addr, r->pages * PAGE, MADV_DONTFORK);
  return 0;
}

/* At set-up: over the generator's own PROT_NONE reservation. */
static int map_region_over(struct region *r) { return map_region_flags(r, MAP_FIXED); }

/* The `mmap` half of an munmap op: into the hole the munmap left; never over
 * anything that took the hole meanwhile (that is an error of the op). */
static int map_region(struct region *r) { return map_region_flags(r, MAP_FIXED_NOREPLACE); }

/* Deterministic, about 2:1 compressible content for anonymous pages. */
static void fill_page(char *p, unsigned long long seed) {
  unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
  uint64_t *w = (uint64_t *)p;
  for (size_t i = 0; i < PAGE / 8; i++) w[i] = (i & 1) ? 0 : xorshift(&s);
}

static void setup_regions(void) {
  arena_pages = 1;
  for (int i = 0; i < nregions; i++) arena_pages += regions[i].pages + 1;
  /* Reserve the span and keep it reserved (PROT_NONE, no commit charge)
   * while the regions are mapped over it with MAP_FIXED: if the reservation
   * were given back first, the generator's own allocations (calloc of a large
   * page-state array is an mmap) could land inside it and a region would fail
   * with EEXIST. Only when every region is in place are the guard pages
   * between regions unmapped (so no two regions merge into one VMA and the
   * gaps are not VMAs of their own). */
  arena = mmap(NULL, arena_pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (arena == MAP_FAILED) die("cannot reserve %zu pages: %s", arena_pages, strerror(errno));
  char *a = arena + PAGE;
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    r->addr = a;
    a += (r->pages + 1) * PAGE;
    r->st = alloc_private(r->pages, 1);
    if (!r->st) die("out of memory for the page states of region %d", r->id);
    if (r->file) {
      r->open_flags = (r->shared && (r->prot & PROT_WRITE)) ? O_RDWR : O_RDONLY;
      r->fd = open(r->path, r->open_flags);
      if (r->fd < 0) die("cannot open %s: %s", r->path, strerror(errno));
    }
    if (map_region_over(r) != 0) die("cannot map region %d (%zu pages): %s", r->id, r->pages, strerror(errno));
  }
  /* The guard pages: the first one, one after each region (the last one ends the span). */
  if (munmap(arena, PAGE) != 0) die("cannot unmap guard page: %s", strerror(errno));
  for (int i = 0; i < nregions; i++)
    if (munmap(regions[i].addr + regions[i].pages * PAGE, PAGE) != 0) die("cannot unmap guard page: %s", strerror(errno));
  /* File regions: drop the page cache of the range, then read it back. */
  static char buf[128 * 1024];
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    if (!r->file) continue;
    posix_fadvise(r->fd, r->off, (off_t)(r->pages * PAGE), POSIX_FADV_DONTNEED);
    /* A block device's page cache takes large folios from readahead, and a
     * large folio cannot be evicted one page at a time (prepare() of an
     * absent page would then leave it cached): read it back one page per
     * read with FADV_RANDOM (no readahead), so every folio is one page. */
    struct stat sb;
    size_t step = sizeof buf;
    if (fstat(r->fd, &sb) == 0 && S_ISBLK(sb.st_mode)) {
      posix_fadvise(r->fd, r->off, (off_t)(r->pages * PAGE), POSIX_FADV_RANDOM);
      step = PAGE;
    }
    for (size_t done = 0; done < r->pages * PAGE;) {
      size_t n = r->pages * PAGE - done;
      if (n > step) n = step;
      ssize_t got = pread(r->fd, buf, n, r->off + (off_t)done);
      if (got <= 0) die("preload of %s failed: %s", r->path, got < 0 ? strerror(errno) : "short file");
      done += (size_t)got;
    }
    memset(r->st, PG_CACHED, r->pages);
  }
  /* Anonymous regions: a deterministic permutation picks the swap pool first,
   * then the resident pages; the rest is never touched (state zero). */
  size_t swapped_total = 0, swapped_ok = 0;
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    if (r->file) continue;
    memset(r->st, PG_ZERO, r->pages);
    size_t *perm = malloc(r->pages * sizeof *perm);
    for (size_t k = 0; k < r->pages; k++) perm[k] = k;
    unsigned long long s = 0x1234567ULL + (unsigned long long)r->id * 7919;
    for (size_t k = r->pages; k > 1; k--) {
      size_t j = xorshift(&s) % k;
      size_t t = perm[k - 1]; perm[k - 1] = perm[j]; perm[j] = t;
    }
    size_t npop = r->swap_pool + r->resident;
    if (npop > r->pages) npop = r->pages;
    int writable = (r->prot & PROT_WRITE) != 0;
    for (size_t k = 0; k < npop; k++) {
      size_t pg = perm[k];
      if (writable) fill_page(r->addr + pg * PAGE, (unsigned long long)r->id * 1000003ULL + pg);
      else (void)*(volatile char *)(r->addr + pg * PAGE);
      r->st[pg] = PG_RESIDENT;
    }
    for (size_t k = 0; k < r->swap_pool && k < r->pages; k++) {
      size_t pg = perm[k];
      swapped_total++;
      if (madvise(r->addr + pg * PAGE, PAGE, MADV_PAGEOUT) == 0) r->st[pg] = PG_SWAPPED;
    }
    if (r->swap_pool > 0) {
      /* mincore reports a swapped-out anonymous page as not resident. */
      unsigned char *vec = malloc(r->pages);
      if (mincore(r->addr, r->pages * PAGE, vec) == 0) {
        for (size_t k = 0; k < r->pages; k++) {
          if (r->st[k] != PG_SWAPPED) continue;
          if (vec[k] & 1) r->st[k] = PG_RESIDENT; else swapped_ok++;
        }
      }
      free(vec);
    }
    free(perm);
  }
  fprintf(stderr, "faultline-loadgen: swap pool %zu/%zu pages out\n", swapped_ok, swapped_total);
}

/* ------------------------------------------------------------ operations */

static void rusage_thread(long *minflt, long *majflt) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  *minflt = ru.ru_minflt;
  *majflt = ru.ru_majflt;
}

/* Claim a page of region r in tracked state `want`, searching from `hint`. -1: none. */
static long claim(struct region *r, long hint, unsigned char want) {
  size_t n = r->pages;
  for (size_t k = 0; k < n; k++) {
    size_t pg = ((size_t)hint + k) % n;
    unsigned char cur = __atomic_load_n(&r->st[pg], __ATOMIC_RELAXED);
    if (cur != want) continue;
    if (__atomic_compare_exchange_n(&r->st[pg], &cur, (unsigned char)(want | PG_BUSY), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return (long)pg;
  }
  return -1;
}

/* Claim page `pg` whatever its state (waiting while another thread holds it). */
static unsigned char claim_any(struct region *r, long pg) {
  for (;;) {
    unsigned char cur = __atomic_load_n(&r->st[pg], __ATOMIC_RELAXED);
    if (!(cur & PG_BUSY) &&
        __atomic_compare_exchange_n(&r->st[pg], &cur, (unsigned char)(cur | PG_BUSY), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return cur;
    sched_yield();
  }
}

static void release(struct region *r, long pg, unsigned char st) {
  __atomic_store_n(&r->st[pg], st, __ATOMIC_RELEASE);
}

/*
 * Put a page of region r into the requested state and claim it; returns the
 * page. Untimed. The page is taken from the pool of pages already in that
 * state when there is one (no syscall); otherwise the hinted page is prepared
 * in line (F_PREP):
 *   cached  (file): page in the page cache -> MADV_DONTNEED zaps the PTE, so
 *                   the touch is a minor fault that maps it from the cache;
 *   absent  (file): MADV_DONTNEED + POSIX_FADV_DONTNEED evict it, so the touch
 *                   is a major fault that reads it through the FUSE daemon;
 *   zero    (anon): never touched, or MADV_DONTNEED -> do_anonymous_page;
 *   swapped (anon): written then MADV_PAGEOUT -> swap-in from zram.
 */
static long prepare(struct region *r, long hint, int state, int *flags) {
  long pg;
  char *a;
  switch (state) {
  case ST_CACHED:
    pg = claim(r, hint, PG_CACHED);
    if (pg < 0) { *flags |= F_PREP; pg = hint; claim_any(r, pg); }
    madvise(r->addr + pg * PAGE, PAGE, MADV_DONTNEED);
    return pg;
  case ST_ABSENT:
    pg = claim(r, hint, PG_EVICTED);
    if (pg < 0) pg = claim(r, hint, PG_CACHED);
    if (pg < 0) { pg = hint; claim_any(r, pg); }
    madvise(r->addr + pg * PAGE, PAGE, MADV_DONTNEED);
    posix_fadvise(r->fd, r->off + (off_t)pg * (off_t)PAGE, (off_t)PAGE, POSIX_FADV_DONTNEED);
    return pg;
  case ST_ZERO:
    pg = claim(r, hint, PG_ZERO);
    if (pg < 0) {
      *flags |= F_PREP; pg = hint; claim_any(r, pg);
      madvise(r->addr + pg * PAGE, PAGE, MADV_DONTNEED);
    }
    return pg;
  case ST_SWAPPED:
    pg = claim(r, hint, PG_SWAPPED);
    if (pg < 0) {
      *flags |= F_PREP; pg = hint; claim_any(r, pg);
      a = r->addr + pg * PAGE;
      if (r->prot & PROT_WRITE) fill_page(a, (unsigned long long)pg * 31 + 7);
      else (void)*(volatile char *)a;
      madvise(a, PAGE, MADV_PAGEOUT);
    }
    return pg;
  default:
    pg = hint; claim_any(r, pg);
    return pg;
  }
}

/* The touch of a page prepare() made ready (before the thread's sleep until the op). */
static void do_fault(struct thread *t, struct op *o, struct rec *rc, long prepared) {
  struct region *r = &regions[o->region];
  volatile long pg = prepared;
  rc->page = pg;
  char *volatile a = r->addr + pg * PAGE;
  long mn0, mj0, mn1, mj1;
  rusage_thread(&mn0, &mj0);
  volatile int write = o->write && (r->prot & PROT_WRITE);
  rc->start = now_ns();
  if (sigsetjmp(touch_jmp, 1) == 0) {
    in_touch = 1;
    if (write) *(volatile char *)a = (char)(t->id + 1);
    else (void)*(volatile char *)a;
    in_touch = 0;
  } else {
    rc->flags |= F_SEGV;
  }
  rc->end = now_ns();
  rusage_thread(&mn1, &mj1);
  rc->minflt = mn1 - mn0;
  rc->majflt = mj1 - mj0;
  release(r, pg, r->file ? PG_CACHED : (rc->flags & F_SEGV) ? PG_ZERO : PG_RESIDENT);
}

static void mark_range(struct region *r, long first, long n, unsigned char st) {
  for (long k = first; k < first + n && k < (long)r->pages; k++) {
    unsigned char cur = __atomic_load_n(&r->st[k], __ATOMIC_RELAXED);
    if (!(cur & PG_BUSY)) __atomic_compare_exchange_n(&r->st[k], &cur, st, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
}

static int run_op(struct thread *t, struct op *o, int seq, struct rec *rc, struct rec *extra, long prepared) {
  rc->op = o->kind;
  rc->region = o->region;
  rc->state = o->state;
  rc->page = o->page;
  if (o->kind != OP_FAULT) rc->prep_start = rc->prep_end = -1;
  struct region *r = o->region >= 0 ? &regions[o->region] : NULL;
  switch (o->kind) {
  case OP_FAULT:
    do_fault(t, o, rc, prepared);
    return 1;
  case OP_MPROTECT: {
    /* Ops pair up like a GC's protect/unprotect: the first flips PROT_EXEC on
     * its range (splitting the VMA), the next one restores that same range
     * (merging it back), so the region is one VMA again between pairs. */
    long page = o->page, npages = o->npages;
    int prot = r->prot ^ PROT_EXEC;
    if (t->mp_pending && t->mp_region == o->region) {
      page = t->mp_page; npages = t->mp_npages; prot = r->prot;
      t->mp_pending = 0;
    } else {
      t->mp_pending = 1; t->mp_region = o->region; t->mp_page = page; t->mp_npages = npages;
    }
    rc->page = page;
    (void)seq;
    rc->start = now_ns();
    if (mprotect(r->addr + page * PAGE, (size_t)npages * PAGE, prot) != 0) rc->flags |= F_ERROR;
    rc->end = now_ns();
    return 1;
  }
  case OP_MADVISE:
    rc->start = now_ns();
    if (madvise(r->addr + o->page * PAGE, (size_t)o->npages * PAGE, MADV_DONTNEED) != 0) rc->flags |= F_ERROR;
    rc->end = now_ns();
    if (!r->file) mark_range(r, o->page, o->npages, PG_ZERO);
    return 1;
  case OP_MUNMAP: {
    rc->start = now_ns();
    int err = munmap(r->addr, r->pages * PAGE);
    rc->end = now_ns();
    if (err != 0) { rc->flags |= F_ERROR; return 1; }
    if (!r->file) mark_range(r, 0, (long)r->pages, PG_ZERO);
    *extra = *rc;
    extra->op = OP_MMAP;
    extra->start = now_ns();
    if (map_region(r) != 0) extra->flags |= F_ERROR;
    extra->end = now_ns();
    return 2;
  }
  case OP_FORK: {
    rc->start = now_ns();
    long pid = syscall(SYS_fork);
    if (pid == 0) syscall(SYS_exit_group, 0);
    rc->end = now_ns();
    if (pid < 0) rc->flags |= F_ERROR;
    return 1;
  }
  default:
    die("unknown op kind %d", o->kind);
  }
  return 0;
}

static void *thread_main(void *arg) {
  struct thread *t = arg;
  t->tid = (pid_t)syscall(SYS_gettid);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  char nm[16];
  memcpy(nm, t->name, sizeof nm - 1);
  nm[sizeof nm - 1] = 0;
  prctl(PR_SET_NAME, nm, 0, 0, 0);
  if (setpriority(PRIO_PROCESS, (id_t)t->tid, t->nice) != 0)
    fprintf(stderr, "faultline-loadgen: setpriority(%s, %d): %s\n", t->name, t->nice, strerror(errno));
  pthread_mutex_lock(&go_mu);
  ready_count++;
  pthread_cond_broadcast(&go_cv);
  while (!go_flag) pthread_cond_wait(&go_cv, &go_mu);
  pthread_mutex_unlock(&go_mu);
  int64_t t0 = t0_abs, end = t0 + duration_ns;
  int64_t last = t0 + t->start;
  sleep_until(last);
  for (int i = 0; i < t->nops; i++) {
    struct op *o = &t->ops[i];
    int64_t at = last + o->delay;
    if (at >= end) break;
    struct rec *rc = &t->recs[t->nrecs];
    memset(rc, 0, sizeof *rc * 2);
    /* A fault's page is prepared before the sleep, not right before the
     * touch: a preparation that waits (its MADV_DONTNEED behind a fork's
     * mmap_write_lock) then waits in the think time, and the touch meets the
     * lock state of its own scheduled time instead of the one the
     * preparation already waited out. */
    long prepared = -1;
    if (o->kind == OP_FAULT) {
      rc->prep_start = now_ns();
      prepared = prepare(&regions[o->region], o->page, o->state, &rc->flags);
      rc->prep_end = now_ns();
    }
    sleep_until(at);
    int n = run_op(t, o, i, rc, rc + 1, prepared);
    for (int k = 0; k < n; k++) {
      struct rec *x = &rc[k];
      x->start -= t0; x->end -= t0;
      if (x->prep_start >= 0) { x->prep_start -= t0; x->prep_end -= t0; }
      if (x->end > duration_ns) x->flags |= F_UNFINISHED;
    }
    t->nrecs += n;
    last = now_ns();
  }
  return NULL;
}

static void write_results(const char *file) {
  FILE *f = fopen(file, "w");
  if (!f) die("cannot write %s: %s", file, strerror(errno));
  fprintf(f, "faultline-loadgen-results 1\n");
  fprintf(f, "t0 %lld\n", (long long)t0_abs);
  fprintf(f, "duration %lld\n", (long long)duration_ns);
  for (int i = 0; i < nthreads; i++) fprintf(f, "tid %d %d\n", threads[i].id, threads[i].tid);
  for (int i = 0; i < nthreads; i++) {
    struct thread *t = &threads[i];
    for (int k = 0; k < t->nrecs; k++) {
      struct rec *x = &t->recs[k];
      fprintf(f, "r %d %d %d %ld %d %lld %lld %ld %ld %d %lld %lld\n", t->id, x->op, x->region, x->page, x->state,
              (long long)x->start, (long long)x->end, x->minflt, x->majflt, x->flags, (long long)x->prep_start,
              (long long)x->prep_end);
    }
  }
  if (fclose(f) != 0) die("cannot write %s: %s", file, strerror(errno));
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) { puts("faultline-loadgen 1"); return 0; }
  if (argc != 3) { fprintf(stderr, "usage: faultline-loadgen CONFIG OUTPUT\n"); return 2; }
  setvbuf(stdout, NULL, _IOLBF, 0);
  parse_config(argv[1]);
  join_cgroup();
  pin_cpus();
  signal(SIGCHLD, SIG_IGN); /* forked children are reaped by the kernel */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv_handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  setup_regions();
  for (int i = 0; i < nthreads; i++) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    int forks = 0;
    for (int k = 0; k < threads[i].nops; k++) forks |= threads[i].ops[k].kind == OP_FORK;
    void *stack = alloc_private(256 * 1024, !forks);
    if (!stack) die("cannot allocate a thread stack");
    pthread_attr_setstack(&at, stack, 256 * 1024);
    if (pthread_create(&threads[i].pt, &at, thread_main, &threads[i]) != 0) die("pthread_create failed");
    pthread_attr_destroy(&at);
  }
  pthread_mutex_lock(&go_mu);
  while (ready_count < nthreads) pthread_cond_wait(&go_cv, &go_mu);
  pthread_mutex_unlock(&go_mu);
  printf("ready %d", getpid());
  for (int i = 0; i < nthreads; i++) printf(" %d", threads[i].tid);
  printf("\n");
  char line[64];
  if (!fgets(line, sizeof line, stdin) || strncmp(line, "go", 2) != 0) die("no 'go' on stdin; exiting");
  t0_abs = now_ns() + 2000000; /* 2 ms from now: every thread is asleep at the start line */
  pthread_mutex_lock(&go_mu);
  go_flag = 1;
  pthread_cond_broadcast(&go_cv);
  pthread_mutex_unlock(&go_mu);
  for (int i = 0; i < nthreads; i++) pthread_join(threads[i].pt, NULL);
  write_results(argv[2]);
  printf("done\n");
  return 0;
}
