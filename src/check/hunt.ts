/**
 * Bug hunting before the complete search (iterative context bounding,
 * Musuvathi & Qadeer, "Iterative Context Bounding for Systematic Testing of
 * Multithreaded Programs", PLDI 2007): the DFS (./dfs.ts) first runs with a
 * preemption bound of 0, then 1, … up to `hunt`, each pass keeping DPOR,
 * sleep sets and state caching, then once without a bound.
 *
 * Why: DFS backtracks at the deepest level first, so a bug that needs a
 * different choice near the root (a fork that runs before the last fault
 * takes its VMA lock, with four faults in front of it) waits behind the
 * whole subtree below that choice. Most bugs need few preemptions (CHESS
 * found every bug of its study with at most two); a bounded pass reaches
 * them after its few executions.
 *
 * Soundness: a bounded pass only reports violations, each a real execution
 * (replayed, shrunk like any other). DPOR under a bound is incomplete (Coons
 * et al., "Bounded Partial-Order Reduction", OOPSLA 2013), so a bounded pass
 * gives a verdict only when its bound removed no option anywhere: it then
 * made exactly the decisions of the unbounded search. Otherwise the verdict
 * is the unbounded pass's, the search of ./dfs.ts unchanged, except that it
 * starts with the states a bounded pass explored exactly (no option removed
 * below them, no cut at an inexact state): cutting there is the same as
 * cutting at a state it explored itself (docs/checker.md, "Bug hunting
 * before the complete search"). With precise cut summaries each pass keeps
 * a cut tree, carries the first steps of those states over with them and
 * hands on the states it inherited (./dfs.ts `seed`; docs/checker.md, "The
 * cut tree across the hunting passes (issue 15, thirteenth part)").
 */
import { DfsScheduler, type DfsOptions } from './dfs.js';
import type { Schedule } from './schedule.js';
import type { Scheduler, StepInfo, ThreadId } from './scheduler.js';
import type { Footprint } from './track.js';

/**
 * Default largest bound of the hunting passes: CHESS found every bug of its
 * study with at most two preemptions (Musuvathi & Qadeer 2007).
 */
export const DEFAULT_HUNT = 2;

export class HuntScheduler implements Scheduler {
  readonly wantsFootprints: boolean;
  private pass: DfsScheduler;
  /** Preemption bound of the running pass; null for the unbounded one. */
  private bound: number | null;
  private cacheHitsBefore = 0;
  private stateOf: (() => [number, number]) | null = null;
  /** Executions of each finished pass, by bound. */
  readonly passes: Array<{ readonly bound: number; readonly executions: number }> = [];

  /** `opts` must be unbounded; `hunt` >= 0 is the largest bound tried before it. */
  constructor(private readonly opts: DfsOptions, private readonly hunt: number) {
    if (opts.preemptionBound !== null) throw new Error('check: bug hunting needs an unbounded search');
    this.bound = 0;
    this.pass = this.bounded(0, undefined);
    this.wantsFootprints = this.pass.wantsFootprints;
  }

  private bounded(k: number, from: DfsScheduler | undefined): DfsScheduler {
    return new DfsScheduler({ ...this.opts, preemptionBound: k, reduceUnderBound: true, ...(from !== undefined ? { inherit: from } : {}) });
  }

  /** The pass running now (the unbounded one once hunting is over). */
  get current(): DfsScheduler {
    return this.pass;
  }

  /** Bound of the running pass, null once the unbounded search runs. */
  get runningBound(): number | null {
    return this.bound;
  }

  newExecution(): Schedule | null {
    for (;;) {
      const plan = this.pass.newExecution();
      if (plan !== null) return plan;
      if (this.bound === null) return null;
      this.passes.push({ bound: this.bound, executions: this.pass.executions });
      // A pass whose bound removed nothing was the unbounded search.
      if (!this.pass.boundHit) return null;
      this.cacheHitsBefore += this.pass.cacheHits;
      const prev = this.pass;
      if (this.bound < this.hunt) {
        this.bound++;
        this.pass = this.bounded(this.bound, prev);
      } else {
        this.bound = null;
        this.pass = new DfsScheduler({ ...this.opts, inherit: prev });
      }
      if (this.stateOf !== null) this.pass.bindState(this.stateOf);
    }
  }

  nextThread(runnable: readonly ThreadId[], current: ThreadId | null): ThreadId | null {
    return this.pass.nextThread(runnable, current);
  }

  nextChoice(n: number): number {
    return this.pass.nextChoice(n);
  }

  replaying(): boolean {
    return this.pass.replaying();
  }

  get keepsReplayed(): boolean {
    return this.pass.keepsReplayed;
  }

  keepStepState(s: readonly number[]): void {
    this.pass.keepStepState(s);
  }

  replayedState(): readonly number[] | undefined {
    return this.pass.replayedState();
  }

  stepDone(thread: ThreadId, fp: Footprint | null, info: StepInfo): void {
    this.pass.stepDone(thread, fp, info);
  }

  executionDone(): void {
    this.pass.executionDone();
  }

  bindState(fn: () => [number, number]): void {
    this.stateOf = fn;
    this.pass.bindState(fn);
  }

  /** States stored by the running pass (it starts with those inherited). */
  get storedStates(): number {
    return this.pass.storedStates;
  }

  get prunedExecutions(): number {
    return this.cacheHitsBefore + this.pass.cacheHits;
  }

  /**
   * For a search stopped early: the running pass's stack depth, and the share
   * of the unbounded search explored (0 while a bounded pass runs).
   */
  coverage(): { depth: number; explored: number } {
    const c = this.pass.coverage();
    return this.bound === null ? c : { depth: c.depth, explored: 0 };
  }
}
