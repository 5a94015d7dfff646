/**
 * Where the forked child runs, and whether before its parent returns from
 * fork() (the simulator's fork op: sim/workload.ts, Simulator.childPreemptsParent).
 * Pure decisions on the simulator's CPU counts at the fork's end; the kernel
 * paths are kernel/sched/core.c wake_up_new_task and kernel/sched/fair.c
 * (v6.18: EEVDF with RUN_TO_PARITY, PLACE_LAG, PLACE_DEADLINE_INITIAL, the
 * defaults). docs/calibration.md "Fork placement", docs/fidelity.md.
 *
 * The counts: `free` CPUs, the parent's own among them (the parent, the task
 * being stepped, holds no CPU between its steps), and `woken` tasks woken
 * and not yet running (TaskState.WOKEN: in the wake-up latency). At the
 * fork's end those are the readers that dup_mmap's mmap_write_unlock woke.
 */
import { sched_base_slice } from './task.js';

/**
 * wake_up_new_task -> select_task_rq (WF_FORK: select_task_rq_fair ->
 * sched_balance_find_dst_cpu -> sched_balance_find_dst_group, more idle
 * CPUs wins; update_sg_wakeup_stats counts a CPU idle only if nothing is
 * queued on it and idle_cpu_without(), which is false while rq->ttwu_pending):
 * is a CPU other than the parent's idle for the new task? The woken tasks
 * were placed first (try_to_wake_up ran in the parent's mmap_write_unlock,
 * before wake_up_new_task), each on an idle CPU while there is one
 * (select_idle_sibling).
 */
export function idle_cpu_for_new_task(free: number, woken: number): boolean {
  return free - 1 - woken > 0;
}

/**
 * try_to_wake_up -> select_task_rq_fair (WF_TTWU: select_idle_sibling finds
 * no idle CPU): a task woken while the parent ran that found no idle CPU but
 * the parent's is queued on the parent's CPU. True when more tasks were
 * woken than there are CPUs besides the parent's.
 */
export function wakee_on_parent_cpu(free: number, woken: number): boolean {
  return woken > free - 1;
}

/**
 * Whether the child (which calls exit_group(0) at once) runs on the
 * parent's CPU before the parent returns from fork(): it was queued there
 * (no idle CPU, idle_cpu_for_new_task) and the parent is rescheduled
 * before it reaches user space (need_resched at wake_up_new_task; with
 * CONFIG_PREEMPT_NONE the switch is at the return to user space, and
 * __pick_eevdf then takes the child — placed at the average vruntime with
 * half a slice, PLACE_DEADLINE_INITIAL — before the parent, whose vruntime
 * is past the average). kernel/sched/fair.c check_preempt_wakeup_fair ->
 * __pick_eevdf(cfs_rq, protect) keeps the running parent while it is
 * eligible (entity_eligible: vruntime at or below avg_vruntime) and inside
 * its protected slice (RUN_TO_PARITY: set_protect_slice at its pick set
 * vprot to its deadline, a whole slice after it woke; every task here has
 * the default slice). So:
 * - the parent has run past its protected slice (`ranSinceWake` at least
 *   sysctl_sched_base_slice, sched_base_slice): the child, or any wakee,
 *   preempts it;
 * - inside the slice, only a wakee queued on the parent's CPU
 *   (wakee_on_parent_cpu) **with a positive lag** (`owed` of the `woken`:
 *   update_entity_lag left vlag > 0 at its last sleep) preempts it:
 *   place_entity (PLACE_LAG) puts it that far below the average, the
 *   parent's vruntime is then above the new average, it is not eligible,
 *   and __pick_eevdf drops it before protect_slice is looked at. A wakee
 *   with lag 0 — one that was alone on its CPU when it went to sleep, whose
 *   vruntime was the average — is placed at the average, the parent stays
 *   eligible (a tie) and protected, and the child runs after the parent.
 * docs/calibration.md "The forker off its CPU (twelfth session)": on the
 * idle host 56 of 58 forks past the slice had their child first, and 7 of
 * 37 inside it (17 of 22 with a wakee queued on the parent's CPU were
 * parent first).
 */
export function child_runs_first(cpus: number, free: number, woken: number, ranSinceWake: number, owed: number): boolean {
  if (idle_cpu_for_new_task(free, woken)) return false;
  return (owed > 0 && wakee_on_parent_cpu(free, woken)) || ranSinceWake >= sched_base_slice(cpus);
}

/**
 * The CPU a task that wants one is put on, among the idle ones (`onCpu[c]`
 * null: nothing runs or spins on CPU c): kernel/sched/fair.c
 * select_task_rq_fair (WF_TTWU) -> select_idle_sibling(p, prev, target).
 * The target is the task's previous CPU `prev` (task_cpu(p)): wake_affine
 * would pick the waker's CPU only if that one were idle, and the waker is
 * running on it. select_idle_sibling returns `prev` if it is idle
 * (available_idle_cpu(target)), else the first idle CPU of the LLC scanned
 * from prev + 1 round (select_idle_cpu: for_each_cpu_wrap(cpu, cpus,
 * target + 1)); on 2-8 CPUs every CPU shares the LLC, and
 * recent_used_cpu, SMT cores and capacity (asym_fits_cpu) are left out
 * (docs/fidelity.md). A task that never ran (prev -1) scans from CPU 0.
 * Returns -1 when no CPU is idle (the caller queues the task).
 */
export function select_idle_sibling(onCpu: ReadonlyArray<unknown>, prev: number): number {
  const n = onCpu.length;
  if (prev >= 0 && onCpu[prev] === null) return prev;
  const start = prev + 1;
  for (let i = 0; i < n; i++) {
    const c = (start + i) % n;
    if (onCpu[c] === null) return c;
  }
  return -1;
}
