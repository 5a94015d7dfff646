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
 * an mprotect op with a prot (OP_MPROTECT_PROT) sets it, and with restore
 * sets back what the range had; madvise with an advice (OP_MADVISE_ADV)
 * likewise; mremap (OP_MREMAP) resizes or moves the region's last pages and
 * undoes it at once (see run_op);
 * madvise_dontneed is MADV_DONTNEED on a range; munmap unmaps the whole
 * region and maps it again at the same address (the second half is recorded
 * as an "mmap" op); fork is a raw fork() whose child exits at once.
 */
#include "loadgen.h"

int64_t duration_ns, warmup_ns;
int ncpus_wanted;
char cgroup_path[512];
struct region *regions;
int nregions;
struct thread *threads;
int nthreads;
char *arena;
size_t arena_pages;
static volatile int64_t t0_abs; /* CLOCK_MONOTONIC ns of the run start */
static pthread_mutex_t go_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int go_flag, ready_count;

/*
 * Fork placement: a forking thread's slot of a MAP_SHARED page (not
 * MADV_DONTFORK, so the child has it): the child writes the time and its CPU
 * at its first instruction, the parent compares them with its own return.
 */
static int64_t *fork_marks;
static __thread sigjmp_buf touch_jmp;
static __thread volatile int in_touch;

static void sleep_until(int64_t abs_ns) {
  struct timespec ts = { .tv_sec = abs_ns / 1000000000LL, .tv_nsec = abs_ns % 1000000000LL };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static void segv_handler(int sig, siginfo_t *si, void *uc) {
  (void)si; (void)uc;
  if (in_touch) { in_touch = 0; siglongjmp(touch_jmp, 1); }
  signal(sig, SIG_DFL);
  raise(sig);
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
 *   swapped (anon): written then MADV_PAGEOUT -> swap-in from zram;
 *   memcg   (the scenario's memory: block): the hinted page as it is; a file
 *                   page's PTE is zapped (MADV_DONTNEED) so that the touch is
 *                   a fault, minor or major as the memory cgroup's reclaim
 *                   left the page cache; an anonymous page is touched as is.
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
  case ST_MEMCG:
    pg = hint; claim_any(r, pg);
    if (r->file) madvise(r->addr + pg * PAGE, PAGE, MADV_DONTNEED);
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
  volatile int write = o->write && (r->pp[pg] & PROT_WRITE); /* a page made read-only is read (the model does not check access rights) */
  /* sigsetjmp(, 1) saves the signal mask with a syscall (rt_sigprocmask): outside the timed
   * interval, which is the touch alone, as the benches time it (the syscall had added
   * 0.1-0.3 us to every fault; docs/calibration.md "The per-state fault p50s"). A touch that
   * ends in SIGSEGV is timed to the siglongjmp (the signal's delivery included). */
  if (sigsetjmp(touch_jmp, 1) == 0) {
    in_touch = 1;
    rc->start = now_ns();
    __asm__ volatile("" ::: "memory"); /* the start is in memory before the touch (a SIGSEGV leaves by siglongjmp) */
    if (write) *(volatile char *)a = (char)(t->id + 1);
    else (void)*(volatile char *)a;
    rc->end = now_ns();
    in_touch = 0;
  } else {
    rc->end = now_ns();
    rc->flags |= F_SEGV;
  }
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
  case OP_MPROTECT_PROT:
  case OP_MADVISE_ADV: {
    /* mprotect to the scenario's prot, or madvise with its advice (o->state);
     * with restore (o->write), a second call gives the range back what its
     * first page had before (as the model's workload does). */
    int mp = o->kind == OP_MPROTECT_PROT;
    unsigned char *now = mp ? r->pp : r->adv;
    char *a = r->addr + o->page * PAGE;
    size_t len = (size_t)o->npages * PAGE;
    int old = now[o->page];
    rc->start = now_ns();
    int err = mp ? mprotect(a, len, o->state) : madvise(a, len, o->state);
    rc->end = now_ns();
    if (err != 0) rc->flags |= F_ERROR;
    else memset(now + o->page, o->state, (size_t)o->npages);
    if (!o->write) return 1;
    *extra = *rc;
    extra->flags = 0;
    extra->start = now_ns();
    err = mp ? mprotect(a, len, old) : madvise(a, len, old);
    extra->end = now_ns();
    if (err != 0) extra->flags |= F_ERROR;
    else memset(now + o->page, old, (size_t)o->npages);
    return 2;
  }
  case OP_MREMAP: {
    /* mremap of the range (the region's last pages) to o->state pages with
     * the flags in o->write, then the mremap that undoes it: resized in
     * place -> resize back; moved -> move back with MREMAP_FIXED. */
    char *a = r->addr + o->page * PAGE;
    size_t n = (size_t)o->npages * PAGE, m = (size_t)o->state * PAGE;
    rc->start = now_ns();
    void *p = mremap(a, n, m, o->write);
    rc->end = now_ns();
    if (p == MAP_FAILED) { rc->flags |= F_ERROR; return 1; }
    if (p == (void *)a && m == n) return 1;
    *extra = *rc;
    extra->flags = 0;
    extra->start = now_ns();
    void *q = p == (void *)a ? mremap(a, m, n, 0) : mremap(p, m, n, MREMAP_MAYMOVE | MREMAP_FIXED, a);
    extra->end = now_ns();
    if (q == MAP_FAILED) extra->flags |= F_ERROR;
    else if (!r->file && p == (void *)a && m < n) mark_range(r, o->page + (long)(m / PAGE), (long)((n - m) / PAGE), PG_ZERO);
    return 2;
  }
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
    memset(r->pp, r->prot, r->pages);
    memset(r->adv, r->random ? MADV_RANDOM : MADV_NORMAL, r->pages);
    extra->end = now_ns();
    return 2;
  }
  case OP_FORK: {
    int64_t *mark = fork_marks + 2 * (t - threads);
    __atomic_store_n(&mark[0], 0, __ATOMIC_RELAXED);
    rc->start = now_ns();
    long pid = syscall(SYS_fork);
    if (pid == 0) {
      /* The child's first instruction: its start time and CPU (its first write faults the shared page in: ~1 us). */
      mark[1] = sched_getcpu();
      __atomic_store_n(&mark[0], now_ns(), __ATOMIC_RELEASE);
      syscall(SYS_exit_group, 0);
    }
    rc->end = now_ns();
    if (pid < 0) rc->flags |= F_ERROR;
    /* wake_up_new_task put the child on this CPU and it ran (and exited) before the parent returned. */
    int64_t child_t = __atomic_load_n(&mark[0], __ATOMIC_ACQUIRE);
    if (pid > 0 && child_t != 0 && child_t < rc->end && mark[1] == sched_getcpu()) rc->flags |= F_CHILD_FIRST;
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
  fork_marks = mmap(NULL, ((size_t)nthreads * 2 * sizeof *fork_marks + 4095) & ~(size_t)4095, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (fork_marks == MAP_FAILED) die("cannot map the fork marks: %s", strerror(errno));
  for (int i = 0; i < nthreads * 2; i++) fork_marks[i] = 0;
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
