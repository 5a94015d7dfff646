/**
 * The exhaustive search split at a depth (issue 15, "Both cores"): the levels
 * of the choice tree below `depth` (the coordinator's tree) are never
 * branched at inside a search; each prefix of the coordinator's tree is the
 * root of a subtree explored by its own DfsScheduler (./dfs.ts, `split`),
 * with its own DPOR state, sleep sets and state table. The coordinator acts
 * only at round boundaries: after every subtree of a round has ended, the
 * tasks DPOR added to the backtrack sets of its levels join them, and each
 * new option becomes a subtree of the next round, in prefix order (the order
 * the sequential search would reach them: a node's existing options' subtrees
 * first, then its new options). The results are merged in that order, so
 * they depend on the split depth, never on who ran the subtrees or when.
 *
 * Sleep sets at the coordinator's levels: option u of a node sleeps, with
 * their footprints, the node's options scheduled in earlier rounds whose
 * footprint is final (the union over the step's data choices is complete),
 * fixed when u is scheduled (`before`): options of one round do not sleep
 * each other. Soundness: docs/checker.md, "Both cores".
 */
import type { CheckModel } from './executor.js';
import { DfsScheduler } from './dfs.js';
import type { DfsOptions, Level, ThreadLevel } from './dfs-levels.js';
import { search, type RunResult, type SearchOptions, type SearchStats } from './search.js';
import type { ThreadId } from './scheduler.js';
import { union, type Footprint } from './track.js';

interface ThreadNode {
  readonly kind: 't';
  readonly runnable: readonly ThreadId[];
  readonly current: ThreadId | null;
  readonly pre: number;
  readonly sleep: ReadonlyMap<ThreadId, Footprint>;
  /** Each option's step footprint, the union over the subtrees run through it. */
  readonly fps: Map<ThreadId, Footprint>;
  /** The backtrack set committed at the last round boundary. */
  readonly bt: Set<ThreadId>;
  /** What the subtrees of the running round added to it. */
  readonly pending: Set<ThreadId>;
  /** Options scheduled, in order. */
  readonly order: ThreadId[];
  /** Each option's sleepers at this node: earlier options with their footprints. */
  readonly before: Map<ThreadId, ReadonlyMap<ThreadId, Footprint>>;
  readonly kids: Map<number, SplitNode>;
}

interface ChoiceNode {
  readonly kind: 'c';
  readonly n: number;
  readonly owner: number;
  readonly order: number[];
  /** Values whose subtree has run. */
  readonly ran: Set<number>;
  readonly kids: Map<number, SplitNode>;
}

type SplitNode = ThreadNode | ChoiceNode;

interface Edge {
  readonly node: SplitNode;
  readonly option: number;
}

/** One subtree: the coordinator's path to it (its last edge is the option it starts with). */
export interface SplitTask {
  readonly path: readonly Edge[];
}

/** What one subtree's search found (counts, and its first violation). */
export interface SubtreeResult {
  readonly round: number;
  readonly stats: SearchStats;
  readonly violation: RunResult | null;
  readonly stoppedEarly: boolean;
  readonly stopReason: string | null;
}

export interface SplitOutcome {
  /** All subtrees' counts summed (`longest` the maximum). */
  readonly stats: SearchStats;
  /** The first violation in round order, then prefix order. */
  readonly violation: RunResult | null;
  readonly stoppedEarly: boolean;
  readonly stopReason: string | null;
  /** Each round's subtrees, in prefix order. */
  readonly rounds: ReadonlyArray<readonly SubtreeResult[]>;
}

/** Options in the order the sequential search's `candidates` gives them: the current thread first, then by id. */
function ordered(runnable: readonly ThreadId[], current: ThreadId | null, want: (u: ThreadId) => boolean): ThreadId[] {
  const out: ThreadId[] = [];
  if (current !== null && runnable.includes(current) && want(current)) out.push(current);
  for (const u of runnable) if (u !== current && want(u)) out.push(u);
  return out;
}

export class SplitCoordinator {
  private root: SplitNode | undefined;
  private round = 0;

  constructor(readonly depth: number) {
    if (!Number.isInteger(depth) || depth < 1) throw new Error(`check: the split depth must be a positive integer (got ${depth})`);
  }

  /** The first round: one subtree, from the root. */
  first(): SplitTask[] {
    return [{ path: [] }];
  }

  /** The levels a subtree's DfsScheduler starts with (DfsOptions.split.prefix). */
  prefix(task: SplitTask): Level[] {
    return task.path.map(({ node, option }): Level => {
      if (node.kind === 'c') return { kind: 'c', n: node.n, taken: option, owner: node.owner };
      const before = node.before.get(option)!;
      const bt = new Set<ThreadId>(node.bt);
      for (const u of node.order) bt.add(u);
      return {
        kind: 't', runnable: node.runnable, taken: option, done: [...before.keys()], sleep: node.sleep, fps: new Map(before),
        pre: node.pre, current: node.current, backtrack: bt, entry: -1, sum: null, inexact: false, kept: undefined,
      };
    });
  }

  /** Merge a subtree's levels below the split depth (DfsScheduler.frozenLevels), in prefix order. */
  merge(task: SplitTask, frozen: readonly Level[]): void {
    let parent: SplitNode | undefined;
    let via = -1;
    for (let i = 0; i < frozen.length; i++) {
      const l = frozen[i]!;
      let node = i === 0 ? this.root : parent!.kids.get(via);
      if (i < task.path.length && node !== task.path[i]!.node) throw new Error('check: a split subtree left its prefix');
      if (node === undefined) {
        node = l.kind === 'c'
          ? { kind: 'c', n: l.n, owner: l.owner, order: [l.taken], ran: new Set(), kids: new Map() }
          : {
            kind: 't', runnable: l.runnable, current: l.current, pre: l.pre, sleep: l.sleep, fps: new Map(), bt: new Set([l.taken]),
            pending: new Set(), order: [l.taken], before: new Map([[l.taken, new Map()]]), kids: new Map(),
          };
        if (i === 0) this.root = node;
        else parent!.kids.set(via, node);
      }
      if (node.kind === 'c') node.ran.add(l.taken);
      else {
        const t = l as ThreadLevel;
        const fp = t.fps.get(t.taken);
        if (fp !== undefined) {
          const old = node.fps.get(t.taken);
          node.fps.set(t.taken, old === undefined ? fp : union(old, fp));
        }
        if (t.backtrack !== null) for (const u of t.backtrack) if (!node.bt.has(u)) node.pending.add(u);
      }
      parent = node;
      via = l.taken;
    }
  }

  /** The round boundary: commit the additions, and the next round's subtrees in prefix order. */
  next(): SplitTask[] {
    this.round++;
    const tasks: SplitTask[] = [];
    const visit = (node: SplitNode, path: Edge[]): void => {
      const old = [...node.order];
      for (const o of old) {
        const k = node.kids.get(o);
        if (k !== undefined) visit(k, [...path, { node, option: o }]);
      }
      if (node.kind === 'c') {
        if (old.length === 1) {
          for (let v = 1; v < node.n; v++) {
            node.order.push(v);
            tasks.push({ path: [...path, { node, option: v }] });
          }
        }
        return;
      }
      for (const u of node.pending) node.bt.add(u);
      node.pending.clear();
      const fresh = ordered(node.runnable, node.current, (u) => node.bt.has(u) && !node.order.includes(u) && !node.sleep.has(u));
      if (fresh.length === 0) return;
      const sleepers = new Map<ThreadId, Footprint>();
      for (const v of old) {
        const fp = node.fps.get(v);
        if (fp !== undefined && final(node.kids.get(v))) sleepers.set(v, fp);
      }
      for (const u of fresh) {
        node.order.push(u);
        node.before.set(u, sleepers);
        tasks.push({ path: [...path, { node, option: u }] });
      }
    };
    if (this.root !== undefined) visit(this.root, []);
    return tasks;
  }

  /** Rounds completed. */
  get rounds(): number {
    return this.round;
  }
}

/**
 * The footprint of a step is final once every data choice it makes above the
 * split depth has been explored (the sequential search's `fps` is the union
 * over them): the node after it is a thread node, or none, or a choice node
 * whose every value has run, recursively.
 */
function final(after: SplitNode | undefined): boolean {
  if (after === undefined || after.kind === 't') return true;
  if (after.ran.size < after.n) return false;
  for (const k of after.kids.values()) if (!final(k)) return false;
  return true;
}

function addStats(to: SearchStats, s: SearchStats): void {
  to.executions += s.executions;
  to.newSteps += s.newSteps;
  to.steps += s.steps;
  to.cut += s.cut;
  to.depthLimited += s.depthLimited;
  to.aborted += s.aborted;
  to.stored += s.stored;
  to.pruned += s.pruned;
  if (s.longest > to.longest) to.longest = s.longest;
}

/**
 * The split search, one subtree after another in this thread: the reference
 * the worker version must equal, and the measurement of the split's price
 * (docs/checker.md, "Both cores"). `opts` are the unbounded DFS's.
 */
export function splitSearch(model: CheckModel, opts: DfsOptions, depth: number, run: SearchOptions): SplitOutcome {
  const co = new SplitCoordinator(depth);
  const stats: SearchStats = { executions: 0, newSteps: 0, steps: 0, cut: 0, depthLimited: 0, aborted: 0, longest: 0, stored: 0, pruned: 0 };
  const rounds: SubtreeResult[][] = [];
  let tasks = co.first();
  while (tasks.length > 0) {
    const results: SubtreeResult[] = [];
    for (const task of tasks) {
      const sched = new DfsScheduler({ ...opts, split: { depth, prefix: co.prefix(task) } });
      // `maxExecutions` bounds the whole split search, subtrees in order.
      const left = run.maxExecutions == null ? null : Math.max(0, run.maxExecutions - stats.executions);
      const out = search(model, sched, { ...run, maxExecutions: left });
      results.push({ round: rounds.length, stats: out.stats, violation: out.violation, stoppedEarly: out.stoppedEarly, stopReason: out.stopReason });
      addStats(stats, out.stats);
      if (out.violation !== null || out.stoppedEarly) {
        rounds.push(results);
        return { stats, violation: out.violation, stoppedEarly: out.stoppedEarly, stopReason: out.stopReason, rounds };
      }
      co.merge(task, sched.frozenLevels);
    }
    rounds.push(results);
    tasks = co.next();
  }
  return { stats, violation: null, stoppedEarly: false, stopReason: null, rounds };
}
