/**
 * Memory stalls (scenarios with `memory:`; docs/metrics.md, "Memory"):
 * direct reclaim and memory.high throttling per thread class, and a
 * PSI-style memory pressure of the scenario's threads (kernel/sched/psi.c
 * test_states, v7.0 §C.8): SOME while at least one of them is in a
 * memstall, FULL while, besides, every one of them that is running or
 * runnable is itself in a memstall. The scenario's threads form one group
 * (the app's memory cgroup); kswapd and the killer are outside it.
 */
import type { MemstallKind } from '../model/index.js';
import type { PriorityClass } from '../scenario/types.js';
import type { SimTaskInfo } from '../sim/observer.js';
import { Distribution } from './histograms.js';
import type { DurationStats, MemoryMetrics } from './types.js';

interface TaskState {
  /** Start of the current stall (-1: none) and its kind. */
  since: number;
  kind: MemstallKind;
  /** Nesting depth of psi_memstall_enter (the kernel's is a flag save/restore). */
  depth: number;
  /** On a CPU or waiting for one. */
  runnable: boolean;
}

export class MemstallTracker {
  private readonly reclaim = new Map<PriorityClass, Distribution>();
  private readonly throttle = new Map<PriorityClass, Distribution>();
  private readonly tasks = new Map<number, TaskState>();
  /** Group counts: tasks in a memstall, runnable tasks, runnable tasks in a memstall. */
  private nStall = 0;
  private nRunnable = 0;
  private nStallRunnable = 0;
  private last = 0;
  private some = 0;
  private full = 0;

  /** `group`: names of the scenario's threads (the PSI group). */
  constructor(private readonly warmup: number, private readonly group: ReadonlySet<string>) {}

  private state(task: SimTaskInfo): TaskState | null {
    let s = this.tasks.get(task.id);
    if (s === undefined) {
      if (!this.group.has(task.comm)) return null;
      s = { since: -1, kind: 'reclaim', depth: 0, runnable: false };
      this.tasks.set(task.id, s);
    }
    return s;
  }

  /** Account the time since the last change to SOME / FULL, clipped to the window. */
  private advance(t: number): void {
    const from = Math.max(this.last, this.warmup);
    if (t > from && this.nStall > 0) {
      this.some += t - from;
      if (this.nRunnable === this.nStallRunnable) this.full += t - from;
    }
    this.last = t;
  }

  memstall(t: number, task: SimTaskInfo, enter: boolean, kind: MemstallKind): void {
    const s = this.state(task);
    if (s === null) return;
    this.advance(t);
    if (enter) {
      if (s.depth++ !== 0) return;
      s.since = t;
      s.kind = kind;
      this.nStall++;
      if (s.runnable) this.nStallRunnable++;
      return;
    }
    if (s.depth === 0 || --s.depth !== 0) return;
    this.nStall--;
    if (s.runnable) this.nStallRunnable--;
    const start = s.since;
    s.since = -1;
    if (start < this.warmup) return;
    const byClass = s.kind === 'throttle' ? this.throttle : this.reclaim;
    let d = byClass.get(task.cls);
    if (d === undefined) byClass.set(task.cls, (d = new Distribution()));
    d.record(t - start);
  }

  /** The task is on a CPU or queued for one (`true`), or neither. */
  runnable(t: number, task: SimTaskInfo, runnable: boolean): void {
    const s = this.state(task);
    if (s === null || s.runnable === runnable) return;
    this.advance(t);
    s.runnable = runnable;
    const d = runnable ? 1 : -1;
    this.nRunnable += d;
    if (s.depth > 0) this.nStallRunnable += d;
  }

  result(t: number, classes: readonly PriorityClass[]): MemoryMetrics {
    this.advance(t);
    const window = Math.max(0, t - this.warmup);
    const empty: DurationStats = { count: 0, total: 0, p99: null, max: null };
    const byClass: MemoryMetrics['byClass'] = {};
    for (const c of classes) {
      byClass[c] = {
        reclaimStall: this.reclaim.get(c)?.durations() ?? empty,
        highThrottle: this.throttle.get(c)?.durations() ?? empty,
      };
    }
    return { byClass, psi: { some: this.some, full: this.full, window } };
  }
}
