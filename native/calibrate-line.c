/*
 * cacheline N R: the cost of an atomic read-modify-write on a lock's cache
 * line (Cost.lock_atomic) and of the line's transfer from another CPU
 * (Cost.cacheline_transfer); docs/calibration.md "The lock's cache line,
 * measured (thirteenth session)".
 *
 * What it stands for: every lock operation of the fault path is one atomic
 * RMW on one cache line: kernel/locking/rwsem.c rwsem_read_trylock
 * (atomic_long_add_return_acquire on sem->count), __up_read
 * (atomic_long_add_return_release), __down_write_trylock / __up_write
 * (atomic_long_try_cmpxchg_acquire, atomic_long_fetch_add_release);
 * include/linux/mmap_lock.h vma_start_read
 * (__refcount_inc_not_zero_limited_acquire on vma->vm_refcnt: a cmpxchg
 * loop) and vma_refcount_put (__refcount_dec_and_test). Each is a `lock`
 * prefixed instruction on x86: its cost on a line this CPU holds, plus, when
 * another CPU wrote the line last, the line's transfer.
 *
 * Two threads: the main thread pinned to CPU 0 and a partner pinned to
 * CPU 1 (nice -20 when permitted), each line 64-byte aligned on a line of
 * its own. N rounds, each of three samples in turn (interleaved, so load
 * from other processes falls on all three kinds alike), each sample a batch
 * of R operations timed by the main thread (CLOCK_MONOTONIC around the
 * batch); the sample's value is the batch's time, ns (for X = 1 half the
 * time of R round trips): divided by R, the time of one operation (the fit
 * divides; with R = 1000 the value reads as picoseconds per operation):
 *   X = 0  the main thread alone: R lock xadd on a line it owns (the partner
 *          waits on another line): the uncontended RMW.
 *   X = 1  ping-pong on ONE line: the main thread waits (loads) until the
 *          count is even, adds 1; the partner waits until it is odd, adds
 *          1. R round trips; the value is the round trip / 2: the line's
 *          transfer to the waiting CPU (its load misses) and the RMW there.
 *   X = 2  the same loop on PRIVATE lines: each thread loads its own line
 *          and adds 1, R times, both at once (the main thread's time / R):
 *          the load and RMW with no transfer.
 * cacheline_transfer = median(X=1) - median(X=2); lock_atomic = median(X=0).
 * A batch the scheduler interrupted (the partner descheduled: the ping-pong
 * stalls) is one slow sample: the medians keep them out; a note line counts
 * the samples of each kind over 4x their median.
 */
#include "calibrate.h"

#define LINE 64

struct line { _Alignas(LINE) volatile long v; char pad[LINE - sizeof(long)]; };

static struct line shared_line, own_line[2], go_line, done_line;
/* go_line.v: 0 idle, 1 ping-pong batch, 2 private batch, 3 exit; the batch
 * number in the high bits so that the partner sees each batch once. */
static volatile long batch_r;

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
}

static inline void cpu_relax(void) { __builtin_ia32_pause(); }

static void *line_partner(void *arg) {
  (void)arg;
  pin(1);
  setpriority(PRIO_PROCESS, 0, -20);
  long seen = 0;
  for (;;) {
    long g;
    while (((g = __atomic_load_n(&go_line.v, __ATOMIC_ACQUIRE)) >> 4) == seen) cpu_relax();
    seen = g >> 4;
    long kind = g & 15, r = batch_r;
    if (kind == 3) return NULL;
    if (kind == 1) {
      for (long i = 0; i < r; i++) {
        while ((__atomic_load_n(&shared_line.v, __ATOMIC_ACQUIRE) & 1) == 0) cpu_relax();
        __atomic_fetch_add(&shared_line.v, 1, __ATOMIC_ACQ_REL);
      }
    } else if (kind == 2) {
      for (long i = 0; i < r; i++) {
        (void)__atomic_load_n(&own_line[1].v, __ATOMIC_ACQUIRE);
        __atomic_fetch_add(&own_line[1].v, 1, __ATOMIC_ACQ_REL);
      }
    }
    __atomic_store_n(&done_line.v, seen, __ATOMIC_RELEASE);
  }
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

void bench_cacheline(int n, long r) {
  if (n <= 0 || r <= 0) die("cacheline: N and R must be positive");
  pin(0);
  int niced = setpriority(PRIO_PROCESS, 0, -20) == 0;
  pthread_t th;
  if (pthread_create(&th, NULL, line_partner, NULL) != 0) die("pthread_create");
  batch_r = r;
  long long *v[3];
  for (int k = 0; k < 3; k++) if ((v[k] = calloc((size_t)n, sizeof(long long))) == NULL) die("out of memory");
  long seq = 0;
  for (int i = 0; i < n; i++) {
    /* X = 0: the main thread alone, on a line it owns (warmed by one add). */
    __atomic_fetch_add(&own_line[0].v, 1, __ATOMIC_ACQ_REL);
    int64_t t0 = now_ns();
    for (long j = 0; j < r; j++) __atomic_fetch_add(&own_line[0].v, 1, __ATOMIC_ACQ_REL);
    int64_t t1 = now_ns();
    v[0][i] = (long long)(t1 - t0);
    sample(0, t1 - t0);
    /* X = 1: ping-pong on one line; the partner starts at the first odd value. */
    __atomic_store_n(&shared_line.v, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&go_line.v, (++seq << 4) | 1, __ATOMIC_RELEASE);
    t0 = now_ns();
    for (long j = 0; j < r; j++) {
      while ((__atomic_load_n(&shared_line.v, __ATOMIC_ACQUIRE) & 1) != 0) cpu_relax();
      __atomic_fetch_add(&shared_line.v, 1, __ATOMIC_ACQ_REL);
    }
    while (__atomic_load_n(&shared_line.v, __ATOMIC_ACQUIRE) != 2 * r) cpu_relax(); /* the partner's last add */
    t1 = now_ns();
    v[1][i] = (long long)(t1 - t0) / 2;
    sample(1, (t1 - t0) / 2);
    while (__atomic_load_n(&done_line.v, __ATOMIC_ACQUIRE) != seq) cpu_relax();
    /* X = 2: private lines, both threads at once. */
    __atomic_store_n(&go_line.v, (++seq << 4) | 2, __ATOMIC_RELEASE);
    t0 = now_ns();
    for (long j = 0; j < r; j++) {
      (void)__atomic_load_n(&own_line[0].v, __ATOMIC_ACQUIRE);
      __atomic_fetch_add(&own_line[0].v, 1, __ATOMIC_ACQ_REL);
    }
    t1 = now_ns();
    v[2][i] = (long long)(t1 - t0);
    sample(2, t1 - t0);
    while (__atomic_load_n(&done_line.v, __ATOMIC_ACQUIRE) != seq) cpu_relax(); /* the partner done */
  }
  __atomic_store_n(&go_line.v, (++seq << 4) | 3, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  for (int k = 0; k < 3; k++) {
    qsort(v[k], (size_t)n, sizeof(long long), cmp_ll);
    long long med = v[k][n / 2];
    int slow = 0;
    for (int i = 0; i < n; i++) slow += v[k][i] > 4 * med;
    printf("# X=%d: R %ld, median sample %lld ns, %d of %d batches over 4x the median\n", k, r, med, slow, n);
    free(v[k]);
  }
  printf("# main thread on CPU 0, partner on CPU 1, nice %d\n", niced ? -20 : 0);
}
