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
