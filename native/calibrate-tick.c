/*
 * sched-tick N: the CPU the periodic scheduler tick takes from the task
 * running on a busy CPU (Cost.tick_sched_timer) and its period (Cost.tick_nsec,
 * TICK_NSEC = NSEC_PER_SEC / CONFIG_HZ); src/sim/cpus.ts CpuSched.sched_tick,
 * docs/calibration.md "What interrupts a real writer, traced".
 *
 * kernel/time/tick-sched.c: on a CPU that runs a task the tick is the
 * hrtimer tick_sched_timer, armed every TICK_NSEC on the jiffies grid
 * (tick_init_jiffy_update aligns last_jiffies_update to a multiple of
 * TICK_NSEC of CLOCK_MONOTONIC; no skew_tick), whose handler runs
 * tick_sched_handle -> update_process_times -> sched_tick (and, on the
 * timekeeping CPU, tick_do_update_jiffies64), then raises the timer and RCU
 * softirqs that run on the interrupt's exit. With CONFIG_NO_HZ_IDLE an idle
 * CPU stops it (tick_nohz_idle_stop_tick); a busy one keeps it.
 *
 * The main thread, pinned to CPU 1 (SCHED_OTHER, nice -20 when permitted so
 * that other load deschedules it less; nothing else of the bench on that
 * CPU), reads CLOCK_MONOTONIC in a loop (the vDSO: no syscall) for
 * about (N + 2) x 4 ms of 1/HZ periods plus 20 ms, and keeps every gap
 * between consecutive reads of 2 us or more (start, length). The period:
 * for each candidate HZ (100, 250, 300, 1000), the share of the 1/HZ
 * boundaries k x TICK_NSEC that have a gap starting within [-10 us, +40 us]
 * of them; the tick's HZ is the candidate with the largest share (a note
 * line gives each). Samples, for that HZ: X = HZ, the largest gap starting
 * in [kT - 10 us, kT + 40 us] of boundary k (0 when none); X = 0, the same
 * half a period later (no tick there: other interrupts only). A gap of 1 ms
 * or more is the spinner descheduled (other load): that boundary gives no
 * sample of either kind (a note counts them). median(X=HZ) - median(X=0) is
 * what one tick takes from the task on the CPU: in this guest the timer
 * interrupt's VM exit and entry, hrtimer_interrupt -> tick_sched_timer ->
 * update_process_times -> sched_tick, the softirqs it raised, and the clock
 * event reprogrammed.
 */
#include "calibrate.h"

#define TICK_MIN_GAP_NS 2000LL
#define TICK_BEFORE_NS 10000LL
#define TICK_AFTER_NS 40000LL
#define TICK_DESCHED_NS 1000000LL

struct tick_gap { int64_t at, len; };

static const int tick_hz[] = { 100, 250, 300, 1000 };

/* The largest gap starting in [c - TICK_BEFORE_NS, c + TICK_AFTER_NS]; -1 if a deschedule overlaps it. */
static int64_t tick_largest(const struct tick_gap *g, int n, int64_t c) {
  int64_t best = 0;
  for (int i = 0; i < n; i++) {
    if (g[i].at + g[i].len < c - TICK_BEFORE_NS) continue;
    if (g[i].at > c + TICK_AFTER_NS) break;
    if (g[i].len >= TICK_DESCHED_NS) return -1;
    if (g[i].at >= c - TICK_BEFORE_NS && g[i].len > best) best = g[i].len;
  }
  return best;
}

void bench_sched_tick(int n) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(1, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity(CPU 1): %s", strerror(errno));
  int niced = setpriority(PRIO_PROCESS, 0, -20) == 0;
  int64_t span = (int64_t)(n + 2) * 4000000LL + 20000000LL;
  int cap = 1 << 20, ng = 0;
  struct tick_gap *g = calloc((size_t)cap, sizeof *g);
  if (g == NULL) die("out of memory");
  int64_t t0 = now_ns(), prev = t0;
  for (;;) {
    int64_t t = now_ns(), d = t - prev;
    if (d >= TICK_MIN_GAP_NS && ng < cap) { g[ng].at = prev; g[ng].len = d; ng++; }
    prev = t;
    if (t - t0 >= span) break;
  }
  int best = 0;
  double bestShare = -1;
  for (size_t h = 0; h < sizeof tick_hz / sizeof tick_hz[0]; h++) {
    int64_t T = 1000000000LL / tick_hz[h];
    int hit = 0, all = 0;
    for (int64_t c = (t0 / T + 1) * T; c + TICK_AFTER_NS < prev; c += T) {
      int64_t l = tick_largest(g, ng, c);
      if (l < 0) continue;
      all++;
      hit += l > 0;
    }
    double share = all > 0 ? (double)hit / all : 0;
    printf("# HZ %d: a gap at %d of %d boundaries (%.2f)\n", tick_hz[h], hit, all, share);
    if (share > bestShare) { bestShare = share; best = tick_hz[h]; }
  }
  int64_t T = 1000000000LL / best;
  int desched = 0, k = 0;
  for (int64_t c = (t0 / T + 1) * T; c + T / 2 + TICK_AFTER_NS < prev && k < n; c += T, k++) {
    int64_t on = tick_largest(g, ng, c), off = tick_largest(g, ng, c + T / 2);
    if (on < 0 || off < 0) { desched++; continue; }
    sample(best, on);
    sample(0, off);
  }
  printf("# the tick: HZ %d (TICK_NSEC %lld ns); %d of %d periods dropped (the spinner descheduled); %d gaps of 2 us or more in %lld ms; spinner nice %d\n",
         best, (long long)T, desched, k, ng, (long long)((prev - t0) / 1000000), niced ? -20 : 0);
  free(g);
}

/*
 * short-sleep N S1 S2 ...: does a timer sleep of S ns leave the CPU? (a
 * measurement: docs/calibration.md "What interrupts a real writer, traced",
 * what remains 1). The load generator sleeps its gaps with
 * clock_nanosleep(TIMER_ABSTIME) to the last op's end + the gap (loadgen.c
 * sleep_until); do_nanosleep -> hrtimer_sleeper_start_expires arms the
 * hrtimer and calls schedule() only if the timer has not fired yet
 * (t->task still set), so a sleep shorter than the way into schedule()
 * never switches. Per S, N times: a little user-space work, then
 * getrusage(RUSAGE_THREAD), a sleep to now + S (1 ns timer slack), the
 * clock, getrusage again. Samples: X = 10 S + k, k = 1 when the sleep
 * switched (ru_nvcsw grew), 0 when it did not; the value is how late the
 * thread is back after now + S, ns.
 */
void bench_short_sleep(int n, int nargs, char **args) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  for (int a = 0; a < nargs; a++) {
    long s = atol(args[a]);
    for (int i = 0; i < n; i++) {
      for (volatile int k = 0; k < 20000; k++) {}
      struct rusage r0, r1;
      getrusage(RUSAGE_THREAD, &r0);
      int64_t at = now_ns() + s;
      struct timespec ts = { (time_t)(at / 1000000000LL), (long)(at % 1000000000LL) };
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
      int64_t back = now_ns();
      getrusage(RUSAGE_THREAD, &r1);
      sample(10 * s + (r1.ru_nvcsw > r0.ru_nvcsw), back - at);
    }
  }
}
