/**
 * The model's view of the scheduler: `current` and `wake_up_process`, as in the
 * kernel. The engine running the model installs its hooks with `install_sched`
 * before stepping a task; kernel paths never import an engine.
 */
import type { Task } from './effects.js';

/** The task whose kernel path is executing (kernel `current`); null in I/O completion. */
export let current: Task = null as unknown as Task;

/**
 * Whether kernel paths yield their POINT effects (scheduling points before
 * shared-state accesses). The checker needs them; the simulator turns them off,
 * since a zero-time point changes nothing in a timed run and costs a resume.
 */
export let sched_points = true;

/** Engine hook: turn scheduling points on (checker) or off (simulator). */
export function set_sched_points(on: boolean): void {
  sched_points = on;
}

let waker: (t: Task) => void = () => {
  throw new Error('wake_up_process: no engine installed');
};

/** Engine hook: set the running task before resuming its generator. */
export function set_current(t: Task): void {
  current = t;
}

/** Engine hook: how a woken task is made runnable again. */
export function install_sched(wake: (t: Task) => void): void {
  waker = wake;
}

/** Make `t`, sleeping in a BLOCK effect, runnable again (kernel `wake_up_process`). */
export function wake_up_process(t: Task): void {
  waker(t);
}

/**
 * include/linux/sched/signal.h fatal_signal_pending: SIGKILL is pending for
 * `t`. Model-only flag `Task.sigkill`; only process death (scenario `kill`)
 * sets it, so without it every path below behaves as before.
 */
export function fatal_signal_pending(t: Task): boolean {
  return t.sigkill === true;
}

/** The defaults that `null` restores: one function object each, so a hook's call sites see the same targets run after run. */
const NO_SIGNAL_WAKE = (_t: Task): void => {};
const NO_REMOTE_CPUS = (): number => 0;

let signalWaker: (t: Task) => void = NO_SIGNAL_WAKE;

/**
 * Engine hook for signal_wake_up(t, fatal): end `t`'s interruptible or
 * killable sleep (a killable BLOCK is cancelled through its resource's
 * `cancel_wait`); an uninterruptible sleep is left alone.
 */
export function install_signal_wake(fn: ((t: Task) => void) | null): void {
  signalWaker = fn ?? NO_SIGNAL_WAKE;
}

/**
 * SIGKILL to one thread of a process (kernel/signal.c complete_signal for a
 * fatal group signal: sigaddset, then signal_wake_up(t, 1) on every thread).
 */
export function send_sigkill(t: Task): void {
  t.sigkill = true;
  signalWaker(t);
}

let remoteCpus: () => number = NO_REMOTE_CPUS;

/**
 * Engine hook for mm_cpumask: how many CPUs other than current's run a
 * thread of the mm now. null restores the default, 0 (the checker: no CPU
 * runs anything in parallel; a TLB flush costs nothing there).
 */
export function install_mm_cpumask(fn: (() => number) | null): void {
  remoteCpus = fn ?? NO_REMOTE_CPUS;
}

/**
 * The remote CPUs a TLB shoot-down must interrupt (arch/x86/mm/tlb.c
 * flush_tlb_mm_range -> native_flush_tlb_multi: the CPUs of mm_cpumask(mm)
 * other than this one, lazy-TLB CPUs skipped by should_flush_tlb).
 */
export function tlb_flush_remote_cpus(): number {
  return remoteCpus();
}

let clock: () => number = () => 0;
let timer: (at: number, fn: () => void) => void = () => {
  throw new Error('mod_timer: no engine installed');
};

/**
 * Engine hooks for the clock (ktime_get_ns, jiffies) and for timers
 * (mod_timer / queue_delayed_work): `fn` runs at time `at` in interrupt
 * context. Only the simulator installs them; the checker's model never
 * arms a timer (the writeback flusher and its dirty expiry run only with
 * `memory:`, which the checker does not model).
 */
export function install_clock(now: () => number, arm: (at: number, fn: () => void) => void): void {
  clock = now;
  timer = arm;
}

/** ktime_get_ns: the engine's simulated time. */
export function ktime_get_ns(): number {
  return clock();
}

/** mod_timer / queue_delayed_work: run `fn` at `at` ns, outside any task. */
export function mod_timer(at: number, fn: () => void): void {
  timer(at, fn);
}
