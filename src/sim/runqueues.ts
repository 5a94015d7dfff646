/**
 * Per-CPU run queues (scenario `sched: { runqueues: per-cpu }`,
 * EngineConfig.perCpuRunqueues, with a number of CPUs): each CPU has its
 * own cfs_rq (sim/eevdf.ts), a woken task is placed on one CPU
 * (select_task_rq_fair), preempts the task running there by EEVDF's rule at
 * that task's next preemption point (PREEMPT_NONE), and a CPU that goes idle
 * pulls a queued task that is not cache-hot from another CPU
 * (sched_balance_newidle). A task holds its CPU from one CPU step to the next
 * until it sleeps, blocks, exits or is switched out there: the model's CPU
 * steps' boundaries are the preemption points (cond_resched in the kernel
 * loops a step stands for, the return to user space). docs/fidelity.md
 * "Scheduling".
 */
import { CpuSched } from './cpus.js';
import {
  pick_eevdf, place_entity, set_next_entity, task_hot, update_curr, update_entity_lag,
  SCHED_MIGRATION_COST, type CfsRq,
} from './eevdf.js';
import { idle_cpu_for_new_task, child_runs_first, select_idle_sibling } from './placement.js';
import { sched_base_slice, TaskState, type EngineConfig, type SimTask } from './task.js';

/** TICK_NSEC of the calibration host (CONFIG_HZ=250) when the costs give no tick_nsec: update_entity_lag's limit. */
const TICK_NSEC_DEFAULT = 4_000_000;

export abstract class RqSched extends CpuSched {
  /** rqs[c]: CPU c's queued tasks (its curr is cpuTask[c]); empty with the global queue. */
  protected readonly rqs: Array<CfsRq<SimTask>>;
  /** sysctl_sched_base_slice for the CPU count. */
  private readonly slice: number;
  private readonly lagTickNs: number;
  /** An idle balance is pending for a cache-hot queued task (rqIdleBalanceLater). */
  private balanceArmed = false;
  /** When the armed idle balance runs. */
  private balanceAt = 0;
  private readonly balanceFn = (): void => this.nohz_idle_balance();
  /** EngineConfig.vcpuPack: the calibration host's wake-up packing (vcpu_pack_target). */
  private readonly vcpuPack: boolean;

  constructor(cfg: EngineConfig) {
    super(cfg);
    this.vcpuPack = cfg.vcpuPack === true && this.perCpu;
    const n = this.perCpu ? cfg.cpus! : 0;
    this.rqs = Array.from({ length: n }, () => ({ queued: [], lastAvg: 0 }));
    this.slice = sched_base_slice(cfg.cpus ?? 1);
    this.lagTickNs = this.tickPeriod > 0 ? this.tickPeriod : TICK_NSEC_DEFAULT;
  }

  /**
   * `task` wants a CPU for a burst of task.cpuLeft. Holding one (its previous
   * burst ended, this is a preemption point): update_curr, and if
   * need_resched is set (a wakee's wakeup_preempt, or its deadline passed
   * with others queued: update_deadline) __schedule picks by EEVDF; it stays
   * unless another task is picked, and then waits on its CPU's queue.
   * Holding none (woken, new): select_task_rq_fair -> select_idle_sibling
   * from its previous CPU; no idle CPU: queued on its previous CPU (the
   * target: wake_affine keeps prev when the waker is the hrtimer interrupt
   * on prev; wake_affine_weight's pull to a lock-releasing waker's CPU is
   * left out), placed by its lag (place_entity), and wakeup_preempt ->
   * check_preempt_wakeup_fair sets need_resched on that CPU's task when
   * __pick_eevdf(protect) picks the wakee; a spinning writer there stops
   * spinning at once (rwsem_spin_on_owner: need_resched()).
   * With vcpuPack, first vcpu_pack_target: a wakee packed onto its waking
   * CPU is queued there the same way.
   */
  protected rqRunOnCpu(task: SimTask): void {
    const now = this.now, slice = this.slice;
    let cpu = task.cpu;
    if (cpu >= 0) {
      const rq = this.rqs[cpu]!;
      if (update_curr(rq, task, now, slice)) task.needResched = true;
      if (task.needResched) {
        task.needResched = false;
        const next = pick_eevdf(rq, task, true);
        if (next !== null && next !== task) {
          this.cpuTask[cpu] = null;
          task.cpu = -1;
          task.execStart = now;
          this.rqEnqueue(task, cpu);
          this.rqStart(next, cpu);
          return;
        }
      }
      this.rqBurst(task);
      return;
    }
    const waking = task.wakeCpu >= 0 ? task.wakeCpu : task.lastCpu;
    task.wakeCpu = -1;
    if (this.vcpuPack && (cpu = this.vcpu_pack_target(waking)) >= 0) {
      this.rqQueueWakee(task, cpu);
      this.rqPackedBalance(task); // a CPU idle meanwhile: nohz_balancer_kick at a tick
      return;
    }
    cpu = select_idle_sibling(this.cpuTask, task.lastCpu);
    if (cpu >= 0) {
      place_entity(this.rqs[cpu]!, null, task, slice);
      this.rqStart(task, cpu);
      return;
    }
    const cur = this.cur;
    this.rqQueueWakee(task, task.lastCpu >= 0 ? task.lastCpu : cur !== null && cur.cpu >= 0 ? cur.cpu : 0);
  }

  /**
   * The calibration host's wake-up packing (its kernel's `sched_vcpu_pack`
   * boot parameter, vcpu_pack_room in its select_task_rq_fair: not in
   * mainline, so not read from source; docs/calibration.md "What delays a
   * real writer on the idle host, traced (tenth session)"): the waking CPU
   * `waking` (try_to_wake_up's: the waker's, or for a timer wake-up the
   * sleeper's previous CPU, where its hrtimer fired) keeps the wakee when
   * exactly one task runs there and none is queued (nr_running == 1), even
   * with another CPU idle, where mainline's wake_affine_idle and
   * select_idle_sibling would take the idle previous CPU or sibling. In
   * three traces of the idle host (scripts/trace-wake-placement.py), 3,629
   * of 3,633 wake-ups whose waking CPU ran one task (not the wakee) with the
   * other CPU idle stayed on the waking CPU; with two runnable there, 430 of
   * 435 went to the idle CPU. What `sched_vcpu_pack=15` counts is not known
   * (the rule is read at nr_running 1 and 2 only). Returns the CPU, or -1
   * for the usual placement.
   */
  private vcpu_pack_target(waking: number): number {
    return waking >= 0 && this.cpuTask[waking] !== null && this.rqs[waking]!.queued.length === 0 ? waking : -1;
  }

  /**
   * `task`, woken, waits on CPU `cpu`'s queue behind the task running there
   * (ttwu_do_activate): placed by its lag (place_entity), and wakeup_preempt
   * -> check_preempt_wakeup_fair sets need_resched on that task when
   * __pick_eevdf(protect) picks the wakee; a spinning writer there stops
   * spinning at once.
   */
  private rqQueueWakee(task: SimTask, cpu: number): void {
    const now = this.now, slice = this.slice;
    const rq = this.rqs[cpu]!, curr = this.cpuTask[cpu]!;
    if (update_curr(rq, curr, now, slice)) curr.needResched = true;
    place_entity(rq, curr, task, slice);
    this.rqEnqueue(task, cpu);
    if (!curr.needResched && pick_eevdf(rq, curr, true) === task) curr.needResched = true;
    if (curr.needResched && curr.spinning) this.giveUpSpin(curr);
  }

  /**
   * `task` leaves the CPU it holds (dequeue_entity: update_curr, its lag
   * kept by update_entity_lag), and the CPU picks its next task by EEVDF,
   * or, its queue empty, pulls one from another CPU (sched_balance_newidle).
   */
  protected rqOffCpu(task: SimTask): void {
    const cpu = task.cpu, rq = this.rqs[cpu]!;
    update_curr(rq, task, this.now, this.slice);
    update_entity_lag(rq, task, task, this.slice, this.lagTickNs, true);
    this.cpuTask[cpu] = null;
    task.cpu = -1;
    task.needResched = false;
    this.rqPickNext(cpu);
  }

  /** CPU `cpu` has no task: its queue's EEVDF pick, or an idle balance. */
  private rqPickNext(cpu: number): void {
    const rq = this.rqs[cpu]!;
    if (rq.queued.length !== 0) this.rqStart(pick_eevdf(rq, null, true)!, cpu);
    else this.sched_balance_newidle(cpu);
  }

  /**
   * sched_balance_newidle -> sched_balance_rq(CPU_NEWLY_IDLE): the busiest
   * other CPU's queue (most tasks; on one LLC), its tasks from the least
   * recently queued (detach_tasks walks cfs_tasks from the tail) while it
   * has more than one (nr_running <= 1 stops it): the first that
   * can_migrate_task allows, i.e. not cache-hot (task_hot: it ran within
   * sysctl_sched_migration_cost), is pulled (detach_task, attach_task) and
   * runs here. Left out: the avg_idle / max_newidle_lb_cost cut-off, the
   * overload flag, nr_balance_failed forcing a hot task. Only hot tasks:
   * an idle balance is tried again when the first turns cold
   * (rqIdleBalanceLater). Returns whether a task was pulled.
   */
  private sched_balance_newidle(cpu: number): boolean {
    const n = this.rqs.length;
    let src = -1;
    for (let i = 1; i < n; i++) {
      const c = (cpu + i) % n;
      if (this.rqs[c]!.queued.length > (src < 0 ? 0 : this.rqs[src]!.queued.length)) src = c;
    }
    if (src < 0) return false;
    const from = this.rqs[src]!, now = this.now;
    for (let i = 0; i < from.queued.length; i++) {
      const p = from.queued[i]!;
      if (task_hot(p, now)) continue;
      from.queued.splice(i, 1);
      update_entity_lag(from, this.cpuTask[src] ?? null, p, this.slice, this.lagTickNs, false);
      place_entity(this.rqs[cpu]!, null, p, this.slice);
      this.rqs[cpu]!.queued.push(p);
      this.rqStart(p, cpu);
      return true;
    }
    this.rqIdleBalanceLater();
    return false;
  }

  /**
   * Every queued task elsewhere is cache-hot: an idle CPU gets it once it is
   * not (nohz_balancer_kick from a busy CPU's sched_tick -> the idle load
   * balancer's nohz_idle_balance), at the first tick (Cost.tick_nsec's
   * grid) after the earliest turns cold, or then when the costs have no tick.
   */
  private rqIdleBalanceLater(): void {
    if (this.balanceArmed) return;
    let cold = Infinity;
    for (const rq of this.rqs) for (const p of rq.queued) cold = Math.min(cold, p.execStart + SCHED_MIGRATION_COST);
    if (cold === Infinity) return;
    this.balanceArmed = true;
    this.balanceAt = this.balanceTime(cold);
    this.timer(this.balanceAt, this.balanceFn);
  }

  /** The idle balance's time for a queued task cold from `cold`: the first tick after, or then without a tick. */
  private balanceTime(cold: number): number {
    return this.tickPeriod > 0 ? (Math.floor(cold / this.tickPeriod) + 1) * this.tickPeriod : Math.max(cold, this.now);
  }

  /**
   * vcpu_pack queued `task` on a busy CPU with another CPU idle: the idle
   * balance (rqIdleBalanceLater) takes it once it is cold, also when a
   * balance is already armed for a later time (an extra one then).
   */
  private rqPackedBalance(task: SimTask): void {
    if (!this.cpuTask.includes(null)) return;
    const at = this.balanceTime(task.execStart + SCHED_MIGRATION_COST);
    if (this.balanceArmed && at >= this.balanceAt) return;
    this.balanceArmed = true;
    this.balanceAt = at;
    this.timer(at, this.balanceFn);
  }

  /** nohz_idle_balance: each idle CPU balances as a newly idle one would. */
  private nohz_idle_balance(): void {
    this.balanceArmed = false;
    for (let c = 0; c < this.cpuTask.length; c++) {
      if (this.cpuTask[c] === null) this.sched_balance_newidle(c);
    }
  }

  /** `task` waits on CPU `cpu`'s queue (enqueue_entity; its vruntime already placed or kept). */
  private rqEnqueue(task: SimTask, cpu: number): void {
    task.state = TaskState.RUNNABLE;
    this.rqs[cpu]!.queued.push(task);
    this.observer.cpuQueued(this.now, task);
    if (this.spinners.length !== 0) this.ownerOffCpu(task);
  }

  /** `task`, placed on CPU `cpu`'s queue or just placed there idle, runs there now (set_next_entity). */
  private rqStart(task: SimTask, cpu: number): void {
    const q = this.rqs[cpu]!.queued, i = q.indexOf(task);
    if (i >= 0) q.splice(i, 1);
    this.takeCpu(task, cpu);
    set_next_entity(task, this.now, this.slice);
    task.needResched = false;
    this.rqBurst(task);
  }

  /** `task`, on its CPU, starts its burst of cpuLeft. */
  private rqBurst(task: SimTask): void {
    task.state = TaskState.RUNNING;
    task.runStart = this.now;
    task.cpuEnd = this.now + task.cpuLeft;
    this.observer.cpuStart(this.now, task);
    this.heap.push(task.cpuEnd, task.id, task.evTag);
  }

  protected rqRemoteCpus(): number {
    let n = 0;
    for (const t of this.cpuTask) if (t !== null && t !== this.cur) n++;
    return Math.min(n, this.cpus! - 1);
  }

  /**
   * childPreemptsParent with per-CPU run queues: the parent holds its CPU
   * (counted as its own free one, as with the global queue); the child runs
   * first when no other CPU is idle for it (idle_cpu_for_new_task) and a
   * wakee already set need_resched on the parent's CPU, or the counts say a
   * woken task will be queued there, or the parent is past its protected
   * slice (placement.ts child_runs_first).
   */
  protected rqChildPreemptsParent(parent: SimTask): boolean {
    let idle = 1;
    for (const t of this.cpuTask) if (t === null) idle++;
    const woken = this.wokenPending();
    if (idle_cpu_for_new_task(idle, woken)) return false;
    return parent.needResched || child_runs_first(this.cpus!, idle, woken, parent.ranSinceWake, this.wokenPendingOwed());
  }
}
