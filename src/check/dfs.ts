/**
 * Exhaustive depth-first search (after Shuttle's dfs.rs): a stack of levels,
 * one per scheduling decision (which task runs) or data choice, each with the
 * option taken. Every execution re-executes the model from the initial
 * state, replaying the stack's prefix, and moves on at the deepest level that
 * still has an option. With state caching (`stateCache`), each new decision
 * point's state (Execution.stateHash) is looked up in a visited table
 * (./state.ts) and the execution is cut there when the state was explored
 * before with a sleep set contained in the current one (docs/checker.md,
 * "State caching").
 *
 * Partial-order reduction with sleep sets (P. Godefroid, "Partial-Order
 * Methods for the Verification of Concurrent Systems", LNCS 1032, 1996): once
 * the subtree of task t at a level is explored, t sleeps in the sibling
 * subtrees until a step dependent on t's step (footprints overlap, ./track.ts)
 * runs. Sleep sets alone prune transitions, never states.
 *
 * Dynamic partial-order reduction on top (C. Flanagan, P. Godefroid,
 * "Dynamic Partial-Order Reduction for Model Checking Software", POPL 2005,
 * applied to the executed trace as in source-DPOR, Abdulla et al. POPL 2014):
 * a level explores only its backtrack set, which starts with the first task
 * run there. After each new step j, every earlier step i of another task
 * that conflicts with j and does not happen before j (vector clocks over
 * conflicts, wake-ups and I/O submission) is a race; j's task joins the
 * backtrack set at i's level if j could run right there (no step after i
 * happens before j), else every task runnable there. With state caching, a
 * pruned state's subtree summary (./summary.ts) stands in for the races its
 * steps would have found.
 *
 * DPOR does prune states: it keeps one interleaving per Mazurkiewicz trace.
 * Violations are still all found because every invariant is evaluated inside
 * the steps that can change it, with its reads in their footprints
 * (Execution.step; the argument is in docs/checker.md, "What a complete
 * search guarantees").
 *
 * Preemption bounding (Musuvathi & Qadeer, PLDI 2007): running any other
 * task (thread or I/O completion) while the scenario thread that ran last is
 * still runnable costs one preemption. With a bound, the reductions are off
 * (they do not combine soundly) and the search covers every schedule within
 * the bound; or, for the bug-hunting passes (./hunt.ts, `reduceUnderBound`),
 * they stay on, the pass is incomplete, and it records which states it
 * explored exactly (no option removed by the bound below them) for the
 * unbounded pass to start from (`inherit`).
 */
import type { Schedule } from './schedule.js';
import type { Scheduler, StepInfo, ThreadId } from './scheduler.js';
import { Races } from './races.js';
import { DfsRaces } from './dfs-races.js';
import { ExactLog } from './exact.js';
import { DporStats } from './dfs-stats.js';
import { StateTable } from './state.js';
import { Summaries, type Summary } from './summary.js';
import { CutTree, END, UNKNOWN } from './cut-tree.js';
import { independent, union, type Footprint } from './track.js';
import { coverage, fmt, NondeterminismError, sameIds, type DfsOptions, type Level, type ThreadLevel } from './dfs-levels.js';

export { NondeterminismError, type DfsOptions } from './dfs-levels.js';

export class DfsScheduler extends DfsRaces implements Scheduler {
  readonly wantsFootprints: boolean;
  protected readonly levels: Level[] = [];
  private pos = 0;
  /** Levels below this index replay the previous execution. */
  protected prefixEnd = 0;
  private started = false;
  protected lastThreadLevel = -1;
  private lastReplay = false;
  private curPre = 0;
  private pendingSleep: Map<ThreadId, Footprint> | null = null;
  /** Executions cut short because every runnable task was asleep. */
  sleepBlocked = 0;
  /** Executions cut short by the preemption bound. */
  boundBlocked = 0;
  /** Executions started. */
  executions = 0;
  /** The preemption bound removed an option somewhere (else the search equals the unbounded one). */
  boundHit = false;
  /** A bounded pass with state caching: what it explored exactly, for the pass after it (./hunt.ts). */
  private readonly exact: ExactLog | null;
  /** Executions cut short at a state explored before (state caching). */
  cacheHits = 0;
  /** Visited states (state caching), or null. */
  readonly table: StateTable | null;
  private stateOf: (() => [number, number]) | null = null;
  /** DPOR with state caching: subtree summaries, and the final one of each visited state by entry number. */
  protected readonly summaries: Summaries | null;
  private readonly entrySum: Array<Summary | undefined> = [];
  private readonly dpor: boolean;
  protected races: Races;
  readonly keepsReplayed: boolean;
  /** What the reduction spent its executions on (counts only; ./dfs-stats.ts). */
  readonly dporStats = new DporStats();
  /** The running execution was cut because every runnable task was asleep. */
  private endedAsleep = false;
  /** Precise cut summaries: each stored state's first steps (./cut-tree.ts), or null. */
  protected readonly tree: CutTree | null;
  /** The step just run afresh from a stored state, its kid not recorded yet: entry, task, footprint. */
  private kidFrom = -1;
  private kidTask = -1;
  private kidFp: Footprint | null = null;
  /** The running execution ended with no task runnable (Scheduler.executionDone). */
  private endedDone = false;
  /** A subtree of the split search, once explored: its levels below the split depth (./split.ts). */
  frozenLevels: readonly Level[] = [];

  constructor(private readonly opts: DfsOptions) {
    super();
    const reduce = opts.preemptionBound === null || opts.reduceUnderBound === true;
    this.wantsFootprints = opts.sleepSets && reduce;
    this.dpor = this.wantsFootprints && opts.dpor === true;
    this.keepsReplayed = opts.keepReplayed !== false;
    this.races = new Races(opts.sourceSets !== false);
    this.table = opts.stateCache === true && reduce ? new StateTable() : null;
    this.exact = this.table !== null && opts.preemptionBound !== null ? new ExactLog() : null;
    const from = opts.inherit;
    this.summaries = this.table !== null && this.dpor ? (from?.summaries ?? new Summaries()) : null;
    // The bug-hunting passes keep a cut tree too (unless `carryCuts` is
    // false), carried over with their exactly explored states (`seed`).
    const cuts = this.summaries !== null && opts.preciseCuts !== false && opts.sourceSets !== false && (opts.preemptionBound === null || opts.carryCuts !== false);
    this.tree = cuts ? new CutTree(from?.tree ?? undefined) : null;
    if (this.tree !== null && opts.preciseCutBudget !== undefined) this.tree.budget = opts.preciseCutBudget;
    if (from !== undefined && this.table !== null && from.table !== null) this.seed(from);
    if (opts.split !== undefined) this.levels.push(...opts.split.prefix);
  }

  /**
   * Store the states `from` explored exactly (no option removed by its bound
   * below them, no cut at an inexact state), each with the sleep sets it was
   * explored with and its subtree summary: cutting there is then the same as
   * cutting at a state this search explored itself (docs/checker.md, "Bug
   * hunting before the complete search"). With cut trees in both passes,
   * also each such state's first steps, and `from`'s inherited states are
   * handed on ("The cut tree across the hunting passes (issue 15, thirteenth
   * part)").
   */
  private seed(from: DfsScheduler): void {
    if (from.exact === null) return;
    /** Entry numbers of the carried states, theirs to ours (for the kids' children). */
    const renumber = new Map<number, number>();
    const carry = this.tree !== null && from.tree !== null;
    for (const { a, b, entry: n, sleep: m } of from.exact.states()) {
      const sum = from.summaries === null ? null : from.entrySum[n];
      if (from.summaries !== null && sum === undefined) continue;
      const v = this.table!.visit(a, b, m);
      const e = v < 0 ? -1 - v : v;
      renumber.set(n, e);
      this.exact?.note(e, a, b);
      // With the kids carried, a bounded pass hands the states it inherited
      // on as well: an exploration an earlier pass made exactly is one this
      // pass could have made (the same premises), kids and summary included.
      if (carry) this.exact?.finished(e, m, true);
      if (sum !== undefined && sum !== null) {
        const old = this.entrySum[e];
        if (old === undefined) this.entrySum[e] = sum;
        else {
          const u = this.summaries!.copy(old);
          this.summaries!.union(u, sum);
          this.entrySum[e] = this.summaries!.intern(u);
        }
      }
    }
    // The first steps of each carried state, from the explorations that
    // made it exact (a state with any inexact exploration is not carried);
    // a child that was not carried becomes UNKNOWN (a walk gives up there).
    const tree = this.tree, old = from.tree;
    if (carry && tree !== null && old !== null) {
      for (const [n, e] of renumber) tree.carry(old, n, e, (c) => renumber.get(c) ?? UNKNOWN);
    }
  }

  protected sumOfEntry(n: number): Summary | undefined {
    return this.entrySum[n] ?? undefined;
  }

  /** The step run afresh last led to `child` (an entry, END or UNKNOWN): a kid of the state it ran from. */
  private kid(child: number): void {
    if (this.kidFp !== null) this.tree!.add(this.kidFrom, this.kidTask, this.kidFp, child);
    this.kidFp = null;
  }

  /** The running execution ended with no task runnable (search.ts runOne). */
  executionDone(): void {
    this.endedDone = true;
  }

  /** The running execution's state hash (Execution.stateHash), for state caching. */
  bindState(fn: () => [number, number]): void {
    this.stateOf = fn;
  }

  /** States stored (state caching), else 0. */
  get storedStates(): number {
    return this.table?.size ?? 0;
  }

  /** Executions cut at a state explored before (state caching). */
  get prunedExecutions(): number {
    return this.cacheHits;
  }

  newExecution(): Schedule | null {
    if (!this.started) {
      this.started = true;
      return this.begin();
    }
    const lv = this.levels;
    this.dporStats.ended(lv.length, this.endedAsleep);
    if (this.tree !== null) this.kid(this.endedDone ? END : UNKNOWN);
    const floor = this.opts.split?.depth ?? 0;
    for (let i = lv.length - 1; i >= floor; i--) {
      const l = lv[i]!;
      if (l.kind === 'c') {
        if (l.taken + 1 < l.n) {
          l.taken++;
          this.popTo(i);
          this.prefixEnd = l.owner;
          return this.begin();
        }
        continue;
      }
      if (!l.done.includes(l.taken)) l.done.push(l.taken);
      const next = this.candidates(l).find((u) => !l.done.includes(u));
      if (next !== undefined) {
        this.popTo(i);
        this.dporStats.finished(i, l.taken);
        l.taken = next;
        this.prefixEnd = i;
        return this.begin();
      }
    }
    if (floor > 0) this.frozenLevels = lv.slice(0, Math.min(floor, lv.length));
    this.popTo(-1);
    return null;
  }

  /**
   * Drop the levels above `i`: their subtrees are explored. With DPOR and
   * state caching, each thread level's summary becomes final: it is stored
   * with the level's state and added to the summary of the level below.
   */
  private popTo(i: number): void {
    const lv = this.levels, sums = this.summaries;
    for (let k = lv.length - 1; k > i; k--) {
      const l = lv[k]!;
      if (l.kind !== 't') continue;
      this.dporStats.finished(k, l.taken);
      if (l.backtrack !== null) {
        let left = 0;
        for (const u of l.backtrack) if (u !== l.taken && !l.done.includes(u)) left++;
        this.dporStats.dropped(left);
      }
    }
    if (this.exact !== null) {
      for (let k = lv.length - 1; k > i; k--) {
        const l = lv[k]!;
        if (l.kind !== 't') continue;
        if (l.entry >= 0) {
          let m = 0;
          for (const u of l.sleep.keys()) m |= 1 << u;
          this.exact.finished(l.entry, m, !l.inexact);
        }
        if (l.inexact) {
          const p = this.threadLevelBelow(k);
          if (p !== null) p.inexact = true;
        }
      }
    }
    if (sums !== null) {
      for (let k = lv.length - 1; k > i; k--) {
        const l = lv[k]!;
        if (l.kind !== 't') continue;
        const s = l.sum ?? sums.empty();
        let u = s;
        if (l.entry >= 0) {
          const old = this.entrySum[l.entry];
          if (old !== undefined) {
            u = sums.copy(old);
            sums.union(u, s);
          }
          this.entrySum[l.entry] = sums.intern(u);
        }
        const p = this.threadLevelBelow(k);
        if (p !== null && l.sum !== null) sums.union(p.sum ??= sums.empty(), l.sum);
        // The level is dropped below: its working summary (and the merged
        // copy) are referenced nowhere else (`intern` keeps copies).
        if (u !== s) sums.recycle(u);
        if (l.sum !== null) sums.recycle(l.sum);
        l.sum = null;
      }
    }
    if (this.tree !== null) {
      for (let k = lv.length - 1; k > i; k--) {
        const l = lv[k]!;
        if (l.kind === 't' && l.entry >= 0) this.tree.finish(l.entry);
      }
    }
    lv.length = i + 1;
  }

  private threadLevelBelow(k: number): ThreadLevel | null {
    for (let j = k - 1; j >= 0; j--) {
      const l = this.levels[j]!;
      if (l.kind === 't') return l;
    }
    return null;
  }

  private begin(): Schedule {
    this.executions++;
    this.pos = 0;
    this.lastThreadLevel = -1;
    this.lastReplay = false;
    this.curPre = 0;
    this.pendingSleep = null;
    this.endedAsleep = false;
    this.endedDone = false;
    this.kidFp = null;
    this.keepRaces();
    return { mask: this.opts.mask, steps: [] };
  }

  /**
   * Options at a level, current thread first, then by id; minus sleeping ones
   * and those over the bound (`mark`: note such a removal in the level).
   */
  private candidates(l: ThreadLevel, mark = true): ThreadId[] {
    const out: ThreadId[] = [];
    const cur = l.current;
    const curRunnable = cur !== null && l.runnable.includes(cur);
    if (curRunnable) out.push(cur);
    for (const u of l.runnable) if (u !== cur) out.push(u);
    const bound = this.opts.preemptionBound;
    return out.filter((u) => {
      if (l.sleep.has(u)) return false;
      if (l.backtrack !== null && !l.backtrack.has(u)) return false;
      if (bound !== null && curRunnable && u !== cur && l.pre + 1 > bound) {
        if (mark) {
          this.boundHit = true;
          l.inexact = true;
        }
        return false;
      }
      return true;
    });
  }

  private cost(l: ThreadLevel, u: ThreadId): number {
    const cur = l.current;
    return cur !== null && u !== cur && l.runnable.includes(cur) ? 1 : 0;
  }

  nextThread(runnable: readonly ThreadId[], current: ThreadId | null): ThreadId | null {
    if (this.pos < this.levels.length) {
      const l = this.levels[this.pos]!;
      if (l.kind !== 't' || !sameIds(l.runnable, runnable)) {
        throw new NondeterminismError(`check: the model is not deterministic: replaying level ${this.pos}, runnable ${fmt(runnable)} but the recorded execution had ${l.kind === 't' ? fmt(l.runnable) : 'a data choice'}`);
      }
      this.lastThreadLevel = this.pos;
      this.lastReplay = this.pos < this.prefixEnd;
      this.pos++;
      this.curPre = l.pre + this.cost(l, l.taken);
      return l.taken;
    }
    const sleep = this.wantsFootprints ? (this.pendingSleep ?? new Map<ThreadId, Footprint>()) : new Map<ThreadId, Footprint>();
    this.pendingSleep = null;
    let entry = -1;
    if (this.table !== null) {
      const v = this.visit(sleep);
      if (this.tree !== null) this.kid(v < -1 ? -2 - v : v >= 0 ? v : UNKNOWN);
      if (v < -1) {
        const n = -2 - v;
        const sum = this.summaries === null ? null : this.entrySum[n];
        if (sum !== undefined) {
          if (sum !== null) this.prune(sum, runnable, n);
          if (this.exact?.isInexact(n) === true) this.markInexact();
          this.cacheHits++;
          return null;
        }
        entry = n; // visited, but its subtree is not finished (not in an acyclic state graph): explore
      } else {
        entry = v;
      }
    }
    const l: ThreadLevel = {
      kind: 't', runnable: [...runnable], taken: -1, done: [], sleep, fps: new Map(), pre: this.curPre, current,
      backtrack: null, entry, sum: null, inexact: false, kept: undefined,
    };
    const c = this.candidates(l);
    if (c.length === 0) {
      if (entry >= 0 && !l.inexact) this.tree?.finish(entry); // nothing explored below (asleep, or over the bound)
      if (runnable.some((u) => sleep.has(u))) {
        this.sleepBlocked++;
        this.endedAsleep = true;
      } else this.boundBlocked++;
      if (l.inexact) {
        if (entry >= 0) this.exact?.markInexact(entry);
        this.markInexact();
      }
      return null;
    }
    l.taken = c[0]!;
    if (this.dpor) (l as { backtrack: Set<ThreadId> | null }).backtrack = new Set([l.taken]);
    this.dporStats.pushed(this.levels.length, l.taken);
    this.levels.push(l);
    this.lastThreadLevel = this.levels.length - 1;
    this.lastReplay = false;
    this.pos++;
    this.curPre = l.pre + this.cost(l, l.taken);
    return l.taken;
  }

  /** The execution was cut inexactly (bounded pass): the thread level it last ran at is inexact. */
  private markInexact(): void {
    if (this.lastThreadLevel >= 0) (this.levels[this.lastThreadLevel] as ThreadLevel).inexact = true;
  }

  /**
   * State caching: look the current state up with sleep set `sleep`. Returns
   * -2 - n when it was explored before (entry n) with a subset of `sleep` as
   * its sleep set, else its entry number n >= 0 (-1: not stored, a sleeping
   * task id does not fit the mask).
   */
  private visit(sleep: ReadonlyMap<ThreadId, Footprint>): number {
    if (this.stateOf === null) throw new Error('check: state caching needs bindState');
    let m = 0;
    for (const u of sleep.keys()) {
      if (u > 30) return -1; // not representable: explore it (sound, no pruning)
      m |= 1 << u;
    }
    const [a, b] = this.stateOf();
    const v = this.table!.visit(a, b, m);
    this.exact?.note(v < 0 ? -1 - v : v, a, b);
    return v < 0 ? v - 1 : v;
  }

  nextChoice(n: number): number {
    if (this.pos < this.levels.length) {
      const l = this.levels[this.pos]!;
      if (l.kind !== 'c' || l.n !== n) throw new NondeterminismError(`check: the model is not deterministic: replaying level ${this.pos}, a data choice among ${n} where the recorded execution had ${l.kind === 'c' ? `one among ${l.n}` : 'a task step'}`);
      this.pos++;
      return l.taken;
    }
    this.levels.push({ kind: 'c', n, taken: 0, owner: this.lastThreadLevel });
    this.pos++;
    return 0;
  }

  replaying(): boolean {
    return this.lastReplay;
  }

  keepStepState(s: readonly number[]): void {
    (this.levels[this.lastThreadLevel] as ThreadLevel).kept = s;
  }

  replayedState(): readonly number[] | undefined {
    return (this.levels[this.lastThreadLevel] as ThreadLevel).kept;
  }

  stepDone(thread: ThreadId, fp: Footprint | null, info: StepInfo): void {
    if (this.dpor) this.detectRaces(thread, fp, info);
    if (fp === null) return;
    const l = this.levels[this.lastThreadLevel] as ThreadLevel;
    const sums = this.summaries;
    if (sums !== null) sums.add(l.sum ??= sums.empty(), thread, fp);
    if (this.tree !== null && l.entry >= 0) {
      this.kidFrom = l.entry;
      this.kidTask = thread;
      this.kidFp = fp;
    }
    const prev = l.fps.get(thread);
    l.fps.set(thread, prev === undefined ? fp : union(prev, fp));
    if (!this.wantsFootprints) return;
    const next = new Map<ThreadId, Footprint>();
    for (const [u, fu] of l.sleep) if (u !== thread && independent(fu, fp)) next.set(u, fu);
    for (const u of l.done) {
      if (u === thread) continue;
      const fu = l.fps.get(u)!;
      if (independent(fu, fp)) next.set(u, fu);
    }
    this.pendingSleep = next;
  }

  /**
   * For a search stopped early: the stack depth, and the share of the tree
   * explored, estimated as if every option at a level had a subtree of the
   * same size (Knuth's estimator over the current path). DPOR may still add
   * options to a level, so the share is an upper estimate.
   */
  coverage(): { depth: number; explored: number } {
    return coverage(this.levels, (l) => this.candidates(l, false));
  }

  /** Precise cut summaries are on (./cut-tree.ts). */
  get preciseCuts(): boolean {
    return this.tree !== null;
  }

  /** Depth of the current execution's stack. */
  get depth(): number {
    return this.levels.length;
  }
}
