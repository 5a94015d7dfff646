/**
 * The search loop: executions one after another, as the scheduler directs,
 * until the scheduler has nothing left, a violation is found, or a limit is
 * hit. It knows nothing about how the scheduler chooses (Shuttle's Runner).
 */
import { Execution, uninstallCheckHooks, type CheckModel } from './executor.js';
import { installOpaque, uninstallOpaque } from './opaque.js';
import type { Violation } from './invariants.js';
import type { Schedule, ScheduleStep } from './schedule.js';
import type { Scheduler, ThreadId } from './scheduler.js';
import { World } from './world.js';

/** One step of a counterexample. */
export interface TraceStep {
  /** Step number in the execution (1-based). */
  readonly n: number;
  readonly task: ThreadId;
  readonly taskName: string;
  /** The task's own step number (1-based). */
  readonly taskStep: number;
  /** The op the task is in (threads). */
  readonly op: string;
  /** What the step does: the kernel function of the effect it resumes from. */
  readonly what: string;
  /** Lock state after the step. */
  readonly locks: string;
  /** Data choices made in the step. */
  readonly choices: readonly number[];
}

export type RunEnd = 'done' | 'violation' | 'cut' | 'depth' | 'aborted';

export interface RunResult {
  readonly end: RunEnd;
  readonly violation: Violation | null;
  /** The schedule actually executed (exact: replays step for step). */
  readonly schedule: Schedule;
  readonly trace: TraceStep[] | null;
  /** Steps run without replay. */
  readonly newSteps: number;
  readonly steps: number;
}

export interface RunOptions {
  /** Most steps per execution (a livelock guard). */
  readonly maxSteps: number;
  /** Record a trace with lock states (for counterexamples). */
  readonly trace?: boolean;
  /** Start from this initial state, built by the first execution that has none (./world.ts). */
  readonly world?: World;
}

/** Schedule entries, one object per task id and per choice value (read-only; an execution made one per step). */
const taskSteps: ScheduleStep[] = [];
const choiceSteps: ScheduleStep[] = [];
const taskStep = (id: ThreadId): ScheduleStep => (taskSteps[id] ??= Object.freeze({ k: 't', id }));
const choiceStep = (v: number): ScheduleStep => (choiceSteps[v] ??= Object.freeze({ k: 'c', v }));

/** Run one execution under `sched` (after its newExecution returned `plan`). */
export function runOne(model: CheckModel, sched: Scheduler, plan: Schedule, opts: RunOptions): RunResult {
  const steps: ScheduleStep[] = [];
  const trace: TraceStep[] | null = opts.trace === true ? [] : null;
  // The data choices of each step, for the trace only.
  let stepChoices: number[] = [];
  const choose = (n: number): number => {
    const v = sched.nextChoice(n);
    steps.push(choiceStep(v));
    if (trace !== null) stepChoices.push(v);
    return v;
  };
  const ex = new Execution(model, plan.mask, choose, opts.world);
  sched.bindNames?.((id) => ex.name(id));
  if (model.stateCache === true) sched.bindState?.(() => ex.stateHash());
  let current: ThreadId | null = null;
  const runBuf: ThreadId[] = [];
  let n = 0, newSteps = 0;
  const result = (end: RunEnd, violation: Violation | null): RunResult =>
    ({ end, violation, schedule: { mask: plan.mask, steps }, trace, newSteps, steps: n });
  // State caching under a scheduler that keeps each fresh step's histories:
  // replayed steps skip the folding, and the histories are restored at the
  // first step that is not replayed (Execution.step, `replay`).
  const light = model.stateCache === true && sched.keepsReplayed === true && sched.keepStepState !== undefined && sched.replayedState !== undefined;
  let restore: readonly number[] | null = null;
  const initial = ex.initialViolation();
  if (initial !== null) return result('violation', initial);
  for (;;) {
    // One array for every step: no scheduler keeps the runnable set it is
    // given (DfsScheduler copies it into its level).
    const run = ex.runnable(runBuf);
    if (run.length === 0) {
      sched.executionDone?.();
      const d = ex.deadlock();
      if (d !== null && model.invariants.has('deadlock')) return result('violation', d);
      return result('done', null);
    }
    if (n >= opts.maxSteps) return result('depth', null);
    const t = sched.nextThread(run, current);
    if (t === null) return result('cut', null);
    const replay = sched.replaying?.() ?? false;
    steps.push(taskStep(t));
    if (trace !== null) stepChoices = [];
    const task = ex.tasks[t]!;
    const op = task.opLabel;
    n++;
    if (!replay) newSteps++;
    if (!replay && restore !== null) {
      ex.restoreLanes(restore);
      restore = null;
    }
    // What was kept with a replayed step when it ran afresh: the histories
    // after it, and its number of sub-steps (Execution.saveLanes).
    const kept = light && replay ? sched.replayedState!() ?? null : null;
    if (light && replay && kept === null) throw new Error('check: a replayed step with no state kept');
    const out = ex.step(t, sched.wantsFootprints && !replay, !replay, light && replay, kept !== null ? kept[kept.length - 1]! : 0);
    if (light) {
      if (!replay) sched.keepStepState!(ex.saveLanes());
      else restore = kept;
    }
    sched.stepDone?.(t, out.fp, out);
    if (trace !== null) {
      const what = task.from === 'start' ? `start ${task.opLabel}` : task.from;
      trace.push({ n, task: t, taskName: ex.name(t), taskStep: task.steps, op: op !== '' ? op : task.opLabel, what, locks: ex.lockState(), choices: stepChoices });
    }
    if (ex.isThread(t)) current = t;
    if (out.aborted) return result('aborted', null);
    if (out.violation !== null) return result('violation', out.violation);
  }
}

export interface SearchStats {
  executions: number;
  /** Steps executed afresh (states visited; replayed prefixes not counted). */
  newSteps: number;
  /** All steps including replayed prefixes. */
  steps: number;
  /** Executions cut short (sleep set or preemption bound). */
  cut: number;
  /** Executions that hit the step limit. */
  depthLimited: number;
  /** Executions ended by a model exception of a disabled invariant. */
  aborted: number;
  /** Longest execution, in steps. */
  longest: number;
  /** State caching: distinct states stored, and executions cut at a state explored before (both 0 without). */
  stored: number;
  pruned: number;
}

export interface SearchOutcome {
  readonly stats: SearchStats;
  /** The first violating execution, if any. */
  readonly violation: RunResult | null;
  /** Stopped before the scheduler ran out (maxExecutions, or `stop` gave a reason). */
  readonly stoppedEarly: boolean;
  /** Why `stop` ended the search (time limit, signal); null otherwise. */
  readonly stopReason: string | null;
}

export interface SearchOptions extends RunOptions {
  readonly maxExecutions?: number | null;
  /** Called every `progressEvery` executions (the CLI prints progress from it). */
  readonly onProgress?: (s: SearchStats) => void;
  readonly progressEvery?: number;
  /**
   * Polled after every execution: a reason to stop now (the CLI's time limit
   * or a signal), or null. The search itself reads no clock.
   */
  readonly stop?: () => string | null;
  /**
   * Build the initial state once per search and restore it before each
   * execution (./world.ts) instead of building it again; default true. Off
   * only to compare (the counts are the same either way).
   */
  readonly reuseWorld?: boolean;
}

/**
 * The search as a generator: yields the running statistics after every
 * execution, so a caller can give the event loop a turn (signals, timers)
 * between executions; returns the outcome. `search` runs it to the end.
 */
export function* searchSteps(model: CheckModel, sched: Scheduler, opts: SearchOptions): Generator<SearchStats, SearchOutcome, void> {
  const stats: SearchStats = { executions: 0, newSteps: 0, steps: 0, cut: 0, depthLimited: 0, aborted: 0, longest: 0, stored: 0, pruned: 0 };
  const every = opts.progressEvery ?? 2000;
  const world = opts.reuseWorld === false ? undefined : new World();
  if (model.stateCache === true) installOpaque();
  const end = (stoppedEarly: boolean, stopReason: string | null = null, violation: RunResult | null = null): SearchOutcome =>
    ({ stats, violation, stoppedEarly, stopReason });
  try {
    for (;;) {
      if (opts.maxExecutions != null && stats.executions >= opts.maxExecutions) return end(true);
      const plan = sched.newExecution();
      if (plan === null) return end(false);
      stats.executions++;
      const r = runOne(model, sched, plan, { maxSteps: opts.maxSteps, ...(world !== undefined ? { world } : {}) });
      stats.newSteps += r.newSteps;
      stats.steps += r.steps;
      if (r.steps > stats.longest) stats.longest = r.steps;
      stats.stored = sched.storedStates ?? 0;
      stats.pruned = sched.prunedExecutions ?? 0;
      if (r.end === 'cut') stats.cut++;
      else if (r.end === 'depth') stats.depthLimited++;
      else if (r.end === 'aborted') stats.aborted++;
      else if (r.end === 'violation') return end(false, null, r);
      if (opts.onProgress !== undefined && stats.executions % every === 0) opts.onProgress(stats);
      const why = opts.stop?.() ?? null;
      if (why !== null) return end(true, why);
      yield stats;
    }
  } finally {
    uninstallCheckHooks();
    uninstallOpaque();
  }
}

/** Explore with `sched` until it is exhausted, a violation is found, or a limit is reached. */
export function search(model: CheckModel, sched: Scheduler, opts: SearchOptions): SearchOutcome {
  const it = searchSteps(model, sched, opts);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}
