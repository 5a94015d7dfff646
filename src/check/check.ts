/**
 * `check()`: one scenario under one fault strategy and one fork strategy, in
 * one search mode; returns a typed report (errors are values until the CLI).
 */
import { DfsScheduler } from './dfs.js';
import { HuntScheduler } from './hunt.js';
import { uninstallCheckHooks, type CheckModel } from './executor.js';
import type { InvariantName, ViolationKind } from './invariants.js';
import { PctScheduler } from './pct.js';
import { RandomScheduler } from './random.js';
import { ReplayScheduler } from './replay.js';
import { encodeSchedule, threadSteps, type Schedule } from './schedule.js';
import type { Scheduler } from './scheduler.js';
import { runOne, search, searchSteps, type RunResult, type SearchOptions, type SearchOutcome, type SearchStats, type TraceStep } from './search.js';
import { shrink } from './shrink.js';
import { plural } from '../report/format.js';

export type Mode =
  | {
    readonly kind: 'dfs'; readonly sleepSets: boolean; readonly dpor: boolean; readonly preemptionBound: number | null; readonly stateCache?: boolean;
    /** Bug hunting first (./hunt.ts): passes with preemption bounds 0..hunt before the unbounded search; null or absent: none. */
    readonly hunt?: number | null;
    /** Precise cut summaries (DfsOptions.preciseCuts; unbounded DPOR with state caching); default on, false: the coarse rule (`--coarse-cuts`). */
    readonly preciseCuts?: boolean;
    /** With bug hunting and precise cut summaries: carry the passes' cut trees over (DfsOptions.carryCuts); default on, false: the twelfth part's rule. */
    readonly carryCuts?: boolean;
  }
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
  /** Polled after every execution: a reason to stop (time limit, signal), or null (./search.ts). */
  readonly stop?: () => string | null;
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
  /** Why the search was stopped before its end (time limit, signal), or null. */
  readonly stopReason: string | null;
  /** A stopped DFS: depth of its stack and the estimated share of its tree explored. */
  readonly coverage: { readonly depth: number; readonly explored: number } | null;
  readonly violation: Counterexample | null;
}

const DEFAULT_MAX_STEPS = 4000;

function schedulerFor(model: CheckModel, mode: Mode): Scheduler {
  const mask = model.scenario.threads.map((t) => t.ops.length);
  switch (mode.kind) {
    case 'dfs': {
      const opts = {
        nthreads: mask.length, mask, sleepSets: mode.sleepSets, dpor: mode.dpor, preemptionBound: mode.preemptionBound, stateCache: mode.stateCache === true,
        ...(mode.preciseCuts === false ? { preciseCuts: false } : {}),
        ...(mode.carryCuts === false ? { carryCuts: false } : {}),
      };
      const hunt = mode.hunt ?? null;
      return hunt !== null && mode.preemptionBound === null ? new HuntScheduler(opts, hunt) : new DfsScheduler(opts);
    }
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
        ? `bounded DFS, at most ${plural(mode.preemptionBound, 'preemption')} per execution`
        : `exhaustive DFS${mode.sleepSets ? (mode.dpor ? ' with DPOR and sleep sets' : ' with sleep sets') : ' without reduction'}${mode.stateCache === true ? `, state caching${mode.preciseCuts === false && mode.dpor ? ' (coarse cut summaries)' : ''}` : ''}${mode.hunt != null ? `, after bug-hunting passes with at most ${mode.hunt === 0 ? '0' : `0..${mode.hunt}`} preemptions` : ''}`;
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

/** The model with input histories recorded when the mode caches states. */
function withCache(model: CheckModel, mode: Mode): CheckModel {
  const on = mode.kind === 'dfs' && mode.stateCache === true && mode.preemptionBound === null;
  return on === (model.stateCache === true) ? model : { ...model, stateCache: on };
}

function searchOptions(opts: CheckOptions): SearchOptions {
  return {
    maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS,
    maxExecutions: opts.maxExecutions ?? null,
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    ...(opts.stop !== undefined ? { stop: opts.stop } : {}),
  };
}

/** Check `model` in one search mode (synchronously: signals cannot interrupt it; see checkAsync). */
export function check(model0: CheckModel, opts: CheckOptions): CheckReport {
  const model = withCache(model0, opts.mode);
  const sched = schedulerFor(model, opts.mode);
  return report(model, opts, sched, search(model, sched, searchOptions(opts)));
}

/**
 * `check`, giving the event loop a turn every `yieldEvery` executions, so
 * that a SIGINT/SIGTERM handler or a timer can set what `opts.stop` reads.
 */
export async function checkAsync(model0: CheckModel, opts: CheckOptions, yieldEvery = 64): Promise<CheckReport> {
  const model = withCache(model0, opts.mode);
  const sched = schedulerFor(model, opts.mode);
  const it = searchSteps(model, sched, searchOptions(opts));
  for (let n = 1; ; n++) {
    const r = it.next();
    if (r.done === true) return report(model, opts, sched, r.value);
    if (n % yieldEvery === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const COMPLETE_DFS = 'every interleaving was explored up to the order of independent steps, and every invariant was judged at each step that can change it, so no violation or deadlock is reachable in the model (docs/checker.md, "What a complete search guarantees")';

function report(model: CheckModel, opts: CheckOptions, sched: Scheduler, out: SearchOutcome): CheckReport {
  const mode = opts.mode;
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
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
        ? `every execution with at most ${plural(mode.preemptionBound, 'preemption')} was explored`
        : COMPLETE_DFS;
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
  let coverage: CheckReport['coverage'] = null;
  if (out.stoppedEarly) {
    incomplete = out.stopReason ?? `stopped after --max-executions ${opts.maxExecutions}`;
    coverage = sched instanceof DfsScheduler || sched instanceof HuntScheduler ? sched.coverage() : null;
    const huntBound = sched instanceof HuntScheduler ? sched.runningBound : null;
    if (mode.kind === 'dfs' && huntBound !== null) {
      guarantee = `none beyond the ${stats.executions.toLocaleString('en-US')} executions explored (stopped in the bug-hunting pass with at most ${plural(huntBound, 'preemption')}, before the complete search began)`;
    } else if (mode.kind === 'dfs') {
      guarantee = `none beyond the ${stats.executions.toLocaleString('en-US')} executions explored${coverage !== null ? ` (an estimated ${fmtShare(coverage.explored)} of the search tree, stack depth ${coverage.depth})` : ''}`;
    }
  }
  if (stats.depthLimited > 0) {
    incomplete = `${plural(stats.depthLimited, 'execution')} hit the ${maxSteps}-step limit`;
    if (mode.kind === 'dfs' && mode.preemptionBound === null) guarantee = `none beyond the executions explored: executions longer than ${maxSteps} steps were cut, and nothing after a cut was explored`;
  }
  if (violation !== null && mode.kind !== 'replay') incomplete = 'stopped at the first violation';
  return {
    scenario: model.scenario.name,
    fault: model.fault.name,
    fork: model.fork.name,
    params: model.scenario.params,
    mode: mode.kind,
    modeText: modeText(mode) + (model.fineSteps === true ? ', every effect a step (--fine-steps)' : ''),
    invariants: [...model.invariants],
    injections: [...model.injections],
    stats,
    complete: incomplete === null,
    incompleteReason: incomplete,
    guarantee,
    stopReason: out.stopReason,
    coverage,
    violation,
  };
}

/** A share in [0, 1] as a percentage that never rounds up to 100 % or down to 0 %. */
function fmtShare(x: number): string {
  const pct = x * 100;
  if (pct > 0 && pct < 0.01) return '< 0.01%';
  if (pct < 100 && pct > 99.99) return '> 99.99%';
  return `${pct.toFixed(pct < 1 ? 2 : 1)}%`;
}
