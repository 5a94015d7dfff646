/**
 * EEVDF on one CPU's run queue (kernel/sched/fair.c, v6.18 defaults:
 * RUN_TO_PARITY, PLACE_LAG, PLACE_DEADLINE_INITIAL, DELAY_DEQUEUE with
 * DELAY_ZERO, no NEXT_BUDDY), for the simulator's per-CPU run queues
 * (scenario `sched: { runqueues: per-cpu }`, sim/cpus.ts). Pure arithmetic
 * on the entities of one queue: the running task (the CPU's curr, if any)
 * and the queued ones. Virtual times are in ns of a nice-0 task
 * (NICE_0_LOAD = 1024); no cgroup hierarchy (every task is an entity of the
 * CPU's root cfs_rq). docs/fidelity.md "Scheduling".
 */
import type { PriorityClass } from '../scenario/types.js';
import { CLASS_NICE } from '../scenario/types.js';

/** The scheduling state of one task (struct sched_entity, the fields the model keeps). */
export interface SchedEntity {
  /** se->load.weight: sched_prio_to_weight[nice + 20]. */
  readonly weight: number;
  vruntime: number;
  deadline: number;
  /** se->vlag: the lag kept while it is off the queue (update_entity_lag). */
  vlag: number;
  /** se->vprot: protected until its vruntime reaches this (RUN_TO_PARITY). */
  vprot: number;
  /** se->exec_start: when update_curr last charged it, or when it stopped running (task_hot). */
  execStart: number;
  /** Never placed yet: place_entity gives it half a slice (ENQUEUE_INITIAL, PLACE_DEADLINE_INITIAL). */
  initial: boolean;
}

export const NICE_0_LOAD = 1024;

/** kernel/sched/core.c sched_prio_to_weight, nice -20..19. */
const SCHED_PRIO_TO_WEIGHT = [
  88761, 71755, 56483, 46273, 36291,
  29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906,
  3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423,
  335, 272, 215, 172, 137,
  110, 87, 70, 56, 45,
  36, 29, 23, 18, 15,
] as const;

/** The load weight of a class: its nice (CLASS_NICE, as `faultline real` sets it) through sched_prio_to_weight. */
export function class_weight(cls: PriorityClass): number {
  return SCHED_PRIO_TO_WEIGHT[CLASS_NICE[cls] + 20]!;
}

/** calc_delta_fair: `delta` ns of real time as virtual time for `se`. */
export function calc_delta_fair(delta: number, se: SchedEntity): number {
  return se.weight === NICE_0_LOAD ? delta : delta * NICE_0_LOAD / se.weight;
}

/** kernel/sched/sched.h sysctl_sched_migration_cost: 0.5 ms (task_hot). */
export const SCHED_MIGRATION_COST = 500_000;

/** One CPU's cfs_rq: the queued entities (not the running one) and the last average (zero_vruntime when empty). */
export interface CfsRq<T extends SchedEntity> {
  readonly queued: T[];
  /** avg_vruntime of the last non-empty queue (the kernel's zero_vruntime reference for an empty one). */
  lastAvg: number;
}

/**
 * avg_vruntime: the load-weighted average vruntime of the queue's entities,
 * curr included (`curr` null: the CPU runs nothing of the queue).
 */
export function avg_vruntime<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null): number {
  let load = 0, sum = 0;
  if (curr !== null) { load += curr.weight; sum += curr.weight * curr.vruntime; }
  for (const se of rq.queued) { load += se.weight; sum += se.weight * se.vruntime; }
  if (load === 0) return rq.lastAvg;
  rq.lastAvg = sum / load;
  return rq.lastAvg;
}

function rq_load<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null): number {
  let load = curr === null ? 0 : curr.weight;
  for (const se of rq.queued) load += se.weight;
  return load;
}

/**
 * update_curr -> update_deadline for the running `curr` at `now`: its
 * vruntime advances by its run time scaled by its weight; past its deadline
 * it gets a new one a slice later, and returns true (resched_curr_lazy) if
 * other entities are queued.
 */
export function update_curr<T extends SchedEntity>(rq: CfsRq<T>, curr: T, now: number, slice: number): boolean {
  const delta = now - curr.execStart;
  if (delta > 0) curr.vruntime += calc_delta_fair(delta, curr);
  curr.execStart = now;
  if (curr.vruntime < curr.deadline) return false;
  curr.deadline = curr.vruntime + calc_delta_fair(slice, curr);
  return rq.queued.length > 0;
}

/** entity_eligible: vruntime at or below the queue's weighted average. */
export function entity_eligible<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null, se: T): boolean {
  return se.vruntime <= avg_vruntime(rq, curr) + 1e-6;
}

/**
 * update_entity_lag at a dequeue: vlag = avg_vruntime - vruntime, clamped to
 * +-calc_delta_fair(max(2 slice, TICK_NSEC)). `sleep`: the task blocks;
 * DELAY_DEQUEUE keeps a task with negative lag on the queue until it is
 * eligible again and DELAY_ZERO then clips its lag to 0, so a sleeper keeps
 * only a positive lag (the delayed entity's stay on the queue is not
 * modelled). A migrating task keeps its lag either way.
 */
export function update_entity_lag<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null, se: T, slice: number, tickNs: number, sleep: boolean): void {
  const limit = calc_delta_fair(Math.max(2 * slice, tickNs), se);
  let lag = avg_vruntime(rq, curr) - se.vruntime;
  if (lag > limit) lag = limit;
  else if (lag < -limit) lag = -limit;
  se.vlag = sleep && lag < 0 ? 0 : lag;
}

/**
 * place_entity (PLACE_LAG): put `se` at the average less its lag, the lag
 * inflated by (load + w) / load for the weight it adds; its deadline a
 * virtual slice later (half for a new task: PLACE_DEADLINE_INITIAL).
 * Called before `se` joins the queue.
 */
export function place_entity<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null, se: T, slice: number): void {
  const avg = avg_vruntime(rq, curr);
  let lag = se.vlag;
  const load = rq_load(rq, curr);
  if (load > 0) lag = lag * (load + se.weight) / load;
  se.vruntime = avg - lag;
  let vslice = calc_delta_fair(slice, se);
  if (se.initial) { vslice /= 2; se.initial = false; }
  se.deadline = se.vruntime + vslice;
}

/** set_next_entity -> set_protect_slice (RUN_TO_PARITY): protected for one slice of its own run time from now. */
export function set_next_entity(se: SchedEntity, now: number, slice: number): void {
  se.execStart = now;
  se.vprot = se.vruntime + calc_delta_fair(slice, se);
}

/** protect_slice: still inside the slice protected at its pick. */
export function protect_slice(se: SchedEntity): boolean {
  return se.vprot - se.vruntime > 0;
}

/**
 * __pick_eevdf(cfs_rq, protect): the running `curr` if it is alone, or
 * eligible and (with `protect`) inside its protected slice; else the
 * eligible entity with the earliest deadline (queue order breaks ties, curr
 * only if strictly earlier). Returns null only for an empty queue without curr.
 */
export function pick_eevdf<T extends SchedEntity>(rq: CfsRq<T>, curr: T | null, protect: boolean): T | null {
  if (rq.queued.length === 0) return curr;
  const avg = avg_vruntime(rq, curr);
  let c = curr;
  if (c !== null && c.vruntime > avg + 1e-6) c = null;
  if (c !== null && protect && protect_slice(c)) return c;
  let best: T | null = null;
  for (const se of rq.queued) {
    if (se.vruntime > avg + 1e-6) continue;
    if (best === null || se.deadline < best.deadline) best = se;
  }
  if (c !== null && (best === null || c.deadline < best.deadline)) best = c;
  if (best !== null) return best;
  // Rounding aside, some entity is always eligible; fall back to the lowest vruntime.
  for (const se of rq.queued) if (best === null || se.vruntime < best.vruntime) best = se;
  return best;
}

/** task_hot (sysctl_sched_migration_cost): `se` ran within the last 0.5 ms. */
export function task_hot(se: SchedEntity, now: number): boolean {
  return now - se.execStart < SCHED_MIGRATION_COST;
}
