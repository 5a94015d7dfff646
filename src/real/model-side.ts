/**
 * The model's side of `faultline real` (and of `calibrate --validate`): the
 * translated scenario run with the `mainline` fault strategy and the kernel's
 * fork strategy, one run per seed, with the figures by mode that a mixed
 * percentile hides: fault latency per drawn page state (the real side's
 * *page states met*) and fork latency by placement (the child run on the
 * parent's CPU before fork() returned, or not: docs/calibration.md, "Fork
 * placement").
 */
import { Distribution, MetricsCollector, type RunMetrics } from '../metrics/index.js';
import type { OpName, PageState, Scenario } from '../scenario/types.js';
import { MultiObserver, NullObserver, simulate, type SimTaskInfo } from '../sim/index.js';
import { faultStrategy, forkStrategy } from '../strategies/index.js';

/** The kernel's fork locks every parent VMA (fb49c455323f): the model's fork strategy for the comparison. */
export const REAL_FORK_STRATEGY = 'fork-lock-all';

/** p50 and p99 (ns) and the count of one mode's latencies in one run or, as medians, over runs. */
export interface ModeLatency {
  count: number;
  p50: number;
  p99: number;
}

/** Figures by mode: fault latency per drawn page state, fork latency by placement. */
export interface ModeFigures {
  fault: Record<string, ModeLatency>;
  /** `child_first`: the child ran on the parent's CPU before fork() returned; `parent_first`: not. */
  fork: Record<string, ModeLatency>;
}

export const FORK_MODES = ['child_first', 'parent_first'] as const;

/** Records fault latency by the page state drawn for it and fork latency by the child's placement (after warm-up). */
export class ModeObserver extends NullObserver {
  private readonly opStart: number[] = [];
  private readonly mode: string[] = [];
  readonly fault = new Map<string, Distribution>();
  readonly fork = new Map<string, Distribution>();

  constructor(private readonly warmup: number) {
    super();
  }

  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    if (op !== 'fault' && op !== 'fork') return;
    while (this.opStart.length <= task.id) { this.opStart.push(-1); this.mode.push(''); }
    this.opStart[task.id] = t;
    if (op === 'fork') this.mode[task.id] = '';
  }

  faultState(_t: number, task: SimTaskInfo, state: PageState): void {
    while (this.mode.length <= task.id) { this.opStart.push(-1); this.mode.push(''); }
    this.mode[task.id] = state;
  }

  forkPlacement(_t: number, task: SimTaskInfo, childFirst: boolean): void {
    this.mode[task.id] = childFirst ? 'child_first' : 'parent_first';
  }

  override opEnd(t: number, task: SimTaskInfo, op: OpName): void {
    if (op !== 'fault' && op !== 'fork') return;
    const b = this.opStart[task.id] ?? -1, m = this.mode[task.id] ?? '';
    this.opStart[task.id] = -1;
    this.mode[task.id] = '';
    if (b < this.warmup || m === '') return;
    const by = op === 'fault' ? this.fault : this.fork;
    let d = by.get(m);
    if (d === undefined) by.set(m, d = new Distribution());
    d.record(t - b);
  }

  figures(): ModeFigures {
    const out = (by: Map<string, Distribution>): Record<string, ModeLatency> => {
      const r: Record<string, ModeLatency> = {};
      for (const k of [...by.keys()].sort()) {
        const d = by.get(k)!;
        r[k] = { count: d.count, p50: d.percentile(50), p99: d.percentile(99) };
      }
      return r;
    };
    return { fault: out(this.fault), fork: out(this.fork) };
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per mode, the median over runs of its count, p50 and p99 (a mode met in some runs only: over those). */
export function medianModes(per: readonly ModeFigures[]): ModeFigures {
  const merge = (pick: (f: ModeFigures) => Record<string, ModeLatency>): Record<string, ModeLatency> => {
    const keys = [...new Set(per.flatMap((f) => Object.keys(pick(f))))].sort();
    const r: Record<string, ModeLatency> = {};
    for (const k of keys) {
      const xs = per.map((f) => pick(f)[k]).filter((x): x is ModeLatency => x !== undefined);
      r[k] = { count: median(xs.map((x) => x.count)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)) };
    }
    return r;
  };
  return { fault: merge((f) => f.fault), fork: merge((f) => f.fork) };
}

export interface ModelSide {
  runs: RunMetrics[];
  /** Medians over the seeds. */
  modes: ModeFigures;
}

/** The model's runs of `scenario` (the translation's model scenario) for seeds first .. first + seeds - 1. */
export function runModelSide(scenario: Scenario, first: number, seeds: number): ModelSide {
  const runs: RunMetrics[] = [];
  const modes: ModeFigures[] = [];
  for (let s = first; s < first + seeds; s++) {
    const collector = new MetricsCollector(scenario, { fault: 'mainline', fork: REAL_FORK_STRATEGY, seed: s });
    const mo = new ModeObserver(scenario.warmup);
    simulate({
      scenario, fault: faultStrategy('mainline'), fork: forkStrategy(REAL_FORK_STRATEGY), seed: s,
      observer: new MultiObserver([collector, mo]),
    });
    runs.push(collector.result());
    modes.push(mo.figures());
  }
  return { runs, modes: medianModes(modes) };
}
