/**
 * The scheduler contract (after Shuttle's `Scheduler` trait): the search loop
 * (./search.ts) asks a scheduler for each execution, for the task to run at
 * each step and for each data choice; it never knows which strategy it drives.
 * Implementations: ./dfs.ts (exhaustive, sleep sets, optional preemption
 * bound), ./random.ts, ./pct.ts, ./replay.ts (exact and lenient replay).
 */
import type { Schedule } from './schedule.js';
import type { Footprint } from './track.js';

/** Task id: scenario threads first (0..n-1), then I/O-completion pseudo-tasks in creation order. */
export type ThreadId = number;

/** Causality a step created besides shared memory: tasks it woke, pseudo-tasks it spawned. */
export interface StepInfo {
  readonly woke: readonly ThreadId[];
  readonly spawned: readonly ThreadId[];
}

export interface Scheduler {
  /** Start an execution; null when there is nothing left to explore. The schedule's mask picks the threads and ops. */
  newExecution(): Schedule | null;
  /**
   * Pick the task that runs the next step, from `runnable` (sorted by id).
   * `current` is the scenario thread that ran last. Null ends the execution
   * early (for example: every runnable task is in the sleep set).
   */
  nextThread(runnable: readonly ThreadId[], current: ThreadId | null): ThreadId | null;
  /** A data choice in [0, n): page state, VMA, timing-dependent trylock outcome. */
  nextChoice(n: number): number;
  /** Wants read/write footprints of steps (partial-order reduction). */
  readonly wantsFootprints: boolean;
  /** The step just picked replays a known prefix: no footprint, no invariant check needed. */
  replaying?(): boolean;
  /**
   * Keep `s` (Execution.saveLanes) with the step just run afresh; a later
   * execution that replays it gets it back from `replayedState`.
   */
  keepStepState?(s: readonly number[]): void;
  /** Uses keepStepState and replayedState (see DfsOptions.keepReplayed). */
  readonly keepsReplayed?: boolean;
  /** What `keepStepState` kept with the step just replayed. */
  replayedState?(): readonly number[] | undefined;
  /** The step picked last ran; `fp` is its footprint when it was tracked. */
  stepDone?(thread: ThreadId, fp: Footprint | null, info: StepInfo): void;
  /** The running execution ended with no task runnable (not cut, not stopped). */
  executionDone?(): void;
  /** State caching: distinct states stored, executions cut at a state explored before. */
  readonly storedStates?: number;
  readonly prunedExecutions?: number;
  /** The execution's state hash (Execution.stateHash), for schedulers that cache states. */
  bindState?(stateOf: () => [number, number]): void;
  /** The execution's task names, for messages (replay divergence). */
  bindNames?(nameOf: (id: ThreadId) => string): void;
}
