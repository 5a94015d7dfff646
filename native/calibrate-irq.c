/*
 * hrtimer-irq N: the CPU time a timer's expiry takes from the task running
 * on the CPU it fires on (Cost.hrtimer_irq, src/sim/cpus.ts CpuSched.irq;
 * docs/calibration.md "The long read holds, traced").
 *
 * Both threads of the process are pinned to CPU 0. The main thread (the
 * "spinner", SCHED_OTHER) runs 2N windows: at T0 + k x 2 ms it spins 1 ms
 * reading CLOCK_MONOTONIC in a loop (the vDSO: no syscall) and keeps, among
 * the gaps between consecutive reads that overlap [E, E + 100 us] with E =
 * the window's middle, the largest; then it sleeps to the next window. The
 * second thread (the "sleeper", SCHED_IDLE, timer slack 1 ns) sleeps with
 * clock_nanosleep(TIMER_ABSTIME) until E of every even window: its hrtimer
 * is armed on CPU 0 (it runs there: hrtimer_start_range_ns ->
 * switch_hrtimer_base keeps a timer on a busy CPU) and expires while the
 * spinner spins. A SCHED_IDLE task does not preempt a SCHED_OTHER one at
 * its wake-up (kernel/sched/fair.c check_preempt_wakeup_fair returns for a
 * wakee whose policy is not SCHED_NORMAL), so the sleeper runs only in the
 * spinner's sleep after the window, and re-arms for the window after next.
 *
 * Samples: X = 1, the largest gap of a window with an expiry; X = 0, the
 * same in a window without one (the odd windows: the tick and other
 * interrupts land in both). median(X=1) - median(X=0) is what one expiry
 * takes from the task on the CPU: in this guest the VM exit and entry of
 * the timer interrupt, hrtimer_interrupt -> __hrtimer_run_queues ->
 * hrtimer_wakeup -> try_to_wake_up with the wakee enqueued on this same CPU
 * (no IPI), the clock event reprogrammed for the next timer, the return to
 * the interrupted task. Not included: a remote wake-up's IPI (the sleeper is
 * placed on the expiring CPU here, which is busy, while in the model's
 * scenarios select_task_rq may put it on another CPU and send an IPI there)
 * and any reschedule (none happens by construction).
 *
 * A note line counts the even windows in which the sleeper ran before the
 * window ended (it preempted the spinner: expected 0) and gives the median
 * offset of the chosen gap's start from E.
 */
#include "calibrate.h"

#define IRQ_WINDOW_NS 1000000LL
#define IRQ_PERIOD_NS 2000000LL
#define IRQ_LOOK_NS 100000LL

struct irq_shared {
  int64_t t0;
  int windows;
  int64_t *woke;
  /** When the sleeper armed the timer of window k (a SCHED_IDLE thread starved by other load arms it late). */
  int64_t *armed;
};

/* Pin the calling thread to `cpu`, with 1 ns timer slack (its sleeps end at the time asked). */
static void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

static void irq_sleep_until(int64_t at) {
  struct timespec d = { (time_t)(at / 1000000000LL), (long)(at % 1000000000LL) };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL) == EINTR) {}
}

static void *irq_sleeper(void *arg) {
  struct irq_shared *s = arg;
  struct sched_param sp = { 0 };
  if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0) die("sched_setscheduler(SCHED_IDLE): %s", strerror(errno));
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  for (int k = 0; k < s->windows; k += 2) {
    s->armed[k] = now_ns();
    irq_sleep_until(s->t0 + k * IRQ_PERIOD_NS + IRQ_WINDOW_NS / 2);
    s->woke[k] = now_ns();
  }
  return NULL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

void bench_hrtimer_irq(int n) {
  pin_self(0);
  struct irq_shared s;
  s.windows = 2 * n;
  s.woke = calloc((size_t)s.windows, sizeof *s.woke);
  s.armed = calloc((size_t)s.windows, sizeof *s.armed);
  int64_t *gap = calloc((size_t)s.windows, sizeof *gap), *off = calloc((size_t)n, sizeof *off);
  char *late = calloc((size_t)s.windows, 1);
  int64_t *off_at = calloc((size_t)n, sizeof *off_at);
  if (s.woke == NULL || s.armed == NULL || gap == NULL || off == NULL || late == NULL || off_at == NULL) die("out of memory");
  s.t0 = (now_ns() / IRQ_PERIOD_NS + 10) * IRQ_PERIOD_NS; /* 18-20 ms ahead: the sleeper is armed before */
  pthread_t th;
  if (pthread_create(&th, NULL, irq_sleeper, &s) != 0) die("pthread_create");
  int inside = 0, skipped = 0, noff = 0;
  for (int k = 0; k < s.windows; k++) {
    int64_t start = s.t0 + k * IRQ_PERIOD_NS, e = start + IRQ_WINDOW_NS / 2, end = start + IRQ_WINDOW_NS;
    irq_sleep_until(start);
    int64_t prev = now_ns(), best = 0, bestAt = 0;
    late[k] = prev > e - 10000; /* the spinner began less than 10 us before E (the CPU was busy): no sample */
    for (;;) {
      int64_t t = now_ns(), g = t - prev;
      if (t >= e && prev <= e + IRQ_LOOK_NS && g > best) { best = g; bestAt = prev; }
      prev = t;
      if (t >= end) break;
    }
    gap[k] = best;
    if (k % 2 == 0) off_at[k / 2] = bestAt - e;
  }
  pthread_join(th, NULL);
  for (int k = 0; k < s.windows; k += 2) {
    int64_t start = s.t0 + k * IRQ_PERIOD_NS;
    if (s.woke[k] < start + IRQ_WINDOW_NS) { inside++; late[k] = 1; } /* a context switch inside: no sample */
    if (s.armed[k] > start) late[k] = 1; /* armed after the window began (starved): maybe no expiry inside */
  }
  noff = 0;
  for (int k = 0; k < s.windows; k++) {
    skipped += late[k];
    if (k % 2 == 0 && !late[k]) off[noff++] = off_at[k / 2];
  }
  qsort(off, (size_t)noff, sizeof *off, cmp_i64);
  printf("# the sleeper ran inside its window (preempting the spinner) in %d of %d windows\n", inside, n);
  printf("# windows without a sample (the spinner began late, the sleeper armed late or ran inside): %d of %d\n", skipped, s.windows);
  if (noff > 0) printf("# median start of the largest gap after the expiry time: %lld ns\n", (long long)off[noff / 2]);
  for (int k = 0; k < s.windows; k++) if (!late[k]) sample(k % 2 == 0 ? 1 : 0, gap[k]);
  free(late);
  free(off_at);
  free(s.armed);
  free(s.woke);
  free(gap);
  free(off);
}

/*
 * tlb-target N: the CPU a TLB shoot-down's IPI takes from the task running
 * on the target CPU (Cost.flush_tlb_func). The spinner (a second thread of
 * the process, pinned to CPU 1) runs 2N windows as in hrtimer-irq; the main
 * thread, pinned to CPU 0, sleeps to the middle E of every even window and
 * mprotects one resident page to PROT_READ and back: each call changes a
 * present PTE, so tlb_finish_mmu -> flush_tlb_mm_range ->
 * native_flush_tlb_multi sends CPU 1 (running a thread of the mm, not in
 * lazy-TLB mode) a call-function IPI and waits for its flush_tlb_func. The
 * two IPIs are a syscall apart, so the spinner reads the clock between them
 * and the largest gap holds one. X = 1: the largest gap overlapping
 * [E, E + 100 us] of a window with the mprotects; X = 0: the same without.
 * median(X=1) - median(X=0): in this guest the IPI's delivery to a running
 * vCPU (VM exit and entry), the call-function handler and flush_tlb_func's
 * local flush. Windows where the spinner began late or the mprotects began
 * more than 50 us after E are dropped (a comment line counts them).
 */
struct tlb_shared {
  int64_t t0;
  int windows;
  int64_t *gap;
  char *late;
};

static void *tlb_spinner(void *arg) {
  struct tlb_shared *s = arg;
  pin_self(1);
  for (int k = 0; k < s->windows; k++) {
    int64_t start = s->t0 + k * IRQ_PERIOD_NS, e = start + IRQ_WINDOW_NS / 2, end = start + IRQ_WINDOW_NS;
    irq_sleep_until(start);
    int64_t prev = now_ns(), best = 0;
    if (prev > e - 10000) s->late[k] = 1;
    for (;;) {
      int64_t t = now_ns(), g = t - prev;
      if (t >= e && prev <= e + IRQ_LOOK_NS && g > best) best = g;
      prev = t;
      if (t >= end) break;
    }
    s->gap[k] = best;
  }
  return NULL;
}

void bench_tlb_target(int n) {
  pin_self(0);
  char *page = map_anon(1);
  populate(page, 1);
  struct tlb_shared s;
  s.windows = 2 * n;
  s.gap = calloc((size_t)s.windows, sizeof *s.gap);
  s.late = calloc((size_t)s.windows, 1);
  if (s.gap == NULL || s.late == NULL) die("out of memory");
  s.t0 = (now_ns() / IRQ_PERIOD_NS + 10) * IRQ_PERIOD_NS;
  pthread_t th;
  if (pthread_create(&th, NULL, tlb_spinner, &s) != 0) die("pthread_create");
  int lateFlush = 0;
  for (int k = 0; k < s.windows; k += 2) {
    int64_t e = s.t0 + k * IRQ_PERIOD_NS + IRQ_WINDOW_NS / 2;
    irq_sleep_until(e);
    if (now_ns() > e + 50000) { s.late[k] = 1; lateFlush++; continue; }
    if (mprotect(page, PAGE, PROT_READ) != 0 || mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect: %s", strerror(errno));
    page[0]++;
  }
  pthread_join(th, NULL);
  int skipped = 0;
  for (int k = 0; k < s.windows; k++) skipped += s.late[k];
  printf("# windows without a sample (the spinner began late, or the mprotects %d times): %d of %d\n", lateFlush, skipped, s.windows);
  for (int k = 0; k < s.windows; k++) if (!s.late[k]) sample(k % 2 == 0 ? 1 : 0, s.gap[k]);
  free(s.gap);
  free(s.late);
  munmap(page, PAGE);
}
