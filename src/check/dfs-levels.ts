/** The exhaustive search's levels, options and errors (./dfs.ts); split out of it. */
import type { ThreadId } from './scheduler.js';
import type { Summary } from './summary.js';
import type { Footprint } from './track.js';
import type { DfsScheduler } from './dfs.js';

export interface ThreadLevel {
  readonly kind: 't';
  readonly runnable: readonly ThreadId[];
  taken: ThreadId;
  /** Tasks whose subtree at this level is fully explored. */
  readonly done: ThreadId[];
  /** Tasks asleep at this level, with the footprint of their step. */
  readonly sleep: ReadonlyMap<ThreadId, Footprint>;
  /** Footprint of each task's step from this level (union over data choices). */
  readonly fps: Map<ThreadId, Footprint>;
  /** Preemptions before this level. */
  readonly pre: number;
  /** Scenario thread that ran last before this level. */
  readonly current: ThreadId | null;
  /** DPOR: tasks to explore here (null: every runnable task). */
  readonly backtrack: Set<ThreadId> | null;
  /** State caching: this state's entry in the visited table (-1: none). */
  readonly entry: number;
  /** DPOR with state caching: the steps of this level's subtree so far (null: none yet). */
  sum: Summary | null;
  /**
   * A bounded pass (`reduceUnderBound`): the bound removed an option in this
   * level's subtree, or the subtree was cut at a state whose exploration was
   * inexact; its exploration is then not the unbounded search's.
   */
  inexact: boolean;
  /** What the search loop kept with this level's step when it last ran afresh (Scheduler.keepStepState). */
  kept: readonly number[] | undefined;
}

export interface ChoiceLevel {
  readonly kind: 'c';
  readonly n: number;
  taken: number;
  /** Index of the thread level whose step made this choice. */
  readonly owner: number;
}

export type Level = ThreadLevel | ChoiceLevel;

export interface DfsOptions {
  /** Scenario threads (ids below this are threads; the rest are I/O pseudo-tasks). */
  readonly nthreads: number;
  readonly mask: readonly number[];
  readonly sleepSets: boolean;
  /** Dynamic partial-order reduction (needs sleepSets' footprints; off with a preemption bound). */
  readonly dpor?: boolean;
  /** Most preemptions per execution; null for none. */
  readonly preemptionBound: number | null;
  /** Stateful: prune states explored before with a subset of the current sleep set (needs bindState). */
  readonly stateCache?: boolean;
  /**
   * Keep the reductions and state caching under a preemption bound (a
   * bug-hunting pass, ./hunt.ts): incomplete unless the bound never cut an
   * option (`boundHit` false), when it ran exactly the unbounded search.
   */
  readonly reduceUnderBound?: boolean;
  /**
   * State caching: start from the states an earlier pass (a bounded one,
   * ./hunt.ts) explored exactly as the unbounded search would, with their
   * sleep sets and subtree summaries.
   */
  readonly inherit?: DfsScheduler;
  /**
   * Keep what the previous execution computed for the prefix this one
   * replays (the race detector's events, the tasks' histories via
   * Scheduler.keepStepState) instead of computing it again; default true.
   * Off only to compare (the counts are the same either way).
   */
  readonly keepReplayed?: boolean;
  /**
   * DPOR with source sets (./races.ts): one initial of each race's reversal
   * per level; default true. Off: the rule before them (docs/checker.md).
   */
  readonly sourceSets?: boolean;
  /**
   * DPOR with state caching and source sets, unbounded: at a cut state, a
   * race whose reversal starts inside the stored subtree adds the tasks the
   * stored executions start it with (./cut-tree.ts) instead of every task
   * runnable at the cut that is not ordered after the racing step; default
   * true since issue 15's twelfth part, false: the coarse rule at every cut
   * (docs/checker.md, "Precise cut summaries made cheap (issue 15, eleventh
   * part)", "Precise cuts by default (issue 15, twelfth part)").
   */
  readonly preciseCuts?: boolean;
  /**
   * Precise cut summaries with bug hunting (./hunt.ts): the bounded passes
   * keep a cut tree too, and each pass carries the first steps of the states
   * the one before it explored exactly over with those states; default true.
   * False: the bounded passes keep none (the rule of issue 15's twelfth part),
   * so a walk that reaches an inherited state gives up (docs/checker.md, "The
   * cut tree across the hunting passes (issue 15, thirteenth part)").
   */
  readonly carryCuts?: boolean;
  /** Precise cut summaries: most stored first steps one walk visits before the coarse rule is used (default 32; ./cut-tree.ts). */
  readonly preciseCutBudget?: number;
  /**
   * One subtree of the split search (./split.ts): start with `prefix`'s
   * levels (built by the coordinator: replayed, never branched at), and never
   * branch at a level below `depth` either; what DPOR adds to those levels'
   * backtrack sets is read back from `frozenLevels` for the coordinator.
   */
  readonly split?: { readonly depth: number; readonly prefix: readonly Level[] };
}

export class NondeterminismError extends Error {
  override readonly name = 'NondeterminismError';
}

export function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(a: readonly number[]): string {
  return `[${a.join(', ')}]`;
}

/**
 * For a search stopped early (DfsScheduler.coverage): the stack depth, and
 * the share of the tree explored, estimated as if every option at a level had
 * a subtree of the same size (Knuth's estimator over the current path);
 * `candidates` are a thread level's options left (minus those asleep or over
 * the bound).
 */
export function coverage(levels: readonly Level[], candidates: (l: ThreadLevel) => readonly number[]): { depth: number; explored: number } {
  let explored = 0, weight = 1;
  for (const l of levels) {
    let options: number, finished: number;
    if (l.kind === 'c') {
      options = l.n;
      finished = l.taken;
    } else {
      finished = l.done.filter((u) => u !== l.taken).length;
      options = finished + candidates(l).filter((u) => !l.done.includes(u) || u === l.taken).length;
    }
    if (options <= 0) break;
    explored += weight * (finished / options);
    weight /= options;
  }
  return { depth: levels.length, explored };
}