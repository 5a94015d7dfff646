/**
 * `check()`: one scenario under one fault strategy and one fork strategy, in
 * one search mode; returns a typed report (errors are values until the CLI).
 */
import { DfsScheduler } from './dfs.js';
import { uninstallCheckHooks, type CheckModel } from './executor.js';
import type { InvariantName, ViolationKind } from './invariants.js';
import { PctScheduler } from './pct.js';
import { RandomScheduler } from './random.js';
import { ReplayScheduler } from './replay.js';
import { encodeSchedule, threadSteps, type Schedule } from './schedule.js';
import type { Scheduler } from './scheduler.js';
import { runOne, search, type RunResult, type SearchStats, type TraceStep } from './search.js';
import { shrink } from './shrink.js';

export type Mode =
  | { readonly kind: 'dfs'; readonly sleepSets: boolean; readonly dpor: boolean; readonly preemptionBound: number | null }
  | { readonly kind: 'random'; readonly seed: number; readonly iterations: number }
  | { readonly kind: 'pct'; readonly seed: number; readonly iterations: number; readonly depth: number }
  | { readonly kind: 'replay'; readonly schedule: Schedule };

export interface CheckOptions {
  readonly mode: Mode;
  /** Most steps per execution (livelock guard). */
  readonly maxSteps?: number;
  /** Stop after this many executions (the search is then incomplete). */
  readonly maxExecutions?: number | null;
  readonly shrink?: boolean;
  readonly onProgress?: (s: SearchStats) => void;
}

export interface Counterexample {
  readonly invariant: ViolationKind;
  readonly message: string;
  /** The (shrunk) schedule, encoded for --replay. */
  readonly schedule: string;
  readonly steps: readonly TraceStep[];
  /** Task steps of the execution the search found, before shrinking. */
  readonly foundSteps: number;
  readonly shrinks: number;
  readonly shrinkRuns: number;
  /** Shrink path: index of each kept candidate in its layer. */
  readonly shrinkPath: string;
  /** Threads left in the counterexample (the others were shrunk away). */
  readonly threads: readonly string[];
}

export interface CheckReport {
  readonly scenario: string;
  readonly fault: string;
  readonly fork: string;
  readonly params: Readonly<Record<string, number>>;
  readonly mode: Mode['kind'];
  readonly modeText: string;
  readonly invariants: readonly InvariantName[];
  readonly injections: readonly string[];
  readonly stats: SearchStats;
  /** Exhaustive search ran to the end: no violation means none exists (in the model). */
  readonly complete: boolean;
  readonly incompleteReason: string | null;
  /** What a clean result guarantees. */
  readonly guarantee: string;
  readonly violation: Counterexample | null;
}

const DEFAULT_MAX_STEPS = 4000;

function schedulerFor(model: CheckModel, mode: Mode): Scheduler {
  const mask = model.scenario.threads.map((t) => t.ops.length);
  switch (mode.kind) {
    case 'dfs':
      return new DfsScheduler({ nthreads: mask.length, mask, sleepSets: mode.sleepSets, dpor: mode.dpor, preemptionBound: mode.preemptionBound });
    case 'random':
      return new RandomScheduler(mode.seed, mode.iterations, mask);
    case 'pct':
      return new PctScheduler(mode.seed, mode.iterations, mode.depth, mask);
    case 'replay':
      return new ReplayScheduler(mode.schedule);
  }
}

function modeText(mode: Mode): string {
  switch (mode.kind) {
    case 'dfs':
      return mode.preemptionBound !== null
        ? `bounded DFS, at most ${mode.preemptionBound} preemption(s) per execution`
        : `exhaustive DFS${mode.sleepSets ? (mode.dpor ? ' with DPOR and sleep sets' : ' with sleep sets') : ' without reduction'}`;
    case 'random':
      return `random scheduling, ${mode.iterations} executions, seed ${mode.seed}`;
    case 'pct':
      return `PCT (Burckhardt et al. 2010), depth ${mode.depth}, ${mode.iterations} executions, seed ${mode.seed}`;
    case 'replay':
      return 'replay of one schedule';
  }
}

/** Turn a violating execution into a counterexample: shrink, then replay exactly with a trace. */
export function counterexample(model: CheckModel, found: RunResult, maxSteps: number, doShrink: boolean): Counterexample {
  const s = doShrink ? shrink(model, found, { maxSteps }) : { result: found, shrinks: 0, runs: 0, path: [] };
  const best = s.result;
  const sched = new ReplayScheduler(best.schedule);
  const plan = sched.newExecution()!;
  let traced: RunResult;
  try {
    traced = runOne(model, sched, plan, { maxSteps, trace: true });
  } finally {
    uninstallCheckHooks();
  }
  const v = traced.violation ?? best.violation!;
  return {
    invariant: v.invariant,
    message: v.message,
    schedule: encodeSchedule(best.schedule),
    steps: traced.trace ?? [],
    foundSteps: threadSteps(found.schedule),
    shrinks: s.shrinks,
    shrinkRuns: s.runs,
    shrinkPath: s.path.join(':'),
    threads: model.scenario.threads.filter((_t, i) => (best.schedule.mask[i] ?? 0) > 0).map((t) => t.name),
  };
}

export function check(model: CheckModel, opts: CheckOptions): CheckReport {
  const mode = opts.mode;
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const sched = schedulerFor(model, mode);
  const out = search(model, sched, {
    maxSteps,
    maxExecutions: opts.maxExecutions ?? null,
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
  });
  const stats = out.stats;
  let violation: Counterexample | null = null;
  if (out.violation !== null) {
    violation = mode.kind === 'replay'
      ? counterexample(model, out.violation, maxSteps, false)
      : counterexample(model, out.violation, maxSteps, opts.shrink ?? true);
  }
  let incomplete: string | null = null;
  let guarantee: string;
  switch (mode.kind) {
    case 'dfs':
      if (mode.preemptionBound !== null) incomplete = `preemption bound ${mode.preemptionBound}`;
      guarantee = mode.preemptionBound !== null
        ? `every execution with at most ${mode.preemptionBound} preemption(s) was explored`
        : 'every interleaving was explored, up to reordering of independent steps (every reachable state was visited)';
      break;
    case 'random':
      incomplete = `random sampling (${mode.iterations} executions)`;
      guarantee = 'none beyond the executions sampled';
      break;
    case 'pct': {
      const p = (sched as PctScheduler).bound();
      incomplete = `PCT sampling (${mode.iterations} executions)`;
      const miss = Math.pow(1 - p, stats.executions);
      const pct = sched as PctScheduler;
      guarantee = `each execution finds a bug of depth d <= ${mode.depth} with probability >= 1/(n*k^(d-1)) = ${p.toExponential(2)} for d = ${mode.depth} (n = ${pct.maxTasks} tasks, k = ${pct.steps} steps); P(missing it in ${stats.executions} executions) <= ${miss.toFixed(4)}`;
      break;
    }
    case 'replay':
      incomplete = 'replay of one schedule';
      guarantee = 'one execution';
      break;
  }
  if (out.stoppedEarly) incomplete = `stopped after --max-executions ${opts.maxExecutions}`;
  if (stats.depthLimited > 0) incomplete = `${stats.depthLimited} execution(s) hit the ${maxSteps}-step limit`;
  if (violation !== null && mode.kind !== 'replay') incomplete = 'stopped at the first violation';
  return {
    scenario: model.scenario.name,
    fault: model.fault.name,
    fork: model.fork.name,
    params: model.scenario.params,
    mode: mode.kind,
    modeText: modeText(mode),
    invariants: [...model.invariants],
    injections: [...model.injections],
    stats,
    complete: incomplete === null,
    incompleteReason: incomplete,
    guarantee,
    violation,
  };
}
